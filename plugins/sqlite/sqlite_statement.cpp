// SPDX-License-Identifier: Apache-2.0
// Prepared statements and their cursor: binding every dbridge type, one
// sqlite3_step per fetch, cells borrowed straight from SQLite's row buffer.
// The hot path (execute + fetch) allocates nothing once buffers are warm.
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>

#include <dbridge/sdk/convert.hpp>
#include <dbridge/sdk/decimal_text.hpp>
#include <nlohmann/json.hpp>

#include "sqlite_plugin.hpp"

namespace dbridge_sqlite {

namespace {

// "$12" -> 12; 0 when name is not a $N placeholder.
std::uint32_t dollar_number(const char* name) noexcept {
  if (name == nullptr || name[0] != '$' || name[1] == '\0') return 0;
  std::uint32_t k = 0;
  for (const char* p = name + 1; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9' || k > 100000) return 0;
    k = k * 10 + static_cast<std::uint32_t>(*p - '0');
  }
  return k;
}

std::uint32_t storage_type(int sqlite_type) noexcept {
  switch (sqlite_type) {
    case SQLITE_INTEGER: return DBR_TYPE_INT64;
    case SQLITE_FLOAT: return DBR_TYPE_DOUBLE;
    case SQLITE_TEXT: return DBR_TYPE_TEXT;
    case SQLITE_BLOB: return DBR_TYPE_BYTES;
    default: return DBR_TYPE_NULL;
  }
}

// What bind_one writes for an infinite date or timestamp reads back as one.
bool infinite_temporal(std::uint32_t tag, std::string_view s, dbr_value& out) noexcept {
  if (s != "infinity" && s != "-infinity") return false;
  out = sdk::make_temporal(tag, 0);
  out.flags = s.front() == '-' ? DBR_VF_NEG_INFINITY : DBR_VF_POS_INFINITY;
  return true;
}

}  // namespace

sqlite_statement::sqlite_statement(sqlite_connection& conn, sqlite3_stmt* st, bool is_insert)
    : conn_(conn), st_(st), is_insert_(is_insert) {
  const int n = sqlite3_bind_parameter_count(st_);
  // SQLite numbers "$2, $1" by first appearance, so $N placeholders get a
  // position map; ?, ?N, :name and @name bind by SQLite's own numbering.
  // One style per statement, as on the other drivers (sdk/placeholders.hpp):
  // bit 0 ?, 1 ?N, 2 :name/@name/$name, 3 $N.
  std::uint32_t max_k = 0;
  unsigned styles = 0;
  for (int i = 1; i <= n; ++i) {
    const char* name = sqlite3_bind_parameter_name(st_, i);
    std::uint32_t k = dollar_number(name);
    if (k == 0) {
      styles |= name == nullptr ? 1u : name[0] == '?' ? 2u : 4u;
      continue;
    }
    styles |= 8u;
    if (k > max_k) {
      max_k = k;
      positions_.resize(k, 0);
    }
    positions_[k - 1] = i;
  }
  if ((styles & (styles - 1)) != 0)
    throw sdk::error(DBR_CAT_SYNTAX,
                     "sqlite: the statement mixes placeholder styles; use one style ($1 or ?1 by number, ? in order, "
                     ":name by name)")
        .sqlstate("42601");
  nparams_ = max_k > 0 ? max_k : static_cast<std::uint32_t>(n);
  param_buf_.resize(static_cast<std::size_t>(n) + 1);
  describe();
}

sqlite_statement::~sqlite_statement() { sqlite3_finalize(st_); }

void sqlite_statement::describe() {
  const int n = sqlite3_column_count(st_);
  // Names and declared types are copied: SQLite's pointers die when the
  // statement is re-prepared after a schema change.
  col_names_.assign(static_cast<std::size_t>(n), std::string());
  col_decls_.assign(static_cast<std::size_t>(n), std::string());
  for (int i = 0; i < n; ++i) {
    const char* name = sqlite3_column_name(st_, i);
    const char* decl = sqlite3_column_decltype(st_, i);
    col_names_[i] = name != nullptr ? name : "";
    col_decls_[i] = decl != nullptr ? decl : "";
  }
  cols_.clear();
  for (int i = 0; i < n; ++i)
    cols_.push_back(sdk::make_column(col_names_[i].c_str(), type_from_declared(col_decls_[i]),
                                     col_decls_[i].c_str(), DBR_NULLABLE_UNKNOWN));
  undeclared_ = false;
  for (const std::string& d : col_decls_) undeclared_ = undeclared_ || d.empty();
  cells_.assign(static_cast<std::size_t>(n), sdk::make_null());
  cell_buf_.resize(static_cast<std::size_t>(n));
  ncols_ = static_cast<std::uint32_t>(n);
}

std::uint32_t sqlite_statement::param_index(const char* name) {
  int idx = sqlite3_bind_parameter_index(st_, name);
  if (idx == 0 && name[0] != ':' && name[0] != '@' && name[0] != '$' && name[0] != '?') {
    // Accept the bare name for :name, @name and $name placeholders.
    char buf[256];
    const std::size_t len = std::strlen(name);
    if (len + 2 > sizeof buf) return 0;
    std::memcpy(buf + 1, name, len + 1);
    for (char prefix : {':', '@', '$'}) {
      buf[0] = prefix;
      idx = sqlite3_bind_parameter_index(st_, buf);
      if (idx != 0) break;
    }
  }
  if (idx == 0 || positions_.empty()) return static_cast<std::uint32_t>(idx);
  for (std::size_t k = 0; k < positions_.size(); ++k)
    if (positions_[k] == idx) return static_cast<std::uint32_t>(k + 1);
  return 0;
}

void sqlite_statement::bind_one(int index, const dbr_value& v, std::string& buf) {
  int rc = SQLITE_OK;
  char tmp[96];
  std::size_t n = 0;
  auto bind_text = [&](const char* p, std::size_t len) {
    // Copied into a statement-owned buffer: the cursor keeps stepping after
    // execute returns, when the caller's memory is no longer ours to read.
    buf.assign(p, len);
    return sqlite3_bind_text64(st_, index, buf.data(), buf.size(), SQLITE_STATIC, SQLITE_UTF8);
  };
  auto bad = [&](const std::string& what) {
    return sdk::error(DBR_CAT_DATA, "sqlite: parameter " + std::to_string(index) + ": " + what).sqlstate("22023");
  };
  switch (v.type) {
    case DBR_TYPE_NULL:
      rc = sqlite3_bind_null(st_, index);
      break;
    case DBR_TYPE_BOOL:
      rc = sqlite3_bind_int64(st_, index, v.u.i64 != 0 ? 1 : 0);
      break;
    case DBR_TYPE_INT64:
      rc = sqlite3_bind_int64(st_, index, v.u.i64);
      break;
    case DBR_TYPE_UINT64:
      if (v.u.u64 > static_cast<std::uint64_t>(INT64_MAX))
        throw bad("unsigned value " + std::to_string(v.u.u64) +
                  " does not fit SQLite's signed 64-bit INTEGER; pass it as text or decimal");
      rc = sqlite3_bind_int64(st_, index, static_cast<std::int64_t>(v.u.u64));
      break;
    case DBR_TYPE_DOUBLE:
      // SQLite turns a NaN into NULL; infinities it keeps.
      if (std::isnan(v.u.f64))
        throw bad("NaN cannot be stored: SQLite would keep NULL instead; store NULL or a text 'NaN' yourself");
      rc = sqlite3_bind_double(st_, index, v.u.f64);
      break;
    case DBR_TYPE_TEXT:
    case DBR_TYPE_DECIMAL:
    case DBR_TYPE_JSON:
      rc = bind_text(v.u.str.len != 0 ? v.u.str.ptr : "", static_cast<std::size_t>(v.u.str.len));
      break;
    case DBR_TYPE_BYTES:
      if (v.u.bin.len == 0) {
        rc = sqlite3_bind_zeroblob(st_, index, 0);  // a NULL pointer would bind NULL
      } else {
        buf.assign(reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len));
        rc = sqlite3_bind_blob64(st_, index, buf.data(), buf.size(), SQLITE_STATIC);
      }
      break;
    case DBR_TYPE_DATE:
    case DBR_TYPE_TIMESTAMP:
    case DBR_TYPE_TIMESTAMPTZ:  // in the offset it came with, which SQLite's date functions read
    case DBR_TYPE_TIME:
      rc = bind_text(tmp, sdk::format_temporal(v, tmp));
      break;
    case DBR_TYPE_INTERVAL:
      rc = bind_text(tmp, sdk::format_interval(v.u.iv.months, v.u.iv.days, v.u.iv.micros, tmp));
      break;
    case DBR_TYPE_UUID:
      n = sdk::format_uuid(v.u.uuid, tmp);
      rc = bind_text(tmp, n);
      break;
    case DBR_TYPE_ARRAY:
      throw bad("SQLite has no array type; pass the array as JSON text");
    default:
      throw bad("unknown value type tag " + std::to_string(v.type));
  }
  if (rc != SQLITE_OK) throw conn_.error_for(rc);
}

void sqlite_statement::bind(std::span<const dbr_value> params) {
  if (positions_.empty()) {
    for (std::size_t k = 0; k < params.size(); ++k)
      bind_one(static_cast<int>(k + 1), params[k], param_buf_[k + 1]);
    return;
  }
  for (std::size_t k = 0; k < params.size(); ++k) {
    const int idx = positions_[k];
    if (idx != 0) bind_one(idx, params[k], param_buf_[idx]);  // $k not used by the SQL
  }
}

template <bool first_row>
inline void sqlite_statement::fill_row() {
  const std::uint32_t n = ncols_;
  dbr_column* cols = cols_.data();
  dbr_value* cells = cells_.data();
  for (std::uint32_t i = 0; i < n; ++i) {
    // One column lookup per cell: the value's own accessors read the type
    // and numbers without the column API's per-call mutex and error
    // bookkeeping. The value is "unprotected", which only matters when two
    // threads share the connection, and the core never lets them.
    sqlite3_value* cv = sqlite3_column_value(st_, static_cast<int>(i));
    const int stored = sqlite3_value_type(cv);
    if constexpr (first_row) {
      if (col_decls_[i].empty()) cols[i].type = storage_type(stored);
    }
    // Plain numbers and NULL inline; conversions, text and blobs in fill_cell.
    const std::uint32_t want = cols[i].type;
    dbr_value& c = cells[i];
    if (stored == SQLITE_INTEGER && want != DBR_TYPE_BOOL && want != DBR_TYPE_DECIMAL) {
      c.type = DBR_TYPE_INT64;
      c.flags = 0;
      c.u.i64 = sqlite3_value_int64(cv);
    } else if (stored == SQLITE_FLOAT && want != DBR_TYPE_DECIMAL) {
      c.type = DBR_TYPE_DOUBLE;
      c.flags = 0;
      c.u.f64 = sqlite3_value_double(cv);
    } else if (stored == SQLITE_NULL) {
      c = sdk::make_null();
    } else {
      fill_cell(i, cv, stored, want);
    }
  }
}

// Inline into the driver's execute thunk below (statement_type): one call
// and frame fewer per query; the rare ways (a wrong count, no row, a result
// read without its first row) are out of line.
[[gnu::always_inline]] inline sdk::cursor* sqlite_statement::execute(std::span<const dbr_value> params,
                                                                     dbr_exec_info& info) {
  info.session_changed = changes_session_ ? 1 : 0;
  if (state_ != state::idle) {
    sqlite3_reset(st_);  // the previous result was not read to the end
    state_ = state::idle;
  }
  if (params.size() != nparams_) [[unlikely]] wrong_count(params.size());
  if (positions_.empty()) {
    // Numbers, the common case of hot loops, bind inline; the rest (and any
    // failure, with its message) goes through bind_one.
    for (std::size_t k = 0; k < params.size(); ++k) {
      const dbr_value& v = params[k];
      const int index = static_cast<int>(k + 1);
      int rc;
      if (v.type == DBR_TYPE_INT64)
        rc = sqlite3_bind_int64(st_, index, v.u.i64);
      else if (v.type == DBR_TYPE_DOUBLE && !std::isnan(v.u.f64))
        rc = sqlite3_bind_double(st_, index, v.u.f64);
      else
        rc = SQLITE_MISUSE;
      if (rc != SQLITE_OK) bind_one(index, v, param_buf_[k + 1]);
    }
  } else {
    bind(params);
  }
  conn_.clear_function_error();
  deadline_ = conn_.statement_deadline();
  int rc;
  {
    const sqlite_connection::deadline_scope clock(conn_, deadline_);
    rc = sqlite3_step(st_);
  }
  if (rc == SQLITE_ROW) {
    if (sqlite3_column_count(st_) != static_cast<int>(ncols_)) describe();  // re-prepared after ALTER
    // An expression has no declared type: its column reports the first row's
    // (NULL, i.e. not known, when that cell is NULL).
    if (info.first_max != 0) {
      // The caller takes the first row with the reply: no fetch call for it.
      state_ = state::streaming;  // first, so a throw below still resets
      if (undeclared_)
        fill_row<true>();  // types the undeclared columns on the way
      else
        fill_row<false>();
      info.first.ncols = ncols_;
      info.first.nrows = 1;
      info.first.cells = cells_.data();
      info.has_first = 1;
    } else {
      hold_first_row();
    }
    return this;
  }
  if (rc != SQLITE_DONE) fail_step(rc);
  return finish_without_rows(info);
}

void sqlite_statement::wrong_count(std::size_t given) {
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "sqlite: the statement takes " + std::to_string(nparams_) +
                                                 " parameter(s) but " + std::to_string(given) + " were given")
      .sqlstate("07001");
}

void sqlite_statement::hold_first_row() {
  if (undeclared_)
    for (std::size_t i = 0; i < cols_.size(); ++i)
      if (col_decls_[i].empty())  // the value's own type: no column-API bookkeeping (see fill_row)
        cols_[i].type = storage_type(sqlite3_value_type(sqlite3_column_value(st_, static_cast<int>(i))));
  state_ = state::row_pending;
}

sdk::cursor* sqlite_statement::finish_without_rows(dbr_exec_info& info) {
  sqlite3* db = conn_.db();
  if (cols_.empty()) {
    info.affected_rows = sqlite3_changes64(db);
    if (is_insert_) {
      info.last_insert_id = sqlite3_last_insert_rowid(db);
      info.has_last_insert_id = 1;
    }
    sqlite3_reset(st_);
    return nullptr;
  }
  // A query with no rows still has a (empty) result with columns.
  sqlite3_reset(st_);
  return this;
}

void sqlite_statement::fail_step(int rc) {
  sdk::error e = conn_.error_for(rc);  // read the message before reset clears the statement
  sqlite3_reset(st_);
  state_ = state::idle;
  throw e;
}

void sqlite_statement::fill_cell(std::size_t i, sqlite3_value* cv, int stored, std::uint32_t want) {
  const int col = static_cast<int>(i);
  dbr_value& c = cells_[i];
  switch (stored) {
    case SQLITE_INTEGER: {
      const std::int64_t v = sqlite3_value_int64(cv);
      if (want == DBR_TYPE_BOOL && (v == 0 || v == 1)) {
        c = sdk::make_bool(v != 0);  // another number in a BOOLEAN column stays that number
      } else if (want == DBR_TYPE_DECIMAL) {
        char tmp[24];
        auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
        cell_buf_[i].assign(tmp, r.ptr);
        c = sdk::make_decimal(cell_buf_[i]);
      } else {
        c = sdk::make_int64(v);
      }
      break;
    }
    case SQLITE_FLOAT: {
      const double d = sqlite3_value_double(cv);
      if (want == DBR_TYPE_DECIMAL) {
        char tmp[32];
        auto r = std::to_chars(tmp, tmp + sizeof tmp, d);  // shortest text that reads back exactly
        cell_buf_[i].assign(tmp, r.ptr);
        c = sdk::make_decimal(cell_buf_[i]);
      } else {
        c = sdk::make_double(d);
      }
      break;
    }
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
      const std::string_view s(p != nullptr ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st_, col)));
      std::int64_t t = 0;
      // Declared dates, times and JSON are converted; text that does not
      // parse stays TEXT rather than becoming a wrong value.
      switch (want) {
        case DBR_TYPE_DATE:
          if (!infinite_temporal(want, s, c))
            c = sdk::parse_date(s, t) ? sdk::make_temporal(DBR_TYPE_DATE, t) : sdk::make_text(s);
          break;
        case DBR_TYPE_TIMESTAMP:
          if (!infinite_temporal(want, s, c))
            c = sdk::parse_timestamp(s, t) ? sdk::make_temporal(DBR_TYPE_TIMESTAMP, t) : sdk::make_text(s);
          break;
        case DBR_TYPE_TIMESTAMPTZ: {
          std::int32_t offset_s = 0;
          if (!infinite_temporal(want, s, c))
            c = sdk::parse_timestamptz(s, t, offset_s) ? sdk::make_temporal(DBR_TYPE_TIMESTAMPTZ, t, offset_s)
                                                  : sdk::make_text(s);
          break;
        }
        case DBR_TYPE_TIME:
          c = sdk::parse_time(s, t) ? sdk::make_temporal(DBR_TYPE_TIME, t) : sdk::make_text(s);
          break;
        case DBR_TYPE_JSON:  // SQLite stores any text in a JSON column
          c = nlohmann::json::accept(s) ? sdk::make_json(s) : sdk::make_text(s);
          break;
        case DBR_TYPE_DECIMAL:
          c = sdk::is_decimal_literal(s) ? sdk::make_decimal(s) : sdk::make_text(s);
          break;
        case DBR_TYPE_BOOL:
          if (s == "true" || s == "TRUE")
            c = sdk::make_bool(true);
          else if (s == "false" || s == "FALSE")
            c = sdk::make_bool(false);
          else
            c = sdk::make_text(s);
          break;
        default:
          c = sdk::make_text(s);
      }
      break;
    }
    case SQLITE_BLOB: {
      const void* p = sqlite3_column_blob(st_, col);
      const int len = sqlite3_column_bytes(st_, col);
      c = sdk::make_bytes(p != nullptr ? p : "", static_cast<std::size_t>(len));
      break;
    }
    default:
      c = sdk::make_null();
  }
}

std::int32_t sqlite_statement::fetch(std::uint32_t, dbr_rows& out) {
  // One row per fetch: SQLite's cell memory is only valid until the next step.
  switch (state_) {
    case state::row_pending:
      state_ = state::streaming;
      break;
    case state::streaming: {
      int rc;
      {
        const sqlite_connection::deadline_scope clock(conn_, deadline_);
        rc = sqlite3_step(st_);
      }
      if (rc == SQLITE_DONE) {
        sqlite3_reset(st_);
        state_ = state::idle;
        return DBR_DONE;
      }
      if (rc != SQLITE_ROW) fail_step(rc);
      break;
    }
    case state::idle:
      return DBR_DONE;
  }
  fill_row<false>();
  out.ncols = ncols_;
  out.nrows = 1;
  out.cells = cells_.data();
  return DBR_OK;
}

void sqlite_statement::close() {
  if (state_ != state::idle) {
    sqlite3_reset(st_);
    state_ = state::idle;
  }
}

// ---------------------------------------------------------------- driver
// Here, beside sqlite_statement::execute, so that the execute thunk gets it
// inline (statement_type, see sdk::detail::exact_statement).
class sqlite_driver final : public sdk::driver<sqlite_connection> {
 public:
  using statement_type = sqlite_statement;
  static constexpr const char* schemes[] = {"sqlite", nullptr};
  static constexpr sdk::plugin_info info{
      .id = DBRIDGE_PLUGIN_ID,
      .version = DBRIDGE_PLUGIN_VERSION,
      .threading = DBR_THREADING_PER_CONNECTION,
      .flags = DBR_PF_CANCEL_ANY_THREAD,  // sqlite3_interrupt is safe from any thread
      .schemes = schemes,
  };

  sqlite_driver() {
    if (sqlite3_threadsafe() == 0)
      throw sdk::error(DBR_CAT_INCOMPATIBLE,
                       "sqlite: libsqlite3 was built with SQLITE_THREADSAFE=0; per-connection threading needs a "
                       "thread-safe build");
  }
  std::unique_ptr<sqlite_connection> connect(const dbr_url& url) override {
    return std::make_unique<sqlite_connection>(url);
  }
};

}  // namespace dbridge_sqlite

DBRIDGE_SDK_DRIVER(dbridge_sqlite::sqlite_driver)
