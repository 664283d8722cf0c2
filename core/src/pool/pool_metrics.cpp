// SPDX-License-Identifier: Apache-2.0
// The pool's counters as the caller reads them (pool::metrics, the
// registry's listing) and the acquire-wait histogram behind the quantiles.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "pool_impl.hpp"

namespace dbridge::inline v1::detail {

// ------------------------------------------------------------ histogram

int wait_histogram::index(std::int64_t ns) noexcept {
  if (ns < 4) return ns <= 0 ? 0 : static_cast<int>(ns);
  const int l = 63 - __builtin_clzll(static_cast<unsigned long long>(ns));
  const int sub = static_cast<int>((ns >> (l - 2)) & 3);
  const int idx = 4 * (l - 1) + sub;
  return idx < buckets ? idx : buckets - 1;
}

std::int64_t wait_histogram::upper(int idx) noexcept {
  if (idx < 4) return idx;
  const int l = idx / 4 + 1;
  const int sub = idx % 4;
  const std::int64_t lower = static_cast<std::int64_t>(4 + sub) << (l - 2);
  return lower + (std::int64_t{1} << (l - 2)) - 1;
}

void wait_histogram::record_locked(std::int64_t ns) noexcept {
  bump(b_[index(ns)], std::uint64_t{1});
  if (ns > max_.load(std::memory_order_relaxed)) max_.store(ns, std::memory_order_relaxed);
}

std::uint64_t wait_histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (const auto& b : b_) total += b.load(std::memory_order_relaxed);
  return total;
}

std::int64_t wait_histogram::quantile(double q) const noexcept {
  std::uint64_t counts[buckets];
  std::uint64_t total = 0;
  for (int i = 0; i < buckets; ++i) total += counts[i] = b_[i].load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  std::uint64_t seen = 0;
  for (int i = 0; i < buckets; ++i) {
    seen += counts[i];
    if (seen >= rank && counts[i] > 0) return std::min(upper(i), max());
  }
  return max();
}

pool_metrics pool_core::metrics() const {
  pool_metrics m;
  m.name = cfg_.name;
  m.role = cfg_.role;
  m.total = total_.load(std::memory_order_relaxed);
  m.idle = idle_n_.load(std::memory_order_relaxed);
  m.in_use = in_use_.load(std::memory_order_relaxed);
  m.waiting = waiting_.load(std::memory_order_relaxed);
  m.opening = opening_.load(std::memory_order_relaxed);
  m.min = cfg_.min;
  m.max = cfg_.max;
  m.created = created_.load(std::memory_order_relaxed);
  m.closed = closed_n_.load(std::memory_order_relaxed);
  m.acquires = hist_.count();
  m.timeouts = timeouts_.load(std::memory_order_relaxed);
  m.health_check_failures = hc_failures_.load(std::memory_order_relaxed);
  m.connect_failures = connect_failures_.load(std::memory_order_relaxed);
  m.resets = resets_.load(std::memory_order_relaxed);
  m.leaks = leaks_.load(std::memory_order_relaxed);
  m.wait_p50 = std::chrono::nanoseconds(hist_.quantile(0.50));
  m.wait_p99 = std::chrono::nanoseconds(hist_.quantile(0.99));
  m.wait_max = std::chrono::nanoseconds(hist_.max());
  return m;
}

}  // namespace dbridge::detail
