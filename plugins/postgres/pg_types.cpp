// SPDX-License-Identifier: Apache-2.0
// Binary send/recv formats of the built-in PostgreSQL types (as documented by
// each type's *_send/*_recv function) and the text fallbacks.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <dbridge/sdk/convert.hpp>
#include <dbridge/sdk/error.hpp>
#include <dbridge/sdk/value.hpp>

#include "pg_types.hpp"

namespace dbridge_postgres {

namespace sdk = dbridge::sdk;

namespace {

// PostgreSQL counts dates and timestamps from 2000-01-01.
constexpr std::int64_t pg_epoch_days = 10957;
constexpr std::int64_t pg_epoch_micros = 946684800000000LL;
// PostgreSQL's first timestamp, 4714-11-24 00:00 BC, in its own count
// (MIN_TIMESTAMP in datatype/timestamp.h). Its last one lies past what
// int64 microseconds since 1970 reach, so only the low end needs a check.
constexpr std::int64_t pg_min_timestamp = -211813488000000000LL;

inline std::uint16_t be16(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint16_t>((u[0] << 8) | u[1]);
}
inline std::uint32_t be32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}
inline std::uint64_t be64(const char* p) noexcept { return (std::uint64_t{be32(p)} << 32) | be32(p + 4); }
inline void put16(std::string& b, std::uint16_t v) {
  const char c[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  b.append(c, 2);
}
inline void put32(std::string& b, std::uint32_t v) {
  const char c[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  b.append(c, 4);
}
inline void put64(std::string& b, std::uint64_t v) {
  put32(b, static_cast<std::uint32_t>(v >> 32));
  put32(b, static_cast<std::uint32_t>(v));
}

}  // namespace

void timestamp_past_range(std::int64_t pg_micros) {
  constexpr std::int64_t day = 86400000000LL;
  std::int64_t days = pg_micros / day, rest = pg_micros % day;
  if (rest < 0) {
    rest += day;
    --days;
  }
  std::string shown;
  append_timestamp_at(days + pg_epoch_days, rest, shown);
  timestamp_past_range(shown);
}

void timestamp_past_range(std::string_view shown) {
  throw sdk::error(DBR_CAT_DATA, "postgres: the timestamp " + std::string(shown) +
                                     " from the server lies past the end of dbridge's timestamp range "
                                     "(64-bit microseconds since 1970 end at 294247-01-10 04:00:54.775807), "
                                     "so it cannot be read as a timestamp")
      .sqlstate("22008")
      .field(DBR_ERRF_HINT, "read it as text (col::text), or clamp it in the query (LEAST(col, '294247-01-01'))");
}

void malformed(const char* type, int len) {
  throw sdk::error(DBR_CAT_DATA, std::string("postgres: malformed binary ") + type + " value (" +
                                     std::to_string(len) + " bytes) from the server")
      .sqlstate("22P03");
}

namespace {

bool is_text_like(Oid t) noexcept {
  return t == oid::text || t == oid::varchar || t == oid::bpchar || t == oid::name || t == oid::unknown ||
         t == oid::xml || t == oid::json || t == oid::char_ || t == oid::unspecified;
}

std::string_view str_of(const dbr_value& v) noexcept {
  return {v.u.str.ptr, static_cast<std::size_t>(v.u.str.len)};
}

// Decimal text -> sign, integer digits and fraction digits, exponent folded
// in. False when s is not a plain decimal number.
bool split_decimal(std::string_view s, bool& neg, std::string& ip, std::string& fp) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  std::string digits;
  long long point = -1;
  for (; i < s.size(); ++i) {
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
      digits.push_back(ch);
    } else if (ch == '.' && point < 0) {
      point = static_cast<long long>(digits.size());
    } else {
      break;
    }
  }
  if (digits.empty()) return false;
  if (point < 0) point = static_cast<long long>(digits.size());
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    long long e = 0;
    auto r = std::from_chars(s.data() + i + 1 + (i + 1 < s.size() && s[i + 1] == '+'), s.data() + s.size(), e);
    if (r.ec != std::errc() || e > 100000 || e < -100000) return false;
    i = static_cast<std::size_t>(r.ptr - s.data());
    point += e;
  }
  while (i < s.size() && s[i] == ' ') ++i;
  if (i != s.size()) return false;
  if (point < 0) {
    digits.insert(0, static_cast<std::size_t>(-point), '0');
    point = 0;
  } else if (point > static_cast<long long>(digits.size())) {
    digits.append(static_cast<std::size_t>(point) - digits.size(), '0');
  }
  ip = digits.substr(0, static_cast<std::size_t>(point));
  fp = digits.substr(static_cast<std::size_t>(point));
  return true;
}

bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

// numeric_send layout: ndigits, weight, sign, dscale (int16 each), then
// ndigits base-10000 digits.
bool encode_numeric(std::string_view text, std::string& b) {
  std::string_view t = text;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  auto special = [&](std::uint16_t sign) {
    put16(b, 0), put16(b, 0), put16(b, sign), put16(b, 0);
    return true;
  };
  if (ieq(t, "nan")) return special(0xC000);
  if (ieq(t, "infinity") || ieq(t, "+infinity") || ieq(t, "inf")) return special(0xD000);
  if (ieq(t, "-infinity") || ieq(t, "-inf")) return special(0xF000);
  bool neg = false;
  std::string ip, fp;
  if (!split_decimal(t, neg, ip, fp)) return false;
  const std::size_t dscale = fp.size();
  const std::size_t ipad = (4 - ip.size() % 4) % 4;
  std::string all(ipad, '0');
  all += ip;
  const int int_groups = static_cast<int>(all.size() / 4);
  all += fp;
  all.append((4 - fp.size() % 4) % 4, '0');
  std::vector<std::uint16_t> groups;
  for (std::size_t k = 0; k < all.size(); k += 4)
    groups.push_back(static_cast<std::uint16_t>((all[k] - '0') * 1000 + (all[k + 1] - '0') * 100 +
                                                (all[k + 2] - '0') * 10 + (all[k + 3] - '0')));
  int weight = int_groups - 1;
  std::size_t first = 0;
  while (first < groups.size() && groups[first] == 0) ++first, --weight;
  std::size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) {
    weight = 0;
    neg = false;
  }
  if (last - first > 0x7FFF || dscale > 0x3FFF) return false;
  put16(b, static_cast<std::uint16_t>(last - first));
  put16(b, static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
  put16(b, neg ? 0x4000 : 0);
  put16(b, static_cast<std::uint16_t>(dscale));
  for (std::size_t k = first; k < last; ++k) put16(b, groups[k]);
  return true;
}

void decode_numeric(const char* p, int len, dbr_value& out, arena& a) {
  if (len < 8) malformed("numeric", len);
  const int ndigits = static_cast<std::int16_t>(be16(p));
  const int weight = static_cast<std::int16_t>(be16(p + 2));
  const std::uint16_t sign = be16(p + 4);
  const int dscale = be16(p + 6);
  auto fixed = [&](const char* s) { out = sdk::make_decimal(s); };
  if (sign == 0xC000) return fixed("NaN");
  if (sign == 0xD000) return fixed("Infinity");
  if (sign == 0xF000) return fixed("-Infinity");
  if (ndigits < 0 || len != 8 + 2 * ndigits || (sign != 0 && sign != 0x4000)) malformed("numeric", len);
  auto digit = [&](int idx) -> int { return idx >= 0 && idx < ndigits ? be16(p + 8 + 2 * idx) : 0; };
  const std::size_t cap = 2 + static_cast<std::size_t>(weight > 0 ? weight + 1 : 1) * 4 + 1 +
                          static_cast<std::size_t>(dscale);
  char* buf = a.chars(cap);
  std::size_t n = 0;
  if (sign == 0x4000) buf[n++] = '-';
  if (weight < 0) {
    buf[n++] = '0';
  } else {
    for (int i = 0; i <= weight; ++i) {
      const int d = digit(i);
      if (i == 0) {
        auto r = std::to_chars(buf + n, buf + cap, d);
        n = static_cast<std::size_t>(r.ptr - buf);
      } else {
        buf[n++] = static_cast<char>('0' + d / 1000);
        buf[n++] = static_cast<char>('0' + d / 100 % 10);
        buf[n++] = static_cast<char>('0' + d / 10 % 10);
        buf[n++] = static_cast<char>('0' + d % 10);
      }
    }
  }
  if (dscale > 0) {
    buf[n++] = '.';
    static constexpr int pow10[] = {1000, 100, 10, 1};
    for (int k = 0; k < dscale; ++k) {
      const int d = digit(weight + 1 + k / 4);
      buf[n++] = static_cast<char>('0' + d / pow10[k % 4] % 10);
    }
  }
  out = sdk::make_decimal(std::string_view(buf, n));
}

void decode_inet(const char* p, int len, dbr_value& out, arena& a) {
  if (len < 4) malformed("inet", len);
  const int family = static_cast<unsigned char>(p[0]);
  const int bits = static_cast<unsigned char>(p[1]);
  const bool cidr = p[2] != 0;
  const int nb = static_cast<unsigned char>(p[3]);
  // PGSQL_AF_INET is AF_INET + 0, PGSQL_AF_INET6 is AF_INET + 1.
  const bool v6 = family == AF_INET + 1;
  if ((v6 ? 16 : 4) != nb || len != 4 + nb) malformed("inet", len);
  char* buf = a.chars(INET6_ADDRSTRLEN + 8);
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, p + 4, buf, INET6_ADDRSTRLEN) == nullptr) malformed("inet", len);
  std::size_t n = std::strlen(buf);
  if (cidr || bits != (v6 ? 128 : 32)) n += static_cast<std::size_t>(std::snprintf(buf + n, 8, "/%d", bits));
  out = sdk::make_text(std::string_view(buf, n));
}

dbr_value array_value(std::uint32_t elem_type, const char* native, std::uint64_t count, arena& a,
                      dbr_value*& items) {
  auto* arr = static_cast<dbr_array*>(a.alloc(sizeof(dbr_array), alignof(dbr_array)));
  items = static_cast<dbr_value*>(a.alloc(sizeof(dbr_value) * (count ? count : 1), alignof(dbr_value)));
  arr->struct_size = sizeof(dbr_array);
  arr->elem_type = elem_type;
  arr->count = count;
  arr->items = items;
  arr->elem_native_type = native;
  dbr_value out = sdk::make_null();
  out.type = DBR_TYPE_ARRAY;
  out.u.arr = arr;
  return out;
}

// array_send: ndim, has-nulls flag, element type, then per dimension its size
// and lower bound, then the elements in row-major order. A multi-dimensional
// array becomes nested arrays (one level per dimension).
void decode_array(const char* p, int len, dbr_value& out, arena& a) {
  if (len < 12) malformed("array", len);
  const std::int32_t ndim = static_cast<std::int32_t>(be32(p));
  const Oid elem = be32(p + 8);
  codec ec;
  if (!binary_codec(elem, ec) || ec == codec::array)
    throw sdk::error(DBR_CAT_UNSUPPORTED, "postgres: arrays of type oid " + std::to_string(elem) +
                                              " cannot be decoded; cast the column to text[]");
  constexpr int max_dims = 6;  // PostgreSQL's MAXDIM
  if (ndim < 0 || ndim > max_dims || len < 12 + 8 * ndim) malformed("array", len);
  std::uint64_t dims[max_dims] = {};
  std::string bounds;
  for (int d = 0; d < ndim; ++d) {
    dims[d] = be32(p + 12 + 8 * d);
    const std::int32_t lower = static_cast<std::int32_t>(be32(p + 16 + 8 * d));
    bounds += "[" + std::to_string(lower) + ":" + std::to_string(lower + static_cast<std::int64_t>(dims[d]) - 1) + "]";
    if (lower != 1) refuse_lower_bound(bounds);
  }
  const char* q = p + 12 + 8 * ndim;
  const char* end = p + len;
  const char* leaf_name = builtin_name(elem);
  const char* inner_name = builtin_name(array_of(elem));
  // Builds dimension d (and those below it) at out.
  auto level = [&](auto& self, int d, dbr_value& at) -> void {
    dbr_value* items = nullptr;
    const bool leaf = d == ndim - 1;
    at = array_value(leaf ? codec_type(ec) : DBR_TYPE_ARRAY, leaf ? leaf_name : inner_name, dims[d], a, items);
    for (std::uint64_t i = 0; i < dims[d]; ++i) {
      if (!leaf) {
        self(self, d + 1, items[i]);
        continue;
      }
      if (end - q < 4) malformed("array", len);
      const std::int32_t el = static_cast<std::int32_t>(be32(q));
      q += 4;
      if (el < 0) {
        items[i] = sdk::make_null();
        continue;
      }
      if (end - q < el) malformed("array", len);
      decode_cell(ec, q, el, items[i], a);
      q += el;
    }
  };
  if (ndim == 0) {
    dbr_value* items = nullptr;
    out = array_value(codec_type(ec), leaf_name, 0, a, items);
    return;
  }
  level(level, 0, out);
  if (q != end) malformed("array", len);
}

int hexval(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::int64_t time_or_ts(const dbr_value& v) noexcept { return v.u.ts.micros; }

[[noreturn]] void ragged(const std::string& why) {
  throw sdk::error(DBR_CAT_DATA, "postgres: a ragged array parameter (" + why +
                                     "): PostgreSQL arrays are rectangular, every sub-array of a level the same "
                                     "length")
      .sqlstate("2202E");
}

// The dimensions of a nested array value (one per level), checked to be
// rectangular: every sub-array of a level has the same length, and leaves
// are never arrays.
std::vector<std::uint32_t> array_shape(const dbr_value& v) {
  std::vector<std::uint32_t> dims;
  for (const dbr_value* at = &v; at->type == DBR_TYPE_ARRAY && at->u.arr != nullptr;) {
    if (dims.size() == 6) ragged("more than 6 dimensions");
    if (at->u.arr->count > INT32_MAX) ragged("more than 2^31 elements");
    dims.push_back(static_cast<std::uint32_t>(at->u.arr->count));
    if (at->u.arr->count == 0) break;
    at = &at->u.arr->items[0];
  }
  auto check = [&](auto& self, const dbr_value& a, std::size_t depth) -> void {
    const bool leaf = depth + 1 == dims.size();
    if (a.u.arr->count != dims[depth])
      ragged("a sub-array of " + std::to_string(a.u.arr->count) + " elements where the first has " +
             std::to_string(dims[depth]));
    for (std::uint64_t i = 0; i < a.u.arr->count; ++i) {
      const dbr_value& item = a.u.arr->items[i];
      const bool is_array = item.type == DBR_TYPE_ARRAY && item.u.arr != nullptr;
      if (leaf && is_array) ragged("an array where the first sub-array of its level holds a value");
      if (!leaf && !is_array) ragged(std::string(item.type == DBR_TYPE_NULL ? "a NULL" : "a value") +
                                     " where the first element of its level is an array");
      if (!leaf) self(self, item, depth + 1);
    }
  };
  if (!dims.empty() && dims.back() != 0) check(check, v, 0);
  return dims;
}

// The leaves of a rectangular nested array, in row-major order.
template <class F>
void for_each_leaf(const dbr_value& v, F&& f) {
  for (std::uint64_t i = 0; i < v.u.arr->count; ++i) {
    const dbr_value& item = v.u.arr->items[i];
    if (item.type == DBR_TYPE_ARRAY && item.u.arr != nullptr)
      for_each_leaf(item, f);
    else
      f(item);
  }
}

}  // namespace

// ------------------------------------------------------------- the arena
// ------------------------------------------------------------ type tables
std::uint32_t codec_type(codec c) noexcept {
  switch (c) {
    case codec::bool_:
    case codec::t_bool: return DBR_TYPE_BOOL;
    case codec::int2:
    case codec::int4:
    case codec::int8:
    case codec::oid_:
    case codec::t_int: return DBR_TYPE_INT64;
    case codec::float4:
    case codec::float8:
    case codec::t_float: return DBR_TYPE_DOUBLE;
    case codec::numeric:
    case codec::t_numeric: return DBR_TYPE_DECIMAL;
    case codec::bytea:
    case codec::t_bytea: return DBR_TYPE_BYTES;
    case codec::date: return DBR_TYPE_DATE;
    case codec::time:
    case codec::timetz: return DBR_TYPE_TIME;
    case codec::t_date: return DBR_TYPE_DATE;
    case codec::t_time:
    case codec::t_timetz: return DBR_TYPE_TIME;
    case codec::timestamp:
    case codec::t_timestamp: return DBR_TYPE_TIMESTAMP;
    case codec::timestamptz:
    case codec::t_timestamptz: return DBR_TYPE_TIMESTAMPTZ;
    case codec::interval:
    case codec::t_interval: return DBR_TYPE_INTERVAL;
    case codec::uuid:
    case codec::t_uuid: return DBR_TYPE_UUID;
    case codec::json:
    case codec::jsonb:
    case codec::t_json: return DBR_TYPE_JSON;
    case codec::array:
    case codec::t_array: return DBR_TYPE_ARRAY;
    default: return DBR_TYPE_TEXT;
  }
}

bool binary_codec(Oid t, codec& out) noexcept {
  switch (t) {
    case oid::bool_: out = codec::bool_; return true;
    case oid::bytea: out = codec::bytea; return true;
    case oid::char_:
    case oid::name:
    case oid::text:
    case oid::xml:
    case oid::unknown:
    case oid::bpchar:
    case oid::varchar: out = codec::text_raw; return true;
    case oid::int8: out = codec::int8; return true;
    case oid::int2: out = codec::int2; return true;
    case oid::int4: out = codec::int4; return true;
    case oid::oid_: out = codec::oid_; return true;
    case oid::json: out = codec::json; return true;
    case oid::jsonb: out = codec::jsonb; return true;
    case oid::float4: out = codec::float4; return true;
    case oid::float8: out = codec::float8; return true;
    case oid::inet:
    case oid::cidr: out = codec::inet; return true;
    case oid::date: out = codec::date; return true;
    case oid::time: out = codec::time; return true;
    case oid::timetz: out = codec::timetz; return true;
    case oid::timestamp: out = codec::timestamp; return true;
    case oid::timestamptz: out = codec::timestamptz; return true;
    case oid::interval: out = codec::interval; return true;
    case oid::numeric: out = codec::numeric; return true;
    case oid::uuid: out = codec::uuid; return true;
    case oid::point: out = codec::point; return true;
    case oid::macaddr:
    case oid::macaddr8: out = codec::macaddr; return true;
    case oid::bit:
    case oid::varbit: out = codec::bit; return true;
    case oid::int4range: out = codec::range_int4; return true;
    case oid::int8range: out = codec::range_int8; return true;
    case oid::numrange: out = codec::range_num; return true;
    case oid::daterange: out = codec::range_date; return true;
    case oid::tsrange: out = codec::range_ts; return true;
    default: {
      // An array decodes in binary when its elements do.
      const Oid elem = array_element(t);
      codec ec;
      if (elem == 0 || !binary_codec(elem, ec)) return false;
      out = codec::array;
      return true;
    }
  }
}

codec text_codec(Oid t) noexcept {
  switch (t) {
    case oid::bool_: return codec::t_bool;
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::oid_: return codec::t_int;
    case oid::float4:
    case oid::float8: return codec::t_float;
    case oid::numeric: return codec::t_numeric;
    case oid::json:
    case oid::jsonb: return codec::t_json;
    case oid::uuid: return codec::t_uuid;
    case oid::bytea: return codec::t_bytea;
    case oid::date: return codec::t_date;
    case oid::time: return codec::t_time;
    case oid::timetz: return codec::t_timetz;
    case oid::timestamp: return codec::t_timestamp;
    case oid::timestamptz: return codec::t_timestamptz;
    case oid::interval: return codec::t_interval;
    default: return array_element(t) != 0 ? codec::t_array : codec::text_raw;
  }
}

namespace {
struct array_pair {
  Oid array, elem;
};
constexpr array_pair array_pairs[] = {
    {1000, oid::bool_},  {1001, oid::bytea},     {1002, oid::char_},       {1003, oid::name},
    {1005, oid::int2},   {1007, oid::int4},      {1009, oid::text},        {1014, oid::bpchar},
    {1015, oid::varchar}, {1016, oid::int8},     {1021, oid::float4},      {1022, oid::float8},
    {1028, oid::oid_},   {1041, oid::inet},      {651, oid::cidr},         {1182, oid::date},
    {1183, oid::time},   {1115, oid::timestamp}, {1185, oid::timestamptz}, {1187, oid::interval},
    {1231, oid::numeric}, {1270, oid::timetz},   {2951, oid::uuid},        {199, oid::json},
    {3807, oid::jsonb},  {143, oid::xml},          {1017, oid::point},       {1040, oid::macaddr},
    {775, oid::macaddr8}, {791, oid::money},     {1561, oid::bit},         {1563, oid::varbit},
    {3905, oid::int4range}, {3927, oid::int8range}, {3907, oid::numrange}, {3913, oid::daterange},
    {3909, oid::tsrange}, {3911, oid::tstzrange},
};
}  // namespace

Oid array_element(Oid a) noexcept {
  for (const auto& p : array_pairs)
    if (p.array == a) return p.elem;
  return 0;
}
Oid array_of(Oid e) noexcept {
  for (const auto& p : array_pairs)
    if (p.elem == e) return p.array;
  return 0;
}

const char* builtin_name(Oid t) noexcept {
  switch (t) {
    case oid::bool_: return "bool";
    case oid::bytea: return "bytea";
    case oid::char_: return "char";
    case oid::name: return "name";
    case oid::int8: return "int8";
    case oid::int2: return "int2";
    case oid::int4: return "int4";
    case oid::text: return "text";
    case oid::oid_: return "oid";
    case oid::json: return "json";
    case oid::xml: return "xml";
    case oid::float4: return "float4";
    case oid::float8: return "float8";
    case oid::unknown: return "unknown";
    case oid::cidr: return "cidr";
    case oid::inet: return "inet";
    case oid::bpchar: return "bpchar";
    case oid::varchar: return "varchar";
    case oid::date: return "date";
    case oid::time: return "time";
    case oid::timestamp: return "timestamp";
    case oid::timestamptz: return "timestamptz";
    case oid::interval: return "interval";
    case oid::timetz: return "timetz";
    case oid::numeric: return "numeric";
    case oid::uuid: return "uuid";
    case oid::jsonb: return "jsonb";
    case oid::point: return "point";
    case oid::macaddr: return "macaddr";
    case oid::macaddr8: return "macaddr8";
    case oid::money: return "money";
    case oid::bit: return "bit";
    case oid::varbit: return "varbit";
    case oid::int4range: return "int4range";
    case oid::int8range: return "int8range";
    case oid::numrange: return "numrange";
    case oid::daterange: return "daterange";
    case oid::tsrange: return "tsrange";
    case oid::tstzrange: return "tstzrange";
    default: break;
  }
  static const char* const array_names[] = {
      "_bool", "_bytea", "_char", "_name", "_int2", "_int4", "_text", "_bpchar", "_varchar", "_int8", "_float4",
      "_float8", "_oid", "_inet", "_cidr", "_date", "_time", "_timestamp", "_timestamptz", "_interval",
      "_numeric", "_timetz", "_uuid", "_json", "_jsonb", "_xml", "_point", "_macaddr", "_macaddr8", "_money",
      "_bit", "_varbit", "_int4range", "_int8range", "_numrange", "_daterange", "_tsrange", "_tstzrange"};
  for (std::size_t i = 0; i < sizeof array_pairs / sizeof array_pairs[0]; ++i)
    if (array_pairs[i].array == t) return array_names[i];
  return nullptr;
}

// ------------------------------------------------------------- decoding
void decode_cell(codec c, const char* p, int len, dbr_value& out, arena& a, codec elem) {
  auto need = [&](int n, const char* type) {
    if (len != n) malformed(type, len);
  };
  switch (c) {
    case codec::text_raw:
      out = sdk::make_text(std::string_view(p, static_cast<std::size_t>(len)));
      return;
    case codec::bool_:
      need(1, "bool");
      out = sdk::make_bool(p[0] != 0);
      return;
    case codec::int2:
      need(2, "int2");
      out = sdk::make_int64(static_cast<std::int16_t>(be16(p)));
      return;
    case codec::int4:
      need(4, "int4");
      out = sdk::make_int64(static_cast<std::int32_t>(be32(p)));
      return;
    case codec::oid_:
      need(4, "oid");
      out = sdk::make_int64(be32(p));
      return;
    case codec::int8:
      need(8, "int8");
      out = sdk::make_int64(static_cast<std::int64_t>(be64(p)));
      return;
    case codec::float4: {
      need(4, "float4");
      std::uint32_t u = be32(p);
      float f;
      std::memcpy(&f, &u, 4);
      out = sdk::make_double(f);
      return;
    }
    case codec::float8: {
      need(8, "float8");
      std::uint64_t u = be64(p);
      double d;
      std::memcpy(&d, &u, 8);
      out = sdk::make_double(d);
      return;
    }
    case codec::numeric:
      decode_numeric(p, len, out, a);
      return;
    case codec::bytea:
      out = sdk::make_bytes(p, static_cast<std::size_t>(len));
      return;
    case codec::date: {
      need(4, "date");
      const std::int32_t d = static_cast<std::int32_t>(be32(p));
      out = sdk::make_temporal(DBR_TYPE_DATE, 0);
      if (d == std::numeric_limits<std::int32_t>::max())
        out.flags = DBR_VF_POS_INFINITY;
      else if (d == std::numeric_limits<std::int32_t>::min())
        out.flags = DBR_VF_NEG_INFINITY;
      else
        out.u.ts.micros = d + pg_epoch_days;
      return;
    }
    case codec::time:
      need(8, "time");
      out = sdk::make_temporal(DBR_TYPE_TIME, static_cast<std::int64_t>(be64(p)));
      return;
    case codec::timetz:
      need(12, "timetz");
      // The zone is stored in seconds west of Greenwich; dbridge offsets are east.
      out = sdk::make_temporal(DBR_TYPE_TIME, static_cast<std::int64_t>(be64(p)),
                               -static_cast<std::int32_t>(be32(p + 8)));
      out.flags = DBR_VF_HAS_OFFSET;
      return;
    case codec::timestamp:
    case codec::timestamptz: {
      need(8, "timestamp");
      const std::int64_t t = static_cast<std::int64_t>(be64(p));
      out = sdk::make_temporal(c == codec::timestamp ? DBR_TYPE_TIMESTAMP : DBR_TYPE_TIMESTAMPTZ, 0);
      if (t == std::numeric_limits<std::int64_t>::max())
        out.flags = DBR_VF_POS_INFINITY;
      else if (t == std::numeric_limits<std::int64_t>::min())
        out.flags = DBR_VF_NEG_INFINITY;
      else if (__builtin_add_overflow(t, pg_epoch_micros, &out.u.ts.micros))
        timestamp_past_range(t);
      return;
    }
    case codec::interval:
      need(16, "interval");
      out = sdk::make_null();
      out.type = DBR_TYPE_INTERVAL;
      out.u.iv.micros = static_cast<std::int64_t>(be64(p));
      out.u.iv.days = static_cast<std::int32_t>(be32(p + 8));
      out.u.iv.months = static_cast<std::int32_t>(be32(p + 12));
      return;
    case codec::uuid: {
      need(16, "uuid");
      out = sdk::make_null();
      out.type = DBR_TYPE_UUID;
      std::memcpy(out.u.uuid, p, 16);
      return;
    }
    case codec::json:
      out = sdk::make_json(std::string_view(p, static_cast<std::size_t>(len)));
      return;
    case codec::jsonb:
      if (len < 1 || p[0] != 1) malformed("jsonb", len);
      out = sdk::make_json(std::string_view(p + 1, static_cast<std::size_t>(len - 1)));
      return;
    case codec::inet:
      decode_inet(p, len, out, a);
      return;
    case codec::array:
      decode_array(p, len, out, a);
      return;
    case codec::point:
    case codec::macaddr:
    case codec::bit:
    case codec::range_int4:
    case codec::range_int8:
    case codec::range_num:
    case codec::range_date:
    case codec::range_ts:
      decode_extra(c, p, len, out, a);
      return;
    case codec::t_date:
    case codec::t_time:
    case codec::t_timetz:
    case codec::t_timestamp:
    case codec::t_timestamptz:
    case codec::t_interval:
    case codec::t_array:
      decode_text_typed(c, elem, p, len, out, a);
      return;
    case codec::t_bool:
      out = sdk::make_bool(len > 0 && p[0] == 't');
      return;
    case codec::t_int: {
      std::int64_t v = 0;
      auto r = std::from_chars(p, p + len, v);
      if (r.ec != std::errc()) malformed("integer text", len);
      out = sdk::make_int64(v);
      return;
    }
    case codec::t_float: {
      // libpq NUL-terminates every value, so strtod may read p directly.
      std::string_view s(p, static_cast<std::size_t>(len));
      double d = s == "Infinity"    ? HUGE_VAL
                 : s == "-Infinity" ? -HUGE_VAL
                 : s == "NaN"       ? std::numeric_limits<double>::quiet_NaN()
                                    : std::strtod(p, nullptr);
      out = sdk::make_double(d);
      return;
    }
    case codec::t_numeric:
      out = sdk::make_decimal(std::string_view(p, static_cast<std::size_t>(len)));
      return;
    case codec::t_json:
      out = sdk::make_json(std::string_view(p, static_cast<std::size_t>(len)));
      return;
    case codec::t_uuid: {
      out = sdk::make_null();
      out.type = DBR_TYPE_UUID;
      int k = 0;
      for (int i = 0; i < len && k < 32; ++i) {
        int h = hexval(p[i]);
        if (h < 0) continue;
        out.u.uuid[k / 2] = static_cast<std::uint8_t>(k % 2 ? (out.u.uuid[k / 2] | h) : (h << 4));
        ++k;
      }
      if (k != 32) malformed("uuid text", len);
      return;
    }
    case codec::t_bytea: {
      if (len < 2 || p[0] != '\\' || p[1] != 'x') malformed("bytea text", len);
      const std::size_t n = static_cast<std::size_t>(len - 2) / 2;
      auto* buf = reinterpret_cast<std::uint8_t*>(a.chars(n ? n : 1));
      for (std::size_t i = 0; i < n; ++i)
        buf[i] = static_cast<std::uint8_t>(hexval(p[2 + 2 * i]) << 4 | hexval(p[3 + 2 * i]));
      out = sdk::make_bytes(buf, n);
      return;
    }
  }
  malformed("value", len);
}

// ------------------------------------------------------------- encoding
void param_buffers::resize(std::size_t n) {
  if (data.size() < n) data.resize(n);
  ints.resize(n);
  values.resize(n);
  lengths.resize(n);
  formats.resize(n);
  types.resize(n);
}

Oid natural_type(const dbr_value& v) noexcept {
  switch (v.type) {
    case DBR_TYPE_BOOL: return oid::bool_;
    case DBR_TYPE_INT64: return oid::int8;
    case DBR_TYPE_UINT64: return v.u.u64 <= static_cast<std::uint64_t>(INT64_MAX) ? oid::int8 : oid::numeric;
    case DBR_TYPE_DOUBLE: return oid::float8;
    case DBR_TYPE_BYTES: return oid::bytea;
    case DBR_TYPE_DECIMAL: return oid::numeric;
    case DBR_TYPE_DATE: return oid::date;
    case DBR_TYPE_TIME: return (v.flags & DBR_VF_HAS_OFFSET) ? oid::timetz : oid::time;
    case DBR_TYPE_TIMESTAMP: return oid::timestamp;
    case DBR_TYPE_TIMESTAMPTZ: return oid::timestamptz;
    case DBR_TYPE_INTERVAL: return oid::interval;
    case DBR_TYPE_UUID: return oid::uuid;
    case DBR_TYPE_ARRAY: {
      const dbr_array* a = v.u.arr;
      if (a == nullptr) return 0;
      for (std::uint64_t i = 0; i < a->count; ++i)
        if (a->items[i].type != DBR_TYPE_NULL) {
          // A nested array has the type of its leaves' array (int8[] for [[1]]).
          Oid e = natural_type(a->items[i]);
          if (a->items[i].type == DBR_TYPE_ARRAY) return e;
          return e != 0 ? array_of(e) : array_of(oid::text);
        }
      return 0;
    }
    default: return 0;  // text and json: let the server infer from context
  }
}

void render_text(const dbr_value& v, std::string& b) {
  char tmp[128];
  std::size_t n = 0;
  switch (v.type) {
    case DBR_TYPE_NULL: return;
    case DBR_TYPE_BOOL: b += v.u.i64 ? "true" : "false"; return;
    case DBR_TYPE_INT64: {
      auto r = std::to_chars(tmp, tmp + sizeof tmp, v.u.i64);
      b.append(tmp, r.ptr);
      return;
    }
    case DBR_TYPE_UINT64: {
      auto r = std::to_chars(tmp, tmp + sizeof tmp, v.u.u64);
      b.append(tmp, r.ptr);
      return;
    }
    case DBR_TYPE_DOUBLE: {
      const double d = v.u.f64;
      if (std::isnan(d)) {
        b += "NaN";
      } else if (std::isinf(d)) {
        b += d > 0 ? "Infinity" : "-Infinity";
      } else {
        auto r = std::to_chars(tmp, tmp + sizeof tmp, d);  // shortest exact round trip
        b.append(tmp, r.ptr);
      }
      return;
    }
    case DBR_TYPE_TEXT:
    case DBR_TYPE_DECIMAL:
    case DBR_TYPE_JSON: b += str_of(v); return;
    case DBR_TYPE_BYTES: {
      static const char hex[] = "0123456789abcdef";
      b += "\\x";
      for (std::uint64_t i = 0; i < v.u.bin.len; ++i) {
        b.push_back(hex[v.u.bin.ptr[i] >> 4]);
        b.push_back(hex[v.u.bin.ptr[i] & 15]);
      }
      return;
    }
    case DBR_TYPE_DATE:
    case DBR_TYPE_TIMESTAMP:
    case DBR_TYPE_TIMESTAMPTZ:
    case DBR_TYPE_TIME:
      b.append(tmp, sdk::format_temporal(v, tmp));
      return;
    case DBR_TYPE_INTERVAL: {
      int w = std::snprintf(tmp, sizeof tmp, "%d mons %d days %lld microseconds", v.u.iv.months, v.u.iv.days,
                            static_cast<long long>(v.u.iv.micros));
      b.append(tmp, static_cast<std::size_t>(w > 0 ? w : 0));
      return;
    }
    case DBR_TYPE_UUID:
      n = sdk::format_uuid(v.u.uuid, tmp);
      b.append(tmp, n);
      return;
    case DBR_TYPE_ARRAY: {
      const dbr_array* a = v.u.arr;
      b.push_back('{');
      for (std::uint64_t i = 0; a != nullptr && i < a->count; ++i) {
        if (i) b.push_back(',');
        if (a->items[i].type == DBR_TYPE_NULL) {
          b += "NULL";
          continue;
        }
        if (a->items[i].type == DBR_TYPE_ARRAY) {  // a sub-array is written bare: {{1,2},{3,4}}
          render_text(a->items[i], b);
          continue;
        }
        std::string el;
        render_text(a->items[i], el);
        b.push_back('"');
        for (char ch : el) {
          if (ch == '"' || ch == '\\') b.push_back('\\');
          b.push_back(ch);
        }
        b.push_back('"');
      }
      b.push_back('}');
      return;
    }
    default:
      throw sdk::error(DBR_CAT_DATA, "postgres: value of unknown type tag " + std::to_string(v.type));
  }
}

bool encode_binary(Oid target, const dbr_value& v, std::string& b) {
  const std::uint32_t t = v.type;
  const bool integral = t == DBR_TYPE_INT64 || t == DBR_TYPE_BOOL ||
                        (t == DBR_TYPE_UINT64 && v.u.u64 <= static_cast<std::uint64_t>(INT64_MAX));
  auto in_range = [&](std::int64_t lo, std::int64_t hi) { return integral && v.u.i64 >= lo && v.u.i64 <= hi; };
  switch (target) {
    case oid::bool_:
      if (t != DBR_TYPE_BOOL && t != DBR_TYPE_INT64) return false;
      b.push_back(v.u.i64 != 0 ? 1 : 0);
      return true;
    case oid::int2:
      if (!in_range(INT16_MIN, INT16_MAX)) return false;
      put16(b, static_cast<std::uint16_t>(v.u.i64));
      return true;
    case oid::int4:
      if (!in_range(INT32_MIN, INT32_MAX)) return false;
      put32(b, static_cast<std::uint32_t>(v.u.i64));
      return true;
    case oid::oid_:
      if (!in_range(0, UINT32_MAX)) return false;
      put32(b, static_cast<std::uint32_t>(v.u.i64));
      return true;
    case oid::int8:
      if (!integral) return false;
      put64(b, static_cast<std::uint64_t>(v.u.i64));
      return true;
    case oid::float4:
    case oid::float8: {
      double d;
      if (t == DBR_TYPE_DOUBLE)
        d = v.u.f64;
      else if (integral)
        d = static_cast<double>(v.u.i64);
      else
        return false;
      if (target == oid::float4) {
        float f = static_cast<float>(d);
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        put32(b, u);
      } else {
        std::uint64_t u;
        std::memcpy(&u, &d, 8);
        put64(b, u);
      }
      return true;
    }
    case oid::numeric: {
      if (t == DBR_TYPE_DECIMAL || t == DBR_TYPE_TEXT) return encode_numeric(str_of(v), b);
      if (t == DBR_TYPE_INT64 || t == DBR_TYPE_UINT64 || t == DBR_TYPE_DOUBLE) {
        std::string s;
        render_text(v, s);
        return encode_numeric(s, b);
      }
      return false;
    }
    case oid::bytea:
      if (t == DBR_TYPE_BYTES) {
        b.append(reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len));
        return true;
      }
      if (t == DBR_TYPE_TEXT) {
        b += str_of(v);
        return true;
      }
      return false;
    case oid::jsonb:
      if (t != DBR_TYPE_JSON && t != DBR_TYPE_TEXT) return false;
      b.push_back(1);
      b += str_of(v);
      return true;
    case oid::uuid:
      if (t != DBR_TYPE_UUID) return false;
      b.append(reinterpret_cast<const char*>(v.u.uuid), 16);
      return true;
    case oid::date: {
      if (t != DBR_TYPE_DATE) return false;
      std::int64_t d = 0;
      if (v.flags & DBR_VF_POS_INFINITY)
        d = INT32_MAX;
      else if (v.flags & DBR_VF_NEG_INFINITY)
        d = INT32_MIN;
      else if (__builtin_sub_overflow(v.u.ts.micros, pg_epoch_days, &d) || d <= INT32_MIN || d >= INT32_MAX)
        return false;
      put32(b, static_cast<std::uint32_t>(d));
      return true;
    }
    case oid::timestamp:
    case oid::timestamptz: {
      if (t != (target == oid::timestamp ? DBR_TYPE_TIMESTAMP : DBR_TYPE_TIMESTAMPTZ)) return false;
      std::int64_t us = 0;
      if (v.flags & DBR_VF_POS_INFINITY)
        us = INT64_MAX;
      else if (v.flags & DBR_VF_NEG_INFINITY)
        us = INT64_MIN;
      else if (__builtin_sub_overflow(v.u.ts.micros, pg_epoch_micros, &us) || us < pg_min_timestamp)
        // Sent as it is, such a value would wrap into a valid one (or the
        // -infinity sentinel). Parameters are refused by
        // check_timestamp_param; COPY reports the cell.
        return false;
      put64(b, static_cast<std::uint64_t>(us));
      return true;
    }
    case oid::time:
      if (t != DBR_TYPE_TIME) return false;
      put64(b, static_cast<std::uint64_t>(time_or_ts(v)));
      return true;
    case oid::timetz:
      if (t != DBR_TYPE_TIME) return false;
      put64(b, static_cast<std::uint64_t>(time_or_ts(v)));
      put32(b, static_cast<std::uint32_t>(-((v.flags & DBR_VF_HAS_OFFSET) ? v.u.ts.offset_s : 0)));
      return true;
    case oid::inet:
    case oid::cidr: {
      if (t != DBR_TYPE_TEXT) return false;
      std::string text(str_of(v));
      int bits = -1;
      if (std::size_t slash = text.find('/'); slash != std::string::npos) {
        auto r = std::from_chars(text.data() + slash + 1, text.data() + text.size(), bits);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return false;
        text.resize(slash);
      }
      unsigned char addr[16];
      const bool v6 = text.find(':') != std::string::npos;
      if (inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), addr) != 1) return false;
      const int max = v6 ? 128 : 32;
      if (bits < 0) bits = max;
      if (bits > max) return false;
      b.push_back(static_cast<char>(v6 ? AF_INET + 1 : AF_INET));
      b.push_back(static_cast<char>(bits));
      b.push_back(target == oid::cidr ? 1 : 0);
      b.push_back(static_cast<char>(v6 ? 16 : 4));
      b.append(reinterpret_cast<const char*>(addr), v6 ? 16 : 4);
      return true;
    }
    case oid::interval:
      if (t != DBR_TYPE_INTERVAL) return false;
      put64(b, static_cast<std::uint64_t>(v.u.iv.micros));
      put32(b, static_cast<std::uint32_t>(v.u.iv.days));
      put32(b, static_cast<std::uint32_t>(v.u.iv.months));
      return true;
    default:
      break;
  }
  if (is_text_like(target) && target != oid::unspecified) {
    if (t == DBR_TYPE_TEXT || t == DBR_TYPE_JSON || t == DBR_TYPE_DECIMAL) {
      b += str_of(v);
      return true;
    }
    if (t == DBR_TYPE_BYTES) {
      b.append(reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len));
      return true;
    }
    if (t == DBR_TYPE_ARRAY) return false;
    render_text(v, b);
    return true;
  }
  const Oid elem = array_element(target);
  if (elem == 0 || t != DBR_TYPE_ARRAY || v.u.arr == nullptr) return false;
  const std::vector<std::uint32_t> dims = array_shape(v);
  const bool empty = dims.empty() || std::find(dims.begin(), dims.end(), 0u) != dims.end();
  bool has_null = false;
  if (!empty) for_each_leaf(v, [&](const dbr_value& x) { has_null |= x.type == DBR_TYPE_NULL; });
  const std::size_t start = b.size();
  put32(b, empty ? 0 : static_cast<std::uint32_t>(dims.size()));
  put32(b, has_null ? 1 : 0);
  put32(b, elem);
  if (empty) return true;
  for (std::uint32_t d : dims) {
    put32(b, d);
    put32(b, 1);
  }
  bool ok = true;
  for_each_leaf(v, [&](const dbr_value& x) {
    if (!ok) return;
    if (x.type == DBR_TYPE_NULL) {
      put32(b, 0xFFFFFFFFu);
      return;
    }
    const std::size_t at = b.size();
    put32(b, 0);
    if (!encode_binary(elem, x, b)) {
      ok = false;
      return;
    }
    const std::uint32_t n = static_cast<std::uint32_t>(b.size() - at - 4);
    std::string len;
    put32(len, n);
    b.replace(at, 4, len);
  });
  if (!ok) b.resize(start);
  return ok;
}

void check_param_count(std::uint64_t n, bool placeholder) {
  const std::size_t limit = placeholder ? max_described_params : max_params;
  if (n <= limit) return;
  std::string msg = placeholder ? "postgres: the statement uses parameter $" + std::to_string(n) +
                                      "; a prepared statement takes at most " + std::to_string(limit) +
                                      " parameters (libpq cannot read a longer parameter description; "
                                      "PostgreSQL's own limit is " + std::to_string(max_params) + ")"
                                : "postgres: " + std::to_string(n) + " parameters were given; PostgreSQL takes at most " +
                                      std::to_string(limit) + " per statement";
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT, std::move(msg) + "; nothing was sent")
      .field(DBR_ERRF_HINT, "split the statement, or pass the values as one array parameter (= ANY($1))");
}

void refuse_nul(std::string_view text, std::string_view what, const char* hint) {
  const std::size_t nul = text.find('\0');
  if (nul == std::string_view::npos) [[likely]] return;
  throw sdk::error(DBR_CAT_DATA, "postgres: " + std::string(what) + " holds a NUL byte at offset " +
                                     std::to_string(nul) +
                                     "; PostgreSQL text cannot store it, and it was not sent (it would have been cut "
                                     "there)")
      .subcategory(DBR_SUB_NUL_BYTE)
      .field(DBR_ERRF_HINT, hint);
}

void check_text_param(std::string_view text, std::size_t index) {
  if (text.find('\0') == std::string_view::npos) [[likely]] return;
  refuse_nul(text, "parameter $" + std::to_string(index),
             "remove the NUL byte, or store the value as bytea (pass it as bytes)");
}

void check_timestamp_param(Oid target, const dbr_value& v, std::size_t index) {
  if ((target != oid::timestamp && target != oid::timestamptz) ||
      (v.type != DBR_TYPE_TIMESTAMP && v.type != DBR_TYPE_TIMESTAMPTZ) ||
      (v.flags & (DBR_VF_POS_INFINITY | DBR_VF_NEG_INFINITY)) || v.u.ts.micros >= pg_min_timestamp + pg_epoch_micros)
    [[likely]] return;
  std::string shown;
  render_text(v, shown);
  throw sdk::error(DBR_CAT_DATA, "postgres: parameter $" + std::to_string(index) + ", the timestamp " + shown +
                                     ", lies before PostgreSQL's first timestamp (4714-11-24 00:00:00 BC); it was "
                                     "not sent")
      .sqlstate("22008");
}

int encode_param(Oid target, const dbr_value& v, std::string& b, std::size_t index) {
  b.clear();
  check_timestamp_param(target, v, index);
  if (v.type == DBR_TYPE_ARRAY) array_shape(v);  // a ragged one fails here, whatever the format
  // Text targets and numerics take text: identical bytes, or the server's
  // own exact parser.
  if (!is_text_like(target) && target != oid::numeric && encode_binary(target, v, b)) return 1;
  b.clear();
  if (v.type == DBR_TYPE_BYTES && is_text_like(target)) {
    b.append(reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len));
  } else {
    render_text(v, b);
  }
  check_text_param(b, index);
  return 0;
}

}  // namespace dbridge_postgres
