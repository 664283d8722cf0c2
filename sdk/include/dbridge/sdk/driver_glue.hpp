// SPDX-License-Identifier: Apache-2.0
// The ABI half of the driver SDK: the noexcept thunks that expose a
// driver_api.hpp driver as abi.h's descriptor and vtables, and the
// DBRIDGE_SDK_DRIVER entry macro. Authors include <dbridge/sdk/driver.hpp>.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "dbridge/sdk/boundary.hpp"
#include "dbridge/sdk/driver_api.hpp"
#include "dbridge/sdk/lifecycle.hpp"

namespace dbridge::sdk {

namespace detail {

template <class T>
inline T* from_handle(void* h) noexcept {
  return static_cast<T*>(h);
}

/// Shared entry logic: negotiation and the descriptor.
inline std::int32_t fill_entry(const plugin_info& info, std::uint32_t kind, std::uint64_t caps, const void* vtable,
                               const dbr_host* host, std::uint32_t index, dbr_plugin_desc* out) noexcept {
  if (out == nullptr) return DBR_E_INVALID_ARGUMENT;
  if (index > 0) return DBR_DONE;
  if (host != nullptr) {
    g_host.store(host, std::memory_order_release);
    g_plugin_id.store(info.id, std::memory_order_relaxed);
  }
  dbr_plugin_desc d;
  std::memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.abi_major = DBR_ABI_MAJOR;
  d.kind = kind;
  d.threading = info.threading;
  d.flags = info.flags;
  d.capabilities = caps;
  d.id = info.id;
  d.version = info.version;
  d.schemes = info.schemes;
  d.vtable = vtable;
  std::int32_t rc = DBR_OK;
  if (host == nullptr || host->abi_major != DBR_ABI_MAJOR || host->abi_minor < info.min_minor) {
    // Still describe ourselves so the core can name both versions; the minor
    // we report is the oldest we accept.
    d.abi_minor = info.min_minor;
    rc = DBR_E_INCOMPATIBLE;
  } else {
    d.abi_minor = host->abi_minor < info.max_minor ? host->abi_minor : info.max_minor;
  }
  narrow(d, out);
  return rc;
}

/// The statement class execute is called on: D::statement_type when the
/// driver names one (its connections' prepare makes no other), else the
/// interface. Named and final, the call is direct, so a driver whose
/// DBRIDGE_SDK_DRIVER stands in the file defining that execute gets it
/// inline in the thunk: one call and frame fewer per query.
template <class D>
struct exact_statement {
  using type = statement;
};
template <class D>
  requires requires { typename D::statement_type; }
struct exact_statement<D> {
  using type = typename D::statement_type;
  static_assert(std::is_base_of_v<statement, type> && std::is_final_v<type>,
                "a driver's statement_type must be a final class derived from sdk::statement");
};

/// The thunks of one driver type D. Statements, cursors and bulk transfers
/// are dispatched virtually (one driver has several kinds); connections and
/// the instance statically.
template <class D>
struct driver_glue : plugin_lifecycle<D> {
  using lifecycle = plugin_lifecycle<D>;
  using lifecycle::get_extension;
  using lifecycle::init;
  using lifecycle::plugin;
  using lifecycle::shutdown;
  using Conn = typename D::connection_type;
  static constexpr bool has_sql = std::is_base_of_v<cap::sql, Conn>;
  static constexpr bool has_txn = std::is_base_of_v<cap::transactions, Conn>;
  static constexpr bool has_command = std::is_base_of_v<cap::command, Conn>;
  static constexpr bool has_notify = std::is_base_of_v<cap::notify, Conn>;
  static constexpr bool has_bulk = std::is_base_of_v<cap::bulk, Conn>;
  static constexpr bool has_batch = std::is_base_of_v<cap::batch, Conn>;
  static constexpr bool has_introspect = std::is_base_of_v<cap::introspect, Conn>;
  static constexpr bool has_functions = std::is_base_of_v<cap::functions, Conn>;
  static constexpr bool has_cancel = std::is_base_of_v<cap::cancel, Conn>;
  static constexpr bool has_reset = std::is_base_of_v<cap::session_reset, Conn>;
  static_assert(std::is_base_of_v<connection, Conn>, "the connection type must derive from sdk::connection");
  static_assert(std::is_base_of_v<driver<Conn>, D>, "the driver must derive from sdk::driver<connection>");

  static constexpr std::uint64_t capabilities =
      (has_sql ? DBR_CAP_SQL : 0) | (has_txn ? DBR_CAP_TRANSACTIONS : 0) | (has_command ? DBR_CAP_COMMAND : 0) |
      (has_notify ? DBR_CAP_NOTIFY : 0) | (has_bulk ? DBR_CAP_BULK : 0) | (has_batch ? DBR_CAP_BATCH : 0) |
      (has_introspect ? DBR_CAP_INTROSPECT : 0) | (has_functions ? DBR_CAP_FUNCTIONS : 0) |
      (has_cancel ? DBR_CAP_CANCEL : 0);

  static dbr_conn* to_handle(Conn* c) noexcept { return reinterpret_cast<dbr_conn*>(static_cast<connection*>(c)); }
  static Conn& conn(dbr_conn* h) noexcept { return *static_cast<Conn*>(reinterpret_cast<connection*>(h)); }
  static statement& stmt(dbr_stmt* s) noexcept { return *reinterpret_cast<statement*>(s); }
  using Stmt = typename exact_statement<D>::type;
  static Stmt& exact_stmt(dbr_stmt* s) noexcept { return static_cast<Stmt&>(stmt(s)); }
  static cursor& cur(dbr_cursor* c) noexcept { return *reinterpret_cast<cursor*>(c); }
  /// A statement_type that is also its own cursor (as SQLite's is): its
  /// fetch and close are called directly, not through the vtable.
  static constexpr bool stmt_is_cursor = requires(cursor& k) {
    requires std::is_base_of_v<cursor, Stmt>;
    static_cast<Stmt&>(k);
  };
  static bulk_transfer& xfer(dbr_bulk* b) noexcept { return *reinterpret_cast<bulk_transfer*>(b); }
  static std::int32_t no_cap(dbr_error* err, const char* what) noexcept {
    return set_error(err, DBR_CAT_UNSUPPORTED, std::string_view(what));
  }

  // ---- plugin

  // ---- connection
  static std::int32_t connect(dbr_plugin* p, const dbr_url* url, dbr_conn** out, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (url == nullptr || out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "connect: url or out is NULL");
      const dbr_url u = widen(url);
      std::unique_ptr<Conn> c = plugin(p).connect(u);
      if (!c) fail(DBR_CAT_INTERNAL, "connect returned no connection");
      *out = to_handle(c.release());
      return DBR_OK;
    });
  }
  static void close(dbr_conn* c) noexcept {
    try {
      delete &conn(c);
    } catch (...) {
      log_current_exception("close");
    }
  }
  static std::int32_t ping(dbr_conn* c, dbr_error* err) noexcept {
    return guard(err, [&] {
      conn(c).ping();
      return DBR_OK;
    });
  }
  static std::int32_t cancel(dbr_conn* c, dbr_error* err) noexcept {
    if constexpr (has_cancel) {
      return guard(err, [&] {
        static_cast<cap::cancel&>(conn(c)).cancel_running();
        return DBR_OK;
      });
    } else {
      (void)c;
      return no_cap(err, "cancel");
    }
  }
  static std::int32_t reset_session(dbr_conn* c, std::uint32_t* flags, dbr_error* err) noexcept {
    if constexpr (has_reset) {
      return guard(err, [&] {
        const std::uint32_t f = static_cast<cap::session_reset&>(conn(c)).reset_session();
        if (flags != nullptr) *flags = f;
        return DBR_OK;
      });
    } else {
      (void)c, (void)flags;
      return no_cap(err, "session reset");
    }
  }
  static std::int32_t set_option(dbr_conn* c, const char* key, const dbr_value* v, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (key == nullptr || v == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "set_option: key or value is NULL");
      conn(c).set_option(key, *v);
      return DBR_OK;
    });
  }
  static std::int32_t get_info(dbr_conn* c, const char* key, dbr_value* out, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (key == nullptr || out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "get_info: key or out is NULL");
      *out = conn(c).get_info(key);
      return DBR_OK;
    });
  }

  // ---- sql
  static std::int32_t prepare(dbr_conn* c, const char* sql, std::uint64_t len, std::uint32_t flags, dbr_stmt** out,
                              dbr_error* err) noexcept {
    if constexpr (has_sql) {
      return guard(err, [&] {
        if (out == nullptr || (sql == nullptr && len != 0)) fail(DBR_CAT_INVALID_ARGUMENT, "prepare: NULL argument");
        std::unique_ptr<statement> s =
            static_cast<cap::sql&>(conn(c)).prepare(std::string_view(sql, static_cast<std::size_t>(len)), flags);
        if (!s) fail(DBR_CAT_INTERNAL, "prepare returned no statement");
        s->generic_session_change =
            sql_changes_session(std::string_view(sql, static_cast<std::size_t>(len)), generic_sql_dialect);
        *out = reinterpret_cast<dbr_stmt*>(s.release());
        return DBR_OK;
      });
    } else {
      (void)c, (void)sql, (void)len, (void)flags, (void)out;
      return no_cap(err, "sql");
    }
  }
  static std::uint32_t param_count(dbr_stmt* s) noexcept {
    try {
      return stmt(s).param_count();
    } catch (...) {
      log_current_exception("param_count");
      return 0;
    }
  }
  static std::uint32_t param_index(dbr_stmt* s, const char* name) noexcept {
    try {
      return name != nullptr ? stmt(s).param_index(name) : 0;
    } catch (...) {
      log_current_exception("param_index");
      return 0;
    }
  }
  static std::int32_t execute(dbr_stmt* s, const dbr_value* params, std::uint32_t n, dbr_exec_info* info,
                              dbr_cursor** out, dbr_error* err) noexcept {
    // The hot path of every query, so no closure: a caller's record of at
    // least our size (the core's always is) is filled in place; an older,
    // shorter one (or none) takes execute_copy.
    if (info == nullptr || info->struct_size < sizeof(dbr_exec_info)) [[unlikely]]
      return execute_copy(s, params, n, info, out, err);
    try {
      run_execute(exact_stmt(s), params, n, *info, info->first_max, out);
      return DBR_OK;
    } catch (...) {
      if (out != nullptr) *out = nullptr;
      return report_current_exception(err);
    }
  }
  /// execute for a record older than ours: filled on a copy, then narrowed
  /// (and without the first batch, which an older record may not hold).
  [[gnu::noinline]] static std::int32_t execute_copy(dbr_stmt* s, const dbr_value* params, std::uint32_t n,
                                                     dbr_exec_info* info, dbr_cursor** out, dbr_error* err) noexcept {
    dbr_exec_info mine;
    try {
      run_execute(exact_stmt(s), params, n, mine, 0, out);
    } catch (...) {
      if (out != nullptr) *out = nullptr;
      return report_current_exception(err);
    }
    narrow(mine, info);
    return DBR_OK;
  }
  [[gnu::always_inline]] static void run_execute(Stmt& st, const dbr_value* params, std::uint32_t n, dbr_exec_info& x,
                          std::uint32_t first_max, dbr_cursor** out) {
    // *out is set on every way out: here, or by the caller's catch.
    reset_info(x, first_max, st);
    if (params == nullptr && n != 0) fail(DBR_CAT_INVALID_ARGUMENT, "execute: params is NULL");
    cursor* result = st.execute(std::span<const dbr_value>(params, n), x);
    if constexpr (stmt_is_cursor)
      if (result != nullptr) result->is_exact_statement_ = result == static_cast<cursor*>(&st);
    if (result == nullptr) {
      if (out != nullptr) *out = nullptr;
      return;
    }
    if (out == nullptr) {
      result->close();
      return;
    }
    // The first batch rides on execute when asked: one boundary crossing
    // fewer for every query (most results fit one batch). A statement may
    // have filled it itself (see dbr_exec_info).
    if (first_max != 0 && x.has_first == 0) read_first(*result, first_max, x);
    *out = reinterpret_cast<dbr_cursor*>(result);
    x.has_rows = 1;
  }
  [[gnu::always_inline]] static void reset_info(dbr_exec_info& x, std::uint32_t first_max, const statement& st) noexcept {
    x.struct_size = sizeof(dbr_exec_info);
    x.has_rows = 0;
    x.affected_rows = -1;
    x.last_insert_id = 0;
    x.has_last_insert_id = 0;
    x.reserved = 0;
    x.first_max = first_max;
    x.has_first = 0;
    x.session_changed = st.generic_session_change ? 1 : 0;
    x.reserved_1_1 = 0;
    x.last_insert_id_unsigned = 0;
    x.reserved_1_1_b = 0;
  }
  static std::int32_t execute_batch(dbr_stmt* s, const dbr_value* params, std::uint32_t n, std::uint64_t nrows,
                                    dbr_exec_info* info, std::uint64_t* failed_row, dbr_error* err) noexcept {
    std::uint64_t failed = UINT64_MAX;
    try {
      dbr_exec_info mine;
      const bool in_place = info != nullptr && info->struct_size >= sizeof(dbr_exec_info);
      dbr_exec_info& x = in_place ? *info : mine;
      reset_info(x, 0, stmt(s));
      x.affected_rows = 0;
      if (params == nullptr && n != 0 && nrows != 0) fail(DBR_CAT_INVALID_ARGUMENT, "execute_batch: params is NULL");
      if (n != stmt(s).param_count())
        fail(DBR_CAT_INVALID_ARGUMENT, "execute_batch: rows of " + std::to_string(n) + " values for a statement of " +
                                           std::to_string(stmt(s).param_count()) + " parameters");
      if (nrows != 0 && n != 0 && nrows > SIZE_MAX / n) fail(DBR_CAT_INVALID_ARGUMENT, "execute_batch: too many rows");
      const std::size_t count = static_cast<std::size_t>(nrows) * n;
      stmt(s).execute_batch(std::span<const dbr_value>(count != 0 ? params : nullptr, count), nrows, x, failed);
      if (!in_place && info != nullptr) narrow(mine, info);
      return DBR_OK;
    } catch (...) {
      if (failed_row != nullptr) *failed_row = failed;
      return report_current_exception(err);
    }
  }
  static void read_first(cursor& result, std::uint32_t max_rows, dbr_exec_info& x) {
    dbr_rows& rows = x.first;
    rows.struct_size = sizeof(dbr_rows);
    rows.ncols = 0;
    rows.nrows = 0;
    rows.cells = nullptr;
    std::int32_t rc;
    try {
      rc = result.fetch(max_rows, rows);
    } catch (...) {
      result.close();  // nobody else holds it yet
      throw;
    }
    if (rc < 0) {
      result.close();
      fail(DBR_CAT_INTERNAL, "fetch returned a failure status without an exception");
    }
    if (rc == DBR_DONE) {
      rows.nrows = 0;
      rows.cells = nullptr;
    }
    x.has_first = 1;
  }
  static void finalize(dbr_stmt* s) noexcept {
    try {
      delete &stmt(s);
    } catch (...) {
      log_current_exception("finalize");
    }
  }
  static std::int32_t execute_script(dbr_conn* c, const char* sql, std::uint64_t len, dbr_error* err) noexcept {
    if constexpr (has_sql) {
      return guard(err, [&] {
        if (sql == nullptr && len != 0) fail(DBR_CAT_INVALID_ARGUMENT, "execute_script: sql is NULL");
        static_cast<cap::sql&>(conn(c)).execute_script(std::string_view(sql, static_cast<std::size_t>(len)));
        return DBR_OK;
      });
    } else {
      (void)c, (void)sql, (void)len;
      return no_cap(err, "sql");
    }
  }

  // ---- cursor
  static std::int32_t describe(dbr_cursor* c, std::uint32_t* ncols, const dbr_column** cols, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (ncols == nullptr || cols == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "describe: NULL argument");
      std::span<const dbr_column> s = cur(c).columns();
      *ncols = static_cast<std::uint32_t>(s.size());
      *cols = s.data();
      return DBR_OK;
    });
  }
  static std::int32_t fetch(dbr_cursor* c, std::uint32_t max_rows, dbr_rows* out, dbr_error* err) noexcept {
    try {
      if (out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "fetch: out is NULL");
      // dbr_rows has had one layout since 1.0, so it is filled in place.
      out->ncols = 0;
      out->nrows = 0;
      out->cells = nullptr;
      cursor& k = cur(c);
      if constexpr (stmt_is_cursor)
        if (k.is_exact_statement_) return static_cast<Stmt&>(k).fetch(max_rows == 0 ? 1 : max_rows, *out);
      return k.fetch(max_rows == 0 ? 1 : max_rows, *out);
    } catch (...) {
      return report_current_exception(err);
    }
  }
  static std::int32_t next_result(dbr_cursor* c, dbr_error* err) noexcept {
    return guard(err, [&] { return cur(c).next_result() ? DBR_OK : DBR_DONE; });
  }
  static void cursor_close(dbr_cursor* c) noexcept {
    try {
      cursor& k = cur(c);
      if constexpr (stmt_is_cursor) {
        if (k.is_exact_statement_) {
          static_cast<Stmt&>(k).close();
          return;
        }
      }
      // Freed here whatever close() does; a statement's or connection's
      // cursor stays with its owner.
      std::unique_ptr<cursor> owned(k.owned_by_sdk_ ? &k : nullptr);
      k.close();
    } catch (...) {
      log_current_exception("cursor close");
    }
  }

  // ---- transactions
  template <class F>
  static std::int32_t with_txn(dbr_conn* c, dbr_error* err, F&& f) noexcept {
    if constexpr (has_txn) {
      return guard(err, [&] {
        f(static_cast<cap::transactions&>(conn(c)));
        return DBR_OK;
      });
    } else {
      (void)c, (void)f;
      return no_cap(err, "transactions");
    }
  }
  static std::int32_t begin(dbr_conn* c, const dbr_txn_options* o, dbr_error* err) noexcept {
    return with_txn(c, err, [&](auto& t) { t.begin(widen(o)); });
  }
  static std::int32_t commit(dbr_conn* c, dbr_error* err) noexcept {
    return with_txn(c, err, [](auto& t) { t.commit(); });
  }
  static std::int32_t rollback(dbr_conn* c, dbr_error* err) noexcept {
    return with_txn(c, err, [](auto& t) { t.rollback(); });
  }
  static const char* checked_name(const char* name) {
    if (name == nullptr || *name == '\0') fail(DBR_CAT_INVALID_ARGUMENT, "savepoint name is empty");
    for (const char* p = name; *p != '\0'; ++p)
      if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
        fail(DBR_CAT_INVALID_ARGUMENT, std::string("savepoint name '") + name + "' is not [a-z0-9_]");
    return name;
  }
  static std::int32_t savepoint(dbr_conn* c, const char* name, dbr_error* err) noexcept {
    return with_txn(c, err, [&](auto& t) { t.savepoint(checked_name(name)); });
  }
  static std::int32_t release_savepoint(dbr_conn* c, const char* name, dbr_error* err) noexcept {
    return with_txn(c, err, [&](auto& t) { t.release_savepoint(checked_name(name)); });
  }
  static std::int32_t rollback_to_savepoint(dbr_conn* c, const char* name, dbr_error* err) noexcept {
    return with_txn(c, err, [&](auto& t) { t.rollback_to_savepoint(checked_name(name)); });
  }
  static std::int32_t in_transaction(dbr_conn* c) noexcept {
    if constexpr (has_txn) {
      try {
        return static_cast<cap::transactions&>(conn(c)).in_transaction() ? 1 : 0;
      } catch (...) {
        log_current_exception("in_transaction");
        return DBR_E_INTERNAL;
      }
    } else {
      (void)c;
      return DBR_E_UNSUPPORTED;
    }
  }

  // ---- command
  static std::int32_t command(dbr_conn* c, std::uint32_t argc, const char* const* argv, const std::uint64_t* lens,
                              const dbr_reply** reply, dbr_error* err) noexcept {
    if constexpr (has_command) {
      return guard(err, [&] {
        if (reply == nullptr || (argc != 0 && (argv == nullptr || lens == nullptr)))
          fail(DBR_CAT_INVALID_ARGUMENT, "command: NULL argument");
        *reply = static_cast<cap::command&>(conn(c)).execute_command(argv_view(argc, argv, lens));
        if (*reply == nullptr) fail(DBR_CAT_INTERNAL, "command returned no reply");
        return DBR_OK;
      });
    } else {
      (void)c, (void)argc, (void)argv, (void)lens, (void)reply;
      return no_cap(err, "command");
    }
  }

  // ---- notify
  template <class F>
  static std::int32_t with_notify(dbr_conn* c, dbr_error* err, F&& f) noexcept {
    if constexpr (has_notify) {
      return guard(err, [&] { return f(static_cast<cap::notify&>(conn(c))); });
    } else {
      (void)c, (void)f;
      return no_cap(err, "notify");
    }
  }
  static std::int32_t listen(dbr_conn* c, const char* ch, std::uint64_t len, std::uint32_t flags, dbr_error* err) noexcept {
    return with_notify(c, err, [&](auto& n) {
      n.listen(std::string_view(ch, static_cast<std::size_t>(len)), flags);
      return DBR_OK;
    });
  }
  static std::int32_t unlisten(dbr_conn* c, const char* ch, std::uint64_t len, std::uint32_t flags,
                               dbr_error* err) noexcept {
    return with_notify(c, err, [&](auto& n) {
      n.unlisten(std::string_view(ch, static_cast<std::size_t>(len)), flags);
      return DBR_OK;
    });
  }
  static std::int32_t notify(dbr_conn* c, const char* ch, std::uint64_t ch_len, const char* payload,
                             std::uint64_t payload_len, dbr_error* err) noexcept {
    return with_notify(c, err, [&](auto& n) {
      n.notify_channel(std::string_view(ch, static_cast<std::size_t>(ch_len)),
                       std::string_view(payload, static_cast<std::size_t>(payload_len)));
      return DBR_OK;
    });
  }
  static std::int32_t wait(dbr_conn* c, std::int64_t timeout_ms, dbr_notification* out, dbr_error* err) noexcept {
    return with_notify(c, err, [&](auto& n) {
      if (out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "wait: out is NULL");
      dbr_notification mine;
      std::memset(&mine, 0, sizeof mine);
      mine.struct_size = sizeof mine;
      if (!n.wait(timeout_ms, mine)) return DBR_EMPTY;
      narrow(mine, out);
      return DBR_OK;
    });
  }

  // ---- bulk
  static std::int32_t copy_in_begin(dbr_conn* c, const char* table, const char* const* columns, std::uint32_t ncols,
                                    const dbr_param* opts, std::uint32_t nopts, dbr_bulk** out,
                                    dbr_error* err) noexcept {
    if constexpr (has_bulk) {
      return guard(err, [&] {
        if (table == nullptr || out == nullptr || (columns == nullptr && ncols != 0))
          fail(DBR_CAT_INVALID_ARGUMENT, "copy_in_begin: NULL argument");
        auto b = static_cast<cap::bulk&>(conn(c)).copy_in(table, std::span<const char* const>(columns, ncols),
                                                          param_list(opts, nopts));
        if (!b) fail(DBR_CAT_INTERNAL, "copy_in returned no transfer");
        *out = reinterpret_cast<dbr_bulk*>(b.release());
        return DBR_OK;
      });
    } else {
      (void)c, (void)table, (void)columns, (void)ncols, (void)opts, (void)nopts, (void)out;
      return no_cap(err, "bulk");
    }
  }
  static std::int32_t copy_in_rows(dbr_bulk* b, const dbr_value* cells, std::uint64_t nrows, dbr_error* err) noexcept {
    return guard(err, [&] {
      xfer(b).write_rows(cells, nrows);
      return DBR_OK;
    });
  }
  static std::int32_t copy_in_end(dbr_bulk* b, std::int64_t* rows, dbr_error* err) noexcept {
    // The transfer is freed whatever happens (abi.h).
    std::unique_ptr<bulk_transfer> owned(&xfer(b));
    return guard(err, [&] {
      std::int64_t n = owned->finish();
      if (rows != nullptr) *rows = n;
      return DBR_OK;
    });
  }
  static void copy_in_abort(dbr_bulk* b) noexcept {
    try {
      std::unique_ptr<bulk_transfer> owned(&xfer(b));
      owned->abort();
    } catch (...) {
      log_current_exception("copy_in_abort");
    }
  }
  static std::int32_t copy_out_begin(dbr_conn* c, const char* sql, std::uint64_t len, dbr_bulk** out,
                                     dbr_error* err) noexcept {
    if constexpr (has_bulk) {
      return guard(err, [&] {
        if (out == nullptr || (sql == nullptr && len != 0)) fail(DBR_CAT_INVALID_ARGUMENT, "copy_out_begin: NULL argument");
        auto b = static_cast<cap::bulk&>(conn(c)).copy_out(std::string_view(sql, static_cast<std::size_t>(len)));
        if (!b) fail(DBR_CAT_INTERNAL, "copy_out returned no transfer");
        *out = reinterpret_cast<dbr_bulk*>(b.release());
        return DBR_OK;
      });
    } else {
      (void)c, (void)sql, (void)len, (void)out;
      return no_cap(err, "bulk");
    }
  }
  static std::int32_t copy_out_next(dbr_bulk* b, const char** data, std::uint64_t* len, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (data == nullptr || len == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "copy_out_next: NULL argument");
      std::string_view chunk;
      if (!xfer(b).read_chunk(chunk)) return DBR_DONE;
      *data = chunk.data();
      *len = chunk.size();
      return DBR_OK;
    });
  }
  static void copy_out_end(dbr_bulk* b) noexcept {
    try {
      delete &xfer(b);
    } catch (...) {
      log_current_exception("copy_out_end");
    }
  }

  // ---- batch
  template <class F>
  static std::int32_t with_batch(dbr_conn* c, dbr_error* err, F&& f) noexcept {
    if constexpr (has_batch) {
      return guard(err, [&] { return f(static_cast<cap::batch&>(conn(c))); });
    } else {
      (void)c, (void)f;
      return no_cap(err, "batch");
    }
  }
  static std::int32_t batch_begin(dbr_conn* c, dbr_error* err) noexcept {
    return with_batch(c, err, [](auto& b) { b.batch_begin(); return DBR_OK; });
  }
  static std::int32_t batch_add_sql(dbr_conn* c, const char* sql, std::uint64_t len, const dbr_value* params,
                                    std::uint32_t n, dbr_error* err) noexcept {
    return with_batch(c, err, [&](auto& b) {
      if ((sql == nullptr && len != 0) || (params == nullptr && n != 0)) fail(DBR_CAT_INVALID_ARGUMENT, "add_sql: NULL argument");
      b.batch_add_sql(std::string_view(sql, static_cast<std::size_t>(len)), std::span<const dbr_value>(params, n));
      return DBR_OK;
    });
  }
  static std::int32_t batch_add_command(dbr_conn* c, std::uint32_t argc, const char* const* argv,
                                        const std::uint64_t* lens, dbr_error* err) noexcept {
    return with_batch(c, err, [&](auto& b) {
      if (argc != 0 && (argv == nullptr || lens == nullptr)) fail(DBR_CAT_INVALID_ARGUMENT, "add_command: NULL argument");
      b.batch_add_command(argv_view(argc, argv, lens));
      return DBR_OK;
    });
  }
  static std::int32_t batch_send(dbr_conn* c, dbr_error* err) noexcept {
    return with_batch(c, err, [](auto& b) { b.batch_send(); return DBR_OK; });
  }
  static std::int32_t batch_next(dbr_conn* c, dbr_batch_item* item, dbr_error* item_err, dbr_error* err) noexcept {
    return with_batch(c, err, [&](auto& b) {
      if (item == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "batch next: item is NULL");
      dbr_batch_item mine;
      std::memset(&mine, 0, sizeof mine);
      mine.struct_size = sizeof mine;
      mine.affected_rows = -1;
      if (!b.batch_next(mine, item_err)) return DBR_DONE;
      narrow(mine, item);
      return DBR_OK;
    });
  }
  static std::int32_t batch_end(dbr_conn* c, dbr_error* err) noexcept {
    return with_batch(c, err, [](auto& b) { b.batch_end(); return DBR_OK; });
  }

  // ---- introspect
  static std::int32_t list(dbr_conn* c, std::uint32_t what, const char* schema, const char* table, dbr_cursor** out,
                           dbr_error* err) noexcept {
    if constexpr (has_introspect) {
      return guard(err, [&] {
        if (out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "list: out is NULL");
        std::unique_ptr<cursor> r = static_cast<cap::introspect&>(conn(c)).list(what, schema, table);
        if (!r) fail(DBR_CAT_INTERNAL, "list returned no cursor");
        r->owned_by_sdk_ = true;
        *out = reinterpret_cast<dbr_cursor*>(r.release());
        return DBR_OK;
      });
    } else {
      (void)c, (void)what, (void)schema, (void)table, (void)out;
      return no_cap(err, "introspect");
    }
  }

  // ---- functions
  static std::int32_t create_scalar(dbr_conn* c, const char* name, std::int32_t nargs, std::uint32_t flags,
                                    dbr_function_cb fn, void* user, dbr_destroy_cb destroy, dbr_error* err) noexcept {
    std::unique_ptr<host_function> owned;
    try {
      owned = std::make_unique<host_function>(fn, user, destroy);
    } catch (...) {
      if (destroy != nullptr) destroy(user);
      return set_error(err, DBR_CAT_RESOURCE, std::string_view("out of memory registering a function"));
    }
    if constexpr (has_functions) {
      return guard(err, [&] {
        if (name == nullptr || fn == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "create_scalar: name or callback is NULL");
        static_cast<cap::functions&>(conn(c)).create_scalar(name, nargs, flags, std::move(owned));
        return DBR_OK;
      });
    } else {
      (void)c, (void)name, (void)nargs, (void)flags;
      return no_cap(err, "functions");
    }
  }

  // ---- the tables (static storage: the descriptor points at them)
  static constexpr dbr_conn_vtable conn_vt = {sizeof(dbr_conn_vtable), 0, &connect, &close, &ping,
                                              has_cancel ? &cancel : nullptr, &set_option, &get_info,
                                              has_reset ? &reset_session : nullptr};
  static constexpr dbr_sql_vtable sql_vt = {sizeof(dbr_sql_vtable), 0, &prepare, &param_count, &param_index,
                                            &execute, &finalize, &execute_script, &execute_batch};
  static constexpr dbr_txn_vtable txn_vt = {sizeof(dbr_txn_vtable), 0, &begin, &commit, &rollback, &savepoint,
                                            &release_savepoint, &rollback_to_savepoint, &in_transaction};
  static constexpr dbr_command_vtable command_vt = {sizeof(dbr_command_vtable), 0, &command};
  static constexpr dbr_notify_vtable notify_vt = {sizeof(dbr_notify_vtable), 0, &listen, &unlisten, &notify, &wait};
  static constexpr dbr_bulk_vtable bulk_vt = {sizeof(dbr_bulk_vtable), 0, &copy_in_begin, &copy_in_rows,
                                              &copy_in_end, &copy_in_abort, &copy_out_begin, &copy_out_next,
                                              &copy_out_end};
  static constexpr dbr_batch_vtable batch_vt = {sizeof(dbr_batch_vtable), 0, &batch_begin, &batch_add_sql,
                                                &batch_add_command, &batch_send, &batch_next, &batch_end};
  static constexpr dbr_introspect_vtable introspect_vt = {sizeof(dbr_introspect_vtable), 0, &list};
  static constexpr dbr_functions_vtable functions_vt = {sizeof(dbr_functions_vtable), 0, &create_scalar};
  static constexpr dbr_cursor_vtable cursor_vt = {sizeof(dbr_cursor_vtable), 0, &describe, &fetch, &next_result,
                                                  &cursor_close};
  static constexpr dbr_driver_vtable driver_vt = {
      sizeof(dbr_driver_vtable), 0, &init, &shutdown, &get_extension, &conn_vt,
      has_sql ? &sql_vt : nullptr, has_txn ? &txn_vt : nullptr, has_command ? &command_vt : nullptr,
      has_notify ? &notify_vt : nullptr, has_bulk ? &bulk_vt : nullptr, has_batch ? &batch_vt : nullptr,
      has_introspect ? &introspect_vt : nullptr, has_functions ? &functions_vt : nullptr, &cursor_vt};

  static std::int32_t entry(const dbr_host* host, std::uint32_t index, dbr_plugin_desc* out) noexcept {
    return fill_entry(D::info, DBR_KIND_DRIVER, capabilities, &driver_vt, host, index, out);
  }
};

}  // namespace detail
}  // namespace dbridge::sdk

/// Generates the library's one exported symbol for driver class DRIVER.
#define DBRIDGE_SDK_DRIVER(DRIVER)                                                                       \
  extern "C" DBR_EXPORT int32_t dbridge_plugin_entry_v1(const dbr_host* host, uint32_t index,             \
                                                        dbr_plugin_desc* out) {                           \
    return ::dbridge::sdk::detail::driver_glue<DRIVER>::entry(host, index, out);                          \
  }
