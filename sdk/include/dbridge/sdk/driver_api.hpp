// SPDX-License-Identifier: Apache-2.0
// The author-facing half of the driver SDK: what a driver writes against
// (plugin_info, the connection, statement and bulk classes, the cap::*
// interfaces and driver<Conn>). driver_glue.hpp turns these into abi.h's C
// tables; include <dbridge/sdk/driver.hpp>, which brings both.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "dbridge/sdk/boundary.hpp"
#include "dbridge/sdk/session.hpp"
#include "dbridge/sdk/cursor.hpp"
#include "dbridge/sdk/error.hpp"
#include "dbridge/sdk/value.hpp"

namespace dbridge::sdk {

/// What the descriptor says about a plugin. id and version must match the
/// manifest; dbridge_add_plugin() defines DBRIDGE_PLUGIN_ID and
/// DBRIDGE_PLUGIN_VERSION from it, so `.id = DBRIDGE_PLUGIN_ID` keeps them in step.
struct plugin_info {
  const char* id = nullptr;
  const char* version = nullptr;
  std::uint32_t threading = DBR_THREADING_PER_CONNECTION;
  std::uint64_t flags = 0;                 ///< DBR_PF_*
  const char* const* schemes = nullptr;    ///< drivers: NULL-terminated
  std::uint16_t max_minor = DBR_ABI_MINOR; ///< newest ABI minor this plugin knows
  std::uint16_t min_minor = 0;             ///< oldest core minor it works with
};

/// A prepared statement (capability "sql").
class statement {
 public:
  virtual ~statement() = default;
  virtual std::uint32_t param_count() = 0;
  /// 1-based index of a named parameter, 0 when there is none.
  virtual std::uint32_t param_index(const char* name) {
    (void)name;
    return 0;
  }
  /// Binds params (borrowed for this call only) and runs. Returns the
  /// statement's own cursor when the statement yields rows (it stays owned by
  /// the statement; its close() hands it back), else nullptr. Fills
  /// info.affected_rows / last_insert_id (pre-set to -1 / none) and
  /// info.session_changed, pre-set from generic_session_change: overwrite it
  /// when the driver knows its backend better (sdk/session.hpp).
  virtual cursor* execute(std::span<const dbr_value> params, dbr_exec_info& info) = 0;
  /// Runs the statement once per row: params holds nrows rows of
  /// param_count() values, row-major (abi.h, dbr_sql_vtable.execute_batch).
  /// info comes set up as for execute; add each row's affected rows into
  /// info.affected_rows (pre-set to 0; -1 when unknown). On failure set
  /// failed_row to the row's index, then throw. This default runs execute
  /// per row; a driver with a faster path (array binding, a pipeline)
  /// overrides it.
  virtual void execute_batch(std::span<const dbr_value> params, std::uint64_t nrows, dbr_exec_info& info,
                             std::uint64_t& failed_row) {
    const std::size_t width = nrows == 0 ? 0 : params.size() / nrows;
    for (std::uint64_t r = 0; r < nrows; ++r) {
      dbr_exec_info row = info;
      row.affected_rows = -1;
      failed_row = r;
      if (cursor* rows = execute(params.subspan(r * width, width), row)) rows->close();
      if (row.affected_rows < 0 || info.affected_rows < 0) info.affected_rows = -1;
      else info.affected_rows += row.affected_rows;
      info.session_changed |= row.session_changed;
    }
    failed_row = UINT64_MAX;
  }
  /// What the generic rule of sdk/session.hpp says of this statement's SQL,
  /// set when it was prepared: a driver that says nothing reports what the
  /// core would assume of an ABI 1.0 plugin.
  bool generic_session_change = true;
};

/// A COPY-style transfer (capability "bulk"); one object serves in or out.
class bulk_transfer {
 public:
  virtual ~bulk_transfer() = default;
  virtual void write_rows(const dbr_value* cells, std::uint64_t nrows) {
    (void)cells;
    (void)nrows;
    throw error(DBR_CAT_INVALID_STATE, "this transfer does not accept rows");
  }
  /// Finishes an ingest; returns the rows stored.
  virtual std::int64_t finish() { throw error(DBR_CAT_INVALID_STATE, "this transfer is not an ingest"); }
  virtual void abort() noexcept {}
  /// Next exported chunk (borrowed until the next call); false at the end.
  virtual bool read_chunk(std::string_view& chunk) {
    (void)chunk;
    throw error(DBR_CAT_INVALID_STATE, "this transfer is not an export");
  }
};

/// A host callable registered as a SQL function. Calls destroy(user) exactly
/// once, when this object dies, which makes the ABI's "exactly once, also on
/// failure" rule hold whatever the driver does with it.
class host_function {
 public:
  host_function(dbr_function_cb fn, void* user, dbr_destroy_cb destroy) noexcept
      : fn_(fn), user_(user), destroy_(destroy) {}
  host_function(const host_function&) = delete;
  host_function& operator=(const host_function&) = delete;
  ~host_function() {
    if (destroy_ != nullptr) destroy_(user_);
  }
  /// Calls the host; result and err as in dbr_function_cb.
  std::int32_t call(std::uint32_t argc, const dbr_value* argv, dbr_value* result, dbr_error* err) const {
    return fn_(user_, argc, argv, result, err);
  }

 private:
  dbr_function_cb fn_;
  void* user_;
  dbr_destroy_cb destroy_;
};

/// Every driver connection derives from this, plus the cap::* interfaces of
/// the capabilities it implements. close() deletes it.
class connection {
 public:
  virtual ~connection() = default;
  /// Cheap liveness check; throw (e.g. DBR_CAT_CONNECTION) when unusable.
  virtual void ping() {}
  virtual void set_option(const char* key, const dbr_value& value) {
    (void)value;
    throw error(DBR_CAT_INVALID_ARGUMENT, std::string("unknown connection option '") + key + "'");
  }
  /// Facts such as "server_version"; the value may borrow from the connection.
  virtual dbr_value get_info(const char* key) {
    throw error(DBR_CAT_INVALID_ARGUMENT, std::string("unknown connection info key '") + key + "'");
  }
};

/// Capability interfaces; derive the connection from the ones you implement.
namespace cap {
class sql {
 public:
  virtual ~sql() = default;
  virtual std::unique_ptr<statement> prepare(std::string_view sql_text, std::uint32_t flags) = 0;
  /// Several statements, no parameters, results discarded.
  virtual void execute_script(std::string_view sql_text) {
    (void)sql_text;
    unsupported(plugin_id(), "SQL scripts");
  }
};
class transactions {
 public:
  virtual ~transactions() = default;
  virtual void begin(const dbr_txn_options& opts) = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // A driver with savepoints overrides all three: no default falls back on
  // another (releasing by creating one would silently do the wrong thing).
  virtual void savepoint(const char* name) {
    (void)name;
    unsupported(plugin_id(), "savepoints");
  }
  virtual void release_savepoint(const char* name) {
    (void)name;
    unsupported(plugin_id(), "releasing savepoints");
  }
  virtual void rollback_to_savepoint(const char* name) {
    (void)name;
    unsupported(plugin_id(), "rolling back to savepoints");
  }
  virtual bool in_transaction() = 0;
};
class command {
 public:
  virtual ~command() = default;
  /// The reply stays owned by the connection until its next call. Server-side
  /// errors are DBR_REPLY_ERROR replies (the core raises a backend error with
  /// sdk::error_reply_code as its code), or a typed sdk::error when the driver
  /// knows what its server's code means (Redis: WRONGTYPE, NOAUTH).
  virtual const dbr_reply* execute_command(const argv_view& args) = 0;
};
class notify {
 public:
  virtual ~notify() = default;
  virtual void listen(std::string_view channel, std::uint32_t flags) = 0;
  virtual void unlisten(std::string_view channel, std::uint32_t flags) = 0;
  virtual void notify_channel(std::string_view channel, std::string_view payload) = 0;
  /// true with out filled (borrowed until the next call), false on timeout.
  virtual bool wait(std::int64_t timeout_ms, dbr_notification& out) = 0;
};
class bulk {
 public:
  virtual ~bulk() = default;
  virtual std::unique_ptr<bulk_transfer> copy_in(const char* table, std::span<const char* const> columns,
                                                 const param_list& options) = 0;
  virtual std::unique_ptr<bulk_transfer> copy_out(std::string_view sql_text) = 0;
};
class batch {
 public:
  virtual ~batch() = default;
  virtual void batch_begin() = 0;
  virtual void batch_add_sql(std::string_view sql_text, std::span<const dbr_value> params) = 0;
  virtual void batch_add_command(const argv_view& args) = 0;
  virtual void batch_send() = 0;
  /// Next result: true with item filled (and item_err filled through
  /// error::fill(host(), item_err) when item.status < 0), false when done.
  virtual bool batch_next(dbr_batch_item& item, dbr_error* item_err) = 0;
  virtual void batch_end() = 0;
};
class introspect {
 public:
  virtual ~introspect() = default;
  /// A standalone cursor with the DBR_META_* columns of abi.h. Filters may be NULL.
  virtual std::unique_ptr<cursor> list(std::uint32_t what, const char* schema, const char* table) = 0;
};
class functions {
 public:
  virtual ~functions() = default;
  /// Owns fn from the call on: dropping it (also by throwing) calls destroy.
  virtual void create_scalar(const char* name, std::int32_t nargs, std::uint32_t flags,
                             std::unique_ptr<host_function> fn) = 0;
};
class cancel {
 public:
  virtual ~cancel() = default;
  /// Interrupt the running call (any thread with DBR_PF_CANCEL_ANY_THREAD).
  virtual void cancel_running() = 0;
};
/// ABI 1.1: return the session to what connect() left (see
/// dbr_conn_vtable.reset_session for what that covers). Without this base the
/// slot stays NULL and a pool closes connections whose session changed.
class session_reset {
 public:
  virtual ~session_reset() = default;
  /// Returns DBR_RESET_* flags: DBR_RESET_STATEMENTS_DROPPED when the
  /// server-side prepared statements of the connection are gone.
  virtual std::uint32_t reset_session() = 0;
};
}  // namespace cap

/// The plugin instance made by init. Derive with your connection class; a
/// constructor taking `const sdk::param_list&` receives the init options.
/// Optionally `using statement_type = S;` names the one final statement class
/// the connections prepare, so execute is called on it directly
/// (driver_glue.hpp, exact_statement).
template <class Conn>
class driver {
 public:
  using connection_type = Conn;
  virtual ~driver() = default;
  virtual std::unique_ptr<Conn> connect(const dbr_url& url) = 0;
  virtual const void* get_extension(const char* name) {
    (void)name;
    return nullptr;
  }
};

}  // namespace dbridge::sdk
