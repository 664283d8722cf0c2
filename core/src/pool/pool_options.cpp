// SPDX-License-Identifier: Apache-2.0
// Pool settings from the URL's pool_* parameters, the options struct and the
// environment, resolved into one pool_config per server.
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/url.hpp"
#include "pool_impl.hpp"
#include "pool_options.hpp"

extern char** environ;

namespace dbridge::inline v1::detail {

namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

[[noreturn]] void bad(const std::string& what, const std::string& source, const std::string& why,
                      const std::string& fix) {
  throw_error(errc::invalid_argument, "pool setting " + what + " (from " + source + ") " + why + "; " + fix);
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::uint32_t parse_count(std::string_view text, const std::string& what, const std::string& source) {
  const std::string t = trim(text);
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || t.size() > 9)
    bad(what, source, "is '" + t + "', not a whole number", "give a count such as 8");
  return static_cast<std::uint32_t>(std::stoul(t));
}

std::int64_t parse_duration(std::string_view text, const std::string& what, const std::string& source) {
  const std::string t = trim(text);
  const char* fix = "give seconds (5, 0.5) or a number with a unit: 250ms, 1.5s, 2m, 500us";
  if (!t.empty() && t[0] == '-') bad(what, source, "is negative (" + t + ")", fix);
  std::size_t i = 0;
  while (i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.')) ++i;
  if (i == 0) bad(what, source, "is '" + t + "', not a duration", fix);
  errno = 0;
  char* end = nullptr;
  const std::string num = t.substr(0, i);
  const double v = std::strtod(num.c_str(), &end);
  if (errno != 0 || end != num.c_str() + num.size() || !std::isfinite(v))
    bad(what, source, "is '" + t + "', not a duration", fix);
  const std::string unit = trim(std::string_view(t).substr(i));
  double scale;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ns") scale = 1;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else bad(what, source, "has an unknown unit '" + unit + "'", fix);
  const double ns = v * scale;
  if (ns > 9.2e18) bad(what, source, "is too long (" + t + ")", fix);
  return static_cast<std::int64_t>(ns);
}

bool parse_bool(std::string_view text, const std::string& what, const std::string& source) {
  const std::string t = trim(text);
  if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  bad(what, source, "is '" + t + "', not a boolean", "use true or false");
}

std::string strip_pool_params(std::string_view url, std::vector<std::pair<std::string, std::string>>& out) {
  const std::size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string base(url.substr(0, q));
  std::string_view query = url.substr(q + 1);
  std::string fragment;
  if (const std::size_t h = query.find('#'); h != std::string_view::npos) {
    fragment = std::string(query.substr(h));
    query = query.substr(0, h);
  }
  std::string kept;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    const std::string key = decode(part.substr(0, eq));
    if (key.rfind("pool_", 0) == 0) {
      out.emplace_back(key, eq == std::string_view::npos ? std::string() : decode(part.substr(eq + 1)));
      continue;
    }
    if (!kept.empty()) kept += '&';
    kept += part;
  }
  if (!kept.empty()) base += "?" + kept;
  return base + fragment;
}

namespace {

struct field_sources {
  std::string min = "the default", max = "the default", acquire_timeout = "the default";
};

const char* getenv_nonempty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

std::vector<std::string> split_urls(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t c = s.find(',');
    std::string part = trim(s.substr(0, c));
    s = c == std::string_view::npos ? std::string_view() : s.substr(c + 1);
    if (!part.empty()) out.push_back(std::move(part));
  }
  return out;
}

// A comma may also separate hosts inside one URL (postgresql://a,b/db): a
// piece without "://" continues the previous URL.
std::vector<std::string> split_read_urls(std::string_view s) {
  std::vector<std::string> out;
  for (auto& piece : split_urls(s)) {
    if (piece.find("://") == std::string::npos && !out.empty()) out.back() += "," + piece;
    else out.push_back(std::move(piece));
  }
  return out;
}

std::atomic<std::uint64_t> g_pool_seq{0};

void check_env_names() {
  static constexpr std::string_view prefix = "DATABASE_POOL_";
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.substr(0, prefix.size()) != prefix) continue;
    const std::string_view name = kv.substr(0, kv.find('='));
    if (name != "DATABASE_POOL_MIN" && name != "DATABASE_POOL_MAX")
      throw_error(errc::invalid_argument, "unknown environment variable " + std::string(name) +
                                              " (the pool reads DATABASE_POOL_MIN, DATABASE_POOL_MAX, "
                                              "DATABASE_TIMEOUT, DATABASE_URL, DATABASE_READ_URLS); remove it");
  }
}

pool_config resolve_one(std::string_view url_text, const pool_options& o, const std::string& url_source,
                        replica_choice* choice_out, std::string* name_out) {
  pool_config c;
  std::vector<std::pair<std::string, std::string>> params;
  c.url = strip_pool_params(url_text, params);
  const url parsed = parse_url(c.url);  // clear errors now, not at the first connect
  c.redacted = parsed.redacted();
  // The driver must exist even if min is 0: a typo should fail here.
  {
    const auto rec = driver_for_scheme(parsed.scheme);
    c.driver = rec->id;
    c.driver_version = rec->version;
  }
  field_sources src;

  // Lowest first: defaults (in pool_config), environment, options, URL.
  check_env_names();
  if (const char* v = getenv_nonempty("DATABASE_POOL_MIN")) {
    c.min = parse_count(v, "min", "DATABASE_POOL_MIN");
    src.min = "DATABASE_POOL_MIN";
  }
  if (const char* v = getenv_nonempty("DATABASE_POOL_MAX")) {
    c.max = parse_count(v, "max", "DATABASE_POOL_MAX");
    src.max = "DATABASE_POOL_MAX";
  }
  if (const char* v = getenv_nonempty("DATABASE_TIMEOUT")) {
    c.acquire_timeout_ns = parse_duration(v, "acquire_timeout", "DATABASE_TIMEOUT");
    src.acquire_timeout = "DATABASE_TIMEOUT";
  }

  auto dur = [](const std::optional<std::chrono::nanoseconds>& d, std::int64_t& out, const char* what) {
    if (!d) return;
    if (d->count() < 0)
      bad(what, "pool_options", "is negative (" + std::to_string(d->count()) + " ns)",
          "give zero or a positive duration");
    out = d->count();
  };
  if (o.min) c.min = *o.min, src.min = "pool_options";
  if (o.max) c.max = *o.max, src.max = "pool_options";
  if (o.acquire_timeout) src.acquire_timeout = "pool_options";
  dur(o.acquire_timeout, c.acquire_timeout_ns, "acquire_timeout");
  dur(o.idle_timeout, c.idle_timeout_ns, "idle_timeout");
  dur(o.max_lifetime, c.max_lifetime_ns, "max_lifetime");
  dur(o.health_check_period, c.health_period_ns, "health_check_period");
  dur(o.transaction_timeout, c.transaction_timeout_ns, "transaction_timeout");
  if (o.max_lifetime_jitter) c.lifetime_jitter = *o.max_lifetime_jitter;
  if (o.validate_on_acquire) c.validate_on_acquire = *o.validate_on_acquire;
  if (o.strategy) c.strategy = *o.strategy;
  if (o.name) c.name = *o.name;
  c.opened_by = o.opened_by;
  c.statement_cache_size = o.connect.statement_cache_size;
  if (o.reconnect_backoff_min.count() <= 0 || o.reconnect_backoff_max < o.reconnect_backoff_min)
    bad("reconnect_backoff_min/max", "pool_options", "must satisfy 0 < min <= max", "fix the two durations");
  c.backoff_min_ns = o.reconnect_backoff_min.count();
  c.backoff_max_ns = o.reconnect_backoff_max.count();
  if (choice_out && o.read_strategy) *choice_out = *o.read_strategy;
  if (o.reset_on_release) c.reset = *o.reset_on_release;
  dur(o.leak_detection_threshold, c.leak_threshold_ns, "leak_detection_threshold");

  for (const auto& [k, v] : params) {
    const std::string from = url_source + " parameter " + k;
    if (k == "pool_min") c.min = parse_count(v, "min", from), src.min = from;
    else if (k == "pool_max") c.max = parse_count(v, "max", from), src.max = from;
    else if (k == "pool_acquire_timeout")
      c.acquire_timeout_ns = parse_duration(v, "acquire_timeout", from), src.acquire_timeout = from;
    else if (k == "pool_idle_timeout") c.idle_timeout_ns = parse_duration(v, "idle_timeout", from);
    else if (k == "pool_max_lifetime") c.max_lifetime_ns = parse_duration(v, "max_lifetime", from);
    else if (k == "pool_health_check_period") c.health_period_ns = parse_duration(v, "health_check_period", from);
    else if (k == "pool_validate_on_acquire") c.validate_on_acquire = parse_bool(v, "validate_on_acquire", from);
    else if (k == "pool_transaction_timeout")
      c.transaction_timeout_ns = parse_duration(v, "transaction_timeout", from);
    else if (k == "pool_strategy") c.strategy = v;
    else if (k == "pool_name") c.name = v;
    else if (k == "pool_opened_by") c.opened_by = v;
    else if (k == "pool_reset_on_release") {
      if (v == "auto") c.reset = session_reset::automatic;
      else if (v == "always") c.reset = session_reset::always;
      else if (v == "never") c.reset = session_reset::never;
      else bad("reset_on_release", from, "is '" + v + "'", "use auto, always or never");
    } else if (k == "pool_leak_detection_threshold")
      c.leak_threshold_ns = parse_duration(v, "leak_detection_threshold", from);
    else if (k == "pool_read_strategy") {
      replica_choice rc;
      if (v == "round_robin") rc = replica_choice::round_robin;
      else if (v == "least_busy") rc = replica_choice::least_busy;
      else bad("read_strategy", from, "is '" + v + "'", "use round_robin or least_busy");
      if (choice_out) *choice_out = rc;
    } else {
      throw_error(errc::invalid_argument,
                  "unknown pool parameter '" + k + "' in " + c.redacted +
                      " (known: pool_min, pool_max, pool_strategy, pool_acquire_timeout, pool_idle_timeout, "
                      "pool_max_lifetime, pool_health_check_period, pool_validate_on_acquire, pool_transaction_timeout, "
                      "pool_name, pool_opened_by, pool_read_strategy, pool_reset_on_release, "
                      "pool_leak_detection_threshold); remove or correct it");
    }
  }

  if (c.max == 0) bad("max", src.max, "is 0", "a pool needs at least one connection: set max >= 1");
  if (c.min > c.max)
    bad("min", src.min, "is " + std::to_string(c.min) + ", greater than max " + std::to_string(c.max) + " (from " +
                            src.max + ")",
        "set min <= max");
  if (c.max > 100000) bad("max", src.max, "is " + std::to_string(c.max), "use at most 100000");
  if (!(c.lifetime_jitter >= 0.0 && c.lifetime_jitter < 1.0))
    bad("max_lifetime_jitter", "pool_options", "is " + std::to_string(c.lifetime_jitter),
        "use a fraction in [0, 1)");
  if (c.strategy.empty()) bad("strategy", "pool_options", "is empty", "use \"lifo\" or \"fifo\"");
  if (c.name.empty()) c.name = "pool-" + std::to_string(g_pool_seq.fetch_add(1) + 1);
  if (name_out) *name_out = c.name;
  return c;
}

}  // namespace

resolved_pool resolve_pool(std::string_view url, const pool_options& o) {
  resolved_pool r;
  std::string primary_url(url);
  std::string source = "the URL";
  std::vector<std::string> read_urls = o.read_urls;
  if (primary_url.empty()) {
    const char* env = getenv_nonempty("DATABASE_URL");
    if (env == nullptr)
      throw_error(errc::invalid_argument,
                  "dbridge::pool got no URL and DATABASE_URL is not set; pass a URL or export DATABASE_URL");
    primary_url = env;
    source = "DATABASE_URL";
    if (read_urls.empty())
      if (const char* reads = getenv_nonempty("DATABASE_READ_URLS")) read_urls = split_read_urls(reads);
  }
  r.primary = resolve_one(primary_url, o, source, &r.choice, &r.name);
  r.primary.role = "primary";
  for (std::size_t i = 0; i < read_urls.size(); ++i) {
    pool_options ro = o;
    ro.name = r.name + "/read-" + std::to_string(i + 1);
    pool_config rc = resolve_one(read_urls[i], ro, "read URL " + std::to_string(i + 1), nullptr, nullptr);
    rc.role = "replica";
    r.replicas.push_back(std::move(rc));
  }
  return r;
}

}  // namespace dbridge::detail
