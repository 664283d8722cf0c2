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

class insert_transfer final : public sdk::bulk_transfer {
 public:
  insert_transfer(my_connection& c, std::string target, std::vector<std::string> names, bool array)
      : c_(c), target_(std::move(target)), names_(std::move(names)), array_(array) {
    ncols_ = names_.size();
    arrays_.restart(ncols_);
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
      if (!arrays_.fits(row)) flush();
      arrays_.note(row);
      for (std::size_t i = 0; i < ncols_; ++i) {
        dbr_value v = row[i];
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
    arrays_.restart(ncols_);
  }

  void flush_array() {
    MYSQL_STMT* s = prepared(1, stmt_, stmt_rows_);
    if (!arrays_.bind(s, rows_.data(), pending_, ncols_, {}, c_.zone())) c_.raise(s, "bulk insert");
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

  my_connection& c_;
  std::string target_;
  std::vector<std::string> names_;
  std::size_t ncols_ = 0;
  bool array_;
  bool savepoint_ = false;
  bool done_ = false;
  array_binder arrays_;
  std::vector<dbr_value> rows_;
  arena arena_;
  std::size_t pending_ = 0, bytes_ = 0;
  std::int64_t stored_ = 0;
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
