// SPDX-License-Identifier: Apache-2.0
// with_retry's decision and backoff (the loop itself is a template in
// dbridge/retry.hpp).
#include "dbridge/retry.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace dbridge::inline v1::detail {

std::chrono::nanoseconds backoff_delay(std::chrono::nanoseconds initial, std::chrono::nanoseconds max,
                                       double multiplier, double jitter, std::uint32_t attempt) noexcept {
  double d = static_cast<double>(initial.count()) *
             std::pow(multiplier > 1.0 ? multiplier : 1.0, static_cast<double>(attempt > 0 ? attempt - 1 : 0));
  d = std::min(d, static_cast<double>(max.count()));
  thread_local std::uint64_t s = 0x2545F4914F6CDD1Dull ^ static_cast<std::uint64_t>(
                                     std::chrono::steady_clock::now().time_since_epoch().count());
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  const double r = static_cast<double>(s >> 11) * (1.0 / 9007199254740992.0);
  d *= 1.0 - std::clamp(jitter, 0.0, 1.0) * r;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(d));
}

bool retry_after(const error& e, std::uint32_t attempt, const retry_policy& p) {
  // An unknown outcome is never retried unless the caller vouched that the
  // work may run twice: the write may already be applied.
  const bool retry = p.retry_if ? p.retry_if(e) : e.retryable() || (p.idempotent && e.outcome_unknown());
  if (!retry || attempt >= p.max_attempts) return false;
  const std::chrono::nanoseconds delay =
      backoff_delay(p.initial_backoff, p.max_backoff, p.multiplier, p.jitter, attempt);
  if (p.on_retry) p.on_retry(e, attempt, delay);
  std::this_thread::sleep_for(delay);
  return true;
}

}  // namespace dbridge::detail
