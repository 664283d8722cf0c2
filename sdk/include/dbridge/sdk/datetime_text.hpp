// SPDX-License-Identifier: Apache-2.0
// Date and time text, written and read exactly one way for the whole tree:
// the core's value::to_string(), the CLI, and the drivers that render
// parameters as text (PostgreSQL, SQLite) all use these. Dates are ISO 8601
// (expanded years outside 0000..9999), times "HH:MM:SS" with fractional
// seconds printed without trailing zeros ("10:00:00.5", as psql prints
// them), offsets "+HH:MM", intervals ISO 8601 durations. Allocation-free:
// callers pass buffers (datetime_text_max), so they can run once per cell.
#pragma once

#include <dbridge/abi.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace dbridge::sdk {

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// public-domain civil-calendar algorithm, re-derived here).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

namespace detail {
constexpr bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}
constexpr bool leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr unsigned month_days(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[m - 1];
}
// "HH:MM[:SS[.fraction]]" starting at pos; sets used to the characters read.
constexpr bool time_part(std::string_view s, std::size_t pos, std::int64_t& micros, std::size_t& used) noexcept {
  unsigned h = 0, mi = 0, sec = 0;
  if (!digits(s, pos, 2, h) || pos + 2 >= s.size() || s[pos + 2] != ':' || !digits(s, pos + 3, 2, mi)) return false;
  std::size_t p = pos + 5;
  std::int64_t frac = 0;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, p + 1, 2, sec)) return false;
    p += 3;
    if (p < s.size() && s[p] == '.') {
      ++p;
      std::size_t start = p;
      std::int64_t scale = 100000;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (scale > 0) frac += (s[p] - '0') * scale;  // beyond micros: truncated
        scale /= 10;
        ++p;
      }
      if (p == start) return false;
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return false;
  micros = ((static_cast<std::int64_t>(h) * 60 + mi) * 60 + sec) * 1000000 + frac;
  used = p - pos;
  return true;
}
}  // namespace detail

/// "YYYY-MM-DD" -> days since the epoch. Rejects anything else (the caller
/// then keeps the text as it is).
constexpr bool parse_date(std::string_view s, std::int64_t& days) noexcept {
  unsigned y = 0, m = 0, d = 0;
  if (s.size() != 10 || !detail::digits(s, 0, 4, y) || s[4] != '-' || !detail::digits(s, 5, 2, m) || s[7] != '-' ||
      !detail::digits(s, 8, 2, d))
    return false;
  if (m < 1 || m > 12 || d < 1 || d > detail::month_days(y, m)) return false;
  days = days_from_civil(y, m, d);
  return true;
}

/// "HH:MM[:SS[.ffffff]]" -> micros since midnight.
constexpr bool parse_time(std::string_view s, std::int64_t& micros) noexcept {
  std::size_t used = 0;
  return detail::time_part(s, 0, micros, used) && used == s.size();
}

/// "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.ffffff]]" or with 'T', optionally
/// followed by 'Z' -> micros since 1970-01-01T00:00.
constexpr bool parse_timestamp(std::string_view s, std::int64_t& micros) noexcept {
  std::int64_t days = 0;
  if (s.size() < 10 || !parse_date(s.substr(0, 10), days)) return false;
  std::int64_t t = 0;
  if (s.size() > 10) {
    if (s[10] != ' ' && s[10] != 'T') return false;
    std::size_t used = 0;
    if (!detail::time_part(s, 11, t, used)) return false;
    std::size_t end = 11 + used;
    if (end < s.size() && s[end] == 'Z') ++end;
    if (end != s.size()) return false;
  }
  micros = days * 86400000000LL + t;
  return true;
}

/// A timestamp as parse_timestamp reads it followed by "Z", "+HH:MM", "+HHMM"
/// or "+HH" (or none: UTC) -> the instant in UTC micros and the offset it was
/// written in, seconds east of UTC.
constexpr bool parse_timestamptz(std::string_view s, std::int64_t& utc_micros, std::int32_t& offset_s) noexcept {
  std::int64_t local = 0;
  if (parse_timestamp(s, local) && s.size() > 10) {
    utc_micros = local;
    offset_s = 0;
    return true;
  }
  const auto sign_at = s.find_last_of("+-");
  if (sign_at == std::string_view::npos || sign_at < 19) return false;
  std::string_view zone = s.substr(sign_at + 1);
  unsigned parts[2] = {0, 0};
  for (unsigned& part : parts) {
    if (zone.empty()) break;
    if (zone.size() < 2 || !detail::digits(zone, 0, 2, part)) return false;
    zone.remove_prefix(2);
    if (!zone.empty() && zone[0] == ':') zone.remove_prefix(1);
  }
  if (!zone.empty() || parts[0] > 15 || parts[1] > 59) return false;
  if (!parse_timestamp(s.substr(0, sign_at), local)) return false;
  offset_s = static_cast<std::int32_t>(parts[0] * 3600 + parts[1] * 60) * (s[sign_at] == '-' ? -1 : 1);
  utc_micros = local - std::int64_t{offset_s} * 1000000;
  return true;
}

/// Longest text any format_* below writes, NUL excluded.
inline constexpr std::size_t datetime_text_max = 64;

/// Writes "YYYY-MM-DD" ("+YYYYY-MM-DD" / "-YYYY-MM-DD" outside years
/// 0000..9999, ISO 8601's expanded form); returns the length.
inline std::size_t format_date(std::int64_t days, char* buf) noexcept {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  int n = std::snprintf(buf, 24, y >= 0 && y <= 9999 ? "%04lld-%02u-%02u" : "%+05lld-%02u-%02u",
                        static_cast<long long>(y), m, d);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

namespace detail {
/// ".f" with the fraction's trailing zeros dropped (".5", ".000001"); nothing
/// for a whole second. This is how psql prints fractional seconds.
inline std::size_t format_fraction(std::int64_t frac, char* buf) noexcept {
  if (frac == 0) return 0;
  buf[0] = '.';
  std::size_t n = 7;
  for (std::size_t i = 6; i >= 1; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  while (buf[n - 1] == '0') --n;
  return n;
}
}  // namespace detail

/// Writes "HH:MM:SS" plus the fraction without trailing zeros ("10:00:00.5").
/// Negative and >24h times, as MySQL allows, keep a sign and the full hour count.
inline std::size_t format_time(std::int64_t micros, char* buf) noexcept {
  std::size_t n = 0;
  std::uint64_t a = static_cast<std::uint64_t>(micros);
  if (micros < 0) {
    buf[n++] = '-';
    a = 0 - a;
  }
  const std::uint64_t sec = a / 1000000, frac = a % 1000000;
  int w = std::snprintf(buf + n, 40, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(sec / 3600),
                        static_cast<unsigned long long>(sec / 60 % 60), static_cast<unsigned long long>(sec % 60));
  n += w > 0 ? static_cast<std::size_t>(w) : 0;
  return n + detail::format_fraction(static_cast<std::int64_t>(frac), buf + n);
}

/// Writes "YYYY-MM-DD HH:MM:SS[.f]" (sep 'T' for ISO 8601's form).
inline std::size_t format_timestamp(std::int64_t micros, char* buf, char sep = ' ') noexcept {
  constexpr std::int64_t day = 86400000000LL;
  std::int64_t days = micros / day, rest = micros % day;
  if (rest < 0) {
    rest += day;
    --days;
  }
  std::size_t n = format_date(days, buf);
  buf[n++] = sep;
  return n + format_time(rest, buf + n);
}

/// Writes an instant as ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ", or with
/// exactly three digits of milliseconds ("...SS.mmmZ"): the fixed-width form
/// of the times dbridge records itself (connection listings, migration
/// records, package installs), so that they sort as text.
inline std::size_t format_utc_instant(std::int64_t micros, char* buf, bool milliseconds = false) noexcept {
  constexpr std::int64_t second = 1000000;
  std::int64_t secs = micros / second, frac = micros % second;
  if (frac < 0) {
    frac += second;
    --secs;
  }
  std::size_t n = format_timestamp(secs * second, buf, 'T');
  if (milliseconds) {
    const int w = std::snprintf(buf + n, 8, ".%03d", static_cast<int>(frac / 1000));
    n += w > 0 ? static_cast<std::size_t>(w) : 0;
  }
  buf[n++] = 'Z';
  return n;
}

/// Writes "+HH:MM" / "-HH:MM" (":SS" added when the offset has seconds) for a
/// zone offset in seconds east of UTC; "Z" for UTC when zulu is set.
inline std::size_t format_offset(std::int32_t offset_s, char* buf, bool zulu = false) noexcept {
  if (offset_s == 0 && zulu) {
    buf[0] = 'Z';
    return 1;
  }
  const char sign = offset_s < 0 ? '-' : '+';
  const std::int64_t a = offset_s < 0 ? -std::int64_t{offset_s} : offset_s;
  int n = a % 60 != 0 ? std::snprintf(buf, 16, "%c%02d:%02d:%02d", sign, static_cast<int>(a / 3600),
                                      static_cast<int>(a / 60 % 60), static_cast<int>(a % 60))
                      : std::snprintf(buf, 16, "%c%02d:%02d", sign, static_cast<int>(a / 3600),
                                      static_cast<int>(a / 60 % 60));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

/// Writes an ISO 8601 duration ("P1Y2M3DT4H5M6.5S"). Each part keeps its own
/// sign, as PostgreSQL's do ("P-1DT2H": minus a day plus two hours); the
/// time part's sign goes on each of its fields. Zero is "PT0S".
inline std::size_t format_interval(std::int32_t months, std::int32_t days, std::int64_t micros, char* buf) noexcept {
  std::size_t n = 0;
  buf[n++] = 'P';
  auto put = [&](long long v, char unit) {
    const int w = std::snprintf(buf + n, 24, "%lld%c", v, unit);
    n += w > 0 ? static_cast<std::size_t>(w) : 0;
  };
  if (months / 12 != 0) put(months / 12, 'Y');
  if (months % 12 != 0) put(months % 12, 'M');
  if (days != 0) put(days, 'D');
  if (micros != 0) {
    buf[n++] = 'T';
    const bool neg = micros < 0;
    const std::uint64_t a = neg ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
    const auto h = static_cast<long long>(a / 3600000000ULL), mi = static_cast<long long>(a / 60000000ULL % 60);
    const std::uint64_t us = a % 60000000ULL;
    if (h != 0) put(neg ? -h : h, 'H');
    if (mi != 0) put(neg ? -mi : mi, 'M');
    if (us != 0) {
      const int w = std::snprintf(buf + n, 24, "%s%llu", neg ? "-" : "", static_cast<unsigned long long>(us / 1000000));
      n += w > 0 ? static_cast<std::size_t>(w) : 0;
      n += detail::format_fraction(static_cast<std::int64_t>(us % 1000000), buf + n);
      buf[n++] = 'S';
    }
  }
  if (n == 1) {
    buf[n++] = 'T';
    buf[n++] = '0';
    buf[n++] = 'S';
  }
  return n;
}

/// The text of a DATE, TIME, TIMESTAMP or TIMESTAMPTZ cell as SQL takes it:
/// "infinity"/"-infinity", a timestamp with a blank between date and time,
/// a timestamptz in the offset it carries. 0 for any other type.
inline std::size_t format_temporal(const dbr_value& v, char* buf) noexcept {
  auto word = [&](const char* w) {
    std::size_t n = 0;
    for (; w[n] != '\0'; ++n) buf[n] = w[n];
    return n;
  };
  switch (v.type) {
    case DBR_TYPE_DATE:
    case DBR_TYPE_TIMESTAMP:
    case DBR_TYPE_TIMESTAMPTZ:
      if (v.flags & DBR_VF_POS_INFINITY) return word("infinity");
      if (v.flags & DBR_VF_NEG_INFINITY) return word("-infinity");
      if (v.type == DBR_TYPE_DATE) return format_date(v.u.ts.micros, buf);
      if (v.type == DBR_TYPE_TIMESTAMP) return format_timestamp(v.u.ts.micros, buf);
      {
        const std::size_t n = format_timestamp(v.u.ts.micros + std::int64_t{v.u.ts.offset_s} * 1000000, buf);
        return n + format_offset(v.u.ts.offset_s, buf + n);
      }
    case DBR_TYPE_TIME: {
      const std::size_t n = format_time(v.u.ts.micros, buf);
      return (v.flags & DBR_VF_HAS_OFFSET) ? n + format_offset(v.u.ts.offset_s, buf + n) : n;
    }
    default:
      return 0;
  }
}

/// Appends the text of a format_* call to out.
template <class F>
void append_datetime(std::string& out, F&& format) {
  char buf[datetime_text_max + 8];
  out.append(buf, format(buf));
}

}  // namespace dbridge::sdk
