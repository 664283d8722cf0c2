// SPDX-License-Identifier: Apache-2.0
// with_retry: re-runs work that failed with an error flagged retryable
// (serialization failure, deadlock, a connection lost when nothing it did
// could have taken effect), with exponential backoff and jitter. Anything
// else passes through at once -- in particular a write whose outcome is
// unknown (an autocommit INSERT or a COMMIT whose reply was lost), unless the
// policy says the work is idempotent.
#pragma once

#include "dbridge/export.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "dbridge/error.hpp"

namespace dbridge::inline v1 {

struct retry_policy {
  std::uint32_t max_attempts = 5;  ///< including the first; 1 = no retry
  std::chrono::milliseconds initial_backoff{10};
  std::chrono::milliseconds max_backoff{1000};
  double multiplier = 2.0;
  double jitter = 0.5;  ///< each delay is scaled by a random factor in [1 - jitter, 1]
  /// The work may run twice without harm (a read, an upsert, SET k v): errors
  /// whose outcome is unknown (error::outcome_unknown()) are retried too.
  /// Off by default: a lost INSERT or INCR may already have been applied.
  bool idempotent = false;
  /// Overrides the default test (error::retryable(), or outcome_unknown()
  /// too when idempotent).
  std::function<bool(const error&)> retry_if;
  /// Called before each retry with the error, the attempt that failed (1-based) and the delay.
  std::function<void(const error&, std::uint32_t attempt, std::chrono::nanoseconds delay)> on_retry;
};

namespace detail {
/// The exponential backoff shared by retries and reconnects: attempt n
/// (1-based) waits min(initial * multiplier^(n-1), max), scaled by a random
/// factor in [1 - jitter, 1].
DBRIDGE_API std::chrono::nanoseconds backoff_delay(std::chrono::nanoseconds initial, std::chrono::nanoseconds max,
                                       double multiplier, double jitter, std::uint32_t attempt) noexcept;
/// Decides whether to go again after `e` failed attempt `attempt`; sleeps the
/// backoff and returns true, or returns false (the caller rethrows).
DBRIDGE_API bool retry_after(const error& e, std::uint32_t attempt, const retry_policy& p);
}  // namespace detail

/// Runs fn() until it returns or throws something not retryable, at most
/// policy.max_attempts times. fn should acquire its connection inside (a
/// connection lost on attempt 1 is useless on attempt 2).
template <class F>
decltype(auto) with_retry(F&& fn, const retry_policy& policy = {}) {
  for (std::uint32_t attempt = 1;; ++attempt) {
    try {
      return fn();
    } catch (const error& e) {
      if (!detail::retry_after(e, attempt, policy)) throw;
    }
  }
}

}  // namespace dbridge
