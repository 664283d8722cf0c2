// SPDX-License-Identifier: Apache-2.0
// The core side of one open connection: the plugin handle, the threading
// guard, the statement cache and the live results and statements that must
// be detached when it closes.
#pragma once

#include <dbridge/abi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/connection.hpp"
#include "dbridge/sdk/session.hpp"
#include "cursor_impl.hpp"
#include "plugin/host.hpp"
#include "plugin/plugin_record.hpp"
#include "registry_slot.hpp"
#include "statement_cache.hpp"
#include "statement_effect.hpp"
#include "transaction_control.hpp"
#include "tx_timeout.hpp"
#include "value_abi.hpp"

// Debug builds (and -DDBRIDGE_STRICT_THREAD_CHECK=1) refuse concurrent use
// with an atomic exchange, which no interleaving slips past; release builds
// use the cheaper check of connection_impl::claim.
#ifndef DBRIDGE_STRICT_THREAD_CHECK
#ifdef NDEBUG
#define DBRIDGE_STRICT_THREAD_CHECK 0
#else
#define DBRIDGE_STRICT_THREAD_CHECK 1
#endif
#endif

namespace dbridge::inline v1::detail {

/// Rows asked for per fetch: batches amortise the indirect call; plugins may
/// return fewer (SQLite returns one, its cells live only until the next step).
inline constexpr std::uint32_t fetch_batch = 256;

/// A connection field that only the thread holding the connection writes and
/// that registry listings read from other threads: relaxed atomic loads and
/// stores (plain moves on x86), never a locked read-modify-write.
template <class T>
class owner_field {
 public:
  owner_field(T v = T{}) noexcept : v_(v) {}  // NOLINT(google-explicit-constructor)
  owner_field(const owner_field&) = delete;
  owner_field& operator=(const owner_field&) = delete;
  operator T() const noexcept { return v_.load(std::memory_order_relaxed); }  // NOLINT
  owner_field& operator=(T v) noexcept {
    v_.store(v, std::memory_order_relaxed);
    return *this;
  }
  owner_field& operator++() noexcept { return *this = T(*this + 1); }
  owner_field& operator--() noexcept { return *this = T(*this - 1); }

 private:
  std::atomic<T> v_;
};

struct statement_impl {
  connection_impl* conn = nullptr;  ///< nullptr once the connection closed
  dbr_stmt* stmt = nullptr;
  std::string sql;
  std::uint32_t nparams = 0;
  bool transaction_sql = false;  ///< BEGIN, COMMIT...: ask the plugin after running it
  bool schema_sql = false;       ///< changes_schema(sql), decided once at prepare
  cursor_impl* live = nullptr;  ///< the result currently reading from stmt
  statement_impl* prev = nullptr;
  statement_impl* next = nullptr;
};

/// The statement a result's cursor reads from, handed back when the cursor
/// closes (close_cursor).
struct cursor_source {
  stmt_owner owner = stmt_owner::none;
  cached_stmt* entry = nullptr;      ///< stmt_owner::cached
  dbr_stmt* owned_stmt = nullptr;    ///< stmt_owner::owned
  statement_impl* stmt_impl = nullptr;  ///< stmt_owner::statement
};

struct connection_impl {
  std::shared_ptr<plugin_record> rec;  ///< keeps the library mapped
  dbr_conn* conn = nullptr;            ///< nullptr once closed
  std::shared_ptr<registry_slot> slot;
  std::string scheme, redacted_url, database;
  /// The password and secret options of the URL: only to scrub them from
  /// plugin messages; never printed.
  std::vector<std::string> secrets;
  bool serial = false;   ///< DBR_THREADING_GLOBAL_SERIAL
  std::atomic<bool> busy{false};
  statement_cache cache;
  cursor_impl* live_cursors = nullptr;
  owner_field<std::size_t> nlive = 0;
  statement_impl* live_stmts = nullptr;
  cursor_impl* spare = nullptr;  ///< one recycled cursor_impl, so query() need not allocate
  owner_field<std::size_t> tx_depth = 0;  ///< 0 none, 1 transaction, 2+ savepoints
  owner_field<bool> broken = false;
  owner_field<bool> leased = false;  ///< handed out by a pool: in_use between calls too
  /// A transaction opened by raw SQL or commands (BEGIN, MULTI) rather than
  /// the transaction API, as the plugin last reported it.
  owner_field<bool> raw_tx = false;
  /// Has subscribed (LISTEN / SUBSCRIBE) at some point: a pool closes such a
  /// connection on return rather than hand its channels to the next caller.
  bool subscribed = false;
  /// The session may hold state a later user must not see (a SET, a
  /// temporary table, a session lock...): a pool resets it or closes the
  /// connection on return. Cleared by a successful reset.
  bool session_dirty = false;
  /// A call entered since a pool last found no transaction open (set by
  /// claim()): a pool asks the plugin about a transaction only when true.
  bool called = true;
  /// The plugin reports session changes itself (negotiated ABI minor >= 1):
  /// the rule for its backend lives in it. Otherwise the core applies its
  /// generic, conservative rule to the SQL text.
  bool plugin_reports_session = false;
  abi_scratch scratch;
  std::vector<dbr_value> big_params;  ///< for calls with more parameters than the stack buffer
  /// Reused by every call: plugins write to it only on failure, and fail()
  /// clears it, so the success path never builds or frees an error record.
  abi_error err;

  // Transaction timeout (transaction_options::timeout, the pool's
  // transaction_timeout): the deadline is checked on entry to every call and
  // when a call fails; the watchdog cancels a call still running at it.
  std::int64_t tx_default_timeout_ns = 0;  ///< set by a pool; 0 = none
  std::int64_t tx_deadline_ns = 0;         ///< mono_ns(); 0 = none armed
  std::int64_t tx_timeout_ns = 0;          ///< of the armed (or last expired) deadline
  std::uint64_t tx_serial = 0;             ///< counts begin()s; a transaction object keeps its own
  std::uint64_t tx_expired_serial = 0;     ///< the transaction rolled back at its deadline
  std::shared_ptr<tx_watch> watch;         ///< created on first arm, when the plugin can cancel
  void arm_tx_deadline(std::int64_t timeout_ns);
  void disarm_tx_deadline() noexcept;
  /// In enter(), with the connection claimed: expires the transaction when
  /// its deadline has passed (leaving the claim before throwing).
  void check_tx_deadline();
  /// Rolls the transaction back and throws its timeout_error (cause: the
  /// error the expiry replaces, if any). The connection must be claimed.
  [[noreturn]] void expire_transaction(std::string cause);
  [[noreturn]] void throw_expired(std::string cause) const;

  explicit connection_impl(std::size_t cache_size) : cache(cache_size) {}
  ~connection_impl();
  connection_impl(const connection_impl&) = delete;
  connection_impl& operator=(const connection_impl&) = delete;

  const std::string& driver() const noexcept { return rec->id; }

  /// Throws the dbridge exception for a failed call; scrubs the password,
  /// marks the connection broken when the plugin says so.
  [[noreturn]] void fail(int32_t status, abi_error& err, std::string_view query = {});
  /// The same for a call that sent a statement (SQL text or a command name):
  /// an unknown outcome is settled by the rule of statement_effect.hpp.
  /// was_in_tx: a transaction was open before the call.
  /// The common end of fail and fail_sent: marks broken, scrubs secrets,
  /// reports an expired transaction instead when its deadline has passed.
  [[noreturn]] void raise(error_info info);
  [[noreturn]] void fail_sent(int32_t status, abi_error& err, std::string_view query, statement_effect effect,
                              bool was_in_tx);
  /// The same for a failure while reading a result's rows: the statement
  /// was sent, and its text (when the core kept it) decides the outcome.
  [[noreturn]] void fail_reading(int32_t status, const cursor_impl& c);
  /// Inside an explicit transaction, opened through the API or by raw SQL.
  bool in_explicit_tx() const noexcept { return tx_depth > 0 || raw_tx; }
  /// unsupported_error naming the driver and capability.
  [[noreturn]] void unsupported(std::string_view capability) const;
  void require(std::uint64_t cap, const void* slot, std::string_view capability) const {
    if (!rec->has(cap) || slot == nullptr) unsupported(capability);
  }

  /// Enter/leave a call into the plugin (see call_guard). Inline: they run
  /// several times per query.
  // Neither enter nor leave writes the registry: a listing derives the state
  // from busy, nlive, tx_depth, broken and leased (state_for_registry), which
  // the calls keep anyway. Three stores to the slot per query were 3% of a
  // prepared SQLite point select.
  void enter() {
    if (conn == nullptr) closed();
    if (!claim()) concurrent();
    if (serial) rec->serial_mutex.lock();
    if (tx_deadline_ns != 0) [[unlikely]] check_tx_deadline();
  }
  bool try_enter() noexcept {
    if (!claim()) return false;
    if (serial) rec->serial_mutex.lock();
    return true;
  }
  /// Marks the connection busy; false when another call already holds it.
  bool claim() noexcept {
    called = true;
#if DBRIDGE_STRICT_THREAD_CHECK
    return !busy.exchange(true, std::memory_order_acquire);
#else
    // One thread at a time is the caller's contract (docs/architecture.md, Threading). A plain
    // load and store catch a second thread calling in while a call is in
    // progress, without a locked instruction on every call (two per query
    // were 6% of a prepared SQLite point select). Only two threads entering
    // in the same few nanoseconds slip through; strict builds close that too.
    if (busy.load(std::memory_order_relaxed)) return false;
    busy.store(true, std::memory_order_relaxed);
    return true;
#endif
  }
  void leave() noexcept {
    if (serial) rec->serial_mutex.unlock();
    busy.store(false, std::memory_order_release);
  }
  /// What the registry shows; runs on the listing thread (relaxed reads).
  connection_state registry_state() const noexcept {
    if (broken) return connection_state::broken;
    if (tx_depth > 0 || raw_tx) return connection_state::in_transaction;
    if (busy.load(std::memory_order_relaxed) || nlive > 0 || leased) return connection_state::in_use;
    return connection_state::idle;
  }
  /// After raw transaction SQL or commands: asks the plugin whether a
  /// transaction is open now (a local check in every driver, no round trip).
  void refresh_raw_tx() noexcept {
    if (conn == nullptr || rec->txn.in_transaction == nullptr) return;
    const int32_t r = rec->txn.in_transaction(conn);
    if (r >= 0) raw_tx = r > 0;
    // A raw BEGIN gets the pool's transaction timeout too; a raw COMMIT ends it.
    if (tx_depth == 0 && tx_default_timeout_ns > 0) {
      if (raw_tx && tx_deadline_ns == 0) {
        try {
          arm_tx_deadline(tx_default_timeout_ns);
        } catch (...) {
          tx_deadline_ns = mono_ns() + tx_default_timeout_ns;  // checked on the next call, without the watchdog
        }
      } else if (!raw_tx && tx_deadline_ns != 0) {
        disarm_tx_deadline();
      }
    }
  }
  /// After running sql, successful or not (a lock may be held all the same).
  void note_session(const dbr_exec_info& info, std::string_view sql) noexcept {
    if (plugin_reports_session ? info.session_changed != 0
                               : sdk::sql_changes_session(sql, sdk::generic_sql_dialect)) [[unlikely]]
      session_dirty = true;
  }
  /// After sql ran (successful or not: a script may have run part of it):
  /// a schema change drops the cached statements prepared before it, which
  /// may describe columns that are gone.
  void note_schema(std::string_view sql) noexcept {
    if (!changes_schema(sql)) [[likely]] return;
    std::vector<dbr_stmt*> evicted;
    try {
      cache.drop_idle(evicted);
    } catch (...) {
      // Kept entries are still correct: the drivers re-prepare a stale statement.
    }
    finalize_all(evicted);
  }
  [[noreturn]] void closed() const;
  [[noreturn]] void concurrent() const;

  /// Fetches the first batch of a fresh cursor in the call that opened it,
  /// saving a second guarded call; on failure the cursor is released and the
  /// error thrown.
  void prime(cursor_impl* c);
  /// Same, taking the batch execute already read when the plugin did.
  void prime(cursor_impl* c, const dbr_exec_info& info);
  /// Reads the next batch into c (DBR_DONE marks it done).
  void fetch_into(cursor_impl* c);

  // Statement lifetime.
  dbr_stmt* prepare(std::string_view sql, std::uint32_t flags, std::uint32_t& nparams);
  void finalize(dbr_stmt* s) noexcept { rec->sql.finalize(s); }
  void finalize_all(std::vector<dbr_stmt*>& stmts) noexcept {
    for (auto* s : stmts) finalize(s);
    stmts.clear();
  }
  /// Converts params to ABI values (stack buffer of `cap` entries, else big_params).
  const dbr_value* bind(params p, dbr_value* stack_buf, std::size_t cap);

  // Cursor bookkeeping.
  /// The result of a call that opened a plugin cursor with rows: a linked
  /// cursor_impl reading from `from`, its first batch read now (from info
  /// when execute already read it). On failure the cursor is closed and its
  /// statement handed back before the error propagates. Without info the
  /// result reports no affected rows.
  result open_result(dbr_cursor* cur, const cursor_source& from, const dbr_exec_info* info);
  cursor_impl* new_cursor();
  /// Counts c as live; lists it in live_cursors unless a statement_impl
  /// holds it (its `live`): a statement's result, the hot path, is found
  /// through live_stmts instead. unlink is safe on either kind.
  void link(cursor_impl* c) noexcept;
  void unlink(cursor_impl* c) noexcept;
  /// Puts a live cursor in live_cursors: link does for all but a
  /// statement's; a statement's goes there when the statement lets go of
  /// it while its result lives on (executed again, destroyed).
  void list(cursor_impl* c) noexcept;
  /// Ends every live result (the connection closes or goes back to a
  /// pool): closed, detached, reading as finished for `reason`.
  void end_results(const char* reason) noexcept;
  /// Closes the plugin cursor and hands back its statement; no throw. A
  /// result may still point at c: it reads as finished afterwards.
  void close_cursor(cursor_impl* c) noexcept;
  /// A cursor no result points at any more: closed, its statement handed
  /// back, unlinked, then kept as the spare (or freed). Only what a reuse
  /// does not set again is reset.
  void retire(cursor_impl* c) noexcept;
  /// The plugin cursor closed and the statement handed back, c's fields
  /// left as they were (close_cursor and retire).
  void hand_back(cursor_impl* c) noexcept;

  void link(statement_impl* s) noexcept;
  void unlink(statement_impl* s) noexcept;

  /// Detaches everything, closes the plugin connection, leaves the registry.
  void close() noexcept;

  static result make_result(cursor_impl* c, std::int64_t affected) { return result(c, affected, {}); }
  static result make_result(cursor_impl* c, const dbr_exec_info& info) {
    return result(c, info.affected_rows, insert_id_of(info));
  }
  static detail::insert_id insert_id_of(const dbr_exec_info& info) noexcept {
    // The core zeroes last_insert_id_unsigned before every call, so an older
    // plugin that does not know it reads as signed.
    return {info.last_insert_id, info.has_last_insert_id != 0, info.last_insert_id_unsigned != 0};
  }
  static exec_result make_exec_result(const dbr_exec_info& info) {
    const detail::insert_id id = insert_id_of(info);
    return exec_result{info.affected_rows, id.as_signed(), id.as_unsigned()};
  }
};

/// The core's way into a connection object (the public class keeps impl() private).
struct connection_access {
  static connection_impl& impl(const connection& c) { return c.impl(); }
  /// result::next() without the fetch: the C API's dbridge_result_next
  /// fetches out of line, so its common case needs no frame.
  static const row* next_buffered(result& r) noexcept { return r.next_buffered(); }
};
inline connection_impl& impl_of(const connection& c) { return connection_access::impl(c); }

/// The impl of a connection object; invalid_state_error when it was moved from.
inline connection_impl& live(const std::unique_ptr<connection_impl>& p) {
  if (!p) throw_error(errc::invalid_state, "this connection object was moved from; use the one it was moved to");
  return *p;
}

/// The data/nul_byte error for text the core refuses to send: `what` holds a
/// NUL at `offset`, and `why` says what sending it would have done.
[[noreturn]] void throw_nul_byte(std::string_view what, std::size_t offset, std::string_view why,
                                 std::string_view hint, std::string_view driver = {});

/// Names (tables, columns, schemas) cross the ABI as C strings: one holding a
/// NUL would reach the driver cut there, naming another object. `what` says
/// which name, for the message.
inline void refuse_nul_in_name(std::string_view name, std::string_view what) {
  const std::size_t nul = name.find('\0');
  if (nul == std::string_view::npos) [[likely]] return;
  throw_nul_byte(what, nul, "the driver would have read the name cut there", "remove the NUL byte from the name");
}

/// Holds a connection for one call: refuses a second thread (invalid_state_error),
/// serialises GLOBAL_SERIAL plugins, and keeps the registry state current.
class call_guard {
 public:
  explicit call_guard(connection_impl& c) : c_(c) { c_.enter(); }
  ~call_guard() { c_.leave(); }
  call_guard(const call_guard&) = delete;
  call_guard& operator=(const call_guard&) = delete;

 private:
  connection_impl& c_;
};


// The per-query helpers are inline: with default visibility every call
// between the core's own files would otherwise go through the PLT.
inline void connection_impl::fetch_into(cursor_impl* c) {
  // The plugin writes straight into the cursor's batch: a copy from a stack
  // record would read back 16 bytes just written in smaller pieces, which
  // store forwarding cannot serve (a stall on every query).
  cell_batch& rows = c->batch;
  rows.struct_size = sizeof(dbr_rows);
  rows.ncols = 0;
  rows.nrows = 0;
  rows.cells = nullptr;
  const int32_t rc = rec->cursor.fetch(c->cur, fetch_batch, abi_rows(rows), err);
  c->pos = 0;
  if (rc < 0) {
    rows = cell_batch{};
    fail_reading(rc, *c);
  }
  if (rc == DBR_DONE || rows.nrows == 0) {
    c->done = true;
    rows = cell_batch{};
    return;
  }
  c->current.ncols_ = rows.ncols;
}


inline void connection_impl::prime(cursor_impl* c, const dbr_exec_info& info) {
  if (!info.has_first) {
    prime(c);
    return;
  }
  c->current.cur_ = c;
  c->pos = 0;
  // Field by field: see fetch_into.
  const std::uint64_t n = info.first.nrows;
  if (n == 0) {
    c->done = true;
    c->batch = cell_batch{};
    return;
  }
  c->batch.ncols = info.first.ncols;
  c->batch.nrows = n;
  c->batch.cells = public_cells(info.first.cells);
  c->current.ncols_ = info.first.ncols;
}

inline void connection_impl::prime(cursor_impl* c) {
  c->current.cur_ = c;
  try {
    fetch_into(c);
  } catch (...) {
    retire(c);
    throw;
  }
}


inline const dbr_value* connection_impl::bind(params p, dbr_value* stack_buf, std::size_t cap) {
  if (p.empty()) return nullptr;
  scratch.reset();
  dbr_value* out = stack_buf;
  if (p.size() > cap) {
    big_params.resize(p.size());
    out = big_params.data();
  }
  to_abi(p, out, scratch);
  return out;
}


inline cursor_impl* connection_impl::new_cursor() {
  if (spare != nullptr) {
    cursor_impl* c = spare;
    spare = nullptr;
    return c;
  }
  return new cursor_impl();
}

[[gnu::always_inline]] inline result connection_impl::open_result(dbr_cursor* cur, const cursor_source& from, const dbr_exec_info* info) {
  const auto attach = [&](cursor_impl& c) noexcept {
    c.cur = cur;
    c.owner = from.owner;
    c.entry = from.entry;
    c.owned_stmt = from.owned_stmt;
    c.stmt_impl = from.stmt_impl;
    if (from.stmt_impl != nullptr) from.stmt_impl->live = &c;
  };
  cursor_impl* c;
  try {
    c = new_cursor();
  } catch (...) {
    cursor_impl unused;  // hands cursor and statement back as a closing result would
    attach(unused);
    close_cursor(&unused);
    throw;
  }
  attach(*c);
  link(c);
  if (info == nullptr) {
    prime(c);
    return make_result(c, -1);
  }
  prime(c, *info);
  return make_result(c, *info);
}

inline void connection_impl::link(cursor_impl* c) noexcept {
  c->conn = this;
  ++nlive;
  if (c->owner == stmt_owner::statement && c->stmt_impl != nullptr) return;  // reached through its statement
  list(c);
}

inline void connection_impl::list(cursor_impl* c) noexcept {
  c->prev = nullptr;
  c->next = live_cursors;
  if (live_cursors) live_cursors->prev = c;
  live_cursors = c;
}

inline void connection_impl::unlink(cursor_impl* c) noexcept {
  if (c->prev) c->prev->next = c->next;
  else if (live_cursors == c) live_cursors = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = nullptr;
  if (nlive) --nlive;
}

inline void connection_impl::hand_back(cursor_impl* c) noexcept {
  if (c->cur) rec->cursor.close(c->cur);
  switch (c->owner) {
    case stmt_owner::cached:
      if (c->entry) c->entry->in_use = false;
      break;
    case stmt_owner::owned:
      if (c->owned_stmt) finalize(c->owned_stmt);
      break;
    case stmt_owner::statement:
      if (c->stmt_impl && c->stmt_impl->live == c) c->stmt_impl->live = nullptr;
      break;
    case stmt_owner::none: break;
  }
}

inline void connection_impl::close_cursor(cursor_impl* c) noexcept {
  hand_back(c);
  c->cur = nullptr;
  c->owner = stmt_owner::none;
  c->entry = nullptr;
  c->owned_stmt = nullptr;
  c->stmt_impl = nullptr;
  c->batch = cell_batch{};
  c->pos = 0;
}

[[gnu::always_inline]] inline void connection_impl::retire(cursor_impl* c) noexcept {
  hand_back(c);
  // A result reached through its statement was never listed (link).
  if (c->owner == stmt_owner::statement && c->stmt_impl != nullptr) {
    if (nlive) --nlive;
  } else {
    unlink(c);
  }
  // open_result sets the plugin cursor, the owner, the links and the batch
  // again; what it does not set is reset here.
  c->done = false;
  c->invalid_reason = nullptr;
  if (c->described) {
    c->described = false;
    c->columns.clear();
  }
  if (spare == nullptr) spare = c;
  else delete c;
}


/// Frees a result's cursor; used by ~result (inline there: once per query).
[[gnu::always_inline]] inline void release_cursor(cursor_impl* c) noexcept {
  if (c == nullptr) return;
  connection_impl* conn = c->conn;
  if (conn == nullptr) {
    delete c;
    return;
  }
  if (!conn->try_enter()) {
    // Another thread is inside this connection: touching its lists now would
    // race, so the cursor is abandoned (it is closed with the connection).
    return;
  }
  conn->retire(c);
  conn->leave();
}

/// Refuses SQL text holding a NUL byte (a data error naming its offset):
/// C-string based backends (libpq, SQLite) would silently run only the part
/// before it, e.g. "DELETE FROM t\0 WHERE id = 1" as "DELETE FROM t". Every SQL
/// text passes here before any plugin sees it, so third-party drivers are
/// covered too.
void check_sql_text(std::string_view sql, std::string_view driver);

}  // namespace dbridge::detail
