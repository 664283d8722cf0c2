// SPDX-License-Identifier: Apache-2.0
// Connection URL parsing and password redaction.
//
// Error messages never echo the input: a malformed URL may have its password
// anywhere (e.g. "postgresql://user:secret" reads as host "user", port
// "secret"), so messages name the part and the character position only.
#include "dbridge/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "dbridge/error.hpp"
#include "plugin/url_rules.hpp"

namespace dbridge::inline v1 {

namespace {

constexpr std::size_t max_url_length = 64 * 1024;

[[noreturn]] void fail(std::string_view scheme, std::string what, std::string fix = {}) {
  std::string msg = "invalid connection URL";
  if (!scheme.empty()) {
    msg += " (scheme '";
    msg += scheme;
    msg += "')";
  }
  msg += ": ";
  msg += what;
  if (!fix.empty()) {
    msg += "; ";
    msg += fix;
  }
  throw_error(errc::invalid_argument, std::move(msg));
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Schemes whose URL body is a file path, not an authority.
bool is_file_scheme(std::string_view scheme) {
  return scheme == "sqlite" || scheme == "sqlite3" || scheme == "file" || scheme == "duckdb";
}

// Schemes whose clients (redis-cli, Lettuce, older redis-py) read a user
// part without ':' as the password: redis://secret@host. Shown, it would be
// the password in the clear.
bool lone_user_is_secret(std::string_view scheme) {
  return scheme == "redis" || scheme == "rediss" || scheme == "redis+unix" || scheme == "rediss+unix";
}

// Schemes whose path names a Unix socket (redis+unix:///run/redis.sock).
bool is_socket_scheme(std::string_view scheme) {
  return scheme.size() > 5 && scheme.substr(scheme.size() - 5) == "+unix";
}

// Decodes %XX escapes of text, which starts at byte `offset` of the URL (for
// positions in messages).
std::string decode(std::string_view text, std::size_t offset, std::string_view scheme, const char* part) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '%') {
      out += c;
      continue;
    }
    int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      fail(scheme,
           std::string("invalid percent-escape in the ") + part + " at position " + std::to_string(offset + i + 1),
           "'%' must be followed by two hex digits; write a literal '%' as %25");
    }
    char decoded = static_cast<char>(hi * 16 + lo);
    if (decoded == '\0') {
      fail(scheme, std::string("the ") + part + " contains an encoded NUL byte (%00) at position " +
                       std::to_string(offset + i + 1));
    }
    out += decoded;
    i += 2;
  }
  return out;
}

std::uint16_t parse_port(std::string_view text, std::string_view scheme) {
  if (text.empty()) fail(scheme, "empty port after ':'", "write host:port with a port of 1-65535, or drop the ':'");
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) {
    fail(scheme, "the port is not a number of 1-65535",
         "write host:port; if this part is a password, put user:password@ before the host");
  }
  unsigned long v = 0;
  for (char c : text) v = v * 10 + static_cast<unsigned long>(c - '0');
  if (v == 0 || v > 65535) fail(scheme, "port " + std::to_string(v) + " is out of range (1-65535)");
  return static_cast<std::uint16_t>(v);
}

void parse_hosts(std::string_view list, std::size_t offset, std::string_view scheme, std::vector<url_host>& out) {
  if (list.empty()) return;
  std::size_t i = 0;
  while (true) {
    url_host h;
    std::size_t start = i;
    std::string_view port_text;
    bool has_port = false;
    if (i < list.size() && list[i] == '[') {
      std::size_t close = list.find(']', i);
      if (close == std::string_view::npos) {
        fail(scheme, "unterminated '[' in the host at position " + std::to_string(offset + i + 1),
             "write IPv6 addresses as [::1]:5432");
      }
      std::string addr = decode(list.substr(i + 1, close - i - 1), offset + i + 1, scheme, "host");
      std::string bare = addr.substr(0, addr.find('%'));  // zone id (fe80::1%eth0) is not part of the address
      in6_addr tmp{};
      if (bare.empty() || inet_pton(AF_INET6, bare.c_str(), &tmp) != 1) {
        fail(scheme, "the bracketed host at position " + std::to_string(offset + i + 1) +
                         " is not an IPv6 address", "use [::1] style addresses inside brackets");
      }
      h.host = std::move(addr);
      i = close + 1;
      if (i < list.size() && list[i] == ':') {
        std::size_t end = list.find(',', i);
        if (end == std::string_view::npos) end = list.size();
        port_text = list.substr(i + 1, end - i - 1);
        has_port = true;
        i = end;
      }
      if (i < list.size() && list[i] != ',') {
        fail(scheme, "unexpected character after ']' at position " + std::to_string(offset + i + 1),
             "write [address]:port");
      }
    } else {
      std::size_t end = list.find(',', i);
      if (end == std::string_view::npos) end = list.size();
      std::string_view item = list.substr(i, end - i);
      if (item.find(']') != std::string_view::npos || item.find('[') != std::string_view::npos) {
        fail(scheme, "misplaced '[' or ']' in the host at position " + std::to_string(offset + i + 1),
             "write IPv6 addresses as [::1]:5432");
      }
      std::size_t colon = item.find(':');
      std::string_view name = item.substr(0, colon);
      if (colon != std::string_view::npos) {
        port_text = item.substr(colon + 1);
        has_port = true;
      }
      h.host = decode(name, offset + i, scheme, "host");
      i = end;
    }
    if (has_port) h.port = parse_port(port_text, scheme);
    if (h.host.empty() && !has_port && list.size() > 0 && (list.find(',') != std::string_view::npos)) {
      fail(scheme, "empty host in the host list at position " + std::to_string(offset + start + 1),
           "separate hosts with single commas: h1:5432,h2:5432");
    }
    out.push_back(std::move(h));
    if (i >= list.size()) break;
    ++i;  // skip ','
    if (i >= list.size()) {
      fail(scheme, "the host list ends with ','", "remove the trailing comma");
    }
  }
}

void parse_options(std::string_view query, std::size_t offset, std::string_view scheme,
                   std::vector<std::pair<std::string, std::string>>& out) {
  std::size_t i = 0;
  while (i <= query.size()) {
    std::size_t end = query.find('&', i);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(i, end - i);
    if (!item.empty()) {
      std::size_t eq = item.find('=');
      std::string_view k = item.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      if (k.empty()) {
        fail(scheme, "an option without a name at position " + std::to_string(offset + i + 1),
             "write options as ?key=value&key2=value2");
      }
      std::string key = decode(k, offset + i, scheme, "option name");
      std::string value = decode(v, offset + i + k.size() + 1, scheme, "option value");
      out.emplace_back(std::move(key), std::move(value));
    }
    i = end + 1;
  }
}

std::string encode(std::string_view s, std::string_view keep) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' || u >= 0x80 ||
        keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

bool lower_contains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool eq = true;
    for (std::size_t j = 0; j < needle.size() && eq; ++j) {
      char c = hay[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      eq = c == needle[j];
    }
    if (eq) return true;
  }
  return false;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_word_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_scheme_char(char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.'; }

// The character that closes a URL quoted by `open`, or 0 when it is not a quote.
char closing_quote(char open) {
  switch (open) {
    case '"': return '"';
    case '\'': return '\'';
    case '`': return '`';
    case '<': return '>';
    default: return 0;
  }
}

// The URL-shaped part of redact_url: the password of every scheme://...
// A URL runs to the next white space, or, when it is quoted ("...", '...',
// <...>, `...`), to its closing quote. Credentials may hold such quotes
// unencoded (parse_url accepts them), so when the quoted part has a ':' but
// no '@', the '@' is looked for up to the next white space too.
std::string redact_userinfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t sep = text.find("://", i);
    if (sep == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, sep + 3 - i));
    std::size_t scheme_start = sep;
    while (scheme_start > 0 && is_scheme_char(text[scheme_start - 1])) --scheme_start;
    std::string scheme;
    for (char c : text.substr(scheme_start, sep - scheme_start))
      scheme += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    const char close = scheme_start > 0 ? closing_quote(text[scheme_start - 1]) : 0;
    const std::size_t start = sep + 3;
    std::size_t word_end = start;
    while (word_end < text.size() && !is_space(text[word_end])) ++word_end;
    std::size_t end = start;
    while (end < word_end && text[end] != close) ++end;
    if (is_file_scheme(scheme)) {  // a path, never credentials: sqlite://:memory: stays as written
      // ...unless its first segment is user:secret@, as in sqlite://u:pw@/tmp/x.db.
      const std::string_view first = text.substr(start, end - start);
      const std::string_view segment = first.substr(0, first.find('/'));
      const std::size_t at = segment.rfind('@');
      const std::size_t colon = at == std::string_view::npos ? at : segment.substr(0, at).find(':');
      if (colon != std::string_view::npos) {
        out.append(segment.substr(0, colon + 1));
        out.append("***");
        i = start + at;
        continue;
      }
      i = start;
      continue;
    }
    i = end;
    const std::string_view token = text.substr(start, end - start);
    std::string_view creds = token;
    if (token.find('@') == std::string_view::npos && end < word_end && token.find(':') != std::string_view::npos)
      creds = text.substr(start, word_end - start);
    // Credentials end at the last '@' before the query (a password may hold
    // an unencoded '@' or '/'; an '@' in an option value is no credential).
    const std::size_t at = creds.substr(0, creds.find('?')).rfind('@');
    if (at != std::string_view::npos) {
      const std::string_view userinfo = creds.substr(0, at);
      const std::size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        out.append(userinfo.substr(0, colon + 1));
        out.append("***");
      } else {
        out.append(lone_user_is_secret(scheme) ? std::string_view("***") : userinfo);
      }
      i = start + at;  // the rest is copied as written
      continue;
    }
    // "user:secret" without '@' is indistinguishable from host:port only when
    // the part after ':' is a number; anything else is hidden.
    const std::string_view auth = token.substr(0, token.find_first_of("/?"));
    const std::size_t c = auth.find(':');
    if (c != std::string_view::npos && auth.find('[') == std::string_view::npos) {
      const std::string_view after = auth.substr(c + 1);
      const std::string_view port = after.substr(0, after.find(','));
      if (!port.empty() && !std::all_of(port.begin(), port.end(), is_digit)) {
        out.append(auth.substr(0, c + 1));
        out.append("***");
        i = start + auth.size();
        continue;
      }
    }
    out.append(token);
  }
  return out;
}

// The key=value part of redact_url: secrets in query strings and libpq
// keyword strings ("host=h password=x"), quoted values ('a b') included.
// The '=' of key=value at or after `from`, written plainly or as %3D (the
// parser decodes a query's escapes, so ?password%3Dx is an option too).
std::size_t find_equals(std::string_view text, std::size_t from, std::size_t& len) {
  for (std::size_t i = from; i < text.size(); ++i) {
    if (text[i] == '=') {
      len = 1;
      return i;
    }
    if (text[i] == '%' && i + 2 < text.size() && text[i + 1] == '3' && (text[i + 2] == 'D' || text[i + 2] == 'd')) {
      len = 3;
      return i;
    }
  }
  return std::string_view::npos;
}

// An option name with its %XX escapes decoded where they are valid, for the
// secret check only (pass%77ord is password).
std::string lenient_decode(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '%' && i + 2 < key.size() && std::isxdigit(static_cast<unsigned char>(key[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(key[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(key.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += key[i];
    }
  }
  return out;
}

std::string redact_options(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t p = 0;
  while (p < text.size()) {
    std::size_t eq_len = 1;
    const std::size_t eq = find_equals(text, p, eq_len);
    if (eq == std::string_view::npos) {
      out.append(text.substr(p));
      break;
    }
    std::size_t ks = eq;
    while (ks > p && (is_alpha(text[ks - 1]) || is_digit(text[ks - 1]) || text[ks - 1] == '_' || text[ks - 1] == '-' ||
                      text[ks - 1] == '%'))
      --ks;
    out.append(text.substr(p, eq + eq_len - p));
    const std::size_t value_start = eq + eq_len;
    std::size_t ve = value_start;
    if (ve < text.size() && text[ve] == '\'') {
      for (++ve; ve < text.size() && text[ve] != '\''; ++ve)
        if (text[ve] == '\\') ++ve;
      ve = std::min(ve + 1, text.size());
    } else {
      while (ve < text.size() && text[ve] != '&' && !is_space(text[ve])) ++ve;
    }
    if (ks < eq && ve > value_start && is_secret_option(lenient_decode(text.substr(ks, eq - ks)))) {
      out.append("***");
    } else {
      out.append(text.substr(value_start, ve - value_start));
    }
    p = ve;
  }
  return out;
}

}  // namespace

std::optional<std::string> url::option(std::string_view key) const {
  for (const auto& [k, v] : options)
    if (k == key) return v;
  return std::nullopt;
}

std::string url::redacted() const {
  std::string out = scheme + "://";
  if (user || password) {
    if (user) out += password || !lone_user_is_secret(scheme) ? encode(*user, "") : std::string("***");
    if (password) out += ":***";
    out += '@';
  }
  if (path_style) {
    out += encode(database, "/:");
  } else if (is_socket_scheme(scheme)) {
    if (!hosts.empty()) out += encode(hosts.front().host, "/");
  } else {
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      if (i) out += ',';
      const auto& h = hosts[i];
      if (h.host.find(':') != std::string::npos) {
        out += '[' + encode(h.host, ":") + ']';
      } else {
        out += encode(h.host, "");
      }
      if (h.port) out += ':' + std::to_string(h.port);
    }
    if (!database.empty()) out += '/' + encode(database, "");
  }
  for (std::size_t i = 0; i < options.size(); ++i) {
    out += i ? '&' : '?';
    out += encode(options[i].first, "");
    out += '=';
    out += is_secret_option(options[i].first) ? std::string("***") : encode(options[i].second, "/:,");
  }
  return out;
}

url parse_url(std::string_view text) { return detail::parse_url(text, false); }

namespace detail {

url parse_url(std::string_view text, bool path_body) {
  if (text.empty()) fail({}, "the URL is empty", "write e.g. sqlite:///path/to/file.db or postgresql://host/db");
  if (text.size() > max_url_length) {
    fail({}, "the URL is " + std::to_string(text.size()) + " bytes long; the limit is " +
                 std::to_string(max_url_length));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7f) {
      fail({}, "control character (byte " + std::to_string(u) + ") at position " + std::to_string(i + 1),
           "percent-encode special characters");
    }
    if (u == ' ') {
      fail({}, "space at position " + std::to_string(i + 1), "percent-encode spaces as %20");
    }
  }

  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    std::size_t colon = text.find(':');
    bool scheme_like = colon != std::string_view::npos && colon > 0 &&
                       std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon),
                                   [](char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.'; });
    if (scheme_like) {
      fail({}, "missing '//' after the scheme", "write scheme://..., e.g. sqlite:///abs/path.db");
    }
    fail({}, "no scheme", "write scheme://..., e.g. sqlite:///path/to/file.db or postgresql://host/db");
  }
  std::string_view raw_scheme = text.substr(0, sep);
  if (raw_scheme.empty()) fail({}, "empty scheme before '://'", "write e.g. postgresql://host/db");
  if (!is_alpha(raw_scheme[0])) fail({}, "the scheme must start with a letter");
  for (char c : raw_scheme) {
    if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) {
      fail({}, "the scheme may hold only letters, digits, '+', '-' and '.'");
    }
  }
  if (raw_scheme.size() > 64) fail({}, "the scheme is longer than 64 characters");

  url u;
  u.raw = std::string(text);
  for (char c : raw_scheme) u.scheme += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  const std::string_view scheme = u.scheme;

  std::size_t body_start = sep + 3;
  std::string_view rest = text.substr(body_start);
  if (rest.find('#') != std::string_view::npos) {
    fail(scheme, "'#' at position " + std::to_string(body_start + rest.find('#') + 1) + " (fragments are not used)",
         "percent-encode '#' as %23");
  }
  std::size_t q = rest.find('?');
  std::string_view body = rest.substr(0, q);
  if (q != std::string_view::npos) parse_options(rest.substr(q + 1), body_start + q + 1, scheme, u.options);

  if (path_body || is_file_scheme(scheme)) {
    u.path_style = true;
    u.database = decode(body, body_start, scheme, "file path");
    if (u.database.empty()) {
      fail(scheme, "no database file",
           is_file_scheme(scheme) ? "write sqlite:///abs/path.db, sqlite://relative.db or sqlite://:memory:"
                                  : "write " + std::string(scheme) + ":///abs/path or " + std::string(scheme) +
                                        "://relative/path");
    }
    return u;
  }

  // The authority runs to the first '/'; credentials end at its last '@' so
  // an unencoded '@' in a password still parses.
  std::size_t slash = body.find('/');
  std::string_view authority = body.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : body.substr(slash);
  std::size_t at = authority.rfind('@');
  std::string_view hostlist = authority;
  std::size_t host_offset = body_start;
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    std::size_t colon = userinfo.find(':');
    std::string user = decode(userinfo.substr(0, colon), body_start, scheme, "user name");
    if (!user.empty()) u.user = std::move(user);
    if (colon != std::string_view::npos) {
      u.password = decode(userinfo.substr(colon + 1), body_start + colon + 1, scheme, "password");
    }
    hostlist = authority.substr(at + 1);
    host_offset = body_start + at + 1;
  }

  if (is_socket_scheme(scheme)) {
    if (!hostlist.empty()) {
      fail(scheme, "a socket URL takes no host", "write " + std::string(scheme) + ":///path/to/socket");
    }
    std::string socket = decode(path, body_start + slash, scheme, "socket path");
    if (socket.empty()) fail(scheme, "no socket path", "write " + std::string(scheme) + ":///path/to/socket");
    u.hosts.push_back(url_host{std::move(socket), 0});
    return u;
  }

  parse_hosts(hostlist, host_offset, scheme, u.hosts);
  if (u.hosts.size() == 1 && u.hosts.front().host.empty() && u.hosts.front().port == 0) u.hosts.clear();
  if (!path.empty()) u.database = decode(path.substr(1), body_start + slash + 1, scheme, "database name");
  return u;
}

}  // namespace detail

std::string redact_url(std::string_view text) noexcept {
  try {
    return redact_options(redact_userinfo(text));
  } catch (...) {
    return "<text hidden>";
  }
}

bool is_secret_option(std::string_view name) noexcept {
  // Substrings count, so "sslpassword", "auth_token" and "client_secret" are
  // caught too.
  static constexpr std::array<std::string_view, 8> words = {"password", "passwd", "pass", "pwd",
                                                            "secret", "token", "apikey", "api_key"};
  for (auto w : words)
    if (lower_contains(name, w)) return true;
  if (name.size() != 3 && name.size() != 4) return false;
  char lower[4] = {};
  for (std::size_t i = 0; i < name.size(); ++i)
    lower[i] = static_cast<char>((name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i]);
  const std::string_view l(lower, name.size());
  return l == "auth" || l == "key";
}

std::string redact_secrets(std::string_view text, const std::vector<std::string>& secrets) noexcept {
  try {
    std::string out = redact_url(text);
    for (const std::string& s : secrets) {
      if (s.empty()) continue;
      for (std::size_t pos = out.find(s); pos != std::string::npos;) {
        const bool starts_word = pos == 0 || !is_word_char(out[pos - 1]);
        const bool ends_word = pos + s.size() == out.size() || !is_word_char(out[pos + s.size()]);
        if (starts_word && ends_word) {
          out.replace(pos, s.size(), "***");
          pos = out.find(s, pos + 3);
        } else {
          pos = out.find(s, pos + 1);
        }
      }
    }
    return out;
  } catch (...) {
    return "<text hidden>";
  }
}

}  // namespace dbridge
