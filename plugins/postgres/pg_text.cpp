// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL text forms this driver reads or writes itself: psql's text
// of the extra types we receive in binary (point, macaddr, bit strings,
// ranges), and the parsers of the typed columns' text form, for statements
// whose results come in text because one column has a type with no binary
// decoder (money, tsvector, user types...).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include <dbridge/sdk/convert.hpp>
#include <dbridge/sdk/datetime_text.hpp>
#include <dbridge/sdk/error.hpp>
#include <dbridge/sdk/value.hpp>

#include "pg_types.hpp"

namespace dbridge_postgres {

namespace sdk = dbridge::sdk;

namespace {

constexpr std::int64_t micros_per_day = 86400000000LL;

std::uint32_t rd32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}
double rd_float8(const char* p) noexcept {
  const std::uint64_t u = (std::uint64_t{rd32(p)} << 32) | rd32(p + 4);
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

// float8out: the shortest exact digits, fixed notation for decimal exponents
// -4..14 and d.ddde+XX otherwise (as printf's %g thresholds).
void append_float8(double d, std::string& b) {
  if (std::isnan(d)) {
    b += "NaN";
    return;
  }
  if (std::isinf(d)) {
    b += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char sci[64];
  auto r = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific);
  std::string_view s(sci, static_cast<std::size_t>(r.ptr - sci));
  const std::size_t e = s.find('e');
  int exp = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+'), s.data() + s.size(), exp);
  if (d == 0) exp = 0;
  if (exp < -4 || exp >= 15) {
    b.append(s.data(), e);
    char tail[8];
    const int n = std::snprintf(tail, sizeof tail, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    b.append(tail, static_cast<std::size_t>(n));
    return;
  }
  char fixed[400];
  r = std::to_chars(fixed, fixed + sizeof fixed, d, std::chars_format::fixed);
  b.append(fixed, r.ptr);
}

// PostgreSQL's ISO DateStyle: years before 1 are written "YYYY-MM-DD BC".
void append_date(std::int64_t days, std::string& b, bool& bc) {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  sdk::civil_from_days(days, y, m, d);
  bc = y <= 0;
  if (bc) y = 1 - y;
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  b.append(buf, static_cast<std::size_t>(n));
}

void append_timestamp(std::int64_t micros, std::string& b) {
  std::int64_t days = micros / micros_per_day, rest = micros % micros_per_day;
  if (rest < 0) {
    rest += micros_per_day;
    --days;
  }
  append_timestamp_at(days, rest, b);
}

dbr_value keep_text(const std::string& s, arena& a) { return sdk::make_text(a.keep(s)); }

// psql's text of one range bound (range_out's quoting rule).
void append_bound(const std::string& s, std::string& b) {
  const bool quote = s.empty() || s.find_first_of("\"\\()[],") != std::string::npos ||
                     std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
  if (!quote) {
    b += s;
    return;
  }
  b.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') b.push_back(c);
    b.push_back(c);
  }
  b.push_back('"');
}

codec range_element(codec c) noexcept {
  switch (c) {
    case codec::range_int4: return codec::int4;
    case codec::range_int8: return codec::int8;
    case codec::range_num: return codec::numeric;
    case codec::range_date: return codec::date;
    default: return codec::timestamp;
  }
}

// The text of one decoded range bound.
void append_element(const dbr_value& v, std::string& b) {
  switch (v.type) {
    case DBR_TYPE_INT64: b += std::to_string(v.u.i64); return;
    case DBR_TYPE_DECIMAL: b.append(v.u.str.ptr, v.u.str.len); return;
    case DBR_TYPE_DATE:
    case DBR_TYPE_TIMESTAMP:
      if (v.flags & (DBR_VF_POS_INFINITY | DBR_VF_NEG_INFINITY)) {
        b += (v.flags & DBR_VF_POS_INFINITY) ? "infinity" : "-infinity";
      } else if (v.type == DBR_TYPE_DATE) {
        bool bc = false;
        append_date(v.u.ts.micros, b, bc);
        if (bc) b += " BC";
      } else {
        append_timestamp(v.u.ts.micros, b);
      }
      return;
    default: return;
  }
}

// ------------------------------------------------------------ text parsing
struct scanner {
  std::string_view s;
  std::size_t i = 0;
  bool done() const noexcept { return i >= s.size(); }
  bool eat(char c) noexcept {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool eat(std::string_view w) noexcept {
    if (s.substr(i, w.size()) != w) return false;
    i += w.size();
    return true;
  }
  // Unsigned decimal digits, at least min of them.
  bool num(std::int64_t& out, std::size_t min = 1) noexcept {
    const std::size_t start = i;
    std::int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return false;
      v = v * 10 + (s[i++] - '0');
    }
    out = v;
    return i - start >= min;
  }
  // ".ffffff" -> micros (absent: 0).
  bool fraction(std::int64_t& micros) noexcept {
    micros = 0;
    if (!eat('.')) return true;
    std::size_t k = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (k < 6) micros = micros * 10 + (s[i] - '0');
      ++k, ++i;
    }
    for (; k < 6; ++k) micros *= 10;
    return true;
  }
  // "HH:MM:SS[.f]" -> micros (hours may exceed 24 in intervals).
  bool clock(std::int64_t& micros) noexcept {
    std::int64_t h = 0, m = 0, sec = 0, f = 0;
    if (!num(h, 2) || !eat(':') || !num(m, 2)) return false;
    if (eat(':') && !num(sec, 2)) return false;
    if (!fraction(f)) return false;
    micros = ((h * 60 + m) * 60 + sec) * 1000000 + f;
    return true;
  }
  // "+HH[:MM[:SS]]" -> seconds east of Greenwich.
  bool offset(std::int32_t& seconds) noexcept {
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
    const bool neg = s[i++] == '-';
    std::int64_t h = 0, m = 0, sec = 0;
    if (!num(h, 2)) return false;
    if (eat(':') && !num(m, 2)) return false;
    if (eat(':') && !num(sec, 2)) return false;
    seconds = static_cast<std::int32_t>((h * 3600 + m * 60 + sec) * (neg ? -1 : 1));
    return true;
  }
  // "YYYY-MM-DD" -> days since 1970 (before the " BC" that may follow).
  bool day(std::int64_t& days) noexcept {
    std::int64_t y = 0, m = 0, d = 0;
    if (!num(y, 4) || !eat('-') || !num(m, 2) || !eat('-') || !num(d, 2)) return false;
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    days = sdk::days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
    return true;
  }
  // " BC" moves a date from year y to year 1 - y.
  void era(std::int64_t& days) noexcept {
    if (!eat(" BC")) return;
    std::int64_t y = 0;
    unsigned m = 0, d = 0;
    sdk::civil_from_days(days, y, m, d);
    days = sdk::days_from_civil(1 - y, m, d);
  }
};

[[noreturn]] void bad_text(const char* type, std::string_view s) {
  throw sdk::error(DBR_CAT_DATA, std::string("postgres: cannot read the ") + type + " text '" +
                                     std::string(s.substr(0, 64)) + "' from the server")
      .sqlstate("22P02")
      .field(DBR_ERRF_HINT,
             "this driver reads dates in DateStyle ISO and intervals in IntervalStyle postgres (the defaults): "
             "SET DateStyle = ISO; SET IntervalStyle = postgres");
}

bool infinity(std::string_view s, dbr_value& out) noexcept {
  if (s == "infinity") {
    out.flags = DBR_VF_POS_INFINITY;
    return true;
  }
  if (s == "-infinity") {
    out.flags = DBR_VF_NEG_INFINITY;
    return true;
  }
  return false;
}

// "1 year 2 mons -3 days +04:05:06.5" (IntervalStyle postgres).
bool parse_interval(std::string_view s, dbr_value& out) noexcept {
  scanner sc{s};
  std::int64_t months = 0, days = 0, micros = 0;
  while (!sc.done()) {
    bool neg = false;
    if (sc.eat('-'))
      neg = true;
    else
      sc.eat('+');
    const std::size_t start = sc.i;
    std::int64_t n = 0;
    if (!sc.num(n)) return false;
    if (sc.i < s.size() && s[sc.i] == ':') {
      sc.i = start;
      std::int64_t t = 0;
      if (!sc.clock(t)) return false;
      micros = neg ? -t : t;
    } else {
      if (!sc.eat(' ')) return false;
      if (neg) n = -n;
      if (sc.eat("years") || sc.eat("year"))
        months += n * 12;
      else if (sc.eat("mons") || sc.eat("mon"))
        months += n;
      else if (sc.eat("days") || sc.eat("day"))
        days = n;
      else
        return false;
    }
    if (!sc.done() && !sc.eat(' ')) return false;
  }
  if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX) return false;
  out = sdk::make_null();
  out.type = DBR_TYPE_INTERVAL;
  out.u.iv.months = static_cast<std::int32_t>(months);
  out.u.iv.days = static_cast<std::int32_t>(days);
  out.u.iv.micros = micros;
  return true;
}

bool parse_temporal(codec c, std::string_view s, dbr_value& out) {
  scanner sc{s};
  switch (c) {
    case codec::t_date: {
      out = sdk::make_temporal(DBR_TYPE_DATE, 0);
      if (infinity(s, out)) return true;
      std::int64_t days = 0;
      if (!sc.day(days)) return false;
      sc.era(days);
      out.u.ts.micros = days;
      return sc.done();
    }
    case codec::t_time:
    case codec::t_timetz: {
      std::int64_t t = 0;
      if (!sc.clock(t)) return false;
      out = sdk::make_temporal(DBR_TYPE_TIME, t);
      if (c == codec::t_timetz) {
        if (!sc.offset(out.u.ts.offset_s)) return false;
        out.flags = DBR_VF_HAS_OFFSET;
      }
      return sc.done();
    }
    case codec::t_timestamp:
    case codec::t_timestamptz: {
      const bool tz = c == codec::t_timestamptz;
      out = sdk::make_temporal(tz ? DBR_TYPE_TIMESTAMPTZ : DBR_TYPE_TIMESTAMP, 0);
      if (infinity(s, out)) return true;
      std::int64_t days = 0, t = 0;
      std::int32_t off = 0;
      if (!sc.day(days) || !sc.eat(' ') || !sc.clock(t) || (tz && !sc.offset(off))) return false;
      sc.era(days);
      std::int64_t at = 0;
      if (__builtin_mul_overflow(days, micros_per_day, &at) || __builtin_add_overflow(at, t, &at) ||
          __builtin_sub_overflow(at, std::int64_t{off} * 1000000, &at))
        timestamp_past_range(s);
      out.u.ts.micros = at;
      out.u.ts.offset_s = off;
      return sc.done();
    }
    case codec::t_interval: return parse_interval(s, out);
    default: return false;
  }
}

// ------------------------------------------------------------ text arrays
struct text_array_reader {
  std::string_view s;
  codec elem;
  arena& a;
  std::size_t i = 0;

  [[noreturn]] void bad() const { bad_text("array", s); }

  // One element, unquoted (NULL is the null) or double-quoted with
  // backslash escapes.
  void element(dbr_value& out) {
    std::string text;
    bool quoted = false;
    if (i < s.size() && s[i] == '"') {
      quoted = true;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        text.push_back(s[i]);
      }
      if (i >= s.size()) bad();
      ++i;
    } else {
      const std::size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}') ++i;
      text.assign(s.substr(start, i - start));
    }
    if (!quoted && text == "NULL") {
      out = sdk::make_null();
      return;
    }
    const std::string_view kept = a.keep(text);
    decode_cell(elem, kept.data(), static_cast<int>(kept.size()), out, a);
  }

  // "{...}" at i, nested to any depth.
  void level(dbr_value& out, int depth) {
    if (depth > 6 || i >= s.size() || s[i] != '{') bad();
    ++i;
    std::vector<dbr_value> items;
    bool nested = false;
    if (i < s.size() && s[i] == '}') {
      ++i;
    } else {
      for (;;) {
        dbr_value v;
        if (i < s.size() && s[i] == '{') {
          nested = true;
          level(v, depth + 1);
        } else {
          element(v);
        }
        items.push_back(v);
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        bad();
      }
    }
    auto* arr = static_cast<dbr_array*>(a.alloc(sizeof(dbr_array), alignof(dbr_array)));
    auto* cells = static_cast<dbr_value*>(a.alloc(sizeof(dbr_value) * (items.empty() ? 1 : items.size()),
                                                  alignof(dbr_value)));
    std::copy(items.begin(), items.end(), cells);
    arr->struct_size = sizeof(dbr_array);
    arr->elem_type = nested ? DBR_TYPE_ARRAY : codec_type(elem);
    arr->count = items.size();
    arr->items = cells;
    arr->elem_native_type = nullptr;
    out = sdk::make_null();
    out.type = DBR_TYPE_ARRAY;
    out.u.arr = arr;
  }
};

}  // namespace

// ------------------------------------------------------ binary -> psql text
void decode_extra(codec c, const char* p, int len, dbr_value& out, arena& a) {
  std::string b;
  switch (c) {
    case codec::point:
      if (len != 16) malformed("point", len);
      b.push_back('(');
      append_float8(rd_float8(p), b);
      b.push_back(',');
      append_float8(rd_float8(p + 8), b);
      b.push_back(')');
      break;
    case codec::macaddr: {
      if (len != 6 && len != 8) malformed("macaddr", len);
      static const char hex[] = "0123456789abcdef";
      for (int i = 0; i < len; ++i) {
        if (i) b.push_back(':');
        b.push_back(hex[static_cast<unsigned char>(p[i]) >> 4]);
        b.push_back(hex[p[i] & 15]);
      }
      break;
    }
    case codec::bit: {
      if (len < 4) malformed("bit", len);
      const std::int32_t bits = static_cast<std::int32_t>(rd32(p));
      if (bits < 0 || len != 4 + (bits + 7) / 8) malformed("bit", len);
      for (std::int32_t i = 0; i < bits; ++i) b.push_back((p[4 + i / 8] >> (7 - i % 8)) & 1 ? '1' : '0');
      break;
    }
    default: {  // ranges
      if (len < 1) malformed("range", len);
      const unsigned flags = static_cast<unsigned char>(p[0]);
      if (flags & 0x01) {
        out = sdk::make_text("empty");
        return;
      }
      const char* q = p + 1;
      const char* end = p + len;
      auto bound = [&](bool present) {
        if (!present) return;
        if (end - q < 4) malformed("range", len);
        const std::int32_t n = static_cast<std::int32_t>(rd32(q));
        q += 4;
        if (n < 0 || end - q < n) malformed("range", len);
        dbr_value v;
        decode_cell(range_element(c), q, n, v, a);
        q += n;
        std::string text;
        append_element(v, text);
        append_bound(text, b);
      };
      b.push_back(flags & 0x02 ? '[' : '(');
      bound(!(flags & 0x08));
      b.push_back(',');
      bound(!(flags & 0x10));
      b.push_back(flags & 0x04 ? ']' : ')');
      if (q != end) malformed("range", len);
      break;
    }
  }
  out = keep_text(b, a);
}

void append_timestamp_at(std::int64_t days, std::int64_t micros_of_day, std::string& b) {
  bool bc = false;
  append_date(days, b, bc);
  b.push_back(' ');
  sdk::append_datetime(b, [&](char* buf) { return sdk::format_time(micros_of_day, buf); });
  if (bc) b += " BC";
}

// ------------------------------------------------------ text -> typed value
void decode_text_typed(codec c, codec elem, const char* p, int len, dbr_value& out, arena& a) {
  const std::string_view s(p, static_cast<std::size_t>(len));
  if (c == codec::t_array) {
    text_array_reader r{s, elem, a};
    if (!s.empty() && s[0] == '[') {
      // "[lo:hi]={...}": arrays that do not start at 1 (see decode_array).
      refuse_lower_bound(s.substr(0, s.find('=')));
    }
    r.level(out, 1);
    if (r.i != s.size()) r.bad();
    return;
  }
  if (!parse_temporal(c, s, out)) {
    const char* names[] = {"date", "time", "time with time zone", "timestamp", "timestamp with time zone",
                           "interval"};
    bad_text(names[static_cast<int>(c) - static_cast<int>(codec::t_date)], s);
  }
}

void refuse_lower_bound(std::string_view bounds) {
  throw sdk::error(DBR_CAT_DATA, "postgres: the array has lower bounds " + std::string(bounds) +
                                     "; dbridge arrays always start at index 1, so its elements would move")
      .sqlstate("2202E")
      .field(DBR_ERRF_HINT,
             "re-base it in the query: array(SELECT unnest(col)) for one dimension, or cast it to text");
}

}  // namespace dbridge_postgres
