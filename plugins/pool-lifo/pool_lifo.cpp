// SPDX-License-Identifier: Apache-2.0
// LIFO: the connection returned last goes out first. Load concentrates on a
// few hot connections (warm caches, prepared statements) and the cold ones
// reach the idle timeout and close, so the pool shrinks to what the load
// needs. The core's default strategy.
#include <dbridge/sdk/pool.hpp>

namespace {

namespace sdk = dbridge::sdk;

class lifo final : public sdk::pool_strategy {
 public:
  // The core lists idle connections oldest return first.
  std::uint32_t choose(std::span<const dbr_pool_candidate> idle, const dbr_pool_stats&) override {
    return static_cast<std::uint32_t>(idle.size() - 1);
  }
  bool should_grow(const dbr_pool_stats& s) override { return s.idle == 0; }
  bool should_evict(const dbr_pool_candidate& c, const dbr_pool_stats& s) override {
    return s.idle_timeout_ns > 0 && s.now_ns - c.last_used_ns >= s.idle_timeout_ns;
  }
  // The same answer as choose() in the core's list order, without a call per acquire.
  std::uint32_t fixed_choice() const override { return DBR_POOL_CHOICE_NEWEST; }
};

class lifo_plugin final : public sdk::pool_plugin {
 public:
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID, .version = DBRIDGE_PLUGIN_VERSION,
                                         .threading = DBR_THREADING_FREE};
  std::unique_ptr<sdk::pool_strategy> create(const sdk::param_list&) override { return std::make_unique<lifo>(); }
};

}  // namespace

DBRIDGE_SDK_POOL(lifo_plugin)
