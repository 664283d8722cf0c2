// SPDX-License-Identifier: Apache-2.0
#include "text_convert.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "dbridge/error.hpp"
#include "dbridge/sdk/datetime_text.hpp"
#include "dbridge/sdk/decimal_text.hpp"

namespace dbridge::cli {
namespace {

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

[[noreturn]] void bad(std::string_view text, std::string_view what) {
  throw conversion_error(fmt::format("{} is not {}", quote_for_message(text), what));
}

/// "numeric(10,2)" -> "numeric", "timestamp(3) with time zone" -> "timestamp with time zone".
std::string base_type(std::string_view type) {
  std::string o;
  int depth = 0;
  for (char c : lower(type)) {
    if (c == '(') ++depth;
    else if (c == ')') depth = depth > 0 ? depth - 1 : 0;
    else if (depth == 0) o += c;
  }
  // Collapse the doubled blanks the removal leaves ("timestamp  with").
  std::string r;
  for (char c : o)
    if (c != ' ' || (!r.empty() && r.back() != ' ')) r += c;
  while (!r.empty() && r.back() == ' ') r.pop_back();
  return r;
}

template <class I>
bool parse_int(std::string_view s, I& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

int infinity_of(std::string_view s) {
  if (iequals(s, "infinity") || iequals(s, "+infinity")) return 1;
  if (iequals(s, "-infinity")) return -1;
  return 0;
}

constexpr std::int64_t micros_per_day = 86'400'000'000LL;

/// PostgreSQL's ISO DateStyle (what `copy --to` writes) ends dates before
/// year 1 in " BC": year Y BC is astronomical year 1 - Y. Takes the suffix
/// off s; era_of then moves the day read from the rest.
bool strip_bc(std::string_view& s) {
  if (s.size() < 3 || s.substr(s.size() - 3) != " BC") return false;
  s.remove_suffix(3);
  return true;
}

/// Moves `micros` (since 1970) from year Y to year 1 - Y, same month, day and time.
std::int64_t to_bc(std::string_view text, std::int64_t micros) {
  std::int64_t days = micros / micros_per_day, rest = micros % micros_per_day;
  if (rest < 0) {
    rest += micros_per_day;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  sdk::civil_from_days(days, y, m, d);
  if (y < 1) bad(text, "a date (there is no year 0 BC)");
  return sdk::days_from_civil(1 - y, m, d) * micros_per_day + rest;
}

value to_date(std::string_view text) {
  if (const int inf = infinity_of(text)) return value(date{0, static_cast<std::int8_t>(inf)});
  std::string_view s = text;
  const bool bc = strip_bc(s);
  std::int64_t d = 0;
  if (!sdk::parse_date(s, d)) bad(text, "a date (write YYYY-MM-DD, or YYYY-MM-DD BC)");
  if (bc) d = to_bc(text, d * micros_per_day) / micros_per_day;
  return value(date{static_cast<std::int32_t>(d), 0});
}

value to_timestamp(std::string_view text) {
  if (const int inf = infinity_of(text)) return value(timestamp{0, static_cast<std::int8_t>(inf)});
  std::string_view s = text;
  const bool bc = strip_bc(s);
  std::int64_t us = 0;
  if (!sdk::parse_timestamp(s, us)) bad(text, "a timestamp (write YYYY-MM-DD HH:MM:SS[.ffffff][ BC])");
  if (bc) us = to_bc(text, us);
  return value(timestamp{us, 0});
}

/// Without an offset the text is UTC.
value to_timestamptz(std::string_view text) {
  if (const int inf = infinity_of(text)) return value(timestamptz{0, 0, static_cast<std::int8_t>(inf)});
  std::string_view s = text;
  const bool bc = strip_bc(s);
  std::int64_t utc = 0;
  std::int32_t off = 0;
  if (!sdk::parse_timestamptz(s, utc, off) && !sdk::parse_timestamp(s, utc))
    bad(text, "a timestamp (write YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM][ BC])");
  // The era belongs to the local date; the offset moves the instant after.
  if (bc) utc = to_bc(text, utc + std::int64_t{off} * 1'000'000) - std::int64_t{off} * 1'000'000;
  return value(timestamptz{utc, off, 0});
}

/// PostgreSQL's time types run to 24:00:00 inclusive (the end of a day), a
/// value sdk::parse_time, which reads times of day, does not take.
bool parse_time_to_24(std::string_view s, std::int64_t& micros) {
  if (sdk::parse_time(s, micros)) return true;
  if (s.substr(0, 2) != "24") return false;
  std::int64_t rest = 0;
  if (!sdk::parse_time("00" + std::string(s.substr(2)), rest) || rest != 0) return false;
  micros = micros_per_day;
  return true;
}

value to_time(std::string_view s, bool with_zone) {
  std::int64_t t = 0;
  if (!with_zone) {
    if (!parse_time_to_24(s, t)) bad(s, "a time of day (write HH:MM:SS[.ffffff], up to 24:00:00)");
    return value(time_of_day{t, std::nullopt});
  }
  // The codec reads offsets after a timestamp: on the epoch's day, the local
  // time it read is the time of day.
  std::int64_t utc = 0;
  std::int32_t off = 0;
  if (!parse_time_to_24(s, t)) {
    if (!sdk::parse_timestamptz("1970-01-01 " + std::string(s), utc, off))
      bad(s, "a time of day (write HH:MM:SS[.ffffff][+HH:MM])");
    t = utc + std::int64_t{off} * 1'000'000;
  }
  return value(time_of_day{t, off});
}

/// ISO 8601 durations (P1Y2M3DT4H5M6.5S, as `dbridge query` prints them) and
/// PostgreSQL's own style (1 year 2 mons 3 days 04:05:06, "ago").
value to_interval(std::string_view s) {
  constexpr const char* what = "an interval (write e.g. P1Y2M3DT4H5M6S or '1 year 2 mons 3 days 04:05:06')";
  interval iv;
  auto add_unit = [&](double n, std::string_view unit, bool in_time) {
    const std::string u = lower(unit);
    auto whole = [&](double x) {
      if (x != std::floor(x) || std::fabs(x) > 2e9) bad(s, what);
      return static_cast<std::int32_t>(x);
    };
    if (!in_time && (u == "y" || u == "year" || u == "years")) iv.months += whole(n) * 12;
    else if (!in_time && (u == "m" || u == "mon" || u == "mons" || u == "month" || u == "months")) iv.months += whole(n);
    else if (!in_time && (u == "w" || u == "week" || u == "weeks")) iv.days += whole(n) * 7;
    else if (!in_time && (u == "d" || u == "day" || u == "days")) iv.days += whole(n);
    else if ((in_time && u == "h") || u == "hour" || u == "hours")
      iv.micros += static_cast<std::int64_t>(std::llround(n * 3'600'000'000.0));
    else if ((in_time && u == "m") || u == "min" || u == "mins" || u == "minute" || u == "minutes")
      iv.micros += static_cast<std::int64_t>(std::llround(n * 60'000'000.0));
    else if ((in_time && u == "s") || u == "sec" || u == "secs" || u == "second" || u == "seconds")
      iv.micros += static_cast<std::int64_t>(std::llround(n * 1'000'000.0));
    else
      bad(s, what);
  };
  auto number = [&](std::size_t& i, double& n) {
    std::size_t j = i;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    std::string_view t = s.substr(i, j - i);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) bad(s, what);
    i = j;
  };
  if (!s.empty() && (s[0] == 'P' || s[0] == 'p')) {
    std::size_t i = 1;
    bool in_time = false;
    if (i == s.size()) bad(s, what);
    while (i < s.size()) {
      if (s[i] == 'T' || s[i] == 't') {
        if (in_time) bad(s, what);
        in_time = true;
        ++i;
        continue;
      }
      double n = 0;
      number(i, n);
      if (i >= s.size()) bad(s, what);
      add_unit(n, s.substr(i, 1), in_time);
      ++i;
    }
    return value(iv);
  }
  std::size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    if (s.substr(i) == "ago") {
      if (!any) bad(s, what);
      iv = interval{-iv.months, -iv.days, -iv.micros};
      i = s.size();
      break;
    }
    // [-]HH:MM[:SS[.f]] (hours may exceed 24 in PostgreSQL output).
    std::size_t j = i;
    if (s[j] == '-' || s[j] == '+') ++j;
    std::size_t k = j;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
    if (k > j && k < s.size() && s[k] == ':') {
      const bool neg = s[i] == '-';
      long long h = 0;
      std::from_chars(s.data() + j, s.data() + k, h);
      std::string rest = "00" + std::string(s.substr(k));  // "00:MM:SS" parsed as a time of day
      std::int64_t t = 0;
      std::size_t end = rest.find(' ');
      if (end == std::string::npos) end = rest.size();
      if (!sdk::parse_time(std::string_view(rest).substr(0, end), t)) bad(s, what);
      const std::int64_t total = h * 3'600'000'000LL + t;
      iv.micros += neg ? -total : total;
      i = k + (end - 2);
      any = true;
      continue;
    }
    double n = 0;
    number(i, n);
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t u = i;
    while (u < s.size() && std::isalpha(static_cast<unsigned char>(s[u]))) ++u;
    if (u == i) bad(s, what);
    add_unit(n, s.substr(i, u - i), false);
    i = u;
    any = true;
  }
  if (!any) bad(s, what);
  return value(iv);
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;  // PostgreSQL text cannot hold NUL
    std::size_t n;
    if (c < 0x80) n = 0;
    else if ((c >> 5) == 6) n = 1;
    else if ((c >> 4) == 14) n = 2;
    else if ((c >> 3) == 30) n = 3;
    else return false;
    if (n > s.size() - i - 1) return false;
    for (std::size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n + 1;
  }
  return true;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) >> 6) != 2;
  return n;
}

value to_text(const column_spec& c, std::string_view s) {
  if (!valid_utf8(s)) throw conversion_error("the text is not valid UTF-8 (or holds a NUL byte)");
  if (c.max_chars && static_cast<std::int64_t>(code_points(s)) > *c.max_chars) {
    // Like the server: excess trailing blanks are cut, anything else is an error.
    std::size_t keep = 0, seen = 0;
    while (keep < s.size() && static_cast<std::int64_t>(seen) < *c.max_chars) {
      ++keep;
      while (keep < s.size() && (static_cast<unsigned char>(s[keep]) >> 6) == 2) ++keep;
      ++seen;
    }
    if (s.substr(keep).find_first_not_of(' ') != std::string_view::npos)
      throw conversion_error(fmt::format("{} has {} characters; the column holds at most {}", quote_for_message(s),
                                         code_points(s), *c.max_chars));
    s = s.substr(0, keep);
  }
  return value(std::string(s));
}

value to_hex_bytes(std::string_view s) {
  auto nib = [&](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    bad(s, "hex bytes (write \\x followed by pairs of hex digits)");
  };
  if ((s.size() - 2) % 2 != 0) bad(s, "hex bytes (an odd number of hex digits)");
  bytes b;
  b.reserve((s.size() - 2) / 2);
  for (std::size_t i = 2; i < s.size(); i += 2) b.push_back(static_cast<std::uint8_t>(nib(s[i]) * 16 + nib(s[i + 1])));
  return value(std::move(b));
}

value convert_scalar(const column_spec& c, std::string_view raw) {
  if (c.kind == column_kind::text) return to_text(c, raw);
  if (c.kind == column_kind::bytes) {
    if (raw.size() >= 2 && raw[0] == '\\' && (raw[1] == 'x' || raw[1] == 'X')) return to_hex_bytes(raw);
    return value(bytes(raw.begin(), raw.end()));
  }
  if (c.kind == column_kind::json) {
    if (!nlohmann::json::accept(raw)) bad(raw, "valid JSON");
    return value(json{std::string(raw)});
  }
  const std::string_view s = trim(raw);
  switch (c.kind) {
    case column_kind::boolean: {
      for (const char* t : {"true", "t", "yes", "y", "on", "1"})
        if (iequals(s, t)) return value(true);
      for (const char* f : {"false", "f", "no", "n", "off", "0"})
        if (iequals(s, f)) return value(false);
      bad(raw, "a boolean (write true/false, t/f, yes/no, on/off or 1/0)");
    }
    case column_kind::int16:
    case column_kind::int32:
    case column_kind::int64: {
      std::int64_t v = 0;
      if (!parse_int(s, v)) {
        const std::size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        if (s.size() > sign && s.find_first_not_of("0123456789", sign) == std::string_view::npos)
          throw conversion_error(fmt::format("{} is out of range for {}", quote_for_message(raw), c.type_name));
        bad(raw, "an integer");
      }
      const std::int64_t lo = c.kind == column_kind::int16 ? INT16_MIN : c.kind == column_kind::int32 ? INT32_MIN : INT64_MIN;
      const std::int64_t hi = c.kind == column_kind::int16 ? INT16_MAX : c.kind == column_kind::int32 ? INT32_MAX : INT64_MAX;
      if (v < lo || v > hi)
        throw conversion_error(fmt::format("{} is out of range for {} ({}..{})", quote_for_message(raw), c.type_name, lo, hi));
      return value(v);
    }
    case column_kind::uint64: {
      std::uint64_t v = 0;
      if (!parse_int(s, v)) bad(raw, "an unsigned integer");
      return value(v);
    }
    case column_kind::float32:
    case column_kind::float64: {
      std::string_view t = s;
      if (!t.empty() && t.front() == '+') t.remove_prefix(1);
      double d = 0;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
      if (t.empty() || end != t.data() + t.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
        bad(raw, "a number (write e.g. 1.5, -2e10, NaN, Infinity)");
      if (ec == std::errc::result_out_of_range)
        throw conversion_error(fmt::format("{} is out of range for {}", quote_for_message(raw), c.type_name));
      if (c.kind == column_kind::float32) {
        // Rounded to float first, as PostgreSQL's float4in does (strtof):
        // 3.4028235e38, above FLT_MAX in double, is FLT_MAX as a real.
        const std::string digits(t);
        const float f = std::strtof(digits.c_str(), nullptr);
        if (std::isfinite(d) && std::isinf(f))
          throw conversion_error(fmt::format("{} is out of range for {}", quote_for_message(raw), c.type_name));
        return value(static_cast<double>(f));
      }
      return value(d);
    }
    case column_kind::numeric: {
      if (iequals(s, "nan")) return value(decimal{"NaN"});
      if (const int inf = infinity_of(s)) return value(decimal{inf > 0 ? "Infinity" : "-Infinity"});
      if (!sdk::is_decimal_literal(s)) bad(raw, "a decimal number (write e.g. 12.50 or -3e5)");
      return value(decimal{std::string(s.front() == '+' ? s.substr(1) : s)});
    }
    case column_kind::date:
      return to_date(s);
    case column_kind::time:
      return to_time(s, false);
    case column_kind::timetz:
      return to_time(s, true);
    case column_kind::timestamp:
      return to_timestamp(s);
    case column_kind::timestamptz:
      return to_timestamptz(s);
    case column_kind::interval:
      return to_interval(s);
    case column_kind::uuid:
      try {
        return value(uuid::parse(s));
      } catch (const dbridge::error&) {
        bad(raw, "a UUID (write xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
      }
    default:
      break;
  }
  return to_text(c, raw);
}

/// PostgreSQL's one-dimensional array literal: {a,"b c",NULL,"with \" quote"}.
value convert_array(const column_spec& c, std::string_view s) {
  constexpr const char* what = "a one-dimensional array (write e.g. {1,2,NULL} or {\"a b\",c})";
  std::string_view t = trim(s);
  if (t.size() < 2 || t.front() != '{' || t.back() != '}') bad(s, what);
  t = t.substr(1, t.size() - 2);
  column_spec elem = c;
  elem.is_array = false;
  elem.max_chars.reset();
  array items;
  if (trim(t).empty()) return value(std::move(items));
  std::size_t i = 0;
  for (;;) {
    while (i < t.size() && t[i] == ' ') ++i;
    std::string item;
    bool quoted = false;
    if (i < t.size() && t[i] == '"') {
      quoted = true;
      ++i;
      for (;;) {
        if (i >= t.size()) bad(s, what);
        if (t[i] == '\\' && i + 1 < t.size()) {
          item += t[i + 1];
          i += 2;
        } else if (t[i] == '"') {
          ++i;
          break;
        } else {
          item += t[i++];
        }
      }
      while (i < t.size() && t[i] == ' ') ++i;
    } else {
      while (i < t.size() && t[i] != ',') {
        if (t[i] == '{' || t[i] == '}' || t[i] == '"')
          throw conversion_error(fmt::format("{} is not {}; nested arrays are not supported", quote_for_message(s), what));
        if (t[i] == '\\' && i + 1 < t.size()) ++i;
        item += t[i++];
      }
      while (!item.empty() && item.back() == ' ') item.pop_back();
    }
    if (!quoted && iequals(item, "null"))
      items.emplace_back(nullptr);
    else
      items.push_back(convert_scalar(elem, item));
    if (i >= t.size()) break;
    if (t[i] != ',') bad(s, what);
    ++i;
  }
  return value(std::move(items));
}

}  // namespace

std::string quote_for_message(std::string_view text) {
  std::string o = "'";
  std::size_t shown = 0;
  for (char ch : text) {
    if (shown++ == 40) {
      o += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '\n') o += "\\n";
    else if (ch == '\r') o += "\\r";
    else if (ch == '\t') o += "\\t";
    else if (c < 0x20 || c == 0x7f) o += fmt::format("\\x{:02x}", c);
    else o += ch;
  }
  return o + "'";
}

column_spec describe_column(std::string name, std::string type_name) {
  column_spec c;
  c.name = std::move(name);
  c.type_name = std::move(type_name);
  std::string t = base_type(c.type_name);
  if (t.size() > 2 && t.ends_with("[]")) {
    c.is_array = true;
    t.resize(t.size() - 2);
  }
  const bool is_unsigned = t.find(" unsigned") != std::string::npos;
  if (is_unsigned) t = t.substr(0, t.find(" unsigned"));
  if (t.ends_with(" zerofill")) t.resize(t.size() - 9);
  using k = column_kind;
  if (t == "boolean" || t == "bool" || lower(c.type_name) == "tinyint(1)") c.kind = k::boolean;
  else if (t == "smallint" || t == "int2" || t == "smallserial" || t == "tinyint") c.kind = is_unsigned ? k::int32 : k::int16;
  else if (t == "integer" || t == "int" || t == "int4" || t == "serial" || t == "mediumint") c.kind = is_unsigned ? k::int64 : k::int32;
  else if (t == "bigint" || t == "int8" || t == "bigserial") c.kind = is_unsigned ? k::uint64 : k::int64;
  else if (t == "real" || t == "float4") c.kind = k::float32;
  else if (t == "double precision" || t == "double" || t == "float8" || t == "float") c.kind = k::float64;
  else if (t == "numeric" || t == "decimal" || t == "dec") c.kind = k::numeric;
  else if (t == "date") c.kind = k::date;
  else if (t == "time" || t == "time without time zone") c.kind = k::time;
  else if (t == "time with time zone" || t == "timetz") c.kind = k::timetz;
  else if (t == "timestamp" || t == "timestamp without time zone" || t == "datetime") c.kind = k::timestamp;
  else if (t == "timestamp with time zone" || t == "timestamptz") c.kind = k::timestamptz;
  else if (t == "interval") c.kind = k::interval;
  else if (t == "uuid") c.kind = k::uuid;
  else if (t == "json" || t == "jsonb") c.kind = k::json;
  else if (t == "bytea" || t == "blob" || t == "tinyblob" || t == "mediumblob" || t == "longblob" || t == "binary" ||
           t == "varbinary")
    c.kind = k::bytes;
  else c.kind = k::text;
  return c;
}

value convert_field(const column_spec& c, std::string_view text) {
  return c.is_array ? convert_array(c, text) : convert_scalar(c, text);
}

}  // namespace dbridge::cli
