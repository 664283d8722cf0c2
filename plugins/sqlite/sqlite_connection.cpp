// SPDX-License-Identifier: Apache-2.0
// The SQLite driver: connections (URL options, transactions, scripts, SQL
// functions, cancel) and the plugin's exported entry.
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <dbridge/sdk/convert.hpp>
#include <dbridge/sdk/session.hpp>

#include "sqlite_plugin.hpp"

namespace dbridge_sqlite {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

// on|off|true|false|1|0 (text) or a BOOL/INT64 value.
bool parse_switch(const char* key, const dbr_value& v) {
  if (v.type == DBR_TYPE_BOOL || v.type == DBR_TYPE_INT64) return v.u.i64 != 0;
  std::string s = lower(sdk::string_of(v));
  if (s == "on" || s == "true" || s == "1" || s == "yes") return true;
  if (s == "off" || s == "false" || s == "0" || s == "no") return false;
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                   std::string("sqlite: option ") + key + "='" + s + "' is not a switch; use on or off");
}

std::int64_t parse_ms(const char* key, const dbr_value& v) {
  std::int64_t ms = -1;
  if (v.type == DBR_TYPE_INT64) {
    ms = v.u.i64;
  } else {
    std::string_view s = sdk::string_of(v);
    char* end = nullptr;
    std::string copy(s);
    long long n = std::strtoll(copy.c_str(), &end, 10);
    if (!copy.empty() && end != nullptr && *end == '\0') ms = n;
  }
  if (ms < 0 || ms > INT_MAX)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     std::string("sqlite: option ") + key + " must be a number of milliseconds (0.." +
                         std::to_string(INT_MAX) + ")");
  return ms;
}

bool is_insert_sql(std::string_view sql) noexcept {
  std::size_t i = 0;
  for (;;) {  // skip blanks and comments
    while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r')) ++i;
    if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == sql.npos) return false;
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i + 2);
      if (i == sql.npos) return false;
      i += 2;
    } else {
      break;
    }
  }
  auto kw = [&](std::string_view word) {
    if (sql.size() - i < word.size()) return false;
    for (std::size_t k = 0; k < word.size(); ++k) {
      char c = sql[i + k];
      if ((c >= 'a' && c <= 'z' ? c - 32 : c) != word[k]) return false;
    }
    return true;
  };
  return kw("INSERT") || kw("REPLACE");
}

// --------------------------------------------------------- SQL functions
struct function_ctx {
  std::unique_ptr<sdk::host_function> fn;
  sqlite_connection* conn;
};

dbr_value to_value(sqlite3_value* v) noexcept {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return sdk::make_int64(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return sdk::make_double(sqlite3_value_double(v));
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return sdk::make_text(std::string_view(p != nullptr ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v))));
    }
    case SQLITE_BLOB: {
      const void* p = sqlite3_value_blob(v);
      return sdk::make_bytes(p != nullptr ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v)));
    }
    default:
      return sdk::make_null();
  }
}

void set_result(sqlite3_context* ctx, const dbr_value& r) {
  char tmp[96];
  std::size_t n = 0;
  switch (r.type) {
    case DBR_TYPE_NULL:
      sqlite3_result_null(ctx);
      return;
    case DBR_TYPE_BOOL:
    case DBR_TYPE_INT64:
      sqlite3_result_int64(ctx, r.u.i64);
      return;
    case DBR_TYPE_UINT64:
      if (r.u.u64 > static_cast<std::uint64_t>(INT64_MAX)) {
        sqlite3_result_error(ctx, "function result does not fit a signed 64-bit INTEGER", -1);
        return;
      }
      sqlite3_result_int64(ctx, static_cast<std::int64_t>(r.u.u64));
      return;
    case DBR_TYPE_DOUBLE:
      sqlite3_result_double(ctx, r.u.f64);
      return;
    case DBR_TYPE_TEXT:
    case DBR_TYPE_DECIMAL:
    case DBR_TYPE_JSON:
      sqlite3_result_text64(ctx, r.u.str.len != 0 ? r.u.str.ptr : "", r.u.str.len, SQLITE_TRANSIENT, SQLITE_UTF8);
      return;
    case DBR_TYPE_BYTES:
      if (r.u.bin.len == 0)
        sqlite3_result_zeroblob(ctx, 0);
      else
        sqlite3_result_blob64(ctx, r.u.bin.ptr, r.u.bin.len, SQLITE_TRANSIENT);
      return;
    case DBR_TYPE_DATE:
      n = sdk::format_date(r.u.ts.micros, tmp);
      break;
    case DBR_TYPE_TIME:
      n = sdk::format_time(r.u.ts.micros, tmp);
      break;
    case DBR_TYPE_TIMESTAMP:
      n = sdk::format_timestamp(r.u.ts.micros, tmp);
      break;
    case DBR_TYPE_TIMESTAMPTZ:
      n = sdk::format_timestamp(r.u.ts.micros + static_cast<std::int64_t>(r.u.ts.offset_s) * 1000000, tmp);
      n += sdk::format_offset(r.u.ts.offset_s, tmp + n);
      break;
    case DBR_TYPE_UUID:
      n = sdk::format_uuid(r.u.uuid, tmp);
      break;
    default:
      sqlite3_result_error(ctx, "function result type has no SQLite equivalent", -1);
      return;
  }
  sqlite3_result_text(ctx, tmp, static_cast<int>(n), SQLITE_TRANSIENT);
}

void call_function(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  auto* f = static_cast<function_ctx*>(sqlite3_user_data(ctx));
  try {
    dbr_value small[8];
    std::vector<dbr_value> big;
    dbr_value* args = small;
    if (argc > 8) {
      big.resize(static_cast<std::size_t>(argc));
      args = big.data();
    }
    for (int i = 0; i < argc; ++i) args[i] = to_value(argv[i]);
    dbr_value result = sdk::make_null();
    dbr_error err;
    std::memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    const std::int32_t rc = f->fn->call(static_cast<std::uint32_t>(argc), args, &result, &err);
    if (rc < 0) {
      std::string msg = err.message != nullptr ? std::string(err.message, err.message_len)
                                               : std::string("SQL function failed");
      // The message was made by the host: only the host may free it.
      if (err.message != nullptr && sdk::host() != nullptr) sdk::host()->free(err.message);
      f->conn->set_function_error(err.category != 0 ? err.category : static_cast<std::uint32_t>(-rc), msg);
      sqlite3_result_error(ctx, msg.data(), static_cast<int>(msg.size()));
      return;
    }
    set_result(ctx, result);
  } catch (const std::exception& e) {
    f->conn->set_function_error(DBR_CAT_INTERNAL, e.what());
    sqlite3_result_error(ctx, e.what(), -1);
  } catch (...) {
    sqlite3_result_error(ctx, "SQL function failed", -1);
  }
}

void destroy_function(void* p) noexcept { delete static_cast<function_ctx*>(p); }

}  // namespace

// ------------------------------------------------------------ connection
sqlite_connection::sqlite_connection(const dbr_url& url) {
  if (url.database == nullptr || *url.database == '\0')
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     "sqlite: the URL names no database; use sqlite:///abs/path.db, sqlite://relative.db or "
                     "sqlite://:memory:");
  filename_ = url.database;

  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  std::int64_t busy_ms = 5000;
  std::string journal;
  int foreign_keys = -1;
  for (const dbr_param& opt : sdk::param_list(url.options, url.noptions)) {
    const std::string_view key = opt.key != nullptr ? opt.key : "";
    if (key == "mode") {
      const std::string m = lower(sdk::string_of(opt.value));
      if (m == "ro")
        flags = SQLITE_OPEN_READONLY;
      else if (m == "rw")
        flags = SQLITE_OPEN_READWRITE;
      else if (m == "rwc")
        flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      else
        throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "sqlite: mode='" + m + "' is not one of ro, rw, rwc");
    } else if (key == "busy_timeout") {
      busy_ms = parse_ms(opt.key, opt.value);
    } else if (key == "journal_mode") {
      journal = lower(sdk::string_of(opt.value));
      if (journal != "delete" && journal != "truncate" && journal != "persist" && journal != "memory" &&
          journal != "wal" && journal != "off")
        throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "sqlite: journal_mode='" + journal +
                                                       "' is not one of delete, truncate, persist, memory, wal, off");
    } else if (key == "foreign_keys") {
      foreign_keys = parse_switch(opt.key, opt.value) ? 1 : 0;
    } else if (key == "statement_timeout" || key == "statement_timeout_ms") {
      statement_timeout_ms_ = parse_ms(opt.key, opt.value);
    } else {
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       "sqlite: unknown URL option '" + std::string(key) +
                           "'; the sqlite driver takes mode, busy_timeout, journal_mode, foreign_keys and "
                           "statement_timeout");
    }
  }
  // NOMUTEX: the core gives a connection to one thread at a time
  // (per_connection threading), so SQLite's own mutexes would be pure cost.
  flags |= SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(filename_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    sdk::error e = make_error(db_, rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw sdk::error(DBR_CAT_CONNECTION, "sqlite: cannot open database '" + filename_ + "': " + e.what() +
                                             ((flags & SQLITE_OPEN_CREATE) ? "" : " (mode=ro/rw do not create it)"))
        .sqlstate("08001")
        .native(rc, native_domain)
        .connection_broken();
  }
  try {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_ms));
    set_statement_timeout(statement_timeout_ms_);
    if (!journal.empty()) exec(("PRAGMA journal_mode=" + journal).c_str());
    if (foreign_keys >= 0) exec(foreign_keys ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

sqlite_connection::~sqlite_connection() {
  for (sqlite3_stmt* s : {begin_, begin_immediate_, commit_, rollback_}) sqlite3_finalize(s);
  // close_v2: statements the core still holds keep the handle alive until
  // they are finalized; registered functions are destroyed here.
  sqlite3_close_v2(db_);
}

void sqlite_connection::set_statement_timeout(std::int64_t ms) {
  statement_timeout_ms_ = ms;
  // Every 1000 virtual machine instructions: a clock read costs little
  // next to them, and a statement overruns by well under a millisecond.
  sqlite3_progress_handler(db_, ms > 0 ? 1000 : 0, ms > 0 ? &on_progress : nullptr, this);
}

int sqlite_connection::on_progress(void* self) noexcept {
  auto* c = static_cast<sqlite_connection*>(self);
  if (!c->armed_) return 0;
  if (!c->timed_out_ && std::chrono::steady_clock::now() >= c->deadline_) c->timed_out_ = true;
  return c->timed_out_ ? 1 : 0;
}

sdk::error sqlite_connection::error_for(int rc) {
  if (timed_out_ && (rc & 0xFF) == SQLITE_INTERRUPT) {
    timed_out_ = false;
    // The same category and SQLSTATE as a PostgreSQL statement_timeout.
    return sdk::error(DBR_CAT_TIMEOUT, "sqlite: the statement ran longer than statement_timeout_ms (" +
                                           std::to_string(statement_timeout_ms_) + " ms) and was stopped")
        .sqlstate("57014")
        .native(rc, native_domain);
  }
  if (fn_error_pending_ && (rc & 0xFF) == SQLITE_ERROR) {
    fn_error_pending_ = false;
    return sdk::error(fn_error_category_, fn_error_message_).native(rc, native_domain);
  }
  return make_error(db_, rc);
}

void sqlite_connection::raise(int rc) { throw error_for(rc); }

void sqlite_connection::set_function_error(std::uint32_t category, std::string message) {
  fn_error_pending_ = true;
  fn_error_category_ = category;
  fn_error_message_ = std::move(message);
}

void sqlite_connection::exec(const char* sql) {
  clear_function_error();
  const deadline_scope clock(*this, statement_deadline());
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) raise(rc);
}

void sqlite_connection::run_cached(sqlite3_stmt*& slot, const char* sql) {
  if (slot == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr);
    if (rc != SQLITE_OK) raise(rc);
  }
  const int rc = sqlite3_step(slot);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    sdk::error e = error_for(rc);
    sqlite3_reset(slot);
    throw e;
  }
  sqlite3_reset(slot);
}

void sqlite_connection::ping() {
  if (db_ == nullptr) throw sdk::error(DBR_CAT_CONNECTION, "sqlite: connection is closed").connection_broken();
}

void sqlite_connection::set_option(const char* key, const dbr_value& value) {
  const std::string_view k(key);
  if (k == "busy_timeout") {
    sqlite3_busy_timeout(db_, static_cast<int>(parse_ms(key, value)));
  } else if (k == "statement_timeout_ms" || k == "statement_timeout") {
    set_statement_timeout(parse_ms(key, value));
  } else if (k == "foreign_keys") {
    exec(parse_switch(key, value) ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
  } else {
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     "sqlite: unknown connection option '" + std::string(k) + "'; use busy_timeout, foreign_keys or statement_timeout_ms");
  }
}

dbr_value sqlite_connection::get_info(const char* key) {
  const std::string_view k(key);
  if (k == "server_version") return sdk::make_text(sqlite3_libversion());
  if (k == "database") return sdk::make_text(filename_);
  if (k == "read_only") return sdk::make_bool(sqlite3_db_readonly(db_, "main") == 1);
  return sdk::connection::get_info(key);
}

// What leaves a SQLite connection alone. PRAGMA, ATTACH and DETACH are not
// plain; "temp" anywhere (CREATE TEMP, temp.t) is suspect. The driver has no
// session reset: a connection's state (PRAGMAs, the temp schema, attached
// databases, registered functions) has no one command that undoes it, and a
// new connection costs an open(2), so a pool closes a changed one instead.
constexpr std::string_view sqlite_plain_words[] = {
    "SELECT", "WITH",  "VALUES", "INSERT",  "UPDATE", "DELETE", "REPLACE", "CREATE",  "ALTER",  "DROP",
    "BEGIN",  "COMMIT", "END",   "ROLLBACK", "SAVEPOINT", "RELEASE", "EXPLAIN", "ANALYZE", "VACUUM", "REINDEX"};
constexpr std::string_view sqlite_suspect_words[] = {"temp"};
constexpr sdk::session_dialect sqlite_session_dialect{sqlite_plain_words, sqlite_suspect_words};

std::unique_ptr<sdk::statement> sqlite_connection::prepare(std::string_view sql, std::uint32_t flags) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX))
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "sqlite: statement text is larger than 2 GiB");
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  clear_function_error();
  const unsigned pf = (flags & DBR_PREPARE_PERSISTENT) ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), pf, &st, &tail);
  if (rc != SQLITE_OK) raise(rc);
  if (st == nullptr)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "sqlite: the SQL text holds no statement").sqlstate("42601");
  // One statement per prepare; trailing blanks, ';' and comments are fine.
  const char* end = sql.data() + sql.size();
  if (tail != nullptr && tail < end) {
    sqlite3_stmt* extra = nullptr;
    rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &extra, nullptr);
    sqlite3_finalize(extra);
    if (rc != SQLITE_OK || extra != nullptr) {
      sqlite3_finalize(st);
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       "sqlite: prepare takes one statement but the SQL text holds more; run scripts with "
                       "execute_script")
          .sqlstate("42601");
    }
  }
  try {
    auto s = std::make_unique<sqlite_statement>(*this, st, is_insert_sql(sql));
    s->set_changes_session(sdk::sql_changes_session(sql, sqlite_session_dialect));
    return s;
  } catch (...) {
    sqlite3_finalize(st);  // the constructor did not complete, so no destructor will
    throw;
  }
}

void sqlite_connection::execute_script(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs NUL-terminated SQL
  exec(text.c_str());
}

// ---------------------------------------------------------- transactions
void sqlite_connection::begin(const dbr_txn_options& opts) {
  if (in_transaction())
    throw sdk::error(DBR_CAT_INVALID_STATE, "sqlite: a transaction is already open; nest with a savepoint")
        .sqlstate("25001");
  if (opts.read_only != 0) {
    // SQLite has no read-only transactions; query_only refuses writes until
    // the transaction ends.
    exec("PRAGMA query_only=ON");
    read_only_txn_ = true;
  }
  try {
    // SERIALIZABLE takes the write lock up front (BEGIN IMMEDIATE), so a
    // later write cannot fail with BUSY halfway through. A read-only one
    // never writes: BEGIN IMMEDIATE is itself a write that query_only refuses,
    // and a deferred transaction already reads one consistent snapshot
    // (SQLite transactions are serializable).
    if (opts.isolation == DBR_ISOLATION_SERIALIZABLE && opts.read_only == 0)
      run_cached(begin_immediate_, "BEGIN IMMEDIATE");
    else
      run_cached(begin_, "BEGIN");
  } catch (...) {
    end_read_only();
    throw;
  }
}

void sqlite_connection::end_read_only() {
  if (!read_only_txn_) return;
  read_only_txn_ = false;
  sqlite3_exec(db_, "PRAGMA query_only=OFF", nullptr, nullptr, nullptr);
}

void sqlite_connection::commit() {
  if (!in_transaction())
    throw sdk::error(DBR_CAT_INVALID_STATE, "sqlite: commit with no transaction open").sqlstate("25P01");
  run_cached(commit_, "COMMIT");
  end_read_only();
}

void sqlite_connection::rollback() {
  if (!in_transaction())
    throw sdk::error(DBR_CAT_INVALID_STATE, "sqlite: rollback with no transaction open").sqlstate("25P01");
  run_cached(rollback_, "ROLLBACK");
  end_read_only();
}

// The SDK has checked names against [a-z0-9_], so they need no quoting.
void sqlite_connection::savepoint(const char* name) { exec(("SAVEPOINT " + std::string(name)).c_str()); }
void sqlite_connection::release_savepoint(const char* name) {
  exec(("RELEASE SAVEPOINT " + std::string(name)).c_str());
}
void sqlite_connection::rollback_to_savepoint(const char* name) {
  exec(("ROLLBACK TO SAVEPOINT " + std::string(name)).c_str());
}

// ------------------------------------------------------------- functions
void sqlite_connection::create_scalar(const char* name, std::int32_t nargs, std::uint32_t flags,
                                      std::unique_ptr<sdk::host_function> fn) {
  if (nargs < -1 || nargs > sqlite3_limit(db_, SQLITE_LIMIT_FUNCTION_ARG, -1))
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     "sqlite: function '" + std::string(name) + "' takes " + std::to_string(nargs) +
                         " arguments; SQLite allows -1 (variadic) to " +
                         std::to_string(sqlite3_limit(db_, SQLITE_LIMIT_FUNCTION_ARG, -1)));
  auto* ctx = new function_ctx{std::move(fn), this};
  const int eflags = SQLITE_UTF8 | ((flags & DBR_FN_DETERMINISTIC) ? SQLITE_DETERMINISTIC : 0);
  // From here SQLite owns ctx: it calls destroy_function on replacement, on
  // close, and also when registration fails.
  const int rc = sqlite3_create_function_v2(db_, name, nargs, eflags, ctx, &call_function, nullptr, nullptr,
                                            &destroy_function);
  if (rc != SQLITE_OK) raise(rc);
}

}  // namespace dbridge_sqlite
