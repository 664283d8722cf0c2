// SPDX-License-Identifier: Apache-2.0
// The SQLite driver's classes. Everything crosses the boundary through the
// SDK (dbridge/sdk/*.hpp); nothing here knows the core.
#pragma once

#include <dbridge/sdk/cursor.hpp>
#include <dbridge/sdk/driver.hpp>
#include <dbridge/sdk/error.hpp>
#include <dbridge/sdk/value.hpp>
#include <sqlite3.h>

#include <cstdint>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge_sqlite {

namespace sdk = dbridge::sdk;

inline constexpr const char* native_domain = "sqlite";

inline bool contains(std::string_view hay, std::string_view needle) noexcept { return hay.find(needle) != hay.npos; }

/// The error for a failed sqlite call, read from db (extended codes on) (sqlite_errors.cpp).
sdk::error make_error(sqlite3* db, int rc);

/// Declared column types that get a dbridge type beyond the storage class (sqlite_types.cpp).
std::uint32_t type_from_declared(std::string_view decl) noexcept;

class sqlite_connection;

/// A prepared statement; it is also its own (only) cursor, so executing and
/// streaming never allocate.
class sqlite_statement final : public sdk::statement, public sdk::cursor {
 public:
  sqlite_statement(sqlite_connection& conn, sqlite3_stmt* st, bool is_insert);
  ~sqlite_statement() override;

  std::uint32_t param_count() override { return nparams_; }
  std::uint32_t param_index(const char* name) override;
  sdk::cursor* execute(std::span<const dbr_value> params, dbr_exec_info& info) override;

  std::span<const dbr_column> columns() override { return cols_; }
  std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) override;
  void close() override;  // back to the statement: reset, keep prepared
  void set_changes_session(bool v) noexcept { changes_session_ = v; }

 private:
  enum class state : std::uint8_t { idle, row_pending, streaming };
  void bind(std::span<const dbr_value> params);
  void bind_one(int index, const dbr_value& v, std::string& buf);
  void describe();
  /// The current row into cells_. first_row: the row execute just stepped
  /// to, whose value types give the undeclared columns (expressions) their
  /// type, read from the same column lookup as the cell.
  template <bool first_row>
  void fill_row();
  /// One cell that is not a plain number or NULL (out of line: the row
  /// loop stays small for the common case).
  void fill_cell(std::size_t i, sqlite3_value* cv, int stored, std::uint32_t want);
  [[noreturn]] void fail_step(int rc);
  [[noreturn]] void wrong_count(std::size_t given);
  /// execute stepped to a row the caller fetches itself (info.first_max 0).
  void hold_first_row();
  /// execute's end for a statement that stepped to its end at once.
  sdk::cursor* finish_without_rows(dbr_exec_info& info);

  sqlite_connection& conn_;
  sqlite3_stmt* st_;
  bool is_insert_;
  bool changes_session_ = true;
  state state_ = state::idle;
  std::chrono::steady_clock::time_point deadline_{};  // statement_timeout_ms, from execute
  std::uint32_t nparams_ = 0;
  std::vector<int> positions_;  // $N statements: sqlite index of $k at [k-1] (0: unused); empty: identity
  std::vector<std::string> param_buf_;  // bound text/blob bytes: must outlive every step
  std::vector<std::string> col_names_, col_decls_;
  std::vector<dbr_column> cols_;
  std::uint32_t ncols_ = 0;  // cols_.size(), kept: the hot path compares and reports it every row
  bool undeclared_ = false;  // a column has no declared type (col_decls_ empty)
  std::vector<dbr_value> cells_;
  std::vector<std::string> cell_buf_;   // converted cells (decimal text) for the current row
};

class sqlite_connection final : public sdk::connection,
                                public sdk::cap::sql,
                                public sdk::cap::transactions,
                                public sdk::cap::introspect,
                                public sdk::cap::functions,
                                public sdk::cap::cancel {
 public:
  explicit sqlite_connection(const dbr_url& url);
  ~sqlite_connection() override;

  sqlite3* db() const noexcept { return db_; }
  /// Throws the error of a failed call, preferring an error a host function
  /// raised during it (so its category survives the trip through SQLite).
  [[noreturn]] void raise(int rc);
  sdk::error error_for(int rc);
  void clear_function_error() noexcept { fn_error_pending_ = false; }
  /// When a statement starting now must be done (statement_timeout_ms).
  /// Without a timeout nothing reads it (no progress handler): no clock read.
  std::chrono::steady_clock::time_point statement_deadline() const noexcept {
    if (statement_timeout_ms_ <= 0) return std::chrono::steady_clock::time_point::max();
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(statement_timeout_ms_);
  }
  /// Holds a statement to its deadline for one call into SQLite (a step):
  /// only such calls are interrupted, never a prepare or the driver's own
  /// BEGIN/COMMIT, and the time between fetches counts like on a server.
  class deadline_scope {
   public:
    deadline_scope(sqlite_connection& c, std::chrono::steady_clock::time_point deadline) noexcept : c_(c) {
      c.deadline_ = deadline;
      c.timed_out_ = false;
      c.armed_ = true;
    }
    ~deadline_scope() { c_.armed_ = false; }
    deadline_scope(const deadline_scope&) = delete;
    deadline_scope& operator=(const deadline_scope&) = delete;

   private:
    sqlite_connection& c_;
  };
  void set_function_error(std::uint32_t category, std::string message);

  // connection
  void ping() override;
  void set_option(const char* key, const dbr_value& value) override;
  dbr_value get_info(const char* key) override;

  // sql
  std::unique_ptr<sdk::statement> prepare(std::string_view sql, std::uint32_t flags) override;
  void execute_script(std::string_view sql) override;

  // transactions
  void begin(const dbr_txn_options& opts) override;
  void commit() override;
  void rollback() override;
  void savepoint(const char* name) override;
  void release_savepoint(const char* name) override;
  void rollback_to_savepoint(const char* name) override;
  bool in_transaction() override { return sqlite3_get_autocommit(db_) == 0; }

  // introspect
  std::unique_ptr<sdk::cursor> list(std::uint32_t what, const char* schema, const char* table) override;

  // functions
  void create_scalar(const char* name, std::int32_t nargs, std::uint32_t flags,
                     std::unique_ptr<sdk::host_function> fn) override;

  // cancel
  void cancel_running() override { sqlite3_interrupt(db_); }

 private:
  void exec(const char* sql);
  void run_cached(sqlite3_stmt*& slot, const char* sql);
  void apply_options(const dbr_url& url);
  void end_read_only();
  void set_statement_timeout(std::int64_t ms);
  static int on_progress(void* self) noexcept;

  sqlite3* db_ = nullptr;
  std::string filename_;
  std::string info_buf_;
  bool read_only_txn_ = false;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* begin_immediate_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  bool fn_error_pending_ = false;
  std::uint32_t fn_error_category_ = 0;
  std::string fn_error_message_;
  // statement_timeout_ms: a progress handler (installed only while a
  // timeout is set) interrupts a statement running past its deadline.
  std::int64_t statement_timeout_ms_ = 0;
  std::chrono::steady_clock::time_point deadline_{};
  bool armed_ = false;
  bool timed_out_ = false;
};

}  // namespace dbridge_sqlite
