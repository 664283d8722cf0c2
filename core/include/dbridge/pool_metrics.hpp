// SPDX-License-Identifier: Apache-2.0
// Live figures of one connection pool. Separate from pool.hpp so the registry
// can carry them per entry without pulling in the pool's API.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace dbridge::inline v1 {

/// A snapshot of a pool, taken without stopping it (every figure is read
/// from its own atomic, so figures taken together may be a moment apart).
struct pool_metrics {
  std::string name;             ///< the pool's name (pool_options::name)
  std::string role;             ///< "primary" or "replica"
  std::uint32_t total = 0;      ///< open connections (idle + in_use)
  std::uint32_t idle = 0;
  std::uint32_t in_use = 0;
  std::uint32_t waiting = 0;    ///< callers blocked in acquire()
  std::uint32_t opening = 0;    ///< connects in progress
  std::uint32_t min = 0;
  std::uint32_t max = 0;
  std::uint64_t created = 0;    ///< connections opened since the start
  std::uint64_t closed = 0;     ///< connections closed since the start
  std::uint64_t acquires = 0;   ///< successful acquire() calls
  std::uint64_t timeouts = 0;   ///< acquire() calls that gave up
  std::uint64_t health_check_failures = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t resets = 0;     ///< session resets run on return (reset_on_release)
  std::uint64_t leaks = 0;      ///< connections reported held past leak_detection_threshold
  std::chrono::nanoseconds wait_p50{0};  ///< acquire wait, from a log-scale histogram
  std::chrono::nanoseconds wait_p99{0};
  std::chrono::nanoseconds wait_max{0};
  bool exhausted() const noexcept { return total >= max && idle == 0 && waiting > 0; }
};

}  // namespace dbridge
