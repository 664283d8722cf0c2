// SPDX-License-Identifier: Apache-2.0
// `listen` and `subscribe`: a dbridge::subscriber whose messages the main
// thread takes one at a time, so printing stays on one thread. A lost
// connection is replaced (a note on stderr says messages may be missing); a
// fatal error is rethrown on the main thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "dbridge/subscriber.hpp"

namespace dbridge::cli {

class notification_feed {
 public:
  using clock = std::chrono::steady_clock;

  /// command: "dbridge listen" (shown in the registry and in notes).
  notification_feed(const std::string& url, const std::string& command);
  void on(const std::string& channel);
  void on_pattern(const std::string& pattern);
  /// The next message; nullopt once deadline passes (nullopt deadline: waits
  /// without limit). Rethrows the error the subscriber gave up on.
  std::optional<notification> next(std::optional<clock::time_point> deadline);

 private:
  void push(const notification& n);
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<notification> queue_;
  std::exception_ptr fatal_;
  std::string command_;
  subscriber sub_;  // last: its thread stops before the members it feeds go
};

}  // namespace dbridge::cli
