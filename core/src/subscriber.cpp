// SPDX-License-Identifier: Apache-2.0
// dbridge::subscriber: a thread that owns one connection, keeps the server's
// subscriptions equal to the registered handlers, delivers messages to them
// and replaces the connection after a loss.
//
// The thread alone touches the connection; other threads change the handler
// table under `m` and bump `wanted`, and the thread applies the change
// between two bounded waits (options.wake_interval).
#include "dbridge/subscriber.hpp"

#include <dbridge/abi.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "dbridge/error.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/retry.hpp"
#include "logging.hpp"

namespace dbridge::inline v1 {

namespace {

struct entry {
  bool pattern = false;
  std::string name;
  std::shared_ptr<subscriber::handler> fn;
  bool confirmed = false;  ///< the server has accepted its channel at least once
  bool waiter = true;      ///< its on() call is still waiting for the answer
};

using name_key = std::pair<bool, std::string>;  // (pattern?, name)

/// The loss is of the connection rather than of one request: replace it.
bool connection_lost(const error& e) {
  return e.connection_broken() || e.category() == errc::connection || e.category() == errc::timeout;
}

/// Another connect attempt cannot fix these.
bool permanent(const error& e) {
  switch (e.category()) {
    case errc::auth:
    case errc::invalid_argument:
    case errc::incompatible:
    case errc::unsupported:
    case errc::not_found:
      return true;
    default:
      return false;
  }
}

std::string what_of(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

struct subscriber::state : std::enable_shared_from_this<subscriber::state> {
  // Set before the thread starts, then read-only.
  std::string url;
  pool* from_pool = nullptr;
  subscriber_options opts;

  // The thread's own.
  std::optional<connection> own;
  pooled_connection pooled;
  connection* conn = nullptr;
  std::set<name_key> live;      ///< subscribed on the server now
  std::set<name_key> refused;   ///< refused since the last connect: not asked again until a reconnect
  struct gap_in_progress {
    std::chrono::system_clock::time_point lost_at;
    std::chrono::steady_clock::time_point lost_steady;
    std::uint32_t attempts = 0;
    std::string cause;
  };
  std::optional<gap_in_progress> gap;
  bool reconciling = false;

  // Shared, under m.
  mutable std::mutex m;
  std::condition_variable cv;
  std::map<handler_id, entry> handlers;
  handler_id next_id = 1;
  std::uint64_t wanted = 0;   ///< bumped by every change of the handler table
  std::uint64_t applied = 0;  ///< the last change the thread applied
  std::map<handler_id, std::exception_ptr> refusals;  ///< for on() callers to rethrow
  std::function<void(const delivery_gap&)> reconnect_cb;
  std::function<void(const subscriber_error&)> error_cb;
  bool stop_requested = false;
  std::thread::id worker_id;

  std::atomic<bool> running{true};
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> reconnects{0};
  std::mutex call_m;  ///< held while a handler runs, so off() can wait it out
  std::mutex join_m;  ///< one stop() joins
  std::thread worker;

  bool on_worker() const { return std::this_thread::get_id() == worker_id; }

  bool stopping() const {
    std::lock_guard l(m);
    return stop_requested;
  }

  /// on_thread: bounded like every other wait of the thread, so stop() stays prompt.
  void open(bool on_thread) {
    if (from_pool != nullptr) {
      pooled = on_thread ? from_pool->acquire(std::max<std::chrono::nanoseconds>(opts.wake_interval, std::chrono::seconds(1)))
                         : from_pool->acquire();
      conn = &pooled.get();
    } else {
      own.emplace(connect(url, opts.connect));
      conn = &*own;
    }
  }

  void drop() noexcept {
    conn = nullptr;
    if (from_pool != nullptr)
      pooled.discard();
    else
      own.reset();
    live.clear();
    refused.clear();
  }

  void report(subscriber_error e) noexcept {
    std::function<void(const subscriber_error&)> cb;
    {
      std::lock_guard l(m);
      cb = error_cb;
    }
    try {
      if (cb) {
        cb(e);
        return;
      }
    } catch (...) {
      // The error callback failing leaves only the log.
    }
    detail::log_line(DBR_LOG_WARN, "dbridge",
                     "subscriber: " + (e.name.empty() ? std::string() : e.name + ": ") + e.message);
  }

  void report(subscriber_error::source from, std::string name, std::exception_ptr ep, bool fatal) noexcept {
    try {
      subscriber_error e;
      e.from = from;
      e.name = std::move(name);
      e.message = what_of(ep);
      e.exception = std::move(ep);
      e.fatal = fatal;
      report(std::move(e));
    } catch (...) {
    }
  }

  void lose(std::string cause) {
    if (!gap) gap = gap_in_progress{std::chrono::system_clock::now(), std::chrono::steady_clock::now(), 0, std::move(cause)};
    drop();
    connected.store(false);
    cv.notify_all();  // on() callers stop waiting for a confirmation
  }

  /// Makes the server's subscriptions match the handler table. False when
  /// the connection was lost meanwhile.
  bool reconcile() {
    if (reconciling) return true;  // asked again from a callback: the running pass sees the change next time
    reconciling = true;
    const bool ok = reconcile_once();
    reconciling = false;
    return ok;
  }

  bool reconcile_once() {
    std::uint64_t target;
    std::set<name_key> want, confirmed;
    {
      std::lock_guard l(m);
      target = wanted;
      for (const auto& [id, h] : handlers) {
        want.insert({h.pattern, h.name});
        if (h.confirmed) confirmed.insert({h.pattern, h.name});
      }
    }
    for (const name_key& k : want) {
      // Refused since the last connect: asked again only for a new handler.
      if (live.contains(k) || (refused.contains(k) && confirmed.contains(k))) continue;
      try {
        if (k.first)
          listen_pattern(*conn, k.second);
        else
          listen(*conn, k.second);
        live.insert(k);
      } catch (const error& e) {
        if (connection_lost(e)) {
          lose(e.what());
          return false;
        }
        refuse(k, std::current_exception());
      }
    }
    std::vector<name_key> leave;
    for (const name_key& k : live)
      if (!want.contains(k)) leave.push_back(k);
    for (const name_key& k : leave) {
      live.erase(k);
      try {
        if (k.first)
          unlisten_pattern(*conn, k.second);
        else
          unlisten(*conn, k.second);
      } catch (const error& e) {
        if (connection_lost(e)) {
          lose(e.what());
          return false;
        }
        report(subscriber_error::source::subscribe, k.second, std::current_exception(), false);
      }
    }
    {
      std::lock_guard l(m);
      for (auto& [id, h] : handlers)
        if (live.contains({h.pattern, h.name})) h.confirmed = true;
      applied = std::max(applied, target);
    }
    cv.notify_all();
    return true;
  }

  /// A subscription the server refused: handlers that never had it are
  /// removed (an on() call still waiting throws); the rest is reported.
  void refuse(const name_key& k, std::exception_ptr ep) {
    refused.insert(k);
    bool tell = false;
    {
      std::lock_guard l(m);
      for (auto it = handlers.begin(); it != handlers.end();) {
        entry& h = it->second;
        if (h.pattern != k.first || h.name != k.second) {
          ++it;
        } else if (h.confirmed) {
          tell = true;
          ++it;
        } else {
          if (h.waiter)
            refusals[it->first] = ep;
          else
            tell = true;
          it = handlers.erase(it);
        }
      }
    }
    if (tell) report(subscriber_error::source::subscribe, k.second, std::move(ep), false);
  }

  void dispatch(const notification& n) {
    const bool by_pattern = n.pattern.has_value();
    const std::string& name = by_pattern ? *n.pattern : n.channel;
    std::vector<handler_id> ids;
    {
      std::lock_guard l(m);
      for (const auto& [id, h] : handlers)
        if (h.pattern == by_pattern && h.name == name) ids.push_back(id);
    }
    for (handler_id id : ids) {
      std::lock_guard call(call_m);
      std::shared_ptr<handler> fn;
      {
        std::lock_guard l(m);
        auto it = handlers.find(id);
        if (it == handlers.end()) continue;  // removed by an earlier handler or another thread
        fn = it->second.fn;
      }
      try {
        (*fn)(n);
      } catch (...) {
        report(subscriber_error::source::handler, name, std::current_exception(), false);
      }
    }
  }

  /// One connect attempt after a loss; false when it failed (after the backoff).
  bool reconnect() {
    ++gap->attempts;
    std::exception_ptr failure;
    bool hopeless = false;
    try {
      open(true);
      return true;
    } catch (const error& e) {
      failure = std::current_exception();
      hopeless = permanent(e);
    } catch (...) {
      failure = std::current_exception();
    }
    drop();
    const std::uint32_t max = opts.reconnect.max_attempts;
    if (hopeless || (max > 0 && gap->attempts >= max)) return give_up(std::move(failure));
    const auto delay = detail::backoff_delay(opts.reconnect.initial, opts.reconnect.max, opts.reconnect.multiplier,
                                             opts.reconnect.jitter, gap->attempts);
    std::unique_lock l(m);
    cv.wait_for(l, delay, [&] { return stop_requested; });
    return false;
  }

  bool give_up(std::exception_ptr ep) {
    {
      std::lock_guard l(m);
      stop_requested = true;
    }
    running.store(false);
    report(subscriber_error::source::connection, {}, std::move(ep), true);
    cv.notify_all();
    return false;
  }

  void finish_gap() {
    if (!gap) return;
    delivery_gap g;
    g.lost_at = gap->lost_at;
    g.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - gap->lost_steady);
    g.attempts = gap->attempts;
    g.cause = std::move(gap->cause);
    gap.reset();
    reconnects.fetch_add(1);
    std::function<void(const delivery_gap&)> cb;
    {
      std::lock_guard l(m);
      cb = reconnect_cb;
    }
    if (!cb) {
      detail::log_line(DBR_LOG_WARN, "dbridge",
                       "subscriber: reconnected after " + std::to_string(g.duration.count()) +
                           " ms without a connection; messages sent meanwhile may be missing (" + g.cause + ")");
      return;
    }
    try {
      cb(g);
    } catch (...) {
      report(subscriber_error::source::handler, "on_reconnect", std::current_exception(), false);
    }
  }

  /// Connects on the caller's thread (its errors are the constructor's), then starts the thread.
  void start(const subscriber_options& o) {
    if (o.wake_interval.count() <= 0)
      throw_error(errc::invalid_argument, "subscriber_options::wake_interval must be positive (it bounds every wait)");
    if (o.reconnect.initial.count() <= 0 || o.reconnect.max < o.reconnect.initial)
      throw_error(errc::invalid_argument, "subscriber_options::reconnect must satisfy 0 < initial <= max");
    if (!(o.reconnect.jitter >= 0.0 && o.reconnect.jitter <= 1.0) || !(o.reconnect.multiplier >= 1.0))
      throw_error(errc::invalid_argument,
                  "subscriber_options::reconnect needs a jitter in [0, 1] and a multiplier of at least 1");
    opts = o;
    open(false);
    connected.store(true);
    worker = std::thread([self = shared_from_this()] { self->run(); });
    std::lock_guard l(m);
    worker_id = worker.get_id();
  }

  void run() noexcept {
    try {
      while (!stopping()) {
        if (conn == nullptr) {
          if (!reconnect()) continue;
        }
        if (!reconcile()) continue;
        if (gap) {
          connected.store(true);
          finish_gap();
        }
        if (live.empty()) {
          // Nothing to wait on (a Redis connection subscribed to nothing
          // refuses to wait): sleep until the table changes or stop().
          std::unique_lock l(m);
          cv.wait_for(l, opts.wake_interval, [&] { return stop_requested || wanted != applied; });
          continue;
        }
        std::optional<notification> n;
        try {
          n = wait_notification(*conn, opts.wake_interval);
        } catch (const std::exception& e) {
          // Whatever failed the wait, a new connection is the way out.
          lose(e.what());
          continue;
        }
        if (n) dispatch(*n);
      }
    } catch (...) {
      give_up(std::current_exception());
    }
    drop();
    connected.store(false);
    running.store(false);
    cv.notify_all();
  }
};

subscriber::subscriber(std::string_view url, const subscriber_options& opts) : s_(std::make_shared<state>()) {
  s_->url = std::string(url);
  s_->start(opts);
}

subscriber::subscriber(pool& p, const subscriber_options& opts) : s_(std::make_shared<state>()) {
  s_->from_pool = &p;
  s_->start(opts);
}

subscriber::~subscriber() { stop(); }

subscriber::handler_id subscriber::on(std::string_view channel, handler fn) { return add(false, channel, std::move(fn)); }

subscriber::handler_id subscriber::on_pattern(std::string_view pattern, handler fn) {
  return add(true, pattern, std::move(fn));
}

subscriber::handler_id subscriber::add(bool pattern, std::string_view name, handler fn) {
  if (name.empty()) throw_error(errc::invalid_argument, pattern ? "on_pattern() needs a pattern" : "on() needs a channel name");
  if (!fn) throw_error(errc::invalid_argument, "subscriber: the handler for " + std::string(name) + " is empty");
  state& s = *s_;
  handler_id id;
  std::uint64_t target;
  bool own_thread;
  {
    std::lock_guard l(s.m);
    if (s.stop_requested) throw_error(errc::invalid_state, "the subscriber has stopped");
    id = s.next_id++;
    s.handlers.emplace(id, entry{pattern, std::string(name), std::make_shared<handler>(std::move(fn)), false, true});
    target = ++s.wanted;
    own_thread = s.on_worker();
  }
  if (own_thread) {
    // Inside a handler: the connection is free, subscribe now.
    if (s.conn != nullptr) s.reconcile();
  } else {
    s.cv.notify_all();
    std::unique_lock l(s.m);
    s.cv.wait(l, [&] { return s.applied >= target || !s.connected.load() || !s.running.load(); });
  }
  std::lock_guard l(s.m);
  if (auto it = s.handlers.find(id); it != s.handlers.end()) it->second.waiter = false;
  if (auto it = s.refusals.find(id); it != s.refusals.end()) {
    std::exception_ptr ep = it->second;
    s.refusals.erase(it);
    std::rethrow_exception(ep);
  }
  return id;
}

void subscriber::off(handler_id id) {
  state& s = *s_;
  bool own_thread;
  {
    std::lock_guard l(s.m);
    if (s.handlers.erase(id) == 0) return;
    ++s.wanted;
    own_thread = s.on_worker();
  }
  s.cv.notify_all();
  // A call already under way ends before off() returns.
  if (!own_thread) std::lock_guard call(s.call_m);
}

void subscriber::on_reconnect(std::function<void(const delivery_gap&)> fn) {
  std::lock_guard l(s_->m);
  s_->reconnect_cb = std::move(fn);
}

void subscriber::on_error(std::function<void(const subscriber_error&)> fn) {
  std::lock_guard l(s_->m);
  s_->error_cb = std::move(fn);
}

void subscriber::stop() noexcept {
  if (!s_) return;
  state& s = *s_;
  bool own_thread;
  {
    std::lock_guard l(s.m);
    s.stop_requested = true;
    own_thread = s.on_worker();
  }
  s.cv.notify_all();
  std::lock_guard j(s.join_m);
  if (!s.worker.joinable()) return;
  // From a handler the thread cannot join itself; it ends after the handler
  // returns, keeping its state alive through its own reference.
  if (own_thread)
    s.worker.detach();
  else
    s.worker.join();
}

bool subscriber::running() const noexcept { return s_->running.load(); }
bool subscriber::connected() const noexcept { return s_->connected.load(); }
std::uint64_t subscriber::reconnects() const noexcept { return s_->reconnects.load(); }

}  // namespace dbridge
