// SPDX-License-Identifier: Apache-2.0
// FIFO: the connection idle longest goes out first, so use rotates over every
// connection. Each stays warm and is exercised (a dead one is found by use,
// not by the next health check), at the price of rarely idling out.
#include <dbridge/sdk/pool.hpp>

namespace {

namespace sdk = dbridge::sdk;

class fifo final : public sdk::pool_strategy {
 public:
  // The core lists idle connections oldest return first, and the timestamps
  // come from a coarse clock, so ties are common: keeping the first of equals
  // follows the list order, and the scan stays right should a core reorder it.
  std::uint32_t choose(std::span<const dbr_pool_candidate> idle, const dbr_pool_stats&) override {
    std::uint32_t best = 0;
    for (std::uint32_t i = 1; i < idle.size(); ++i)
      if (idle[i].last_used_ns < idle[best].last_used_ns) best = i;
    return best;
  }
  bool should_grow(const dbr_pool_stats& s) override { return s.idle == 0; }
  bool should_evict(const dbr_pool_candidate& c, const dbr_pool_stats& s) override {
    return s.idle_timeout_ns > 0 && s.now_ns - c.last_used_ns >= s.idle_timeout_ns;
  }
  // The same answer as choose() in the core's list order, without a call per acquire.
  std::uint32_t fixed_choice() const override { return DBR_POOL_CHOICE_OLDEST; }
};

class fifo_plugin final : public sdk::pool_plugin {
 public:
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID, .version = DBRIDGE_PLUGIN_VERSION,
                                         .threading = DBR_THREADING_FREE};
  std::unique_ptr<sdk::pool_strategy> create(const sdk::param_list&) override { return std::make_unique<fifo>(); }
};

}  // namespace

DBRIDGE_SDK_POOL(fifo_plugin)
