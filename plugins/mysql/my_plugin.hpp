// SPDX-License-Identifier: Apache-2.0
// The MySQL / MariaDB driver's classes, on MariaDB Connector/C. Everything
// crosses the boundary through the SDK (dbridge/sdk/*.hpp); nothing here
// knows the core.
//
// Type mapping (both ways), decided once for the whole driver:
//   TINYINT..BIGINT, YEAR          INT64 (BIGINT UNSIGNED: UINT64, full range)
//   BIT(n)                         UINT64 (the bits as a number, n <= 64)
//   DECIMAL                        DECIMAL (exact text)
//   FLOAT, DOUBLE                  DOUBLE
//   CHAR/VARCHAR/TEXT/ENUM/SET     TEXT (utf8mb4; the connection charset)
//   BINARY/VARBINARY/BLOB          BYTES (any string column with the binary
//                                  collation, charset number 63)
//   JSON                           JSON (MySQL's JSON type, MariaDB's json
//                                  format attribute)
//   DATE                           DATE;  TIME: TIME (micros, may be negative
//                                  or past 24h: '-838:59:59' is exact)
//   DATETIME                       TIMESTAMP (local, no zone)
//   TIMESTAMP                      TIMESTAMPTZ with offset 0 (the UTC
//                                  instant): the server speaks TIMESTAMP in
//                                  the session time_zone, which the driver
//                                  pins to '+00:00' at connect and follows
//                                  through session state tracking when a user
//                                  changes it; a fixed offset converts exactly,
//                                  a named zone (DST) is refused.
//   zero dates ('0000-00-00', '2024-02-00', zero DATETIME/TIMESTAMP)
//                                  name no real day: a data error naming the
//                                  column, unless the URL says zero_date=null
//                                  (NULL) or zero_date=text (the server's text).
#pragma once

#include <dbridge/sdk/arena.hpp>
#include <dbridge/sdk/cursor.hpp>
#include <dbridge/sdk/driver.hpp>
#include <dbridge/sdk/error.hpp>
#include <dbridge/sdk/placeholders.hpp>
#include <dbridge/sdk/timeout.hpp>
#include <dbridge/sdk/session.hpp>
#include <dbridge/sdk/value.hpp>
#include <mysql.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge_mysql {

namespace sdk = dbridge::sdk;

inline constexpr const char* native_domain = "mariadb";

class my_connection;

/// What leaves a MariaDB/MySQL session alone. Suspect anywhere: '@' (user
/// variables, SELECT ... INTO @v, @@session assignments), GET_LOCK (named
/// locks are per session), TEMPORARY tables.
inline constexpr std::string_view my_plain_words[] = {
    "SELECT", "WITH",  "VALUES",  "TABLE",    "INSERT",  "UPDATE",   "DELETE",   "REPLACE",  "SHOW",
    "EXPLAIN", "DESCRIBE", "DESC", "BEGIN",   "START",   "COMMIT",   "ROLLBACK", "SAVEPOINT", "RELEASE",
    "CREATE",  "ALTER", "DROP",    "TRUNCATE", "RENAME", "GRANT",    "REVOKE",   "ANALYZE",  "OPTIMIZE"};
inline constexpr std::string_view my_suspect_words[] = {"@", "get_lock", "temporary"};
inline constexpr sdk::session_dialect my_session_dialect{my_plain_words, my_suspect_words};

/// Memory the copied cells of a batch borrow (SDK).
using arena = sdk::arena;

// ------------------------------------------------------------ placeholders
/// SQL with every placeholder style rewritten to `?` (the SDK's one rule);
/// `text` always holds what the server prepares.
using translated_sql = sdk::placeholder_plan;

/// The session's time_zone: the server reads and writes TIMESTAMP as wall
/// time in it.
struct session_zone {
  std::string name = "+00:00";
  std::optional<std::int32_t> offset_s = 0;  ///< empty: a named zone, whose offset varies
  static session_zone parse(std::string_view name);
  /// Seconds from UTC to the session's wall time; a data error for a named zone.
  std::int32_t offset(std::string_view what) const;
};

// ------------------------------------------------------------ parameters
/// Reusable MYSQL_BIND storage for statement parameters.
class param_binder {
 public:
  void resize(std::size_t n);
  /// Fills bind slot i from v (borrowed for the execute call); user_index is
  /// the caller's 1-based parameter number, for messages.
  void set(std::size_t i, const dbr_value& v, std::size_t user_index, const session_zone& zone);
  MYSQL_BIND* binds() noexcept { return binds_.data(); }
  std::size_t size() const noexcept { return binds_.size(); }

 private:
  struct slot {
    MYSQL_TIME t;
    long long i;
    double d;
    signed char b;
    my_bool is_null;
    unsigned long length;
  };
  std::vector<MYSQL_BIND> binds_;
  std::vector<slot> slots_;
  std::vector<std::string> text_;
};

/// Column-wise array binding (MariaDB's STMT_ATTR_ARRAY_SIZE, indicator
/// arrays for NULLs): many rows of one statement in one round trip. Each
/// column binds as one MYSQL_TYPE_*, so the rows of one execution must agree
/// on a column's binding class (NULL agrees with every class).
class array_binder {
 public:
  /// The binding class of a tag; throws a data error for one MySQL cannot take.
  static int class_of(std::uint32_t tag);
  /// Forgets the classes seen: the next row starts a new set of nslots
  /// bind slots.
  void restart(std::size_t nslots) { classes_.assign(nslots, 0); }
  /// True when row agrees with the classes seen so far; bind slot k takes
  /// the row's value order[k] (empty order: k).
  bool fits(const dbr_value* row, std::span<const std::uint32_t> order = {}) const;
  /// Records row's classes (after fits()).
  void note(const dbr_value* row, std::span<const std::uint32_t> order = {});
  /// Binds n rows of `width` values (row-major, borrowed until the execute)
  /// to s and sets its array size; bind slot k takes value order[k] of each
  /// row (empty order: k). The classes must have been noted for these rows.
  /// False when Connector/C refuses (its error is on s).
  bool bind(MYSQL_STMT* s, const dbr_value* rows, std::size_t n, std::size_t width,
            std::span<const std::uint32_t> order, const session_zone& zone);
  /// Back to one row per execute (array size 0) for s.
  static void unbind(MYSQL_STMT* s) noexcept;

 private:
  struct column {
    std::vector<long long> ll;
    std::vector<double> dd;
    std::vector<MYSQL_TIME> tt;
    std::vector<MYSQL_TIME*> tp;
    std::vector<char*> pp;
    std::vector<unsigned long> len;
    std::vector<char> ind;
  };
  std::vector<int> classes_;
  std::vector<column> cols_;
  std::vector<MYSQL_BIND> binds_;
  std::deque<std::string> rendered_;  // UUIDs as the text the server parses
};

/// Fills a MYSQL_TIME from a temporal value (DATE/TIME/TIMESTAMP, or a
/// TIMESTAMPTZ instant as wall time in zone) and returns the MYSQL_TYPE_* to
/// send it as.
enum_field_types to_mysql_time(const dbr_value& v, MYSQL_TIME& t, const session_zone& zone);
/// Text the server parses for a value without a native binding (UUID).
std::string render_text(const dbr_value& v);

// ------------------------------------------------------------ results
enum class kind : std::uint8_t {
  int64, uint64, bit, float64, decimal, text, bytes, json, date, time, datetime, timestamp,
};

/// What a zero date ('0000-00-00', '2024-02-00') reads as: the URL's
/// zero_date option; by default an error, since no value can stand for it.
enum class zero_date_mode : std::uint8_t { error, null, text };

/// How the columns of one result set are described, bound and decoded.
/// Column buffers are reused across rows; long values grow them once.
class column_plan {
 public:
  /// From result metadata (freed by the caller).
  void build(MYSQL_RES* meta, zero_date_mode zero_date, const session_zone& zone);
  /// Whether meta describes the columns this plan was built from. A cached
  /// statement's result keeps its column count but not always its types: a
  /// parameter's type types SELECT ?, and ALTER TABLE can change a column.
  bool describes(MYSQL_RES* meta) const;
  /// (Re)binds the buffers to stmt's result.
  void bind(MYSQL_STMT* stmt);
  /// Decodes the row just fetched; cells borrow the column buffers.
  /// truncated: mysql_stmt_fetch said MYSQL_DATA_TRUNCATED.
  void decode(MYSQL_STMT* stmt, bool truncated, dbr_value* out);
  std::span<const dbr_column> columns() const noexcept { return cols_; }
  std::size_t size() const noexcept { return kinds_.size(); }
  const std::vector<std::string>& names() const noexcept { return names_; }
  const std::vector<std::string>& natives() const noexcept { return natives_; }

 private:
  struct buffer {
    long long i = 0;
    double d = 0;
    MYSQL_TIME t{};
    std::vector<char> s;
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
  };
  /// What of a column's metadata the plan reads (its name is in names_).
  struct shape {
    enum_field_types type;
    unsigned flags, charsetnr, decimals;
    unsigned long length;
    bool json;
    bool operator==(const shape&) const = default;
  };
  static shape shape_of(const MYSQL_FIELD& f);
  std::vector<std::string> names_, natives_;
  std::vector<shape> shapes_;
  std::vector<dbr_column> cols_;
  std::vector<kind> kinds_;
  std::vector<MYSQL_BIND> binds_;
  std::vector<buffer> bufs_;
  bool rebind_ = false;
  zero_date_mode zero_date_ = zero_date_mode::error;
  // The connection's, read at each row: a cached statement's plan outlives
  // a SET time_zone.
  const session_zone* zone_ = nullptr;
  /// A zero date in column i, as the URL's zero_date says.
  dbr_value zero_date(std::size_t i);
};

/// Decodes a date, time or timestamp into a cell. Returns false when the
/// value is a zero date (no day: out is left alone).
bool decode_temporal(kind k, const MYSQL_TIME& t, dbr_value& out);
/// The SQL type name of a result column ("BIGINT UNSIGNED", "VARCHAR"...).
std::string native_name(const MYSQL_FIELD& f);

// ------------------------------------------------------------ statements
/// A prepared statement (binary protocol); also its own cursor, streaming
/// with mysql_stmt_fetch straight off the wire.
class my_statement final : public sdk::statement, public sdk::cursor {
 public:
  my_statement(my_connection& c, MYSQL_STMT* stmt, translated_sql sql, std::size_t markers);
  ~my_statement() override;

  std::uint32_t param_count() override { return sql_.nparams; }
  sdk::cursor* execute(std::span<const dbr_value> params, dbr_exec_info& info) override;
  /// Array binding on MariaDB for INSERT, REPLACE, UPDATE and DELETE, in a
  /// transaction or savepoint of its own
  /// (my_batch.cpp); anything else, or a server without bulk operations,
  /// runs a row at a time.
  void execute_batch(std::span<const dbr_value> params, std::uint64_t nrows, dbr_exec_info& info,
                     std::uint64_t& failed_row) override;

  std::span<const dbr_column> columns() override;
  std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) override;
  bool next_result() override;
  void close() override { discard(); }

  /// Copies everything still on the wire (the rest of this result set and
  /// every later one) into memory so the connection can run something else;
  /// the rows stay readable.
  void detach();
  MYSQL_STMT* raw() const noexcept { return stmt_; }

 private:
  struct stored_set {
    std::vector<dbr_column> cols;
    std::vector<dbr_value> cells;
    std::size_t ncols = 0, next = 0;
  };
  /// Moves to the next result set that has columns (described by p);
  /// false when none.
  bool advance_on_wire(column_plan& p);
  void start_set(column_plan& p);
  void finish_wire() noexcept;
  void discard() noexcept;
  /// Copies the rest of the set p describes into s.
  void store_current(column_plan& p, stored_set& s);
  [[noreturn]] void raise(std::string_view context);
  /// Runs rows [from, to) of a batch one execute at a time inside a
  /// savepoint rolled back afterwards, to find the row whose error made an
  /// array execution fail (the server does not say); throws that row's
  /// error with failed_row set, or returns when every row passed.
  void locate_failure(std::span<const dbr_value> params, std::size_t width, std::uint64_t from, std::uint64_t to,
                      std::uint64_t& failed_row);
  /// An array execution the server refused: its error and its rows [from, to).
  struct failed_array {
    sdk::error error;
    std::uint64_t from, to;
  };
  /// Runs a batch's rows as arrays (in the transaction or after the
  /// savepoint execute_batch opened); returns the rows affected, -1 unknown.
  std::int64_t run_arrays(std::span<const dbr_value> params, std::uint64_t nrows, std::size_t width,
                          array_binder& arrays, std::size_t budget);
  /// Rolls a failed batch back; false when the server warned that it could
  /// not undo everything (a non-transactional table kept rows).
  bool undo_batch(bool own_tx) noexcept;
  /// After CR_NEW_STMT_METADATA (a table changed shape since the prepare):
  /// reads the unwanted result off the wire, proves the connection in sync
  /// (else fails it as broken), and prepares the statement anew.
  void reprepare_after_new_metadata();
  /// Whether plan_ still describes the result the last execute began.
  bool plan_fits();

  my_connection& c_;
  MYSQL_STMT* stmt_;
  translated_sql sql_;
  bool changes_session_;
  param_binder params_;
  column_plan plan_;
  column_plan later_plan_;  // result sets after the current one, while detaching
  bool streaming_ = false;  // this statement owns the connection's wire
  bool set_done_ = true;    // the current set has no more rows
  bool first_plan_ = false; // plan_ describes the first result set and is bound
  std::deque<stored_set> stored_;
  bool from_store_ = false;
  arena arena_;
  std::vector<dbr_value> cells_;    // the row handed out (borrowed by the core)
  std::vector<dbr_value> scratch_;  // rows being copied while detaching
  std::unique_ptr<array_binder> arrays_;  // made by the first array execution
  std::uint64_t single_row_failed_ = UINT64_MAX;  // the row run_arrays was on when it threw
};

// ------------------------------------------------------------ connection
struct connect_params {
  std::string host, user, password, database, socket;
  unsigned port = 0;
};

class my_connection final : public sdk::connection,
                            public sdk::cap::sql,
                            public sdk::cap::transactions,
                            public sdk::cap::bulk,
                            public sdk::cap::introspect,
                            public sdk::cap::cancel,
                            public sdk::cap::session_reset {
 public:
  explicit my_connection(const dbr_url& url);
  ~my_connection() override;

  MYSQL* raw() const noexcept { return mysql_; }

  /// Makes the wire free for a new command: a streaming result is copied
  /// into memory (except self's, which its owner handles).
  void settle(my_statement* self = nullptr);
  /// Fails (retryable on a new connection) when an idle connection was
  /// closed by the server.
  void check_alive();
  void set_streaming(my_statement* s) noexcept { streaming_ = s; }
  my_statement* streaming() const noexcept { return streaming_; }
  void forget(my_statement* s) noexcept {
    if (streaming_ == s) streaming_ = nullptr;
  }

  /// The error of the connection / of a statement, classified.
  sdk::error error_for(unsigned err, const char* sqlstate, const char* message, std::string_view context);
  [[noreturn]] void raise(std::string_view context);
  [[noreturn]] void raise(MYSQL_STMT* stmt, std::string_view context);
  /// After a protocol-level surprise: true when a round trip with a known
  /// answer comes back right, so the connection may be used again.
  bool proven_in_sync() noexcept;
  sdk::error stmt_error(MYSQL_STMT* stmt, std::string_view context);
  /// Runs one text command and discards every result; throws on failure.
  void run(std::string_view sql, std::string_view context);
  /// Runs a text query and returns its rows as strings (NULL: nullptr in
  /// present[]). For introspection.
  struct text_rows {
    std::vector<std::string> cells;
    std::vector<char> present;
    std::size_t ncols = 0, nrows = 0;
  };
  text_rows query_text(const std::string& sql);
  /// A table's columns in the DBR_META_COLUMNS layout, read from a zero-row
  /// SELECT's metadata: unlike information_schema it sees TEMPORARY tables.
  /// No rows when the table does not exist.
  text_rows described_columns(const char* schema, std::string_view table);
  std::string quote(std::string_view value);        ///< 'escaped'
  static std::string quote_ident(std::string_view name);  ///< `escaped`
  bool bulk_supported() const noexcept;
  const std::string& bulk_method() const noexcept { return bulk_method_; }
  zero_date_mode zero_date() const noexcept { return zero_date_; }
  const session_zone& zone() const noexcept { return zone_; }
  /// Follows the session's time_zone from the server's session state
  /// tracking (after every statement).
  void track_session_state() noexcept;
  /// Asks the server (init_command may have set it before tracking could see it).
  void read_session_zone();
  /// The session's max_allowed_packet in bytes, read from the server the
  /// first time it is needed (it cannot change within a session).
  unsigned long long max_allowed_packet();
  bool cancel_requested() const noexcept { return cancel_requested_.load(std::memory_order_relaxed); }
  void clear_cancel() noexcept { cancel_requested_.store(false, std::memory_order_relaxed); }

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

  // bulk
  std::unique_ptr<sdk::bulk_transfer> copy_in(const char* table, std::span<const char* const> columns,
                                              const sdk::param_list& options) override;
  std::unique_ptr<sdk::bulk_transfer> copy_out(std::string_view sql) override;

  // introspect
  std::unique_ptr<sdk::cursor> list(std::uint32_t what, const char* schema, const char* table) override;

  // cancel
  void cancel_running() override;

  // session reset (ABI 1.1)
  std::uint32_t reset_session() override;

 private:
  void drain_results(std::string_view context);

  MYSQL* mysql_ = nullptr;
  std::uint64_t sync_checks_ = 0;  // makes each proven_in_sync answer unique
  connect_params params_;
  unsigned connect_timeout_ = static_cast<unsigned>(sdk::default_connect_timeout_s);
  unsigned read_timeout_ = 0, write_timeout_ = 0;  ///< URL options; 0 = none
  unsigned long thread_id_ = 0;
  my_statement* streaming_ = nullptr;
  std::string bulk_method_ = "auto";
  zero_date_mode zero_date_ = zero_date_mode::error;
  session_zone zone_;
  bool has_init_commands_ = false;  // they may set time_zone: read it back
  std::string info_buf_;
  std::atomic<bool> cancel_requested_{false};
  /// What connect applied on top of the server's defaults, run again after
  /// mysql_reset_connection: SET NAMES, the UTC time zone, init_command.
  std::string session_setup_;
  unsigned long long max_allowed_packet_ = 0;  // 0: not read yet
};

}  // namespace dbridge_mysql
