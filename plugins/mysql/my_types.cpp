// SPDX-License-Identifier: Apache-2.0
// Values both ways through MYSQL_BIND: parameters bound in their native
// binary form (no text round trip for numbers and dates), results decoded
// from reusable per-column buffers that grow once for long values.
#include <dbridge/sdk/convert.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "my_plugin.hpp"

namespace dbridge_mysql {

// ------------------------------------------------------------ parameters
namespace {

constexpr std::int64_t micros_per_day = 86'400'000'000LL;

void fill_date(std::int64_t days, MYSQL_TIME& t) {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  sdk::civil_from_days(days, y, m, d);
  if (y < 0 || y > 9999)
    throw sdk::error(DBR_CAT_DATA, "mysql: year " + std::to_string(y) + " is outside MySQL's range 0000-9999")
        .sqlstate("22008");
  t.year = static_cast<unsigned>(y);
  t.month = m;
  t.day = d;
}

void fill_datetime(std::int64_t micros, MYSQL_TIME& t) {
  std::int64_t days = micros / micros_per_day, rest = micros % micros_per_day;
  if (rest < 0) {
    rest += micros_per_day;
    --days;
  }
  fill_date(days, t);
  const std::int64_t sec = rest / 1'000'000;
  t.hour = static_cast<unsigned>(sec / 3600);
  t.minute = static_cast<unsigned>(sec / 60 % 60);
  t.second = static_cast<unsigned>(sec % 60);
  t.second_part = static_cast<unsigned long>(rest % 1'000'000);
  t.time_type = MYSQL_TIMESTAMP_DATETIME;
}

}  // namespace

session_zone session_zone::parse(std::string_view name) {
  session_zone z;
  z.name = name;
  z.offset_s.reset();
  // MariaDB spells a fixed offset [+-]HH:MM; UTC itself has no offset either.
  if (name == "UTC" || name == "Etc/UTC") {
    z.offset_s = 0;
  } else if (name.size() == 6 && (name[0] == '+' || name[0] == '-') && name[3] == ':') {
    auto digit = [&](std::size_t i) { return name[i] >= '0' && name[i] <= '9' ? name[i] - '0' : -1; };
    const int h1 = digit(1), h2 = digit(2), m1 = digit(4), m2 = digit(5);
    if (h1 >= 0 && h2 >= 0 && m1 >= 0 && m2 >= 0) {
      const std::int32_t s = ((h1 * 10 + h2) * 60 + m1 * 10 + m2) * 60;
      z.offset_s = name[0] == '-' ? -s : s;
    }
  }
  return z;
}

std::int32_t session_zone::offset(std::string_view what) const {
  if (offset_s) return *offset_s;
  throw sdk::error(DBR_CAT_DATA, "mysql: " + std::string(what) + " in the session time_zone '" + name +
                                     "', a named zone whose offset changes (DST), so the instant is ambiguous; "
                                     "SET time_zone to a fixed offset such as '+00:00'")
      .sqlstate("22009");
}

enum_field_types to_mysql_time(const dbr_value& v, MYSQL_TIME& t, const session_zone& zone) {
  std::memset(&t, 0, sizeof t);
  if ((v.flags & (DBR_VF_POS_INFINITY | DBR_VF_NEG_INFINITY)) != 0)
    throw sdk::error(DBR_CAT_DATA, "mysql: MySQL has no infinite dates or timestamps").sqlstate("22008");
  switch (v.type) {
    case DBR_TYPE_DATE:
      fill_date(v.u.ts.micros, t);
      t.time_type = MYSQL_TIMESTAMP_DATE;
      return MYSQL_TYPE_DATE;
    case DBR_TYPE_TIME: {
      std::int64_t m = v.u.ts.micros;
      if ((v.flags & DBR_VF_HAS_OFFSET) != 0)
        throw sdk::error(DBR_CAT_DATA, "mysql: TIME has no zone offset; pass a time without one").sqlstate("22008");
      if (m < 0) {
        t.neg = 1;
        m = -m;
      }
      const std::int64_t sec = m / 1'000'000;
      if (sec / 3600 > 838)
        throw sdk::error(DBR_CAT_DATA, "mysql: a TIME value lies within +-838:59:59").sqlstate("22008");
      // The binary protocol carries days and a one-byte hour.
      t.day = static_cast<unsigned>(sec / 86400);
      t.hour = static_cast<unsigned>(sec / 3600 % 24);
      t.minute = static_cast<unsigned>(sec / 60 % 60);
      t.second = static_cast<unsigned>(sec % 60);
      t.second_part = static_cast<unsigned long>(m % 1'000'000);
      t.time_type = MYSQL_TIMESTAMP_TIME;
      return MYSQL_TYPE_TIME;
    }
    case DBR_TYPE_TIMESTAMP:
      fill_datetime(v.u.ts.micros, t);
      return MYSQL_TYPE_DATETIME;
    case DBR_TYPE_TIMESTAMPTZ:
      // The server takes it as wall time in the session's zone.
      fill_datetime(v.u.ts.micros + std::int64_t{zone.offset("cannot send a TIMESTAMPTZ")} * 1'000'000, t);
      return MYSQL_TYPE_DATETIME;
    default:
      throw sdk::error(DBR_CAT_INTERNAL, "mysql: not a temporal value");
  }
}

std::string render_text(const dbr_value& v) {
  if (v.type == DBR_TYPE_UUID) {
    char buf[40];
    const std::size_t n = sdk::format_uuid(v.u.uuid, buf);
    return std::string(buf, n);
  }
  throw sdk::error(DBR_CAT_DATA, std::string("mysql: a ") + sdk::type_name(v.type) + " value has no MySQL equivalent");
}

void param_binder::resize(std::size_t n) {
  binds_.assign(n, MYSQL_BIND{});
  slots_.assign(n, slot{});
  text_.resize(n);
}

void param_binder::set(std::size_t i, const dbr_value& v, std::size_t user_index, const session_zone& zone) {
  MYSQL_BIND& b = binds_[i];
  slot& s = slots_[i];
  std::memset(&b, 0, sizeof b);
  s.is_null = 0;
  b.is_null = &s.is_null;
  b.length = &s.length;
  switch (v.type) {
    case DBR_TYPE_NULL:
      b.buffer_type = MYSQL_TYPE_NULL;
      s.is_null = 1;
      return;
    case DBR_TYPE_BOOL:
      s.b = v.u.i64 != 0 ? 1 : 0;
      b.buffer_type = MYSQL_TYPE_TINY;
      b.buffer = &s.b;
      return;
    case DBR_TYPE_INT64:
      s.i = v.u.i64;
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &s.i;
      return;
    case DBR_TYPE_UINT64:
      s.i = static_cast<long long>(v.u.u64);
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.is_unsigned = 1;
      b.buffer = &s.i;
      return;
    case DBR_TYPE_DOUBLE:
      // The server answers a bare "Out of range value" (1264): say which value and why.
      if (!std::isfinite(v.u.f64))
        throw sdk::error(DBR_CAT_DATA, "mysql: parameter " + std::to_string(user_index) + " is " +
                                           (std::isnan(v.u.f64) ? "NaN" : v.u.f64 > 0 ? "Infinity" : "-Infinity") +
                                           ", which MariaDB and MySQL cannot store in a DOUBLE; store NULL instead")
            .sqlstate("22003");
      s.d = v.u.f64;
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &s.d;
      return;
    case DBR_TYPE_TEXT:
    case DBR_TYPE_JSON:
    case DBR_TYPE_DECIMAL:
    case DBR_TYPE_BYTES:
      b.buffer_type = v.type == DBR_TYPE_BYTES     ? MYSQL_TYPE_BLOB
                      : v.type == DBR_TYPE_DECIMAL ? MYSQL_TYPE_NEWDECIMAL
                                                   : MYSQL_TYPE_STRING;
      // Connector/C only reads the buffer; the cast is what its C API asks for.
      b.buffer = const_cast<char*>(v.type == DBR_TYPE_BYTES ? reinterpret_cast<const char*>(v.u.bin.ptr) : v.u.str.ptr);
      s.length = static_cast<unsigned long>(v.type == DBR_TYPE_BYTES ? v.u.bin.len : v.u.str.len);
      b.buffer_length = s.length;
      if (b.buffer == nullptr) b.buffer = const_cast<char*>("");
      return;
    case DBR_TYPE_DATE:
    case DBR_TYPE_TIME:
    case DBR_TYPE_TIMESTAMP:
    case DBR_TYPE_TIMESTAMPTZ:
      try {
        b.buffer_type = to_mysql_time(v, s.t, zone);
      } catch (sdk::error& e) {
        throw sdk::error(e.category(), std::string(e.what()) + " (parameter " + std::to_string(user_index) + ")")
            .sqlstate("22008");
      }
      b.buffer = &s.t;
      return;
    case DBR_TYPE_UUID:
      text_[i] = render_text(v);
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = text_[i].data();
      s.length = static_cast<unsigned long>(text_[i].size());
      b.buffer_length = s.length;
      return;
    default:
      throw sdk::error(DBR_CAT_DATA, "mysql: parameter " + std::to_string(user_index) + " is of type " +
                                         sdk::type_name(v.type) +
                                         ", which MySQL cannot take; pass it as text (an array as JSON text)")
          .sqlstate("22000");
  }
}

// ------------------------------------------------------------ results
namespace {

bool is_json(const MYSQL_FIELD& f) {
  if (static_cast<int>(f.type) == MYSQL_TYPE_JSON) return true;
  MARIADB_CONST_STRING attr{};
  return mariadb_field_attr(&attr, &f, MARIADB_FIELD_ATTR_FORMAT_NAME) == 0 && attr.length == 4 &&
         std::memcmp(attr.str, "json", 4) == 0;
}


std::uint32_t tag_of(kind k) noexcept {
  switch (k) {
    case kind::int64: return DBR_TYPE_INT64;
    case kind::uint64:
    case kind::bit: return DBR_TYPE_UINT64;
    case kind::float64: return DBR_TYPE_DOUBLE;
    case kind::decimal: return DBR_TYPE_DECIMAL;
    case kind::text: return DBR_TYPE_TEXT;
    case kind::bytes: return DBR_TYPE_BYTES;
    case kind::json: return DBR_TYPE_JSON;
    case kind::date: return DBR_TYPE_DATE;
    case kind::time: return DBR_TYPE_TIME;
    case kind::datetime: return DBR_TYPE_TIMESTAMP;
    case kind::timestamp: return DBR_TYPE_TIMESTAMPTZ;
  }
  return DBR_TYPE_TEXT;
}

}  // namespace

std::string native_name(const MYSQL_FIELD& f) {
  const bool binary = f.charsetnr == 63;
  const bool uns = (f.flags & UNSIGNED_FLAG) != 0;
  std::string n;
  switch (f.type) {
    case MYSQL_TYPE_TINY: n = "TINYINT"; break;
    case MYSQL_TYPE_SHORT: n = "SMALLINT"; break;
    case MYSQL_TYPE_INT24: n = "MEDIUMINT"; break;
    case MYSQL_TYPE_LONG: n = "INT"; break;
    case MYSQL_TYPE_LONGLONG: n = "BIGINT"; break;
    case MYSQL_TYPE_YEAR: return "YEAR";
    case MYSQL_TYPE_BIT: return "BIT";
    case MYSQL_TYPE_FLOAT: n = "FLOAT"; break;
    case MYSQL_TYPE_DOUBLE: n = "DOUBLE"; break;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: n = "DECIMAL"; break;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: return "DATE";
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_TIME2: return "TIME";
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATETIME2: return "DATETIME";
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2: return "TIMESTAMP";
    case MYSQL_TYPE_NULL: return "NULL";
    case MYSQL_TYPE_GEOMETRY: return "GEOMETRY";
    case MYSQL_TYPE_JSON: return "JSON";
    case MYSQL_TYPE_ENUM: return "ENUM";
    case MYSQL_TYPE_SET: return "SET";
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
      if (is_json(f)) return "JSON";
      return binary ? "BLOB" : "TEXT";
    case MYSQL_TYPE_STRING:
      if ((f.flags & ENUM_FLAG) != 0) return "ENUM";
      if ((f.flags & SET_FLAG) != 0) return "SET";
      return binary ? "BINARY" : "CHAR";
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_VARCHAR:
      if (is_json(f)) return "JSON";
      return binary ? "VARBINARY" : "VARCHAR";
    default: return "UNKNOWN(" + std::to_string(static_cast<int>(f.type)) + ")";
  }
  return uns ? n + " UNSIGNED" : n;
}

column_plan::shape column_plan::shape_of(const MYSQL_FIELD& f) {
  return {f.type, f.flags, f.charsetnr, f.decimals, f.length, is_json(f)};
}

bool column_plan::describes(MYSQL_RES* meta) const {
  const unsigned n = meta != nullptr ? mysql_num_fields(meta) : 0;
  if (n != shapes_.size()) return false;
  const MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  for (unsigned i = 0; i < n; ++i) {
    const MYSQL_FIELD& f = fields[i];
    if (!(shape_of(f) == shapes_[i]) || std::string_view(f.name, f.name_length) != names_[i]) return false;
  }
  return true;
}

void column_plan::build(MYSQL_RES* meta, zero_date_mode zero_date, const session_zone& zone) {
  zero_date_ = zero_date;
  zone_ = &zone;
  const unsigned n = meta != nullptr ? mysql_num_fields(meta) : 0;
  const MYSQL_FIELD* fields = meta != nullptr ? mysql_fetch_fields(meta) : nullptr;
  names_.assign(n, std::string());
  natives_.assign(n, std::string());
  shapes_.clear();
  kinds_.assign(n, kind::text);
  binds_.assign(n, MYSQL_BIND{});
  bufs_.clear();
  bufs_.resize(n);
  cols_.clear();
  for (unsigned i = 0; i < n; ++i) {
    const MYSQL_FIELD& f = fields[i];
    names_[i].assign(f.name, f.name_length);
    natives_[i] = native_name(f);
    shapes_.push_back(shape_of(f));
    MYSQL_BIND& b = binds_[i];
    buffer& buf = bufs_[i];
    b.is_null = &buf.is_null;
    b.length = &buf.length;
    b.error = &buf.error;
    kind k = kind::text;
    switch (f.type) {
      case MYSQL_TYPE_TINY:
      case MYSQL_TYPE_SHORT:
      case MYSQL_TYPE_INT24:
      case MYSQL_TYPE_LONG:
      case MYSQL_TYPE_LONGLONG:
      case MYSQL_TYPE_YEAR:
        k = f.type == MYSQL_TYPE_LONGLONG && (f.flags & UNSIGNED_FLAG) != 0 ? kind::uint64 : kind::int64;
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.is_unsigned = (f.flags & UNSIGNED_FLAG) != 0 ? 1 : 0;
        b.buffer = &buf.i;
        break;
      case MYSQL_TYPE_FLOAT:
      case MYSQL_TYPE_DOUBLE:
        k = kind::float64;
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &buf.d;
        break;
      case MYSQL_TYPE_DATE:
      case MYSQL_TYPE_NEWDATE:
        k = kind::date;
        b.buffer_type = MYSQL_TYPE_DATE;
        b.buffer = &buf.t;
        break;
      case MYSQL_TYPE_TIME:
      case MYSQL_TYPE_TIME2:
        k = kind::time;
        b.buffer_type = MYSQL_TYPE_TIME;
        b.buffer = &buf.t;
        break;
      case MYSQL_TYPE_DATETIME:
      case MYSQL_TYPE_DATETIME2:
        k = kind::datetime;
        b.buffer_type = MYSQL_TYPE_DATETIME;
        b.buffer = &buf.t;
        break;
      case MYSQL_TYPE_TIMESTAMP:
      case MYSQL_TYPE_TIMESTAMP2:
        k = kind::timestamp;
        b.buffer_type = MYSQL_TYPE_TIMESTAMP;
        b.buffer = &buf.t;
        break;
      default: {
        if (f.type == MYSQL_TYPE_BIT)
          k = kind::bit;
        else if (f.type == MYSQL_TYPE_DECIMAL || f.type == MYSQL_TYPE_NEWDECIMAL)
          k = kind::decimal;
        else if (is_json(f))
          k = kind::json;
        else if (f.charsetnr == 63 || f.type == MYSQL_TYPE_GEOMETRY)
          k = kind::bytes;
        // Start small (TEXT columns announce gigabytes); long values grow the buffer once.
        std::size_t cap = f.length + 1;
        if (cap < 16) cap = 16;
        if (cap > 1024) cap = 1024;
        buf.s.resize(cap);
        b.buffer_type = k == kind::bytes || k == kind::bit ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
        b.buffer = buf.s.data();
        b.buffer_length = static_cast<unsigned long>(cap);
        break;
      }
    }
    kinds_[i] = k;
    const bool temporal = k == kind::date || k == kind::datetime || k == kind::timestamp;
    const bool not_null = (f.flags & NOT_NULL_FLAG) != 0 && !temporal;  // zero dates read as NULL
    dbr_column col = sdk::make_column(names_[i].c_str(), tag_of(k), natives_[i].c_str(),
                                      not_null ? DBR_NULLABLE_NO : DBR_NULLABLE_YES);
    if (k == kind::decimal) {
      col.scale = static_cast<std::int32_t>(f.decimals);
      col.precision = static_cast<std::int32_t>(f.length) - (f.decimals > 0 ? 1 : 0) -
                      ((f.flags & UNSIGNED_FLAG) != 0 ? 0 : 1);
    }
    if (k == kind::bytes) col.max_length = static_cast<std::int64_t>(f.length);
    cols_.push_back(col);
  }
  rebind_ = false;
}

void column_plan::bind(MYSQL_STMT* stmt) {
  if (binds_.empty()) return;
  if (mysql_stmt_bind_result(stmt, binds_.data()) != 0)
    throw sdk::error(DBR_CAT_INTERNAL, std::string("mysql: binding result columns failed: ") + mysql_stmt_error(stmt))
        .native(mysql_stmt_errno(stmt), native_domain);
  rebind_ = false;
}

bool decode_temporal(kind k, const MYSQL_TIME& t, dbr_value& out) {
  if (k == kind::time) {
    const std::int64_t secs = ((static_cast<std::int64_t>(t.day) * 24 + t.hour) * 60 + t.minute) * 60 + t.second;
    std::int64_t micros = secs * 1'000'000 + static_cast<std::int64_t>(t.second_part);
    if (t.neg) micros = -micros;
    out = sdk::make_temporal(DBR_TYPE_TIME, micros);
    return true;
  }
  if (t.month == 0 || t.day == 0 || t.month > 12) return false;
  const std::int64_t days = sdk::days_from_civil(t.year, t.month, t.day);
  if (k == kind::date) {
    out = sdk::make_temporal(DBR_TYPE_DATE, days);
    return true;
  }
  const std::int64_t micros = days * micros_per_day +
                              ((static_cast<std::int64_t>(t.hour) * 60 + t.minute) * 60 + t.second) * 1'000'000 +
                              static_cast<std::int64_t>(t.second_part);
  out = sdk::make_temporal(k == kind::timestamp ? DBR_TYPE_TIMESTAMPTZ : DBR_TYPE_TIMESTAMP, micros, 0);
  return true;
}

dbr_value column_plan::zero_date(std::size_t i) {
  buffer& buf = bufs_[i];
  const MYSQL_TIME& t = buf.t;
  // The server's own spelling, e.g. 2024-02-00 or 0000-00-00 00:00:00.
  char text[40];
  int n = std::snprintf(text, sizeof text, "%04u-%02u-%02u", t.year, t.month, t.day);
  if (kinds_[i] != kind::date) {
    n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), " %02u:%02u:%02u", t.hour, t.minute,
                       t.second);
    if (t.second_part != 0)
      n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ".%06lu", t.second_part);
  }
  switch (zero_date_) {
    case zero_date_mode::null: return sdk::make_null();
    case zero_date_mode::text:
      // buf.s is free for temporal columns (they bind buf.t); the cell borrows it.
      buf.s.assign(text, text + n);
      return sdk::make_text({buf.s.data(), buf.s.size()});
    case zero_date_mode::error: break;
  }
  throw sdk::error(DBR_CAT_DATA, "mysql: column '" + names_[i] + "' holds the zero date '" + std::string(text, n) +
                                     "', which names no day; add zero_date=null or zero_date=text to the URL to "
                                     "read such values as NULL or as text")
      .sqlstate("22007");
}

void column_plan::decode(MYSQL_STMT* stmt, bool truncated, dbr_value* out) {
  const std::size_t n = kinds_.size();
  for (std::size_t i = 0; i < n; ++i) {
    buffer& buf = bufs_[i];
    if (buf.is_null) {
      out[i] = sdk::make_null();
      continue;
    }
    const kind k = kinds_[i];
    switch (k) {
      case kind::int64: out[i] = sdk::make_int64(buf.i); continue;
      case kind::uint64: out[i] = sdk::make_uint64(static_cast<std::uint64_t>(buf.i)); continue;
      case kind::float64: out[i] = sdk::make_double(buf.d); continue;
      case kind::date:
      case kind::time:
      case kind::datetime:
      case kind::timestamp:
        if (!decode_temporal(k, buf.t, out[i])) {
          out[i] = zero_date(i);
        } else if (k == kind::timestamp) {
          // The server gave wall time in the session's zone; the cell is the UTC instant.
          const std::int32_t offset =
              zone_->offset_s ? *zone_->offset_s : zone_->offset("cannot read TIMESTAMP column '" + names_[i] + "'");
          out[i].u.ts.micros -= std::int64_t{offset} * 1'000'000;
        }
        continue;
      default: break;
    }
    if (truncated && buf.length > binds_[i].buffer_length) {
      // Grow to the full value and keep the size: the next long value fits.
      buf.s.resize(buf.length + 1);
      binds_[i].buffer = buf.s.data();
      binds_[i].buffer_length = static_cast<unsigned long>(buf.s.size());
      if (mysql_stmt_fetch_column(stmt, &binds_[i], static_cast<unsigned>(i), 0) != 0)
        throw sdk::error(DBR_CAT_INTERNAL, std::string("mysql: reading a long value failed: ") + mysql_stmt_error(stmt))
            .native(mysql_stmt_errno(stmt), native_domain);
      rebind_ = true;
    }
    const char* p = buf.s.data();
    const std::size_t len = buf.length;
    switch (k) {
      case kind::bit: {
        std::uint64_t v = 0;
        for (std::size_t j = 0; j < len; ++j) v = (v << 8) | static_cast<unsigned char>(p[j]);
        out[i] = sdk::make_uint64(v);
        break;
      }
      case kind::decimal: out[i] = sdk::make_decimal({p, len}); break;
      case kind::bytes: out[i] = sdk::make_bytes(p, len); break;
      case kind::json: out[i] = sdk::make_json({p, len}); break;
      default: out[i] = sdk::make_text({p, len}); break;
    }
  }
  if (rebind_) bind(stmt);
}

}  // namespace dbridge_mysql
