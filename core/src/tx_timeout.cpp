// SPDX-License-Identifier: Apache-2.0
// Transaction timeouts: arming, expiry (rollback + timeout_error) and the
// watchdog thread that cancels a statement still running at the deadline.
#include "tx_timeout.hpp"

#include <dbridge/abi.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>

#include "connection_impl.hpp"
#include "logging.hpp"

namespace dbridge::inline v1::detail {

namespace {

std::string duration_text(std::int64_t ns) {
  char buf[48];
  if (ns % 1'000'000'000 == 0)
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ns / 1'000'000'000));
  else
    std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

// One thread for the process, started on first use and never joined: it
// only ever waits on its condition variable, and exit does not wait for it.
class watchdog {
 public:
  static watchdog& get() {
    static watchdog* w = new watchdog();  // never destroyed: see above
    return *w;
  }

  void arm(const std::shared_ptr<tx_watch>& w, std::int64_t deadline) {
    std::lock_guard lk(mu_);
    if (w->queued) queue_.erase(w->at);
    w->at = queue_.emplace(deadline, w);
    w->queued = true;
    if (!started_) {
      std::thread([this] { run(); }).detach();
      started_ = true;
    }
    if (w->at == queue_.begin()) cv_.notify_one();
  }

  void disarm(const std::shared_ptr<tx_watch>& w) noexcept {
    std::lock_guard lk(mu_);
    if (!w->queued) return;
    queue_.erase(w->at);
    w->queued = false;
  }

 private:
  void run() {
    std::unique_lock lk(mu_);
    for (;;) {
      if (queue_.empty()) {
        cv_.wait(lk);
        continue;
      }
      const std::int64_t first = queue_.begin()->first;
      const std::int64_t now = mono_ns();
      if (now < first) {
        cv_.wait_for(lk, std::chrono::nanoseconds(first - now));
        continue;
      }
      std::shared_ptr<tx_watch> w = queue_.begin()->second;
      queue_.erase(queue_.begin());
      w->queued = false;
      lk.unlock();
      fire(*w);
      lk.lock();
    }
  }

  // A call still running at the deadline is cancelled; the caller's error
  // becomes the transaction timeout (connection_impl::fail). An idle
  // connection is left alone: only its owner thread may call into it, and
  // its next call rolls back.
  static void fire(tx_watch& w) noexcept {
    std::lock_guard lk(w.mu);
    connection_impl* c = w.conn;
    if (c == nullptr || c->conn == nullptr || w.deadline_ns == 0 || mono_ns() < w.deadline_ns) return;
    if (!c->busy.load(std::memory_order_acquire)) return;
    abi_error err;
    if (c->rec->conn.cancel(c->conn, err) < 0)
      log_line(DBR_LOG_WARN, "dbridge", "cancelling a statement at its transaction's timeout failed");
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::int64_t, std::shared_ptr<tx_watch>> queue_;
  bool started_ = false;
};

}  // namespace

void watchdog_arm(const std::shared_ptr<tx_watch>& w, std::int64_t deadline_ns) { watchdog::get().arm(w, deadline_ns); }

void watchdog_disarm(const std::shared_ptr<tx_watch>& w) noexcept { watchdog::get().disarm(w); }

void connection_impl::arm_tx_deadline(std::int64_t timeout_ns) {
  tx_timeout_ns = timeout_ns;
  tx_deadline_ns = mono_ns() + timeout_ns;
  if (rec->conn.cancel == nullptr || (rec->flags & DBR_PF_CANCEL_ANY_THREAD) == 0) return;
  if (!watch) {
    watch = std::make_shared<tx_watch>();
    watch->conn = this;
  }
  {
    std::lock_guard lk(watch->mu);
    watch->conn = this;
    watch->deadline_ns = tx_deadline_ns;
  }
  watchdog_arm(watch, tx_deadline_ns);
}

void connection_impl::disarm_tx_deadline() noexcept {
  tx_deadline_ns = 0;
  if (!watch) return;
  watchdog_disarm(watch);
  std::lock_guard lk(watch->mu);
  watch->deadline_ns = 0;
}

void connection_impl::check_tx_deadline() {
  if (mono_ns() < tx_deadline_ns) return;
  try {
    expire_transaction({});
  } catch (...) {
    leave();
    throw;
  }
}

void connection_impl::expire_transaction(std::string cause) {
  disarm_tx_deadline();
  tx_expired_serial = tx_serial;
  bool clean = false;
  if (conn != nullptr && !broken && rec->txn.rollback != nullptr) {
    abi_error e;
    clean = rec->txn.rollback(conn, e) >= 0;
  }
  // A connection whose rollback failed is in an unknown state: closed by
  // its pool rather than handed to the next caller.
  if (!clean) broken = true;
  tx_depth = 0;
  raw_tx = false;
  throw_expired(std::move(cause));
}

void connection_impl::throw_expired(std::string cause) const {
  error_info info;
  info.category = errc::timeout;
  info.native_domain = "dbridge";
  info.driver = rec->id;
  info.connection_broken = broken;
  info.message = "the transaction was open longer than its timeout (" + duration_text(tx_timeout_ns) +
                 ") and was rolled back: nothing it did was committed. " +
                 (broken ? std::string("The connection was lost while rolling back; open a new one.")
                         : std::string("The connection is usable; start a new transaction (or raise the timeout)."));
  info.detail = std::move(cause);
  throw_error(std::move(info));
}

}  // namespace dbridge::detail
