// SPDX-License-Identifier: Apache-2.0
// ISO-8601 and UUID text conversions for drivers whose backends keep dates,
// times and UUIDs as text (SQLite, Redis). Allocation-free: callers pass
// buffers, so they can run once per cell on the hot path.
#pragma once

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

/// Writes "YYYY-MM-DD" (16 bytes are always enough); returns the length.
inline std::size_t format_date(std::int64_t days, char* buf) noexcept {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  int n = std::snprintf(buf, 24, y >= 0 && y <= 9999 ? "%04lld-%02u-%02u" : "%+05lld-%02u-%02u",
                        static_cast<long long>(y), m, d);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

/// Writes "HH:MM:SS" plus ".ffffff" when there is a fraction (negative and
/// >24h times, as MySQL allows, keep a sign and the full hour count).
inline std::size_t format_time(std::int64_t micros, char* buf) noexcept {
  std::size_t n = 0;
  if (micros < 0) {
    buf[n++] = '-';
    micros = -micros;
  }
  const std::int64_t sec = micros / 1000000, frac = micros % 1000000;
  int w = std::snprintf(buf + n, 40, "%02lld:%02lld:%02lld", static_cast<long long>(sec / 3600),
                        static_cast<long long>(sec / 60 % 60), static_cast<long long>(sec % 60));
  n += w > 0 ? static_cast<std::size_t>(w) : 0;
  if (frac != 0) {
    w = std::snprintf(buf + n, 16, ".%06lld", static_cast<long long>(frac));
    n += w > 0 ? static_cast<std::size_t>(w) : 0;
  }
  return n;
}

/// Writes "YYYY-MM-DD HH:MM:SS[.ffffff]" (64 bytes are always enough).
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

/// Writes "+HH:MM" / "-HH:MM" for a zone offset in seconds (7 bytes).
inline std::size_t format_offset(std::int32_t offset_s, char* buf) noexcept {
  const char sign = offset_s < 0 ? '-' : '+';
  const std::int32_t a = offset_s < 0 ? -offset_s : offset_s;
  int n = std::snprintf(buf, 8, "%c%02d:%02d", sign, static_cast<int>(a / 3600), static_cast<int>(a / 60 % 60));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

/// Writes the canonical 36-character UUID text (37 bytes with the NUL).
inline std::size_t format_uuid(const std::uint8_t* octets, char* buf) noexcept {
  static const char hex[] = "0123456789abcdef";
  std::size_t n = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[n++] = '-';
    buf[n++] = hex[octets[i] >> 4];
    buf[n++] = hex[octets[i] & 0xF];
  }
  buf[n] = '\0';
  return n;
}

/// A qualified name ("schema.table") with each dot-separated part quoted by
/// quote_part(std::string_view). A part that itself holds a dot cannot be
/// told apart and must be quoted by the caller.
template <class Quote>
std::string quote_qualified(std::string_view name, Quote&& quote_part) {
  std::string out;
  for (std::size_t start = 0;;) {
    const std::size_t dot = name.find('.', start);
    if (!out.empty()) out += '.';
    out += quote_part(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace dbridge::sdk
