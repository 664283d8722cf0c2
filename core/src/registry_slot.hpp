// SPDX-License-Identifier: Apache-2.0
// The registry's per-connection record. A connection keeps a reference to its
// slot and updates state and last-use time with relaxed atomic stores, so the
// hot path (every query) never takes the registry lock.
//
// Last use is kept in whole seconds from time(): the vDSO answers it from one
// load, where even the coarse clock_gettime was 6% of a prepared SQLite point
// select. A listing shows when a connection was last used; seconds do for that.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dbridge/pool_metrics.hpp"
#include "dbridge/registry.hpp"

namespace dbridge::inline v1::detail {

/// Lets a registry listing read the live figures of the pool a connection
/// belongs to. The pool detaches it before it goes away; listers lock `mu`
/// only around that read, never on the pool's hot path.
struct pool_probe {
  std::mutex mu;
  const void* owner = nullptr;
  pool_metrics (*read)(const void* owner) = nullptr;
  std::optional<pool_metrics> metrics() {
    std::lock_guard lock(mu);
    if (owner == nullptr || read == nullptr) return std::nullopt;
    return read(owner);
  }
  void detach() {
    std::lock_guard lock(mu);
    owner = nullptr;
  }
};

struct registry_slot {
  connection_entry entry;  ///< fixed fields; state/last_used_at below win over entry's
  /// The state of an entry without an owner (pool placeholders, registry::add).
  std::atomic<int> state{static_cast<int>(connection_state::idle)};
  /// The open connection behind the entry, whose state a listing derives
  /// with `derive` instead of the connection storing it on every call.
  /// Set and cleared under the registry lock; read under it too.
  const void* owner = nullptr;
  connection_state (*derive)(const void* owner) noexcept = nullptr;
  std::atomic<std::int64_t> last_used_s{0};  ///< time(): seconds since the epoch

  void set_state(connection_state s) noexcept { state.store(static_cast<int>(s), std::memory_order_relaxed); }
  connection_state get_state() const noexcept {
    return static_cast<connection_state>(state.load(std::memory_order_relaxed));
  }
  void touch() noexcept { last_used_s.store(std::int64_t{::time(nullptr)}, std::memory_order_relaxed); }
  std::shared_ptr<pool_probe> probe;  ///< guarded by the registry lock; null when not pooled
};

/// Adds an entry and returns its live slot (the id is in slot->entry.id).
std::shared_ptr<registry_slot> registry_attach(connection_entry e);

/// Lets listings derive the slot's state from `owner` until registry::remove.
void registry_set_owner(registry_slot& slot, const void* owner, connection_state (*derive)(const void*) noexcept);

/// Marks a connection as a member of pool `name` whose live figures `probe` reads.
void registry_set_pool(registry_slot& slot, std::string name, std::shared_ptr<pool_probe> probe);

/// Sets (or, with "", clears) the entry's leak report.
void registry_set_leak(registry_slot& slot, std::string text);

}  // namespace dbridge::detail
