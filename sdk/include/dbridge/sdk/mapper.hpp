// SPDX-License-Identifier: Apache-2.0
// Base class for graph-mapper plugins (DBR_KIND_MAPPER): store, load and
// query graphs through a connection the host lends for the call.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "dbridge/sdk/boundary.hpp"
#include "dbridge/sdk/lifecycle.hpp"
#include "dbridge/sdk/driver.hpp"
#include "dbridge/sdk/value.hpp"

namespace dbridge::sdk {

namespace detail {
/// Runs a host call that fills a dbr_error; a failure becomes sdk::error (so
/// it reaches the host unchanged through the mapper's thunk).
template <class F>
void host_call(F&& f) {
  dbr_error e;
  std::memset(&e, 0, sizeof e);
  e.struct_size = sizeof e;
  std::int32_t rc = f(&e);
  if (rc >= 0) return;
  std::string msg = e.message != nullptr ? std::string(e.message, e.message_len) : "host call failed";
  error out(e.category != 0 ? e.category : static_cast<std::uint32_t>(-rc), msg);
  out.sqlstate(e.sqlstate).subcategory(e.subcategory).retry(e.retry).connection_broken(e.conn_broken != 0);
  out.native(e.native_code, e.native_domain);
  // The fields were allocated by the host: hand them back to the host.
  if (host() != nullptr && host()->error_clear != nullptr) host()->error_clear(&e);
  throw out;
}
}  // namespace detail

/// A lent connection whose failures become sdk::error (so they propagate to
/// the host unchanged through the mapper's thunk).
class lent_connection {
 public:
  explicit lent_connection(const dbr_lent_conn& c) noexcept : c_(c) {}
  const dbr_lent_conn& raw() const noexcept { return c_; }
  bool has(std::uint32_t cap) const noexcept { return (c_.capabilities & cap) != 0; }
  std::string_view scheme() const noexcept { return c_.scheme != nullptr ? c_.scheme : ""; }

  /// Runs sql; row_cb(user, ...) per row; returns the affected rows.
  std::int64_t query(std::string_view sql, std::span<const dbr_value> params = {}, dbr_row_cb row_cb = nullptr,
                     void* user = nullptr) const {
    std::int64_t affected = -1;
    call([&](dbr_error* e) {
      return c_.query(c_.ctx, sql.data(), sql.size(), params.data(), static_cast<std::uint32_t>(params.size()),
                      row_cb, user, &affected, e);
    });
    return affected;
  }
  /// Runs sql and calls f(std::span<const dbr_value> row) per row (cells
  /// borrowed for the call); an exception from f stops the query and is
  /// rethrown as it was. Returns the affected rows.
  template <class F>
  std::int64_t each_row(std::string_view sql, std::span<const dbr_value> params, F&& f) const {
    struct ctx {
      F* f;
      std::exception_ptr ex;
    } c{&f, nullptr};
    dbr_row_cb cb = [](void* user, std::uint32_t ncols, const dbr_column*, const dbr_value* row,
                       dbr_error* err) -> std::int32_t {
      auto* self = static_cast<ctx*>(user);
      try {
        (*self->f)(std::span<const dbr_value>(row, ncols));
        return DBR_OK;
      } catch (...) {
        self->ex = std::current_exception();
        return error(DBR_CAT_CANCELLED, "stopped by the mapper").fill(host(), err);
      }
    };
    try {
      return query(sql, params, cb, &c);
    } catch (...) {
      if (c.ex) std::rethrow_exception(c.ex);
      throw;
    }
  }
  const dbr_reply* command(std::uint32_t argc, const char* const* argv, const std::uint64_t* lens) const {
    const dbr_reply* r = nullptr;
    call([&](dbr_error* e) { return c_.command(c_.ctx, argc, argv, lens, &r, e); });
    return r;
  }
  void begin() const { call([&](dbr_error* e) { return c_.begin(c_.ctx, e); }); }
  void commit() const { call([&](dbr_error* e) { return c_.commit(c_.ctx, e); }); }
  void rollback() const { call([&](dbr_error* e) { return c_.rollback(c_.ctx, e); }); }
  /// 1.2: rows (row-major, columns.size() cells each) into table(columns) by
  /// the driver's fastest path; returns the rows stored.
  std::int64_t insert_rows(const char* table, std::span<const char* const> columns,
                           std::span<const dbr_value> cells) const {
    if (c_.insert_rows == nullptr) throw error(DBR_CAT_UNSUPPORTED, "this dbridge core cannot bulk-insert (ABI < 1.2)");
    if (columns.empty() || cells.size() % columns.size() != 0)
      throw error(DBR_CAT_INVALID_ARGUMENT, "insert_rows: cells are not whole rows");
    std::int64_t rows = 0;
    call([&](dbr_error* e) {
      return c_.insert_rows(c_.ctx, table, columns.data(), static_cast<std::uint32_t>(columns.size()), cells.data(),
                            cells.size() / columns.size(), &rows, e);
    });
    return rows;
  }
  /// 1.3: applies the steps not yet recorded in the record table `table` (one
  /// per mapper), as dbridge::migrate does: locked, checksummed, each once
  /// per database. Returns how many steps ran.
  std::uint32_t migrate(const char* table, std::span<const dbr_migration_step> steps) const {
    if (c_.migrate == nullptr)
      throw error(DBR_CAT_UNSUPPORTED, "this dbridge core cannot migrate a mapper's schema (ABI < 1.3)");
    std::uint32_t applied = 0;
    call([&](dbr_error* e) {
      return c_.migrate(c_.ctx, table, steps.data(), sizeof(dbr_migration_step),
                        static_cast<std::uint32_t>(steps.size()), &applied, e);
    });
    return applied;
  }
  /// 1.3: one schema step for migrate(); name and sql are borrowed.
  static dbr_migration_step step(std::int64_t version, const char* name, std::string_view sql) noexcept {
    dbr_migration_step s{};
    s.struct_size = sizeof s;
    s.version = version;
    s.name = name;
    s.sql = sql.data();
    s.sql_len = sql.size();
    return s;
  }
  /// Runs f inside a transaction: committed when f returns, rolled back when it throws.
  template <class F>
  void transaction(F&& f) const {
    begin();
    try {
      f();
    } catch (...) {
      try {
        rollback();
      } catch (...) {  // the first failure is the one to report
      }
      throw;
    }
    commit();
  }

 private:
  template <class F>
  void call(F&& f) const {
    detail::host_call(std::forward<F>(f));
  }
  dbr_lent_conn c_;
};

/// The host's sink for a loaded graph; a refusal (the reader stopped, or
/// failed) becomes sdk::error.
class graph_writer {
 public:
  explicit graph_writer(const dbr_graph_sink& s) noexcept : s_(s) {}
  void info(const dbr_graph_stats& st) const {
    if (s_.info != nullptr) detail::host_call([&](dbr_error* e) { return s_.info(s_.ctx, &st, e); });
  }
  void node(const dbr_graph_node& n) const {
    detail::host_call([&](dbr_error* e) { return s_.node(s_.ctx, &n, e); });
  }
  void edge(const dbr_graph_edge& ed) const {
    detail::host_call([&](dbr_error* e) { return s_.edge(s_.ctx, &ed, e); });
  }

 private:
  dbr_graph_sink s_;
};

/// Where neighbors() reports each node reached.
class reach_writer {
 public:
  reach_writer(dbr_graph_reach_cb cb, void* user) noexcept : cb_(cb), user_(user) {}
  void reached(const dbr_graph_node& n, std::uint32_t depth) const {
    detail::host_call([&](dbr_error* e) { return cb_(user_, &n, depth, e); });
  }

 private:
  dbr_graph_reach_cb cb_;
  void* user_;
};

/// Where list() reports each stored graph.
class graph_list_writer {
 public:
  graph_list_writer(dbr_graph_name_cb cb, void* user) noexcept : cb_(cb), user_(user) {}
  void graph(const char* name, const dbr_graph_stats& st) const {
    detail::host_call([&](dbr_error* e) { return cb_(user_, name, &st, e); });
  }

 private:
  dbr_graph_name_cb cb_;
  void* user_;
};

class mapper_plugin {
 public:
  virtual ~mapper_plugin() = default;
  /// NULL-terminated static list of schemes this mapper works over.
  virtual const char* const* schemes() = 0;
  virtual void prepare(const lent_connection& conn) = 0;
  virtual void store(const lent_connection& conn, const dbr_graph& graph) = 0;
  virtual void load(const lent_connection& conn, const char* name, const dbr_graph_sink& sink) = 0;
  virtual void query(const lent_connection& conn, const char* name, const char* label, const param_list& filters,
                     const dbr_graph_sink& sink) {
    (void)conn, (void)name, (void)label, (void)filters, (void)sink;
    throw error(DBR_CAT_UNSUPPORTED, "this mapper cannot query graphs");
  }
  virtual void remove(const lent_connection& conn, const char* name) = 0;
  // 1.2: called only by cores that negotiated minor >= 2. A mapper that
  // lacks one leaves the default, which reports "unsupported".
  virtual void merge(const lent_connection& conn, const dbr_graph& graph) {
    (void)conn, (void)graph;
    throw error(DBR_CAT_UNSUPPORTED, "this mapper cannot merge graphs");
  }
  virtual void neighbors(const lent_connection& conn, const char* name, const char* node, const dbr_graph_walk& walk,
                         const reach_writer& out) {
    (void)conn, (void)name, (void)node, (void)walk, (void)out;
    throw error(DBR_CAT_UNSUPPORTED, "this mapper cannot walk graphs");
  }
  virtual void list(const lent_connection& conn, const graph_list_writer& out) {
    (void)conn, (void)out;
    throw error(DBR_CAT_UNSUPPORTED, "this mapper cannot list graphs");
  }
  virtual dbr_graph_stats stats(const lent_connection& conn, const char* name) {
    (void)conn, (void)name;
    throw error(DBR_CAT_UNSUPPORTED, "this mapper cannot count graphs");
  }
  virtual const void* get_extension(const char* name) {
    (void)name;
    return nullptr;
  }
};

namespace detail {

template <class M>
struct mapper_glue : plugin_lifecycle<M> {
  using lifecycle = plugin_lifecycle<M>;
  using lifecycle::get_extension;
  using lifecycle::init;
  using lifecycle::plugin;
  using lifecycle::shutdown;
  static_assert(std::is_base_of_v<mapper_plugin, M>, "the mapper must derive from sdk::mapper_plugin");
  static lent_connection lent(const dbr_lent_conn* c) {
    if (c == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "no connection lent to the mapper");
    return lent_connection(widen(c));
  }
  static const char* const* schemes(dbr_plugin* p) noexcept {
    try {
      return plugin(p).schemes();
    } catch (...) {
      log_current_exception("schemes");
      return nullptr;
    }
  }
  static std::int32_t prepare(dbr_plugin* p, const dbr_lent_conn* c, dbr_error* err) noexcept {
    return guard(err, [&] { plugin(p).prepare(lent(c)); return DBR_OK; });
  }
  static std::int32_t store(dbr_plugin* p, const dbr_lent_conn* c, const dbr_graph* g, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (g == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "store: graph is NULL");
      plugin(p).store(lent(c), widen(g));
      return DBR_OK;
    });
  }
  static std::int32_t load(dbr_plugin* p, const dbr_lent_conn* c, const char* name, const dbr_graph_sink* sink,
                           dbr_error* err) noexcept {
    return guard(err, [&] {
      if (name == nullptr || sink == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "load: name or sink is NULL");
      plugin(p).load(lent(c), name, widen(sink));
      return DBR_OK;
    });
  }
  static std::int32_t query(dbr_plugin* p, const dbr_lent_conn* c, const char* name, const char* label,
                            const dbr_param* filters, std::uint32_t n, const dbr_graph_sink* sink,
                            dbr_error* err) noexcept {
    return guard(err, [&] {
      if (name == nullptr || sink == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "query: name or sink is NULL");
      plugin(p).query(lent(c), name, label, param_list(filters, n), widen(sink));
      return DBR_OK;
    });
  }
  static std::int32_t remove(dbr_plugin* p, const dbr_lent_conn* c, const char* name, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (name == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "remove: name is NULL");
      plugin(p).remove(lent(c), name);
      return DBR_OK;
    });
  }
  static std::int32_t merge(dbr_plugin* p, const dbr_lent_conn* c, const dbr_graph* g, dbr_error* err) noexcept {
    return guard(err, [&] {
      if (g == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "merge: graph is NULL");
      plugin(p).merge(lent(c), widen(g));
      return DBR_OK;
    });
  }
  static std::int32_t neighbors(dbr_plugin* p, const dbr_lent_conn* c, const char* name, const char* node,
                                const dbr_graph_walk* walk, dbr_graph_reach_cb cb, void* user,
                                dbr_error* err) noexcept {
    return guard(err, [&] {
      if (name == nullptr || node == nullptr || walk == nullptr || cb == nullptr)
        fail(DBR_CAT_INVALID_ARGUMENT, "neighbors: name, node, walk or callback is NULL");
      plugin(p).neighbors(lent(c), name, node, widen(walk), reach_writer(cb, user));
      return DBR_OK;
    });
  }
  static std::int32_t list(dbr_plugin* p, const dbr_lent_conn* c, dbr_graph_name_cb cb, void* user,
                           dbr_error* err) noexcept {
    return guard(err, [&] {
      if (cb == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "list: callback is NULL");
      plugin(p).list(lent(c), graph_list_writer(cb, user));
      return DBR_OK;
    });
  }
  static std::int32_t stats(dbr_plugin* p, const dbr_lent_conn* c, const char* name, dbr_graph_stats* out,
                            dbr_error* err) noexcept {
    return guard(err, [&] {
      if (name == nullptr || out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "stats: name or output is NULL");
      dbr_graph_stats st = plugin(p).stats(lent(c), name);
      st.struct_size = sizeof st;
      narrow(st, out);
      return DBR_OK;
    });
  }
  static constexpr dbr_mapper_vtable vt = {sizeof(dbr_mapper_vtable), 0, &init, &shutdown, &get_extension,
                                           &schemes, &prepare, &store, &load, &query, &remove,
                                           &merge, &neighbors, &list, &stats};
  static std::int32_t entry(const dbr_host* host, std::uint32_t index, dbr_plugin_desc* out) noexcept {
    return fill_entry(M::info, DBR_KIND_MAPPER, 0, &vt, host, index, out);
  }
};

}  // namespace detail
}  // namespace dbridge::sdk

/// Generates the library's one exported symbol for mapper class MAPPER.
#define DBRIDGE_SDK_MAPPER(MAPPER)                                                                       \
  extern "C" DBR_EXPORT int32_t dbridge_plugin_entry_v1(const dbr_host* host, uint32_t index,             \
                                                        dbr_plugin_desc* out) {                           \
    return ::dbridge::sdk::detail::mapper_glue<MAPPER>::entry(host, index, out);                          \
  }
