// SPDX-License-Identifier: Apache-2.0
// Base classes for pool-strategy plugins (DBR_KIND_POOL). Strategies run on
// the pool's hot path under the pool lock, so keep them allocation-free.
//
//   class lifo final : public sdk::pool_strategy { ... };
//   class lifo_plugin final : public sdk::pool_plugin {
//    public:
//     static constexpr sdk::plugin_info info{.id = "pool-lifo", .version = "1.0.0",
//                                            .threading = DBR_THREADING_FREE};
//     std::unique_ptr<sdk::pool_strategy> create(const sdk::param_list&) override;
//   };
//   DBRIDGE_SDK_POOL(lifo_plugin)
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <memory>
#include <span>

#include "dbridge/sdk/boundary.hpp"
#include "dbridge/sdk/lifecycle.hpp"
#include "dbridge/sdk/driver.hpp"
#include "dbridge/sdk/value.hpp"

namespace dbridge::sdk {

/// The state of one pool.
class pool_strategy {
 public:
  virtual ~pool_strategy() = default;
  /// Index (< idle.size(), which is >= 1) of the idle connection to hand out.
  virtual std::uint32_t choose(std::span<const dbr_pool_candidate> idle, const dbr_pool_stats& stats) = 0;
  /// Open a new connection for a caller instead of waiting (asked when total < max).
  virtual bool should_grow(const dbr_pool_stats& stats) { return stats.idle == 0; }
  /// Close this idle connection now (asked only when total > min).
  virtual bool should_evict(const dbr_pool_candidate& c, const dbr_pool_stats& stats) {
    return stats.idle_timeout_ns > 0 && stats.now_ns - c.last_used_ns >= stats.idle_timeout_ns;
  }
  /// DBR_POOL_CHOICE_NEWEST or _OLDEST when choose() always answers that
  /// (asked once): the core then picks without calling choose() per acquire.
  virtual std::uint32_t fixed_choice() const { return DBR_POOL_CHOICE_CALL; }
};

/// The plugin instance; a constructor taking `const param_list&` gets the init options.
class pool_plugin {
 public:
  virtual ~pool_plugin() = default;
  virtual std::unique_ptr<pool_strategy> create(const param_list& options) = 0;
  virtual const void* get_extension(const char* name) {
    (void)name;
    return nullptr;
  }
};

namespace detail {

template <class P>
struct pool_glue : plugin_lifecycle<P> {
  using lifecycle = plugin_lifecycle<P>;
  using lifecycle::get_extension;
  using lifecycle::init;
  using lifecycle::plugin;
  using lifecycle::shutdown;
  static_assert(std::is_base_of_v<pool_plugin, P>, "the pool plugin must derive from sdk::pool_plugin");
  static pool_strategy& strat(dbr_pool_strategy* s) noexcept { return *reinterpret_cast<pool_strategy*>(s); }

  static std::int32_t create(dbr_plugin* p, const dbr_param* opts, std::uint32_t n, dbr_pool_strategy** out,
                             dbr_error* err) noexcept {
    return guard(err, [&] {
      if (out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "create: out is NULL");
      std::unique_ptr<pool_strategy> s = plugin(p).create(param_list(opts, n));
      if (!s) fail(DBR_CAT_INTERNAL, "create returned no strategy");
      *out = reinterpret_cast<dbr_pool_strategy*>(s.release());
      return DBR_OK;
    });
  }
  static void destroy(dbr_pool_strategy* s) noexcept {
    try {
      delete &strat(s);
    } catch (...) {
      log_current_exception("destroy");
    }
  }
  // No error record on these slots: a throwing strategy falls back to the
  // safe answer (first candidate, do not grow, do not evict) and is logged.
  static std::uint32_t choose(dbr_pool_strategy* s, const dbr_pool_candidate* idle, std::uint32_t n,
                              const dbr_pool_stats* stats) noexcept {
    try {
      if (idle == nullptr || n == 0) return 0;
      std::uint32_t i = strat(s).choose(std::span<const dbr_pool_candidate>(idle, n), widen(stats));
      return i < n ? i : 0;
    } catch (...) {
      log_current_exception("choose");
      return 0;
    }
  }
  static std::int32_t should_grow(dbr_pool_strategy* s, const dbr_pool_stats* stats) noexcept {
    try {
      return strat(s).should_grow(widen(stats)) ? 1 : 0;
    } catch (...) {
      log_current_exception("should_grow");
      return 0;
    }
  }
  static std::int32_t should_evict(dbr_pool_strategy* s, const dbr_pool_candidate* c,
                                   const dbr_pool_stats* stats) noexcept {
    try {
      if (c == nullptr) return 0;
      return strat(s).should_evict(widen(c), widen(stats)) ? 1 : 0;
    } catch (...) {
      log_current_exception("should_evict");
      return 0;
    }
  }

  static std::uint32_t fixed_choice(dbr_pool_strategy* s) noexcept {
    try {
      return strat(s).fixed_choice();
    } catch (...) {
      log_current_exception("fixed_choice");
      return DBR_POOL_CHOICE_CALL;
    }
  }

  static constexpr dbr_pool_vtable vt = {sizeof(dbr_pool_vtable), 0, &init, &shutdown, &get_extension, &create,
                                         &destroy, &choose, &should_grow, &should_evict, &fixed_choice};
  static std::int32_t entry(const dbr_host* host, std::uint32_t index, dbr_plugin_desc* out) noexcept {
    return fill_entry(P::info, DBR_KIND_POOL, 0, &vt, host, index, out);
  }
};

}  // namespace detail
}  // namespace dbridge::sdk

/// Generates the library's one exported symbol for pool plugin class PLUGIN.
#define DBRIDGE_SDK_POOL(PLUGIN)                                                                         \
  extern "C" DBR_EXPORT int32_t dbridge_plugin_entry_v1(const dbr_host* host, uint32_t index,             \
                                                        dbr_plugin_desc* out) {                           \
    return ::dbridge::sdk::detail::pool_glue<PLUGIN>::entry(host, index, out);                            \
  }
