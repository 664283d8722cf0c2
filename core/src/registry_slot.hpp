// SPDX-License-Identifier: Apache-2.0
// The registry's per-connection record. A connection keeps a reference to its
// slot and updates state and last-use time with relaxed atomic stores, so the
// hot path (every query) never takes the registry lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dbridge/registry.hpp"

namespace dbridge::detail {

struct registry_slot {
  connection_entry entry;  ///< fixed fields; state/last_used_at below win over entry's
  std::atomic<int> state{static_cast<int>(connection_state::idle)};
  std::atomic<std::int64_t> last_used_ns{0};  ///< system_clock nanoseconds since the epoch

  void set_state(connection_state s) noexcept { state.store(static_cast<int>(s), std::memory_order_relaxed); }
  connection_state get_state() const noexcept {
    return static_cast<connection_state>(state.load(std::memory_order_relaxed));
  }
  void touch() noexcept;
};

/// A coarse wall clock (a few nanoseconds): last-use times do not need better.
std::int64_t coarse_now_ns() noexcept;

/// Adds an entry and returns its live slot (the id is in slot->entry.id).
std::shared_ptr<registry_slot> registry_attach(connection_entry e);

}  // namespace dbridge::detail
