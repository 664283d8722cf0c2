// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the pool tests.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace pool_test {

/// Waits for a condition with a deadline (polling every millisecond); the
/// test asserts the result, so a condition that never holds fails rather
/// than hangs.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return cond();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace pool_test
