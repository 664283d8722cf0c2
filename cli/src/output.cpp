// SPDX-License-Identifier: Apache-2.0
#include "output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <type_traits>
#include <variant>

#include <unistd.h>

namespace dbridge::cli {

namespace {

std::vector<std::string>& secrets() {
  static std::vector<std::string> s;
  return s;
}

void add_secret(std::string s) {
  if (s.empty()) return;
  auto& all = secrets();
  if (std::find(all.begin(), all.end(), s) == all.end()) all.push_back(std::move(s));
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lenient: a bad escape is kept as written, since this only feeds scrubbing.
std::string percent_decode(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        r.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    r.push_back(s[i]);
  }
  return r;
}

std::string escape_cell(std::string_view s) { return escape_controls(s, false); }

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);
}

std::string hex_bytes(const bytes& b) {
  std::string r = "\\x";
  r.reserve(2 + b.size() * 2);
  static constexpr char digits[] = "0123456789abcdef";
  for (std::uint8_t c : b) {
    r.push_back(digits[c >> 4]);
    r.push_back(digits[c & 0xf]);
  }
  return r;
}

}  // namespace

dbridge::url parse_cli_url(const std::string& text) {
  try {
    return parse_url(text);
  } catch (const dbridge::error& e) {
    throw usage_error(e.info().message.empty() ? e.what() : e.info().message,
                      "write the URL as scheme://[user[:password]@]host[:port]/database, or for SQLite "
                      "sqlite:///absolute/path.db, sqlite://relative.db or sqlite://:memory:");
  }
}

void remember_secrets(std::string_view arg) noexcept {
  try {
    const auto sep = arg.find("://");
    if (sep == std::string_view::npos) return;
    const std::string_view rest = arg.substr(sep + 3);
    const std::size_t query_at = rest.find_first_of("?#");
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) {
      // A password holding an unescaped '/' ends the authority early: look
      // for the '@' up to the query instead.
      authority = rest.substr(0, query_at);
      at = authority.rfind('@');
    }
    if (at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      const std::size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view pw = userinfo.substr(colon + 1);
        add_secret(std::string(pw));
        add_secret(percent_decode(pw));
      }
    }
    if (query_at != std::string_view::npos && rest[query_at] == '?') {
      std::string_view q = rest.substr(query_at + 1);
      q = q.substr(0, q.find('#'));
      while (!q.empty()) {
        const std::size_t amp = q.find('&');
        const std::string_view kv = q.substr(0, amp);
        const std::size_t eq = kv.find('=');
        if (eq != std::string_view::npos && is_secret_option(percent_decode(kv.substr(0, eq)))) {
          add_secret(std::string(kv.substr(eq + 1)));
          add_secret(percent_decode(kv.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
      }
    }
  } catch (...) {
    // Out of memory while noting a secret: nothing sensible left to do.
  }
}

std::string scrub(std::string_view text) { return redact_secrets(text, secrets()); }

std::string_view default_fix(errc category) noexcept {
  switch (category) {
    case errc::connection:
      return "check that the server is running and that host, port and database in the URL are right";
    case errc::auth:
      return "check the user name and password in the URL (the password is never printed)";
    case errc::syntax:
      return "check the statement against the SQL dialect of this database";
    case errc::timeout:
      return "check the network, or raise connect_timeout in the URL (?connect_timeout=SECONDS)";
    case errc::unsupported:
      return "run `dbridge plugins` to see what each plugin can do";
    case errc::incompatible:
      return "run `dbridge doctor` for the load report of every plugin";
    case errc::not_found:
      return "run `dbridge plugins` to list what is installed, `dbridge doctor` to see what is broken";
    case errc::txn_conflict:
      return "run the statement again";
    default:
      return {};
  }
}

int report_error(const dbridge::error& e) {
  const error_info& i = e.info();
  std::vector<std::string> where;
  if (!i.driver.empty()) where.push_back("driver " + i.driver);
  if (!i.sqlstate.empty()) where.push_back("SQLSTATE " + i.sqlstate);
  if (i.native_code != 0 && !i.native_domain.empty() && i.native_domain != "dbridge")
    where.push_back(fmt::format("{} code {}", i.native_domain, i.native_code));
  std::string text = fmt::format("dbridge: {} error", to_string(i.category));
  if (!where.empty()) text += fmt::format(" ({})", fmt::join(where, ", "));
  text += ": ";
  text += i.message.empty() ? std::string(e.what()) : i.message;
  text += "\n";
  if (!i.detail.empty()) text += "  detail: " + i.detail + "\n";
  // Core messages about plugins often carry their own "fix:"; one is enough.
  const bool has_fix = text.find("fix: ") != std::string::npos;
  const std::string fix = !i.hint.empty() ? i.hint : has_fix ? std::string() : std::string(default_fix(i.category));
  if (!fix.empty()) text += "  fix: " + fix + "\n";
  std::fputs(scrub(text).c_str(), stderr);
  return exit_failure;
}

int report_failure(std::string_view category, std::string_view message, std::string_view fix) {
  std::string text = fmt::format("dbridge: {} error: {}\n", category, message);
  if (!fix.empty()) text += fmt::format("  fix: {}\n", fix);
  std::fputs(scrub(text).c_str(), stderr);
  return exit_failure;
}

std::string json_text(const ojson& j, int indent) {
  // Text from a backend may hold invalid UTF-8; replacing it beats a throw.
  return j.dump(indent, ' ', false, ojson::error_handler_t::replace);
}

std::size_t utf8_length_at(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  // The second byte's range also rules out overlong forms and surrogates.
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n >= s.size()) return 0;
  const auto d = static_cast<unsigned char>(s[i + 1]);
  if (d < lo || d > hi) return 0;
  for (std::size_t k = 2; k <= n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n + 1;
}

namespace {

std::uint32_t code_point(std::string_view seq) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(seq[k])); };
  switch (seq.size()) {
    case 2: return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    case 4: return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
    default: return b(0);
  }
}

// C1 controls (8-bit CSI, OSC...) that terminals may act on, and the
// overrides that make text display in an order other than it is stored.
bool terminal_hazard(std::uint32_t cp) noexcept {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string escape_controls(std::string_view s, bool backslash) {
  std::string r;
  r.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      const std::size_t n = utf8_length_at(s, i);
      if (n == 0) {
        r += fmt::format("\\x{:02x}", c);
        ++i;
        continue;
      }
      const std::string_view seq = s.substr(i, n);
      if (const std::uint32_t cp = code_point(seq); terminal_hazard(cp)) r += fmt::format("\\u{:04x}", cp);
      else r.append(seq);
      i += n;
      continue;
    }
    if (ch == '\\' && backslash) r += "\\\\";
    else if (ch == '\n') r += "\\n";
    else if (ch == '\r') r += "\\r";
    else if (ch == '\t') r += "\\t";
    else if (c < 0x20 || c == 0x7f) r += fmt::format("\\x{:02x}", c);
    else r.push_back(ch);
    ++i;
  }
  return r;
}

replacing_file::replacing_file(std::string path)
    : path_(std::move(path)), tmp_(fmt::format("{}.dbridge-{}.tmp", path_, ::getpid())) {
  file_ = std::fopen(tmp_.c_str(), "wb");
}

replacing_file::~replacing_file() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) std::remove(tmp_.c_str());
}

bool replacing_file::commit() {
  std::FILE* f = file_;
  file_ = nullptr;
  if (f == nullptr || std::fclose(f) != 0 || std::rename(tmp_.c_str(), path_.c_str()) != 0) return false;
  committed_ = true;
  return true;
}

void out(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

std::size_t display_width(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

text_table::text_table(std::vector<std::string> headers) : right_(headers.size(), false) {
  headers_.reserve(headers.size());
  for (auto& h : headers) headers_.push_back(escape_cell(h));
}

void text_table::set_right_aligned(std::size_t column, bool right) {
  if (column < right_.size()) right_[column] = right;
}

void text_table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (auto& c : cells) c = escape_cell(c);
  rows_.push_back(std::move(cells));
}

std::string text_table::render(bool with_header) const {
  std::vector<std::size_t> width(headers_.size(), 0);
  for (std::size_t i = 0; i < headers_.size(); ++i) width[i] = display_width(headers_[i]);
  for (const auto& r : rows_)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));

  std::string res;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) l += "  ";
      const std::string pad(width[i] - display_width(cells[i]), ' ');
      l += right_[i] ? pad + cells[i] : cells[i] + pad;
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    res += l;
    res += '\n';
  };
  if (with_header) {
    line(headers_);
    std::vector<std::string> rule;
    for (std::size_t w : width) rule.emplace_back(w, '-');
    line(rule);
  }
  for (const auto& r : rows_) line(r);
  return res;
}

bool is_numeric(value_type t) noexcept {
  return t == value_type::int64 || t == value_type::uint64 || t == value_type::float64 || t == value_type::decimal;
}

std::string to_text(const dbridge::value& v) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "NULL";
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>)
          return fmt::format("{}", x);
        else if constexpr (std::is_same_v<T, double>) return format_double(x);
        else if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, bytes>) return hex_bytes(x);
        else if constexpr (std::is_same_v<T, decimal> || std::is_same_v<T, json>) return x.text;
        else if constexpr (std::is_same_v<T, date> || std::is_same_v<T, time_of_day> ||
                           std::is_same_v<T, timestamp> || std::is_same_v<T, timestamptz> ||
                           std::is_same_v<T, interval>)
          return v.to_string();  // value's own formatting: the CLI prints dates and times as the API does
        else if constexpr (std::is_same_v<T, uuid>) return x.to_string();
        else return v.to_string();  // array: the core's one rendering
      },
      v.get_storage());
}

ojson to_json(const dbridge::value& v) {
  return std::visit(
      [&](const auto& x) -> ojson {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
        else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                           std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::string>)
          return x;
        else if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(x)) return x;
          return format_double(x);
        } else if constexpr (std::is_same_v<T, bytes>) return base64(x);
        else if constexpr (std::is_same_v<T, json>) {
          ojson parsed = ojson::parse(x.text, nullptr, false);
          // A backend that labels malformed text as JSON still gets printed.
          if (parsed.is_discarded()) return x.text;
          return parsed;
        } else if constexpr (std::is_same_v<T, array>) {
          ojson a = ojson::array();
          for (const auto& e : x) a.push_back(to_json(e));
          return a;
        } else return to_text(v);  // decimal, dates and times, interval, uuid
      },
      v.get_storage());
}

std::string base64(const dbridge::bytes& b) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string r;
  r.reserve((b.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8) | b[i + 2];
    r.push_back(alphabet[n >> 18]);
    r.push_back(alphabet[(n >> 12) & 63]);
    r.push_back(alphabet[(n >> 6) & 63]);
    r.push_back(alphabet[n & 63]);
  }
  if (const std::size_t left = b.size() - i; left > 0) {
    std::uint32_t n = std::uint32_t{b[i]} << 16;
    if (left == 2) n |= std::uint32_t{b[i + 1]} << 8;
    r.push_back(alphabet[n >> 18]);
    r.push_back(alphabet[(n >> 12) & 63]);
    r.push_back(left == 2 ? alphabet[(n >> 6) & 63] : '=');
    r.push_back('=');
  }
  return r;
}

std::string csv_field(std::string_view s) {
  if (!s.empty() && s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string r = "\"";
  for (char c : s) {
    if (c == '"') r.push_back('"');
    r.push_back(c);
  }
  r.push_back('"');
  return r;
}

std::vector<std::string> json_keys(const std::vector<column_info>& cols) {
  std::vector<std::string> keys;
  keys.reserve(cols.size());
  for (const auto& c : cols) {
    std::string k = c.name;
    for (int n = 2; std::find(keys.begin(), keys.end(), k) != keys.end(); ++n) k = fmt::format("{}_{}", c.name, n);
    keys.push_back(std::move(k));
  }
  return keys;
}

ojson to_json(const plugin_info& p) {
  return {{"id", p.id},
          {"version", p.version},
          {"kind", p.kind},
          {"summary", p.summary},
          {"abi", {{"major", p.abi_major}, {"min_minor", p.abi_min_minor}}},
          {"schemes", p.schemes},
          {"capabilities", p.capabilities},
          {"threading", p.threading},
          {"manifest", p.manifest_path.string()},
          {"library", p.library_path.string()},
          {"status", p.status},
          {"problem", p.problem},
          {"warnings", p.warnings},
          {"scope", p.scope},
          {"scope_dir", p.scope_dir.string()},
          {"installed_from", p.installed_from}};
}

std::string plugin_label(const plugin_info& p) { return fmt::format("{} {} ({})", p.id, p.version, p.kind); }

ojson result_to_json(dbridge::result& r) {
  const auto keys = json_keys(r.columns());
  ojson rows = ojson::array();
  while (const row* w = r.next()) {
    ojson o = ojson::object();
    for (std::size_t i = 0; i < keys.size() && i < w->size(); ++i) o[keys[i]] = to_json(w->get_value(i));
    rows.push_back(std::move(o));
  }
  return rows;
}

text_table result_to_table(dbridge::result& r) {
  const auto& cols = r.columns();
  std::vector<std::string> headers;
  for (const auto& c : cols) headers.push_back(c.name);
  text_table t(std::move(headers));
  for (std::size_t i = 0; i < cols.size(); ++i) t.set_right_aligned(i, is_numeric(cols[i].type));
  while (const row* w = r.next()) {
    std::vector<std::string> cells;
    cells.reserve(w->size());
    for (std::size_t i = 0; i < w->size(); ++i) {
      const value v = w->get_value(i);
      cells.push_back(to_text(v));
    }
    t.add_row(std::move(cells));
  }
  return t;
}

std::size_t print_result(dbridge::result& r, output_format f) {
  std::size_t n = 0;
  switch (f) {
    case output_format::json: {
      const auto keys = json_keys(r.columns());
      out("[");
      while (const row* w = r.next()) {
        ojson o = ojson::object();
        for (std::size_t i = 0; i < keys.size() && i < w->size(); ++i) o[keys[i]] = to_json(w->get_value(i));
        out(n++ == 0 ? "\n  " : ",\n  ");
        out(json_text(o));
      }
      out(n == 0 ? "]\n" : "\n]\n");
      break;
    }
    case output_format::csv: {
      // RFC 4180: CRLF line ends, header line first.
      std::string line;
      for (const auto& c : r.columns()) {
        if (!line.empty() || &c != &r.columns().front()) line += ',';
        line += csv_field(c.name);
      }
      out(line + "\r\n");
      while (const row* w = r.next()) {
        line.clear();
        for (std::size_t i = 0; i < w->size(); ++i) {
          if (i > 0) line += ',';
          if (!w->is_null(i)) line += csv_field(to_text(w->get_value(i)));
        }
        out(line + "\r\n");
        ++n;
      }
      break;
    }
    case output_format::table: {
      const text_table t = result_to_table(r);
      n = t.rows();
      out(t.render());
      out(n == 1 ? "(1 row)\n" : fmt::format("({} rows)\n", n));
      break;
    }
  }
  std::fflush(stdout);
  return n;
}

}  // namespace dbridge::cli
