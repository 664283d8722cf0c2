// SPDX-License-Identifier: Apache-2.0
// The pool's lock: a three-state futex mutex (0 free, 1 held, 2 held with
// sleepers). Taking and dropping it uncontended is one locked instruction
// each, inline; std::mutex pays a call into pthread and its owner and
// type bookkeeping on both, which was a third of a warm acquire + release.
#pragma once

#include <atomic>
#include <cstdint>

namespace dbridge::inline v1::detail {

class __attribute__((visibility("hidden"))) pool_lock {
 public:
  pool_lock() = default;
  pool_lock(const pool_lock&) = delete;
  pool_lock& operator=(const pool_lock&) = delete;

  void lock() noexcept {
    std::uint32_t seen = 0;
    if (state_.compare_exchange_strong(seen, 1, std::memory_order_acquire, std::memory_order_relaxed)) [[likely]]
      return;
    lock_contended(seen);
  }
  bool try_lock() noexcept {
    std::uint32_t seen = 0;
    return state_.compare_exchange_strong(seen, 1, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) != 1) [[unlikely]] wake_one();
  }

 private:
  void lock_contended(std::uint32_t seen) noexcept;  ///< spins briefly, then sleeps in the kernel
  void wake_one() noexcept;
  std::atomic<std::uint32_t> state_{0};
};

}  // namespace dbridge::detail
