// SPDX-License-Identifier: Apache-2.0
// Column-wise array binding, shared by the bulk insert (my_copy.cpp) and
// statement batches (my_batch.cpp): one MYSQL_BIND per column pointing at an
// array of values, an indicator array for NULLs.
#include <cstring>
#include <string>

#include "my_plugin.hpp"

namespace dbridge_mysql {

namespace {
// Values that bind as one MYSQL_TYPE_* share a class; a batch's column holds one class.
enum bind_class : int { none = 0, c_int, c_uint, c_double, c_text, c_decimal, c_bytes, c_date, c_time, c_datetime };
}  // namespace

int array_binder::class_of(std::uint32_t tag) {
  switch (tag) {
    case DBR_TYPE_NULL: return none;
    case DBR_TYPE_BOOL:
    case DBR_TYPE_INT64: return c_int;
    case DBR_TYPE_UINT64: return c_uint;
    case DBR_TYPE_DOUBLE: return c_double;
    case DBR_TYPE_TEXT:
    case DBR_TYPE_JSON:
    case DBR_TYPE_UUID: return c_text;
    case DBR_TYPE_DECIMAL: return c_decimal;
    case DBR_TYPE_BYTES: return c_bytes;
    case DBR_TYPE_DATE: return c_date;
    case DBR_TYPE_TIME: return c_time;
    case DBR_TYPE_TIMESTAMP:
    case DBR_TYPE_TIMESTAMPTZ: return c_datetime;
    default:
      throw sdk::error(DBR_CAT_DATA, std::string("mysql: a ") + sdk::type_name(tag) +
                                         " value cannot be sent to MySQL; pass it as text")
          .sqlstate("22000");
  }
}

bool array_binder::fits(const dbr_value* row, std::span<const std::uint32_t> order) const {
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    const int k = class_of(row[order.empty() ? i : order[i]].type);
    if (k != none && classes_[i] != none && classes_[i] != k) return false;
  }
  return true;
}

void array_binder::note(const dbr_value* row, std::span<const std::uint32_t> order) {
  for (std::size_t i = 0; i < classes_.size(); ++i)
    if (classes_[i] == none) classes_[i] = class_of(row[order.empty() ? i : order[i]].type);
}

bool array_binder::bind(MYSQL_STMT* s, const dbr_value* rows, std::size_t n, std::size_t width,
                        std::span<const std::uint32_t> order, const session_zone& zone) {
  const std::size_t ncols = classes_.size();
  cols_.resize(ncols);
  binds_.assign(ncols, MYSQL_BIND{});
  rendered_.clear();
  for (std::size_t c = 0; c < ncols; ++c) {
    column& col = cols_[c];
    MYSQL_BIND& b = binds_[c];
    const std::size_t src = order.empty() ? c : order[c];
    col.ind.assign(n, STMT_INDICATOR_NONE);
    const int k = classes_[c];
    switch (k) {
      case c_int:
      case c_uint:
        col.ll.resize(n);
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.is_unsigned = k == c_uint ? 1 : 0;
        b.buffer = col.ll.data();
        break;
      case c_double:
        col.dd.resize(n);
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = col.dd.data();
        break;
      case c_date:
      case c_time:
      case c_datetime:
        // Connector/C steps through fixed-size types only; temporals,
        // like strings, go as an array of pointers.
        col.tt.resize(n);
        col.tp.resize(n);
        for (std::size_t r = 0; r < n; ++r) col.tp[r] = &col.tt[r];
        b.buffer_type = k == c_date ? MYSQL_TYPE_DATE : k == c_time ? MYSQL_TYPE_TIME : MYSQL_TYPE_DATETIME;
        b.buffer = col.tp.data();
        break;
      default:  // text, decimal, bytes, or a column of NULLs only
        col.pp.resize(n);
        col.len.resize(n);
        b.buffer_type = k == c_bytes ? MYSQL_TYPE_BLOB : k == c_decimal ? MYSQL_TYPE_NEWDECIMAL : MYSQL_TYPE_STRING;
        b.buffer = col.pp.data();
        b.length = col.len.data();
        break;
    }
    b.u.indicator = col.ind.data();
    for (std::size_t r = 0; r < n; ++r) {
      const dbr_value& v = rows[r * width + src];
      if (v.type == DBR_TYPE_NULL) {
        col.ind[r] = STMT_INDICATOR_NULL;
        if (b.buffer == col.pp.data()) {
          col.pp[r] = nullptr;
          col.len[r] = 0;
        }
        continue;
      }
      switch (k) {
        case c_int: col.ll[r] = v.type == DBR_TYPE_BOOL ? (v.u.i64 != 0 ? 1 : 0) : v.u.i64; break;
        case c_uint: col.ll[r] = static_cast<long long>(v.u.u64); break;
        case c_double: col.dd[r] = v.u.f64; break;
        case c_date:
        case c_time:
        case c_datetime: to_mysql_time(v, col.tt[r], zone); break;
        case c_bytes:
          col.pp[r] = const_cast<char*>(reinterpret_cast<const char*>(v.u.bin.ptr));
          col.len[r] = static_cast<unsigned long>(v.u.bin.len);
          break;
        default:
          if (v.type == DBR_TYPE_UUID) {
            std::string& text = rendered_.emplace_back(render_text(v));
            col.pp[r] = text.data();
            col.len[r] = static_cast<unsigned long>(text.size());
            break;
          }
          // Connector/C only reads the buffer; the cast is what its C API asks for.
          col.pp[r] = const_cast<char*>(v.u.str.ptr != nullptr ? v.u.str.ptr : "");
          col.len[r] = static_cast<unsigned long>(v.u.str.len);
          break;
      }
    }
  }
  unsigned int size = static_cast<unsigned int>(n);
  return mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &size) == 0 &&
         (ncols == 0 || mysql_stmt_bind_param(s, binds_.data()) == 0);
}

void array_binder::unbind(MYSQL_STMT* s) noexcept {
  unsigned int size = 0;
  mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &size);
}

}  // namespace dbridge_mysql
