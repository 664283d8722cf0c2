// SPDX-License-Identifier: Apache-2.0
// For subscriber tests: what a subscriber's callbacks received, seen from the
// test's thread (each callback appends under a lock and wakes waiters, which
// wait with a deadline, never a sleep), and options that make it react fast.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "dbridge/subscriber.hpp"

namespace dbridge::test {

template <class T>
class inbox {
 public:
  void push(T v) {
    {
      std::lock_guard l(m_);
      items_.push_back(std::move(v));
    }
    cv_.notify_all();
  }
  /// A callback that pushes what it is given.
  std::function<void(const T&)> sink() {
    return [this](const T& v) { push(v); };
  }
  /// Waits until pred(items) holds; false at the deadline.
  bool wait_until(const std::function<bool(const std::vector<T>&)>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    std::unique_lock l(m_);
    return cv_.wait_for(l, timeout, [&] { return pred(items_); });
  }
  /// Waits until at least n items arrived.
  bool wait_count(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    return wait_until([n](const std::vector<T>& v) { return v.size() >= n; }, timeout);
  }
  std::vector<T> items() const {
    std::lock_guard l(m_);
    return items_;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<T> items_;
};

/// Waits for a notification carrying payload.
inline bool wait_payload(inbox<notification>& box, const std::string& payload,
                         std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  return box.wait_until(
      [&](const std::vector<notification>& v) {
        for (const notification& n : v)
          if (n.payload == payload) return true;
        return false;
      },
      timeout);
}

/// Short wake interval and backoff, so a test's stop and reconnect take milliseconds.
inline subscriber_options quick_subscriber_options() {
  subscriber_options o;
  o.wake_interval = std::chrono::milliseconds(20);
  o.reconnect.initial = std::chrono::milliseconds(10);
  o.reconnect.max = std::chrono::milliseconds(100);
  return o;
}

}  // namespace dbridge::test
