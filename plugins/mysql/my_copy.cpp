// SPDX-License-Identifier: Apache-2.0
// Bulk insert (capability "bulk"): rows are buffered and sent as one
// array-bound INSERT per batch (MariaDB's STMT_ATTR_ARRAY_SIZE, with
// indicator arrays for NULLs: one round trip per thousands of rows), or, on
// servers without bulk operations (MySQL), as prepared multi-row INSERTs.
// The load runs in its own transaction (or savepoint), so an abort or a
// failed batch stores nothing.
#include <cstring>
#include <string>

#include <dbridge/sdk/convert.hpp>

#include "my_plugin.hpp"

namespace dbridge_mysql {

namespace {

constexpr std::size_t array_batch_rows = 10000;
constexpr std::size_t multirow_batch_rows = 500;
constexpr std::size_t batch_bytes = 4 * 1024 * 1024;

// Values that bind as one MYSQL_TYPE_* share a class; a batch's column holds one class.
enum bind_class : int { none = 0, c_int, c_uint, c_double, c_text, c_decimal, c_bytes, c_date, c_time, c_datetime };

int class_of(std::uint32_t tag) {
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
                                         " value cannot be loaded into MySQL; pass it as text")
          .sqlstate("22000");
  }
}

class insert_transfer final : public sdk::bulk_transfer {
 public:
  insert_transfer(my_connection& c, std::string target, std::vector<std::string> names, bool array)
      : c_(c), target_(std::move(target)), names_(std::move(names)), array_(array) {
    ncols_ = names_.size();
    classes_.assign(ncols_, none);
    cols_.resize(ncols_);
    if (c_.in_transaction()) {
      c_.run("SAVEPOINT dbr_copy_in", "bulk insert");
      savepoint_ = true;
    } else {
      c_.run("START TRANSACTION", "bulk insert");
    }
  }
  ~insert_transfer() override {
    abort();
    if (stmt_ != nullptr) mysql_stmt_close(stmt_);
    if (tail_ != nullptr) mysql_stmt_close(tail_);
  }

  void write_rows(const dbr_value* cells, std::uint64_t nrows) override {
    if (done_) throw sdk::error(DBR_CAT_INVALID_STATE, "mysql: this bulk insert has already ended");
    for (std::uint64_t r = 0; r < nrows; ++r) {
      const dbr_value* row = cells + r * ncols_;
      // A column changing its binding class starts a new batch.
      bool fits = true;
      for (std::size_t i = 0; i < ncols_ && fits; ++i) {
        const int k = class_of(row[i].type);
        fits = k == none || classes_[i] == none || classes_[i] == k;
      }
      if (!fits) flush();
      for (std::size_t i = 0; i < ncols_; ++i) {
        dbr_value v = row[i];
        const int k = class_of(v.type);
        if (k != none && classes_[i] == none) classes_[i] = k;
        if (v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_JSON || v.type == DBR_TYPE_DECIMAL) {
          v.u.str.ptr = arena_.keep({v.u.str.ptr, static_cast<std::size_t>(v.u.str.len)}).data();
          bytes_ += v.u.str.len;
        } else if (v.type == DBR_TYPE_BYTES) {
          v.u.bin.ptr = reinterpret_cast<const std::uint8_t*>(
              arena_.keep({reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len)}).data());
          bytes_ += v.u.bin.len;
        } else if (v.type == DBR_TYPE_UUID) {
          const std::string s = render_text(v);
          v = sdk::make_text(arena_.keep(s));
        }
        rows_.push_back(v);
      }
      ++pending_;
      if (pending_ >= (array_ ? array_batch_rows : multirow_batch_rows) || bytes_ >= batch_bytes) flush();
    }
  }

  std::int64_t finish() override {
    if (done_) throw sdk::error(DBR_CAT_INVALID_STATE, "mysql: this bulk insert has already ended");
    flush();
    done_ = true;
    c_.run(savepoint_ ? "RELEASE SAVEPOINT dbr_copy_in" : "COMMIT", "bulk insert");
    return stored_;
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    try {
      c_.run(savepoint_ ? "ROLLBACK TO SAVEPOINT dbr_copy_in" : "ROLLBACK", "bulk insert");
    } catch (...) {
      // A broken connection has already dropped the transaction.
    }
  }

 private:
  std::string insert_sql(std::size_t nrows) const {
    std::string sql = "INSERT INTO " + target_ + " (";
    for (std::size_t i = 0; i < ncols_; ++i) sql += (i != 0 ? ", " : "") + my_connection::quote_ident(names_[i]);
    sql += ") VALUES ";
    std::string one = "(";
    for (std::size_t i = 0; i < ncols_; ++i) one += i != 0 ? ", ?" : "?";
    one += ")";
    for (std::size_t r = 0; r < nrows; ++r) {
      if (r != 0) sql += ", ";
      sql += one;
    }
    return sql;
  }

  MYSQL_STMT* prepared(std::size_t nrows, MYSQL_STMT*& slot, std::size_t& slot_rows) {
    if (slot != nullptr && slot_rows == nrows) return slot;
    if (slot != nullptr) mysql_stmt_close(slot);
    slot = nullptr;
    c_.settle();
    MYSQL_STMT* s = mysql_stmt_init(c_.raw());
    if (s == nullptr) throw sdk::error(DBR_CAT_RESOURCE, "mysql: out of memory creating a statement");
    const std::string sql = insert_sql(nrows);
    if (mysql_stmt_prepare(s, sql.data(), sql.size()) != 0) {
      sdk::error e = c_.error_for(mysql_stmt_errno(s), mysql_stmt_sqlstate(s), mysql_stmt_error(s), "bulk insert");
      mysql_stmt_close(s);
      throw e;
    }
    slot = s;
    slot_rows = nrows;
    return s;
  }

  void execute(MYSQL_STMT* s) {
    if (mysql_stmt_execute(s) != 0) c_.raise(s, "bulk insert");
    stored_ += static_cast<std::int64_t>(mysql_stmt_affected_rows(s));
  }

  void flush() {
    if (pending_ == 0) return;
    c_.settle();
    if (array_)
      flush_array();
    else
      flush_multirow();
    rows_.clear();
    arena_.reset();
    bytes_ = 0;
    pending_ = 0;
    classes_.assign(ncols_, none);
  }

  void flush_array() {
    MYSQL_STMT* s = prepared(1, stmt_, stmt_rows_);
    const std::size_t n = pending_;
    binds_.assign(ncols_, MYSQL_BIND{});
    for (std::size_t c = 0; c < ncols_; ++c) {
      column& col = cols_[c];
      MYSQL_BIND& b = binds_[c];
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
        const dbr_value& v = rows_[r * ncols_ + c];
        if (v.type == DBR_TYPE_NULL) {
          col.ind[r] = STMT_INDICATOR_NULL;
          if (!col.pp.empty() && b.buffer == col.pp.data()) {
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
          case c_datetime: to_mysql_time(v, col.tt[r], c_.zone()); break;
          case c_bytes:
            col.pp[r] = const_cast<char*>(reinterpret_cast<const char*>(v.u.bin.ptr));
            col.len[r] = static_cast<unsigned long>(v.u.bin.len);
            break;
          default:
            col.pp[r] = const_cast<char*>(v.u.str.ptr);
            col.len[r] = static_cast<unsigned long>(v.u.str.len);
            break;
        }
      }
    }
    unsigned int size = static_cast<unsigned int>(n);
    if (mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &size) != 0) c_.raise(s, "bulk insert");
    if (mysql_stmt_bind_param(s, binds_.data()) != 0) c_.raise(s, "bulk insert");
    execute(s);
  }

  void flush_multirow() {
    const std::size_t n = pending_;
    MYSQL_STMT* s = n == multirow_batch_rows ? prepared(n, stmt_, stmt_rows_) : prepared(n, tail_, tail_rows_);
    params_.resize(n * ncols_);
    for (std::size_t i = 0; i < n * ncols_; ++i) params_.set(i, rows_[i], i % ncols_ + 1, c_.zone());
    if (mysql_stmt_bind_param(s, params_.binds()) != 0) c_.raise(s, "bulk insert");
    execute(s);
  }

  struct column {
    std::vector<long long> ll;
    std::vector<double> dd;
    std::vector<MYSQL_TIME> tt;
    std::vector<MYSQL_TIME*> tp;
    std::vector<char*> pp;
    std::vector<unsigned long> len;
    std::vector<char> ind;
  };

  my_connection& c_;
  std::string target_;
  std::vector<std::string> names_;
  std::size_t ncols_ = 0;
  bool array_;
  bool savepoint_ = false;
  bool done_ = false;
  std::vector<int> classes_;
  std::vector<dbr_value> rows_;
  arena arena_;
  std::size_t pending_ = 0, bytes_ = 0;
  std::int64_t stored_ = 0;
  std::vector<column> cols_;
  std::vector<MYSQL_BIND> binds_;
  param_binder params_;
  MYSQL_STMT* stmt_ = nullptr;
  std::size_t stmt_rows_ = 0;
  MYSQL_STMT* tail_ = nullptr;
  std::size_t tail_rows_ = 0;
};

}  // namespace

std::unique_ptr<sdk::bulk_transfer> my_connection::copy_in(const char* table, std::span<const char* const> columns,
                                                           const sdk::param_list& options) {
  std::string method = bulk_method_;
  for (const dbr_param& p : options) {
    const std::string_view k = p.key != nullptr ? p.key : "";
    if (k == "bulk" && p.value.type == DBR_TYPE_TEXT &&
        (sdk::string_of(p.value) == "array" || sdk::string_of(p.value) == "multirow" ||
         sdk::string_of(p.value) == "auto")) {
      method = sdk::string_of(p.value);
      continue;
    }
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: unknown bulk option '" + std::string(k) +
                                                   "'; the driver knows bulk=auto|array|multirow");
  }
  std::string_view t = table;
  if (t.empty()) throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: bulk insert needs a table name");
  // "db.table" quotes each part.
  const std::string target = sdk::quote_qualified(t, [](std::string_view part) { return quote_ident(part); });
  std::vector<std::string> names;
  for (const char* c : columns) {
    if (c == nullptr || *c == '\0') throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: bulk insert column name is empty");
    names.emplace_back(c);
  }
  if (names.empty()) {
    // Every column of the table, in order; TEMPORARY tables included.
    const auto dot = t.rfind('.');
    const std::string schema = dot == std::string_view::npos ? std::string() : std::string(t.substr(0, dot));
    const text_rows cols =
        described_columns(dot == std::string_view::npos ? nullptr : schema.c_str(), t.substr(dot + 1));
    if (cols.nrows == 0)
      throw sdk::error(DBR_CAT_NOT_FOUND, "mysql: bulk insert into " + target + ": no such table").sqlstate("42S02");
    for (std::size_t r = 0; r < cols.nrows; ++r) names.push_back(cols.cells[r * cols.ncols + 2]);
  }
  if (method == "array" && !bulk_supported())
    throw sdk::error(DBR_CAT_UNSUPPORTED, "mysql: this server has no array binding (bulk operations are MariaDB 10.2+); "
                                          "use bulk=multirow or bulk=auto");
  const bool array = method == "array" || (method == "auto" && bulk_supported());
  return std::make_unique<insert_transfer>(*this, std::move(target), std::move(names), array);
}

std::unique_ptr<sdk::bulk_transfer> my_connection::copy_out(std::string_view sql) {
  (void)sql;
  throw sdk::error(DBR_CAT_UNSUPPORTED,
                   "mysql: the server has no COPY TO; stream the rows with query() instead (results are unbuffered)");
}

}  // namespace dbridge_mysql
