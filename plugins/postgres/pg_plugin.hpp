// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL driver's classes, on libpq. Everything crosses the boundary
// through the SDK (dbridge/sdk/*.hpp); nothing here knows the core.
#pragma once

#include <dbridge/sdk/cursor.hpp>
#include <dbridge/sdk/driver.hpp>
#include <dbridge/sdk/error.hpp>
#include <dbridge/sdk/timeout.hpp>
#include <dbridge/sdk/value.hpp>
#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pg_types.hpp"
#include "pg_zone.hpp"

namespace dbridge_postgres {

namespace sdk = dbridge::sdk;

inline constexpr const char* native_domain = "libpq";

class pg_connection;

/// Owns a PGresult. Empty ones are not passed to PQclear: a call into libpq
/// costs some 20 instructions even for NULL, and the hot paths move and
/// reset these several times per query.
struct result_ptr {
  PGresult* r = nullptr;
  result_ptr() = default;
  explicit result_ptr(PGresult* p) noexcept : r(p) {}
  result_ptr(result_ptr&& o) noexcept : r(o.r) { o.r = nullptr; }
  result_ptr& operator=(result_ptr&& o) noexcept {
    if (this != &o) {
      if (r != nullptr) PQclear(r);
      r = o.r;
      o.r = nullptr;
    }
    return *this;
  }
  ~result_ptr() {
    if (r != nullptr) PQclear(r);
  }
  PGresult* get() const noexcept { return r; }
  ExecStatusType status() const noexcept { return PQresultStatus(r); }
};

/// How the columns of a result are decoded; shared by statement cursors,
/// pipeline results and introspection.
struct column_plan {
  std::vector<std::string> names, type_names;
  std::vector<codec> codecs;
  std::vector<codec> elems;  ///< element codec of text-format arrays
  /// Binary columns holding timestamptz values (alone or in arrays): bare
  /// UTC instants, given the session zone's offset after decoding.
  std::vector<std::size_t> zoned;
  /// Sets the session's offsets in the zoned columns of nrows decoded rows.
  void apply_zone(pg_connection& c, dbr_value* cells, std::size_t nrows) const;
  std::vector<dbr_column> cols;
  int format = 1;  ///< 1 binary, 0 text (a column of a type we cannot decode in binary)
  /// No array columns: a decoded row borrows from its PGresult only through
  /// top-level text/bytes cells, which decode_row_owned copies.
  bool self_contained = true;
  /// Builds the plan from a described or executed result.
  /// From a Describe (from_result false: picks the format to request) or
  /// from a result whose per-column formats are already fixed.
  void build(pg_connection& c, const PGresult* desc, bool from_result = false);
  void decode_row(const PGresult* r, int row, dbr_value* out, arena& a) const;
  /// decode_row for a self_contained plan, copying into a whatever still
  /// points into r, so r can be freed at once.
  void decode_row_owned(const PGresult* r, int row, dbr_value* out, arena& a) const;
  /// decode_row for a self_contained plan, the commonest cells inline; the
  /// cells borrow from r.
  /// Inline: only the statement's cursor (pg_statement.cpp) uses it, once per row.
  [[gnu::always_inline]] inline void decode_row_in_place(const PGresult* r, int row, dbr_value* out, arena& a) const;

 private:
  template <bool Copy>
  [[gnu::always_inline]] inline void decode_row_fast(const PGresult* r, int row, dbr_value* out, arena& a) const;

 public:
};

/// A standalone cursor over complete PGresults (pipeline items).
class result_cursor final : public sdk::cursor {
 public:
  result_cursor(pg_connection& c, result_ptr r);
  std::span<const dbr_column> columns() override { return plan_.cols; }
  std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) override;
  void close() override {}  // owned by the connection's batch state

 private:
  pg_connection& c_;
  result_ptr res_;
  column_plan plan_;
  int next_ = 0;
  std::vector<dbr_value> cells_;
  arena arena_;
};

/// A server-side prepared statement; it is also its own cursor, streaming in
/// libpq's single-row mode.
class pg_statement final : public sdk::statement, public sdk::cursor {
 public:
  pg_statement(pg_connection& c, std::string name, std::string sql, const PGresult* desc);
  ~pg_statement() override;

  std::uint32_t param_count() override { return static_cast<std::uint32_t>(param_types_.size()); }
  sdk::cursor* execute(std::span<const dbr_value> params, dbr_exec_info& info) override;
  /// Statements without result rows run as a pipeline of the prepared
  /// statement (pg_batch.cpp); others row by row.
  void execute_batch(std::span<const dbr_value> params, std::uint64_t nrows, dbr_exec_info& info,
                     std::uint64_t& failed_row) override;

  std::span<const dbr_column> columns() override { return plan_.cols; }
  std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) override;
  void close() override;

  /// Pulls the rest of the running result off the wire into memory so the
  /// connection can run something else; the rows stay readable.
  void detach();
  /// What running it does to the session (see pg_connection::prepare).
  void set_session_effect(bool changes, bool sql_prepare) noexcept {
    changes_session_ = changes;
    sql_prepare_ = sql_prepare;
  }

 private:
  /// Takes the parameter types and column plan of a Describe.
  void adopt(const PGresult* desc);
  /// Parses the statement again under a new name (the old one is deallocated).
  void reprepare();
  /// Sends and reads up to the first row; false (nothing raised) when the
  /// server refused it because a table it reads changed shape.
  bool run(std::span<const dbr_value> params, dbr_exec_info& info);
  /// execute's steady state for point selects: a statement read whole
  /// (small_runs_ >= whole_after) whose first batch rides on execute. One
  /// frame from send to decoded row; nullptr when the server refused it
  /// (failed_ set), left to refused().
  [[gnu::always_inline]] inline sdk::cursor* run_whole(std::span<const dbr_value> params, dbr_exec_info& info);
  /// After a refused run: raises its error, or, when the refusal was a
  /// stale plan, prepares the statement anew and runs it again.
  [[gnu::noinline]] sdk::cursor* refused(std::span<const dbr_value> params, dbr_exec_info& info);
  [[noreturn, gnu::noinline, gnu::cold]] void refuse_call(std::size_t nparams) const;
  /// Encodes params into params_ for the described parameter types.
  void encode(std::span<const dbr_value> params);
  /// encode's body, inline in the execute paths (pg_statement.cpp).
  [[gnu::always_inline]] inline void encode_inline(std::span<const dbr_value> params);
  /// encode for a parameter without the inline integer fast path.
  [[gnu::noinline]] void encode_general(std::size_t i, const dbr_value& v);
  /// PQsendQueryPrepared of params_ (raises when it could not be sent).
  void send(std::size_t nparams);
  /// What execute returns after a successful run: this cursor (its first
  /// batch read when asked), or nullptr for a statement without columns.
  sdk::cursor* ran(dbr_exec_info& info);
  PGresult* next_row();   // next single-row result, or nullptr at the end
  PGresult* read_wire();  // same, straight from libpq; errors parked in failed_
  /// Reads the whole result into whole_ (no single-row mode); errors parked
  /// in failed_ as read_wire does (then false).
  [[gnu::always_inline]] inline bool read_whole();
  /// read_whole past its usual answer: r is the next result (or nullptr).
  [[gnu::noinline]] void read_whole_rest(PGresult* r);
  /// A run ended having produced rows_seen_ rows: counts towards reading whole.
  void note_rows() noexcept {
    small_runs_ = rows_seen_ > 1 ? 0 : small_runs_ < whole_after ? static_cast<std::uint8_t>(small_runs_ + 1) : whole_after;
  }
  void release_batch() noexcept;
  /// Ends the current run and frees what it holds. Runs twice per query
  /// (close, then the next execute): inline when nothing is held.
  void discard() noexcept {
    if (held_ == holding::nothing) return;
    if (held_ == holding::whole_only) {  // a point select's, on close
      whole_ = result_ptr();
      finished_ = true;
      held_ = holding::nothing;
      return;
    }
    discard_held();
  }
  void discard_held() noexcept;
  /// What the current run may hold, so that discard tests one byte: nothing
  /// (discarded), only whole_ (run_whole's answer), or anything (every other
  /// run, from its start).
  enum class holding : std::uint8_t { nothing, whole_only, any };
  holding held_ = holding::nothing;

  pg_connection& c_;
  std::string name_;
  std::string sql_;
  bool stale_ = false;  // the server's plan no longer matches: parse again before running
  std::uint64_t generation_;  // the connection's statement generation at prepare
  bool changes_session_ = true;
  bool sql_prepare_ = false;  // a SQL-level PREPARE: the reset must DISCARD ALL
  std::vector<Oid> param_types_;
  std::size_t nparams_ = 0;  // param_types_.size(), checked per query
  column_plan plan_;
  bool streaming_ = false;   // our query owns the connection's wire
  bool finished_ = true;
  // Point selects: single-row mode costs two PGresults per query (the row
  // and the empty final one), each copying the column descriptions. After
  // whole_after runs in a row of at most one row each, the statement reads
  // its result whole, like PQexecPrepared; the first run with more rows
  // sends it back to streaming, so a large result is held whole at most once.
  static constexpr std::uint8_t whole_after = 8;
  std::uint8_t small_runs_ = 0;
  bool whole_able_ = false;  // plan_ self-contained with columns (adopt): run_whole can serve it
  std::uint64_t rows_seen_ = 0;  // rows the current run has produced so far
  result_ptr whole_;             // the result of a run read whole
  int whole_next_ = 0;           // its next row to fetch
  std::deque<PGresult*> buffered_;
  result_ptr failed_;
  std::vector<PGresult*> batch_;
  std::vector<dbr_value> cells_;  // never fewer than one row's (adopt)
  std::size_t ncols_ = 0;         // plan_.cols.size(), read per query
  arena arena_;
  param_buffers params_;
};

class pg_connection final : public sdk::connection,
                            public sdk::cap::sql,
                            public sdk::cap::transactions,
                            public sdk::cap::notify,
                            public sdk::cap::bulk,
                            public sdk::cap::batch,
                            public sdk::cap::introspect,
                            public sdk::cap::cancel,
                            public sdk::cap::session_reset {
 public:
  explicit pg_connection(const dbr_url& url);
  ~pg_connection() override;

  PGconn* raw() const noexcept { return conn_; }

  /// Makes the wire free for a new command: an active streaming result is
  /// buffered (except `self`, which is discarded by its owner).
  void settle(pg_statement* self = nullptr) {
    // Every execute passes here: the usual case (nothing open, nothing
    // streaming) inline.
    if (out_of_step_.empty() && !in_batch_ && streaming_ == nullptr) [[likely]] {
      clear_cancel_flag();
      check_alive();
      return;
    }
    settle_slow(self);
  }
  /// Runs the prepared statement `name` (no result rows) once per row in
  /// one pipeline with one Sync at the end: outside a transaction the rows
  /// commit together or not at all. row(i) encodes row i's parameters.
  /// Returns the rows affected; a failing row's error is thrown with
  /// failed_row = base + its index (pg_batch.cpp).
  std::int64_t pipeline_prepared(const std::string& name, std::uint64_t base, std::uint64_t n,
                                 const std::function<const param_buffers&(std::uint64_t)>& row,
                                 std::uint64_t& failed_row);
  void set_streaming(pg_statement* s) noexcept { streaming_ = s; }
  pg_statement* streaming() const noexcept { return streaming_; }
  void forget_statement(pg_statement* s, const std::string& name, std::uint64_t generation) noexcept;
  /// Bumped when a session reset dropped every server-side statement: older
  /// pg_statement objects name statements the server no longer has.
  std::uint64_t generation() const noexcept { return generation_; }
  void note_sql_prepare() noexcept { sql_prepared_ = true; }
  std::string next_statement_name();
  /// Parse + Describe of a named statement in one round trip; the Describe.
  result_ptr parse(const std::string& name, const std::string& text);

  /// The error of a failed result (or of the connection when r is NULL).
  sdk::error error_for(const PGresult* r, std::string_view context = {});
  /// The connection was found dead before the request went out: nothing
  /// reached the server, so it is retryable on a new connection.
  sdk::error unsent_error(std::string_view context);
  [[noreturn]] void raise(const PGresult* r, std::string_view context = {}) { throw error_for(r, context); }
  /// Runs sql with text parameters (text results); throws on failure.
  result_ptr exec(const char* sql, std::span<const char* const> params = {}, int result_format = 0);
  /// Reads every remaining result of the command in flight; throws the first
  /// error. A COPY to or from the client is ended and refused.
  result_ptr finish_command(std::string_view context);
  /// Takes the server out of a COPY state the caller did not ask for.
  void leave_copy(ExecStatusType st) noexcept;

  // Read timeout (URL read_timeout): every wait for the server goes through
  // these. When the server sends nothing for read_timeout, the statement is
  // cancelled and the socket shut down, so libpq fails at once and
  // error_for() reports a timeout whose outcome is unknown.
  /// PQgetResult, waiting at most read_timeout between two reads.
  PGresult* get_result() noexcept {
    if (awaits_reads_) [[unlikely]] await_input();
    return PQgetResult(conn_);
  }
  /// PQexec / PQexecParams (text results) under the read timeout.
  result_ptr blocking_exec(const char* sql);
  result_ptr blocking_exec(const char* sql, int nparams, const char* const* values, int result_format);
  /// PQgetCopyData (blocking) under the read timeout.
  int get_copy_data(char** out) noexcept;

  const std::string& type_name(Oid oid);
  /// Whether a type's binary form is its text (enums, citext, domains over
  /// text...): looked up once per type with its name.
  bool sends_text(Oid oid);
  /// The session's current TimeZone (as the server last reported it).
  session_zone& zone();
  std::string quote_ident(std::string_view name);
  void clear_cancel_flag() noexcept { cancel_requested_.store(false, std::memory_order_relaxed); }

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
  bool in_transaction() override;

  // notify
  void listen(std::string_view channel, std::uint32_t flags) override;
  void unlisten(std::string_view channel, std::uint32_t flags) override;
  void notify_channel(std::string_view channel, std::string_view payload) override;
  bool wait(std::int64_t timeout_ms, dbr_notification& out) override;

  // bulk
  std::unique_ptr<sdk::bulk_transfer> copy_in(const char* table, std::span<const char* const> columns,
                                              const sdk::param_list& options) override;
  std::unique_ptr<sdk::bulk_transfer> copy_out(std::string_view sql) override;

  // batch
  void batch_begin() override;
  void batch_add_sql(std::string_view sql, std::span<const dbr_value> params) override;
  void batch_add_command(const sdk::argv_view& args) override;
  void batch_send() override;
  bool batch_next(dbr_batch_item& item, dbr_error* item_err) override;
  void batch_end() override;

  // introspect
  std::unique_ptr<sdk::cursor> list(std::uint32_t what, const char* schema, const char* table) override;

  // cancel
  void cancel_running() override;

  // session reset (ABI 1.1)
  std::uint32_t reset_session() override;

 private:
  /// Connects within connect_timeout seconds (0: no limit); throws timeout,
  /// auth or connection errors.
  void open(const std::string& conninfo, double connect_timeout);
  void simple(const char* sql, std::string_view context);
  /// Sends one simple-protocol command and reads all of its results.
  result_ptr send_and_finish(const char* sql, std::string_view context);
  /// Fails with unsent_error when an idle connection was closed by the server.
  /// Every execute passes here: the usual case (nothing waiting) inline.
  void check_alive() {
    pollfd p{};
    p.fd = PQsocket(conn_);
    p.events = POLLIN;
    if (p.fd < 0 || ::poll(&p, 1, 0) > 0) [[unlikely]] check_alive_slow(p.fd);
  }
  /// check_alive when the socket is gone or has something to read.
  [[gnu::noinline]] void check_alive_slow(int fd);
  void settle_slow(pg_statement* self);
  void flush_deallocations();

  PGconn* conn_ = nullptr;
  PGcancel* cancel_ = nullptr;
  std::atomic<bool> cancel_requested_{false};
  std::int64_t timeout_ms_ = 0;
  double read_timeout_s_ = 0;  ///< URL read_timeout; 0 = none
  bool read_timed_out_ = false;  ///< the server fell silent: the connection was shut down
  bool awaits_reads_ = false;    ///< read_timeout set and not yet fired: get_result waits in await_input
  bool read_timeout_reported_ = false;
  /// Waits until libpq has a whole result (or the connection failed).
  void await_input() noexcept;
  void on_read_timeout() noexcept;
  result_ptr collect();
  std::int64_t url_timeout_ms_ = -1;  // statement_timeout from the URL, re-applied after a reset
  bool sql_prepared_ = false;         // a SQL-level PREPARE ran since the last reset
  std::uint64_t generation_ = 0;
  pg_statement* streaming_ = nullptr;
  std::uint64_t next_stmt_ = 0;
  std::vector<std::string> pending_dealloc_;
  struct type_info {
    std::string name;
    bool sends_text = false;
  };
  const type_info& describe_type(Oid oid);
  std::unordered_map<Oid, type_info> types_;
  session_zone zone_;
  std::string info_buf_;
  PGnotify* last_notify_ = nullptr;
  // pipeline state
  bool in_batch_ = false;
  bool batch_lead_sync_ = false;  ///< the Sync that opens every batch is not read yet (pg_pipeline.cpp)
  std::uint32_t batch_queued_ = 0, batch_read_ = 0;
  /// Set when a pipeline (a batch, or prepare's Parse + Describe) lost its
  /// place in the reply stream: the connection was shut, and every later
  /// call fails with this.
  std::string out_of_step_;
  /// Shuts the connection and throws why (a connection error, broken).
  [[noreturn]] void lose_step(std::string_view context, std::string_view why);
  /// A pipeline call of libpq failed: a lost connection, or lose_step.
  [[noreturn]] void pipeline_call_failed(std::string_view context, std::string_view why);
  /// Reads the replies up to the next Sync; the statement's result, if any.
  result_ptr read_to_sync(std::string_view context);
  std::unique_ptr<result_cursor> batch_rows_;
  param_buffers batch_params_;
};

}  // namespace dbridge_postgres
