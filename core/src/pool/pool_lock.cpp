// SPDX-License-Identifier: Apache-2.0
// The pool lock's slow paths: kept apart from the pool engine so that the
// lock's stress test (tests/pool/pool_lock_test.cpp) compiles them alone.
#include "pool_lock.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dbridge::inline v1::detail {

void pool_lock::lock_contended(std::uint32_t seen) noexcept {
  // The holder is usually a few instructions from unlocking: a short spin
  // saves two system calls. Then mark "sleepers" (2) and sleep until free.
  for (int i = 0; i < 64 && seen != 0; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    seen = state_.load(std::memory_order_relaxed);
    if (seen == 0 && state_.compare_exchange_weak(seen, 1, std::memory_order_acquire, std::memory_order_relaxed))
      return;
  }
  if (seen != 2) seen = state_.exchange(2, std::memory_order_acquire);
  while (seen != 0) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr, 0);
    seen = state_.exchange(2, std::memory_order_acquire);
  }
}

void pool_lock::wake_one() noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace dbridge::detail
