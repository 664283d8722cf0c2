// SPDX-License-Identifier: Apache-2.0
// Timeout URL options for network drivers: one spelling for every driver
// (`connect_timeout`, `read_timeout` in seconds, decimals allowed, 0 = no
// limit), one default, and a deadline that a connect loop counts down.
#pragma once

#include <dbridge/abi.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dbridge/sdk/error.hpp"

namespace dbridge::sdk {

/// Used when the URL gives no connect_timeout: a server that accepts the TCP
/// connection and never answers must not hang the caller.
inline constexpr double default_connect_timeout_s = 10;

/// Parses a timeout option: seconds, decimals allowed ("0.5"), 0 = no limit.
/// Throws DBR_CAT_INVALID_ARGUMENT naming the driver and the option.
inline double seconds_option(std::string_view driver, std::string_view key, std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  const double v = s.empty() ? -1 : std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || v > 86400.0 * 365)
    throw error(DBR_CAT_INVALID_ARGUMENT, std::string(driver) + ": URL option " + std::string(key) + "='" + s +
                                              "' is not a number of seconds (decimals allowed, e.g. " +
                                              std::string(key) + "=2.5; 0 = no limit)");
  return v;
}

/// Formats seconds for messages: "1 s", "0.5 s".
inline std::string seconds_text(double s) {
  std::string t = std::to_string(s);
  while (!t.empty() && t.back() == '0') t.pop_back();
  if (!t.empty() && t.back() == '.') t.pop_back();
  return t + " s";
}

/// A point in time a blocking step must finish by; none() never expires.
class deadline {
 public:
  using clock = std::chrono::steady_clock;
  static deadline none() noexcept { return deadline(); }
  /// seconds <= 0: no limit.
  static deadline after(double seconds) noexcept {
    deadline d;
    if (seconds > 0) {
      d.set_ = true;
      d.at_ = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    }
    return d;
  }
  bool limited() const noexcept { return set_; }
  bool expired() const noexcept { return set_ && clock::now() >= at_; }
  /// Milliseconds left for poll(): -1 when unlimited, 0 when expired, else at
  /// least 1 (rounded up, so a poll never wakes just before the deadline).
  int poll_ms() const noexcept {
    if (!set_) return -1;
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(at_ - clock::now()).count();
    if (left <= 0) return 0;
    const std::int64_t ms = (left + 999) / 1000;
    return ms > 2'000'000'000 ? 2'000'000'000 : static_cast<int>(ms);
  }
  /// Seconds left (0 when expired); only meaningful when limited().
  double seconds_left() const noexcept {
    if (!set_) return 0;
    const double s = std::chrono::duration<double>(at_ - clock::now()).count();
    return s > 0 ? s : 0;
  }

 private:
  bool set_ = false;
  clock::time_point at_{};
};

}  // namespace dbridge::sdk
