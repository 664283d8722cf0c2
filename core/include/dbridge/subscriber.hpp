// SPDX-License-Identifier: Apache-2.0
// Notifications delivered to callbacks (capability "notify"): PostgreSQL
// LISTEN/NOTIFY and Redis SUBSCRIBE/PSUBSCRIBE, on a thread and a connection
// of the subscriber's own, surviving connection losses.
//
//   dbridge::subscriber s("postgresql://app@db/shop");
//   s.on("orders", [](const dbridge::notification& n) { handle(n.payload); });
//   s.on_reconnect([](const dbridge::delivery_gap& g) { resync(g.duration); });
//   s.on_error([](const dbridge::subscriber_error& e) { log(e.message); });
//   ...                                    // ~subscriber stops the thread
//
// For a loop the caller drives itself, see notify.hpp (listener).
//
// Threads:
//  - Handlers, on_reconnect and on_error callbacks run on the subscriber's
//    thread, one at a time, in the order messages arrive. A slow handler
//    delays every later message; hand long work to another thread.
//  - on, on_pattern, off, on_reconnect, on_error and stop may be called from
//    any thread, including from inside a handler.
//  - on / on_pattern called from another thread return once the server has
//    confirmed the subscription (so a message sent afterwards is delivered),
//    or at once while the subscriber is reconnecting (it subscribes when
//    connected again). A subscription the server refuses throws there.
//  - off called from another thread returns once the handler is not running
//    and will not be called again, so what it captures may then be freed.
//  - The destructor and stop() return within about options.wake_interval
//    (plus the running handler, and a connect attempt under way, which the
//    driver's connect timeout bounds). Never destroy a subscriber from its own
//    handler (stop() there is fine).
//  - Nothing thrown on the subscriber's thread escapes it: handler exceptions
//    go to on_error and delivery goes on.
//
// Connection losses: the subscriber reconnects with exponential backoff and
// jitter, subscribes every channel and pattern again, then calls on_reconnect
// with the gap, during which messages may have been missed (neither LISTEN
// nor SUBSCRIBE keeps messages for absent listeners). It gives up, reporting
// a fatal subscriber_error, after reconnect.max_attempts failed attempts or an
// error that another attempt cannot fix (authentication, a bad URL). A
// connection that dies without the peer closing it (a network partition) is
// noticed only when the operating system gives up on it (TCP keepalive).
#pragma once

#include "dbridge/export.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dbridge/connection.hpp"
#include "dbridge/notify.hpp"

namespace dbridge::inline v1 {

class pool;

/// How a subscriber reconnects after a loss: the n-th attempt waits
/// min(initial * multiplier^(n-1), max), scaled by a random factor in
/// [1 - jitter, 1] so many subscribers do not reconnect in step.
struct reconnect_backoff {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{5000};
  double multiplier = 2.0;
  double jitter = 0.5;
  std::uint32_t max_attempts = 0;  ///< failed attempts in a row before giving up; 0 = never give up
};

struct subscriber_options {
  connect_options connect{};  ///< for a subscriber made from a URL
  reconnect_backoff reconnect{};
  /// The longest the thread waits on the connection before it looks for
  /// stop() and subscription changes: bounds how long stop() and on() take.
  std::chrono::milliseconds wake_interval{100};
};

/// A time without a connection: messages sent meanwhile may have been missed.
struct delivery_gap {
  std::chrono::system_clock::time_point lost_at{};  ///< when the loss was noticed
  std::chrono::milliseconds duration{};            ///< from lost_at to subscribed again
  std::uint32_t attempts = 0;                      ///< connects tried, the last one succeeded
  std::string cause;                               ///< the error that ended the old connection
};

/// Something went wrong on the subscriber's thread.
struct subscriber_error {
  enum class source : std::uint8_t {
    handler,    ///< a handler threw; delivery goes on
    subscribe,  ///< LISTEN/SUBSCRIBE of `name` failed after a reconnect; its handlers stay, unsubscribed
    connection, ///< the subscriber gave up reconnecting (fatal)
  };
  source from = source::handler;
  std::string name;             ///< the channel or pattern concerned; empty for connection
  std::string message;          ///< what() of the exception
  std::exception_ptr exception;  ///< rethrow it to inspect the typed error
  bool fatal = false;           ///< the thread has ended; running() is false
};

class DBRIDGE_API subscriber {
 public:
  using handler = std::function<void(const notification&)>;
  using handler_id = std::uint64_t;

  /// Connects at once (throws what connect() throws) and starts the thread.
  explicit subscriber(std::string_view url, const subscriber_options& opts = {});
  /// Holds one connection of p for as long as it runs (and a new one after a
  /// loss). p must outlive the subscriber.
  explicit subscriber(pool& p, const subscriber_options& opts = {});
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;
  /// stop(), see the thread rules above.
  ~subscriber();

  /// Calls fn for every message on channel. Several handlers may share a
  /// channel; the channel is subscribed while at least one is registered.
  handler_id on(std::string_view channel, handler fn);
  /// Calls fn for every message on a channel matching a glob pattern (Redis
  /// PSUBSCRIBE; unsupported_error on PostgreSQL). notification::pattern is set.
  handler_id on_pattern(std::string_view pattern, handler fn);
  /// Removes a handler (unknown ids are ignored); the channel is left when
  /// its last handler goes.
  void off(handler_id id);
  /// Called after each reconnect, once every channel is subscribed again.
  void on_reconnect(std::function<void(const delivery_gap&)> fn);
  /// Called for each error on the thread. Without one, errors are logged.
  void on_error(std::function<void(const subscriber_error&)> fn);

  /// Stops the thread and closes (or gives back) the connection. Idempotent.
  void stop() noexcept;
  /// False after stop() or a fatal error.
  bool running() const noexcept;
  /// True while subscribed on a live connection.
  bool connected() const noexcept;
  /// Reconnects so far.
  std::uint64_t reconnects() const noexcept;

  struct state;

 private:
  std::shared_ptr<state> s_;
  handler_id add(bool pattern, std::string_view name, handler fn);
};

}  // namespace dbridge
