// SPDX-License-Identifier: Apache-2.0
// Base class for graph-mapper plugins (DBR_KIND_MAPPER): store, load and
// query graphs through a connection the host lends for the call.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "dbridge/sdk/boundary.hpp"
#include "dbridge/sdk/lifecycle.hpp"
#include "dbridge/sdk/driver.hpp"
#include "dbridge/sdk/value.hpp"

namespace dbridge::sdk {

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
  const dbr_reply* command(std::uint32_t argc, const char* const* argv, const std::uint64_t* lens) const {
    const dbr_reply* r = nullptr;
    call([&](dbr_error* e) { return c_.command(c_.ctx, argc, argv, lens, &r, e); });
    return r;
  }
  void begin() const { call([&](dbr_error* e) { return c_.begin(c_.ctx, e); }); }
  void commit() const { call([&](dbr_error* e) { return c_.commit(c_.ctx, e); }); }
  void rollback() const { call([&](dbr_error* e) { return c_.rollback(c_.ctx, e); }); }

 private:
  template <class F>
  void call(F&& f) const {
    dbr_error e;
    std::memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    std::int32_t rc = f(&e);
    if (rc >= 0) return;
    std::string msg = e.message != nullptr ? std::string(e.message, e.message_len) : "lent connection call failed";
    error out(e.category != 0 ? e.category : static_cast<std::uint32_t>(-rc), msg);
    out.sqlstate(e.sqlstate).subcategory(e.subcategory).retry(e.retry).connection_broken(e.conn_broken != 0);
    out.native(e.native_code, e.native_domain);
    // The message was allocated by the host: hand it back to the host.
    if (e.message != nullptr && host() != nullptr) host()->free(e.message);
    throw out;
  }
  dbr_lent_conn c_;
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
  static constexpr dbr_mapper_vtable vt = {sizeof(dbr_mapper_vtable), 0, &init, &shutdown, &get_extension,
                                           &schemes, &prepare, &store, &load, &query, &remove};
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
