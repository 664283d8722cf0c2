// SPDX-License-Identifier: Apache-2.0
// Transaction timeouts: the watchdog that cancels a statement still running
// when its transaction's deadline passes (plugins declaring
// cancel_any_thread only). The deadline itself is checked by the connection
// on every call (connection_impl::enter and fail).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace dbridge::inline v1::detail {

struct connection_impl;

/// Steady clock in ns (pool.cpp); hidden, like the pool's own calls.
__attribute__((visibility("hidden"))) std::int64_t mono_ns() noexcept;

/// What the watchdog knows of one connection's armed deadline. The
/// connection clears `conn` (under `mu`) when the transaction ends or the
/// connection closes, so the watchdog never touches it afterwards.
struct tx_watch {
  std::mutex mu;
  connection_impl* conn = nullptr;
  std::int64_t deadline_ns = 0;
  bool queued = false;  ///< has an entry in the watchdog's queue (its lock)
  std::multimap<std::int64_t, std::shared_ptr<tx_watch>>::iterator at{};
};

/// Queues w to be looked at when deadline_ns passes (replacing an earlier entry).
__attribute__((visibility("hidden"))) void watchdog_arm(const std::shared_ptr<tx_watch>& w, std::int64_t deadline_ns);
/// Removes w's entry, if any.
__attribute__((visibility("hidden"))) void watchdog_disarm(const std::shared_ptr<tx_watch>& w) noexcept;

}  // namespace dbridge::detail
