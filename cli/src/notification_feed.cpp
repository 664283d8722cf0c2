// SPDX-License-Identifier: Apache-2.0
#include "notification_feed.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace dbridge::cli {

notification_feed::notification_feed(const std::string& url, const std::string& command)
    : command_(command), sub_(url, subscriber_options{.connect = {.opened_by = command}}) {
  sub_.on_reconnect([this](const delivery_gap& g) {
    // stderr, so what a script reads on stdout stays one line per message.
    std::fputs(fmt::format("{}: the connection was lost ({}) and restored {} ms later; messages sent meanwhile "
                           "may be missing\n",
                           command_, g.cause, g.duration.count())
                   .c_str(),
               stderr);
    std::fflush(stderr);
  });
  sub_.on_error([this](const subscriber_error& e) {
    if (!e.fatal) return;
    {
      std::lock_guard l(m_);
      fatal_ = e.exception;
    }
    cv_.notify_all();
  });
}

void notification_feed::on(const std::string& channel) {
  sub_.on(channel, [this](const notification& n) { push(n); });
}

void notification_feed::on_pattern(const std::string& pattern) {
  sub_.on_pattern(pattern, [this](const notification& n) { push(n); });
}

void notification_feed::push(const notification& n) {
  {
    std::lock_guard l(m_);
    queue_.push_back(n);
  }
  cv_.notify_all();
}

std::optional<notification> notification_feed::next(std::optional<clock::time_point> deadline) {
  std::unique_lock l(m_);
  const auto ready = [&] { return !queue_.empty() || fatal_ != nullptr; };
  if (deadline) {
    if (!cv_.wait_until(l, *deadline, ready)) return std::nullopt;
  } else {
    cv_.wait(l, ready);
  }
  // Messages that arrived before the failure still come first.
  if (queue_.empty()) std::rethrow_exception(fatal_);
  notification n = std::move(queue_.front());
  queue_.pop_front();
  return n;
}

}  // namespace dbridge::cli
