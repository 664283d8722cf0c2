// SPDX-License-Identifier: Apache-2.0
// Asynchronous notifications (capability "notify"): PostgreSQL LISTEN/NOTIFY
// and Redis SUBSCRIBE/PSUBSCRIBE/PUBLISH through one API.
//
//   dbridge::listener l(conn);                 // conn is dedicated to listening
//   l.listen("orders");
//   if (auto n = l.wait(std::chrono::seconds(5))) handle(n->channel, n->payload);
//
// Some backends (Redis) put a subscribed connection in a mode where nothing
// but subscription commands may run on it: publish from another connection.
//
// Driver side (dbr_notify_vtable): listen/unlisten get DBR_LISTEN_PATTERN in
// flags for patterns (a driver without patterns returns DBR_E_UNSUPPORTED);
// unlisten with len 0 leaves every channel (or every pattern); wait with
// timeout_ms -1 waits forever and returns DBR_EMPTY on timeout.
#pragma once

#include "dbridge/export.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

/// One delivered message.
struct notification {
  std::string channel;                ///< the channel it was sent on (binary-safe)
  std::string payload;                ///< may be empty
  std::optional<std::string> pattern; ///< the pattern that matched, for listen_pattern()
  std::int64_t sender_pid = 0;        ///< the sending backend's process id, 0 when unknown
};

/// Passed as a timeout to wait without limit.
inline constexpr std::chrono::milliseconds wait_forever{-1};

/// Subscribes conn to channel (LISTEN / SUBSCRIBE).
DBRIDGE_API void listen(connection& conn, std::string_view channel);
/// Subscribes conn to every channel matching a glob pattern (Redis PSUBSCRIBE);
/// unsupported_error on backends without patterns.
DBRIDGE_API void listen_pattern(connection& conn, std::string_view pattern);
/// Leaves channel; an empty channel leaves every channel (UNLISTEN * / UNSUBSCRIBE).
DBRIDGE_API void unlisten(connection& conn, std::string_view channel = {});
/// Leaves a pattern; an empty pattern leaves every pattern.
DBRIDGE_API void unlisten_pattern(connection& conn, std::string_view pattern = {});
/// Sends payload on channel (NOTIFY / PUBLISH).
DBRIDGE_API void notify(connection& conn, std::string_view channel, std::string_view payload = {});
/// Waits up to timeout (wait_forever: no limit) for one notification; nullopt
/// when none arrived in time. Messages queued before the call come first.
DBRIDGE_API std::optional<notification> wait_notification(connection& conn, std::chrono::milliseconds timeout);

/// A small wrapper remembering the connection. Its destructor leaves every
/// channel and pattern it subscribed to (best effort, never throws), so a
/// pooled connection goes back usable.
class DBRIDGE_API listener {
 public:
  explicit listener(connection& conn) noexcept : conn_(&conn) {}
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
  listener(listener&& o) noexcept : conn_(o.conn_), channels_(o.channels_), patterns_(o.patterns_) {
    o.channels_ = o.patterns_ = false;
  }
  listener& operator=(listener&&) = delete;
  ~listener();

  listener& listen(std::string_view channel);
  listener& listen_pattern(std::string_view pattern);
  listener& unlisten(std::string_view channel = {});
  listener& unlisten_pattern(std::string_view pattern = {});
  std::optional<notification> wait(std::chrono::milliseconds timeout = wait_forever);
  connection& conn() noexcept { return *conn_; }

 private:
  connection* conn_;
  bool channels_ = false;
  bool patterns_ = false;
};

}  // namespace dbridge
