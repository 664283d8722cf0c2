// SPDX-License-Identifier: Apache-2.0
// The inside of a pool. One pool_core serves one server (the primary or one
// replica); pool_impl groups them. Every field the maintainer or metrics()
// reads without the lock is an atomic written under the lock, so readers
// never stop the pool and writers pay no locked instruction.
#pragma once

#include <dbridge/abi.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <cstdint>
#include <memory>
#include <mutex>
#include <source_location>
#include <string>
#include <thread>
#include <vector>

#include "connection_impl.hpp"
#include "dbridge/pool.hpp"
#include "plugin/plugin_record.hpp"
#include "pool_lock.hpp"
#include "registry_slot.hpp"

namespace dbridge::inline v1::detail {

__attribute__((visibility("hidden"))) std::int64_t mono_ns() noexcept;  ///< precise steady clock
/// Steady clock at tick resolution (about 10 ns to read).
__attribute__((visibility("hidden"))) std::int64_t mono_coarse_ns() noexcept;
/// "12.3 ms", for messages.
__attribute__((visibility("hidden"))) std::string ms_text(std::int64_t ns);
/// "file:line in function", or "an unknown place (...)" for an empty one (the C API).
__attribute__((visibility("hidden"))) std::string site_text(const std::source_location& s);

/// A value only ever written under the pool lock: relaxed store of load + d,
/// which compiles to plain moves, yet may be read from any thread.
template <class T>
inline void bump(std::atomic<T>& a, T d = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
}
template <class T>
inline void drop(std::atomic<T>& a, T d = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) - d, std::memory_order_relaxed);
}

/// Acquire waits on a log scale: four buckets per power of two of
/// nanoseconds, so quantiles are within 25 %.
class __attribute__((visibility("hidden"))) wait_histogram {
 public:
  static constexpr int buckets = 256;
  void record_locked(std::int64_t ns) noexcept;  ///< writers hold the pool lock
  void record_zero_locked() noexcept { bump(b_[0], std::uint64_t{1}); }
  std::int64_t quantile(double q) const noexcept;
  std::int64_t max() const noexcept { return max_.load(std::memory_order_relaxed); }
  std::uint64_t count() const noexcept;  ///< waits recorded
  static int index(std::int64_t ns) noexcept;
  static std::int64_t upper(int idx) noexcept;

 private:
  std::atomic<std::uint64_t> b_[buckets]{};
  std::atomic<std::int64_t> max_{0};
};

/// Fully resolved settings of one pool_core.
struct pool_config {
  std::string url;       ///< without pool_* parameters; holds the password
  std::string redacted;  ///< for messages
  std::string name;
  std::string role;      ///< "primary" | "replica"
  std::string opened_by;
  std::string driver, driver_version;  ///< the plugin serving the scheme
  std::uint32_t min = 0, max = 10;
  std::int64_t acquire_timeout_ns = 30'000'000'000;
  std::int64_t idle_timeout_ns = 600'000'000'000;
  std::int64_t max_lifetime_ns = 1'800'000'000'000;
  double lifetime_jitter = 0.1;
  std::int64_t health_period_ns = 30'000'000'000;
  bool validate_on_acquire = false;
  std::int64_t transaction_timeout_ns = 0;  ///< 0 = none
  std::string strategy = "lifo";
  std::int64_t backoff_min_ns = 50'000'000, backoff_max_ns = 5'000'000'000;
  std::size_t statement_cache_size = 64;
  session_reset reset = session_reset::automatic;
  std::int64_t leak_threshold_ns = 0;  ///< 0 = no leak detection
};

/// One pooled connection.
struct pooled {
  connection conn;
  connection_impl* impl = nullptr;
  std::int64_t created_ns = 0;
  std::int64_t expires_ns = INT64_MAX;
  std::int64_t last_used_ns = 0;
  std::uint64_t use_count = 0;
  // The current lease, written under the pool lock, read by the maintainer
  // (leak detection) and the exhaustion error.
  std::int64_t acquired_ns = 0;  ///< no later than the real acquire (see lease_locked)
  std::source_location site{};   ///< where the borrower called acquire()
  long thread = 0;               ///< the borrower's kernel thread id
  bool leak_reported = false;
  explicit pooled(connection c) : conn(std::move(c)), impl(&conn.impl()) {}
};

/// The idle connections, oldest release first, in a fixed array of max
/// slots (a pool never holds more): putting one back has no growth path,
/// so the inline release stays a leaf.
class idle_list {
 public:
  void reserve(std::size_t n) {
    slots_ = std::make_unique<pooled*[]>(n);
    cap_ = n;
  }
  bool empty() const noexcept { return n_ == 0; }
  bool full() const noexcept { return n_ == cap_; }
  std::size_t size() const noexcept { return n_; }
  pooled* operator[](std::size_t i) const noexcept { return slots_[i]; }
  pooled* pop_back() noexcept { return slots_[--n_]; }
  void push_back(pooled* p) noexcept { slots_[n_++] = p; }  ///< !full()
  /// Removes and returns slot i, keeping the order of the rest.
  pooled* take(std::size_t i) noexcept {
    pooled* p = slots_[i];
    std::copy(slots_.get() + i + 1, slots_.get() + n_, slots_.get() + i);
    --n_;
    return p;
  }
  void swap(idle_list& o) noexcept {
    std::swap(slots_, o.slots_);
    std::swap(n_, o.n_);
    std::swap(cap_, o.cap_);
  }
  pooled* const* begin() const noexcept { return slots_.get(); }
  pooled* const* end() const noexcept { return slots_.get() + n_; }

 private:
  std::unique_ptr<pooled*[]> slots_;
  std::size_t n_ = 0, cap_ = 0;
};

/// A caller blocked in acquire(), on its own stack. Served strictly in
/// arrival order: a returned connection goes straight to the head waiter.
struct pool_waiter {
  std::condition_variable_any cv;
  pooled* handed = nullptr;
  /// A connect started for the waiters failed: the head waiter hears why.
  std::exception_ptr open_failed;
  bool closed = false;
  pool_waiter* prev = nullptr;
  pool_waiter* next = nullptr;
};

// Hidden: calls between the pool's own files skip the PLT on the hot path.
class __attribute__((visibility("hidden"))) pool_core {
 public:
  explicit pool_core(pool_config cfg);
  pool_core(const pool_core&) = delete;
  pool_core& operator=(const pool_core&) = delete;

  /// Starts the maintainer (and opens min connections in the background).
  void start();
  /// Inline: an idle connection under a fixed-choice strategy is the common
  /// case and goes without a call; everything else is acquire_slow.
  pooled* acquire(std::int64_t timeout_ns, std::source_location site);
  /// Inline the same way: a clean return to a pool nobody waits on.
  void release(pooled* p, bool discard) noexcept;
  /// Refuses new acquires, fails waiters, stops the maintainer and closes
  /// idle connections; the rest close as they come back.
  void close() noexcept;
  /// close(), called by the owner when it goes away; the core deletes itself
  /// once nothing is out (no caller can be inside acquire() by then).
  void shutdown() noexcept;

  pool_metrics metrics() const;
  std::string last_error() const;
  /// False while the server cannot be reached (a connect failed and none
  /// has succeeded since).
  bool up() const noexcept { return !down_.load(std::memory_order_relaxed); }
  std::uint32_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  std::uint32_t idle_count() const noexcept { return idle_n_.load(std::memory_order_relaxed); }
  const pool_config& config() const noexcept { return cfg_; }
  /// Wakes the maintainer for an early health check (a connection broke).
  void poke() noexcept;

 private:
  ~pool_core();
  pooled* acquire_slow(std::int64_t timeout_ns, std::source_location site);
  void release_slow(pooled* p, bool discard) noexcept;
  /// The inline paths' way out with the lock held: unlock, then the slow
  /// path (out of line, so the inline ones save no registers for it).
  pooled* acquire_bail(std::int64_t timeout_ns, std::source_location site);
  void release_bail(pooled* p, bool discard) noexcept;
  /// Nothing to clean on return: no call ran since release_cleanup last
  /// found the connection clean. Every call, result, transaction, subscribe
  /// and close passes claim(), which sets `called`, so the transaction,
  /// deadline, results, subscription and busy state are still as that
  /// cleanup left them; the flags below are the ones a caller can set
  /// without claiming, checked again.
  static bool nothing_to_clean(const connection_impl& c, session_reset reset) noexcept {
    return !c.called && c.conn != nullptr && !c.broken && !c.session_dirty && reset == session_reset::automatic;
  }
  pooled* take_idle_locked() noexcept;
  void offer_locked(pooled* p) noexcept;  ///< p counted in neither idle nor in_use yet
  void link_waiter_locked(pool_waiter* w) noexcept;
  void unlink_waiter_locked(pool_waiter* w) noexcept;
  /// Starts a background connect for the waiters when there is room and
  /// fewer connects under way than callers waiting.
  void grant_open_locked() noexcept;
  /// Starts one background connect (opening_ counted); its connection goes
  /// to the head waiter, else to the idle list. Waiters never run a connect
  /// themselves, so a silent server cannot hold them past their timeout.
  void start_open_locked(bool for_maintainer = false) noexcept;
  void background_open(bool for_maintainer) noexcept;
  pooled* open_one();  ///< connects (no lock held); throws the connect error
  void note_connect_failure_locked(const error& e) noexcept;
  void note_connect_success_locked() noexcept;
  void fill_stats_locked(dbr_pool_stats& s, std::int64_t now) const noexcept;
  bool strategy_should_grow_locked() noexcept;
  static dbr_pool_candidate candidate_of(const pooled* p) noexcept;
  void close_pooled(pooled* p) noexcept;     ///< outside the lock
  bool release_cleanup(pooled* p) noexcept;  ///< rollback etc.; false = discard
  bool reset_session(connection_impl& c) noexcept;  ///< per reset_on_release; false = discard
  /// p goes to a caller, with `now` (a recent clock reading, never later
  /// than now) as its acquire time. Three stores into p, no list to link:
  /// held connections are the ones of all_ whose impl is leased.
  void lease_locked(pooled* p, std::source_location site, std::int64_t now) noexcept;
  /// p came back; true when a leak report must be withdrawn.
  bool unlease_locked(pooled* p) noexcept;
  void adopt_locked(pooled* p) noexcept;   ///< p now counts in total_
  void forget_locked(pooled* p) noexcept;  ///< p no longer does
  std::string holders_locked(std::int64_t now) const;  ///< the oldest three, for the exhaustion error
  void report_leaks_locked(std::unique_lock<pool_lock>& lk, std::int64_t now);
  void discard_checked_out(pooled* p, bool health_failure) noexcept;
  static void mark_leased(pooled* p) noexcept;
  [[noreturn]] void throw_exhausted_locked(std::int64_t waited_ns);
  [[noreturn]] void throw_closed() const;
  void maintain();
  /// One round; returns when (mono_ns) it wants to run again.
  std::int64_t maintain_once(std::unique_lock<pool_lock>& lk);
  std::int64_t tick_ns() const noexcept;
  bool deletable_locked() const noexcept {
    return owner_gone_ && in_use_.load(std::memory_order_relaxed) == 0 &&
           opening_.load(std::memory_order_relaxed) == 0;
  }

  pool_config cfg_;
  std::shared_ptr<plugin_record> strategy_rec_;
  std::shared_ptr<pool_probe> probe_;
  dbr_pool_strategy* strategy_ = nullptr;
  dbr_pool_vtable vt_{};
  /// What the strategy said, once, that choose() always answers
  /// (DBR_POOL_CHOICE_*): NEWEST/OLDEST are picked here, with no call and
  /// no candidate list; CALL keeps cands_ and asks choose() per acquire.
  std::uint32_t fixed_choice_ = DBR_POOL_CHOICE_CALL;
  /// A fixed choice and no validation: acquire() takes an idle connection inline.
  bool inline_acquire_ = false;

  mutable pool_lock mu_;
  idle_list idle_;
  std::vector<dbr_pool_candidate> cands_;   // parallel to idle_, handed to choose(); only for CALL
  pool_waiter* whead_ = nullptr;
  pool_waiter* wtail_ = nullptr;
  bool closed_ = false;
  bool owner_gone_ = false;

  std::atomic<std::uint32_t> total_{0}, idle_n_{0}, in_use_{0}, waiting_{0}, opening_{0};
  // Acquires are the histogram's total: every acquire records its wait.
  std::atomic<std::uint64_t> created_{0}, closed_n_{0}, timeouts_{0}, hc_failures_{0},
      connect_failures_{0}, resets_{0}, leaks_{0};
  std::atomic<bool> down_{false};
  /// The maintainer's last clock reading, at most one tick old (a round
  /// runs at least every tick_ns()): "now" for choose(), the acquire time of
  /// a connection taken from the idle list and the return time of one put
  /// back, so neither acquire nor release reads the clock. Written under
  /// the lock.
  std::int64_t clock_ns_ = 0;
  std::int64_t tick_ = 0;  ///< tick_ns(), the maintainer's longest pause
  /// Every open connection (total_ of them; capacity max, so adding never
  /// allocates). Only leak checks and the exhaustion error walk it.
  std::vector<pooled*> all_;
  wait_histogram hist_;

  // maintainer
  std::thread maint_;
  std::condition_variable_any maint_cv_;
  bool maint_stop_ = false;
  bool maint_poke_ = false;
  bool probe_needed_ = false;  ///< a connection broke: check the others and the server
  bool maint_opening_ = false;  ///< the maintainer's own connect is under way
  std::int64_t backoff_ns_ = 0;
  std::int64_t next_connect_ns_ = 0;
  std::int64_t last_health_ns_ = 0;
  std::uint32_t consecutive_failures_ = 0;
  std::string last_error_;
};

/// The calling thread's kernel id once asked (0 before): one %fs-relative
/// load per acquire, no TLS lookup call and no init guard.
extern __attribute__((visibility("hidden"), tls_model("initial-exec"))) constinit thread_local long t_pool_tid;
__attribute__((visibility("hidden"))) long fetch_tid() noexcept;  ///< asks the kernel, caches it in t_pool_tid
inline long current_tid() noexcept {
  const long t = t_pool_tid;
  return t != 0 ? t : fetch_tid();
}

// Always inline: GCC otherwise keeps it a call from pool::acquire, with
// five callee-saved registers pushed and popped per acquire.
[[gnu::always_inline]] inline pooled* pool_core::acquire(std::int64_t timeout_ns, std::source_location site) {
  // A thread's first acquire asks the kernel for its id on the slow path,
  // so this one makes no call while it holds a connection.
  const long tid = t_pool_tid;
  if (inline_acquire_ && tid != 0) [[likely]] {
    mu_.lock();
    if (!closed_ && !idle_.empty()) [[likely]] {
      pooled* p = fixed_choice_ == DBR_POOL_CHOICE_NEWEST ? idle_.pop_back() : idle_.take(0);
      drop(idle_n_);
      bump(in_use_);
      ++p->use_count;
      hist_.record_zero_locked();
      // The lease (leak reports, the exhaustion error); the pool clock is a
      // recent enough acquire time.
      p->acquired_ns = clock_ns_;
      p->site = site;
      p->thread = tid;
      p->impl->leased = true;
      mu_.unlock();
      return p;
    }
    return acquire_bail(timeout_ns, site);
  }
  return acquire_slow(timeout_ns, site);
}

inline void pool_core::release(pooled* p, bool discard) noexcept {
  connection_impl& c = *p->impl;
  if (!discard && nothing_to_clean(c, cfg_.reset)) [[likely]] {
    mu_.lock();
    const std::int64_t now = clock_ns_;
    if (!closed_ && whead_ == nullptr && !p->leak_reported && fixed_choice_ != DBR_POOL_CHOICE_CALL &&
        now < p->expires_ns - tick_ && !idle_.full()) [[likely]] {
      c.leased = false;
      p->last_used_ns = now;
      drop(in_use_);
      idle_.push_back(p);
      bump(idle_n_);
      mu_.unlock();
      return;
    }
    return release_bail(p, discard);
  }
  release_slow(p, discard);
}

/// What a pool object shares between its copies.
struct __attribute__((visibility("hidden"))) pool_impl {
  std::string name;
  pool_core* primary = nullptr;
  std::vector<pool_core*> replicas;
  replica_choice choice = replica_choice::round_robin;
  std::atomic<std::uint64_t> rr{0};
  ~pool_impl();
  void close() noexcept;     ///< pool::close(): the cores stay for late callers and metrics
  void shutdown() noexcept;  ///< the last copy went: the cores go once nothing is out
};

}  // namespace dbridge::detail
