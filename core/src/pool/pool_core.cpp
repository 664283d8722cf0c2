// SPDX-License-Identifier: Apache-2.0
// The pool engine: a mutex-guarded idle list handed to the strategy plugin,
// strict FIFO hand-off to waiters, background connects. Connects and closes
// never run under the lock, so callers that can be served are never held up
// by a slow or unreachable server. The maintainer thread is in
// pool_maintainer.cpp, the counters in pool_metrics.cpp.
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "dbridge/pool.hpp"
#include "dbridge/registry.hpp"
#include "plugin/host.hpp"
#include "logging.hpp"
#include "pool_impl.hpp"
#include "pool_options.hpp"
#include "registry_slot.hpp"

namespace dbridge::inline v1::detail {

std::int64_t mono_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t mono_coarse_ns() noexcept {
  timespec ts{};
#ifdef CLOCK_MONOTONIC_COARSE
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
  clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

namespace {

// Per-thread generator for jitter: no lock, no shared state.
double rand01() noexcept {
  thread_local std::uint64_t s = [] {
    std::uint64_t seed = static_cast<std::uint64_t>(mono_ns());
    seed ^= reinterpret_cast<std::uintptr_t>(&seed);
    return seed | 1;
  }();
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return static_cast<double>(s >> 11) * (1.0 / 9007199254740992.0);
}

// Results still open when a connection goes back would read another
// caller's rows later: they are ended and report why.
void detach_results(connection_impl& c) noexcept { c.end_results("its connection went back to the pool"); }

pool_metrics read_probe(const void* owner) { return static_cast<const pool_core*>(owner)->metrics(); }

}  // namespace

// The kernel's id of the calling thread (what top, gdb and /proc show),
// asked once per thread.
constinit thread_local long t_pool_tid = 0;
long fetch_tid() noexcept { return t_pool_tid = static_cast<long>(::syscall(SYS_gettid)); }

std::string ms_text(std::int64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string site_text(const std::source_location& s) {
  if (s.file_name() == nullptr || *s.file_name() == '\0') return "an unknown place (a call through the C API)";
  return std::string(s.file_name()) + ":" + std::to_string(s.line()) + " in " + s.function_name();
}

// ------------------------------------------------------------ pool_core

pool_core::pool_core(pool_config cfg) : cfg_(std::move(cfg)) {
  std::string id = cfg_.strategy;
  if (id.rfind("pool-", 0) != 0) id = "pool-" + id;
  try {
    strategy_rec_ = plugin_by_id(id, "pool");
  } catch (const error& e) {
    error_info info = e.info();
    info.message = "pool '" + cfg_.name + "': strategy '" + cfg_.strategy + "' is not available (" +
                   info.message + "); use \"lifo\" or \"fifo\", or install the pool-" + cfg_.strategy + " plugin";
    throw_error(std::move(info));
  }
  vt_ = strategy_rec_->pool;
  abi_error err;
  const int32_t rc = vt_.create(strategy_rec_->instance, nullptr, 0, &strategy_, err);
  if (rc < 0 || strategy_ == nullptr) {
    error_info info = err.to_info(rc < 0 ? rc : DBR_E_INTERNAL, strategy_rec_->id);
    info.message = "pool '" + cfg_.name + "': strategy plugin '" + strategy_rec_->id + "' failed to start: " + info.message;
    throw_error(std::move(info));
  }
  // Asked once: a pure policy is applied here rather than called per acquire.
  if (strategy_rec_->negotiated_minor >= 2 && vt_.fixed_choice != nullptr) {
    fixed_choice_ = vt_.fixed_choice(strategy_);
    if (fixed_choice_ > DBR_POOL_CHOICE_OLDEST) fixed_choice_ = DBR_POOL_CHOICE_CALL;
  }
  inline_acquire_ = fixed_choice_ != DBR_POOL_CHOICE_CALL && !cfg_.validate_on_acquire;
  idle_.reserve(cfg_.max);
  if (fixed_choice_ == DBR_POOL_CHOICE_CALL) cands_.reserve(cfg_.max);
  all_.reserve(cfg_.max);
  probe_ = std::make_shared<pool_probe>();
  probe_->owner = this;
  probe_->read = &read_probe;
  backoff_ns_ = cfg_.backoff_min_ns;
  clock_ns_ = mono_coarse_ns();
  tick_ = tick_ns();
}

pool_core::~pool_core() {
  probe_->detach();
  if (strategy_ != nullptr && vt_.destroy != nullptr) vt_.destroy(strategy_);
}

void pool_core::start() { maint_ = std::thread([this] { maintain(); }); }

void pool_core::fill_stats_locked(dbr_pool_stats& s, std::int64_t now) const noexcept {
  s.struct_size = sizeof s;
  s.total = total_.load(std::memory_order_relaxed);
  s.idle = idle_n_.load(std::memory_order_relaxed);
  s.in_use = in_use_.load(std::memory_order_relaxed);
  s.waiting = waiting_.load(std::memory_order_relaxed);
  s.min = cfg_.min;
  s.max = cfg_.max;
  s.reserved = 0;
  s.now_ns = now;
  s.idle_timeout_ns = cfg_.idle_timeout_ns;
}

dbr_pool_candidate pool_core::candidate_of(const pooled* p) noexcept {
  dbr_pool_candidate c;
  c.struct_size = sizeof c;
  c.reserved = 0;
  c.conn_id = p->impl->slot->entry.id;
  c.created_ns = p->created_ns;
  c.last_used_ns = p->last_used_ns;
  c.use_count = p->use_count;
  return c;
}

pooled* pool_core::take_idle_locked() noexcept {
  const auto n = static_cast<std::uint32_t>(idle_.size());
  std::uint32_t i = n - 1;
  if (fixed_choice_ == DBR_POOL_CHOICE_OLDEST) {
    i = 0;
  } else if (fixed_choice_ == DBR_POOL_CHOICE_CALL && n > 1) {  // one candidate leaves no choice
    dbr_pool_stats st;
    // The pool clock is within a tick of now; the candidates' own times
    // come from the same clock.
    fill_stats_locked(st, clock_ns_);
    i = vt_.choose(strategy_, cands_.data(), n, &st);
    if (i >= n) i = n - 1;
  }
  const bool listed = fixed_choice_ == DBR_POOL_CHOICE_CALL;
  pooled* p;
  if (i == n - 1) {
    p = idle_.pop_back();
    if (listed) cands_.pop_back();
  } else {
    p = idle_.take(i);
    if (listed) cands_.erase(cands_.begin() + i);
  }
  drop(idle_n_);
  bump(in_use_);
  ++p->use_count;
  return p;
}

void pool_core::offer_locked(pooled* p) noexcept {
  if (whead_ != nullptr) {
    pool_waiter* w = whead_;
    unlink_waiter_locked(w);
    drop(waiting_);
    bump(in_use_);
    ++p->use_count;
    w->handed = p;
    // Under the lock: the waiter may return (and free w) as soon as it sees `handed`.
    w->cv.notify_one();
    return;
  }
  // Never full: idle ones count in total_, which stays at most max.
  idle_.push_back(p);
  if (fixed_choice_ == DBR_POOL_CHOICE_CALL) cands_.push_back(candidate_of(p));
  bump(idle_n_);
}

void pool_core::lease_locked(pooled* p, std::source_location site, std::int64_t now) noexcept {
  p->acquired_ns = now;
  p->site = site;
  p->thread = current_tid();
}

bool pool_core::unlease_locked(pooled* p) noexcept {
  if (!p->leak_reported) [[likely]] return false;
  p->leak_reported = false;
  return true;
}

void pool_core::adopt_locked(pooled* p) noexcept {
  bump(total_);
  all_.push_back(p);  // reserved to max in the constructor
}

void pool_core::forget_locked(pooled* p) noexcept {
  drop(total_);
  const auto it = std::find(all_.begin(), all_.end(), p);
  if (it != all_.end()) {
    *it = all_.back();
    all_.pop_back();
  }
}

void pool_core::link_waiter_locked(pool_waiter* w) noexcept {
  w->prev = wtail_;
  w->next = nullptr;
  if (wtail_ != nullptr) wtail_->next = w;
  else whead_ = w;
  wtail_ = w;
}

void pool_core::unlink_waiter_locked(pool_waiter* w) noexcept {
  if (w->prev != nullptr) w->prev->next = w->next;
  else whead_ = w->next;
  if (w->next != nullptr) w->next->prev = w->prev;
  else wtail_ = w->prev;
  w->prev = w->next = nullptr;
}

void pool_core::grant_open_locked() noexcept {
  if (whead_ == nullptr || closed_) return;
  const std::uint32_t opening = opening_.load(std::memory_order_relaxed);
  if (total_.load(std::memory_order_relaxed) + opening >= cfg_.max) return;
  if (opening >= waiting_.load(std::memory_order_relaxed)) return;
  start_open_locked();
}

void pool_core::start_open_locked(bool for_maintainer) noexcept {
  bump(opening_);
  try {
    std::thread([this, for_maintainer] { background_open(for_maintainer); }).detach();
  } catch (...) {
    // No thread to connect on: the waiters time out, the maintainer refills.
    drop(opening_);
    if (for_maintainer) maint_opening_ = false;
  }
}

void pool_core::background_open(bool for_maintainer) noexcept {
  pooled* p = nullptr;
  std::exception_ptr failure;
  try {
    p = open_one();
  } catch (...) {
    failure = std::current_exception();
  }
  std::unique_lock lk(mu_);
  drop(opening_);
  if (for_maintainer) {
    // The maintainer goes on (next connect, or its backoff) right away.
    maint_opening_ = false;
    maint_poke_ = true;
    maint_cv_.notify_one();
  }
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const error& e) {
      note_connect_failure_locked(e);
    } catch (...) {
    }
    if (for_maintainer) {
      const double factor = 1.0 - 0.5 * rand01();
      next_connect_ns_ = mono_ns() + static_cast<std::int64_t>(static_cast<double>(backoff_ns_) * factor);
      backoff_ns_ = std::min(cfg_.backoff_max_ns, backoff_ns_ * 2);
    }
    // The head waiter hears about the outage now rather than at its
    // timeout; the next one gets a connect of its own.
    if (pool_waiter* w = whead_; w != nullptr) {
      unlink_waiter_locked(w);
      drop(waiting_);
      w->open_failed = failure;
      w->cv.notify_one();
    }
    grant_open_locked();
    const bool del = deletable_locked();
    lk.unlock();
    if (del) delete this;
    return;
  }
  bump(created_, std::uint64_t{1});
  note_connect_success_locked();
  probe_needed_ = false;
  if (closed_) {
    bump(closed_n_, std::uint64_t{1});
    const bool del = deletable_locked();
    lk.unlock();
    close_pooled(p);
    if (del) delete this;
    return;
  }
  adopt_locked(p);
  offer_locked(p);
}

bool pool_core::strategy_should_grow_locked() noexcept {
  if (vt_.should_grow == nullptr) return true;
  dbr_pool_stats st;
  fill_stats_locked(st, mono_coarse_ns());
  return vt_.should_grow(strategy_, &st) != 0;
}

pooled* pool_core::open_one() {
  // Shown as "connecting" while the connect runs, so a listing during an
  // outage tells where callers are stuck.
  connection_entry placeholder;
  placeholder.scheme = cfg_.url.substr(0, cfg_.url.find(':'));
  placeholder.driver = cfg_.driver;
  placeholder.driver_version = cfg_.driver_version;
  placeholder.redacted_url = cfg_.redacted;
  placeholder.state = connection_state::connecting;
  placeholder.opened_by = cfg_.opened_by;
  placeholder.pool = cfg_.name;
  auto ph = registry_attach(std::move(placeholder));
  registry_set_pool(*ph, cfg_.name, probe_);
  struct remove_guard {
    std::uint64_t id;
    ~remove_guard() { registry::global().remove(id); }
  } guard{ph->entry.id};

  connect_options co;
  co.opened_by = cfg_.opened_by;
  co.statement_cache_size = cfg_.statement_cache_size;
  connection c = connect(cfg_.url, co);
  registry_set_pool(*c.impl().slot, cfg_.name, probe_);
  c.impl().tx_default_timeout_ns = cfg_.transaction_timeout_ns;
  auto* p = new pooled(std::move(c));
  const std::int64_t now = mono_coarse_ns();
  p->created_ns = now;
  p->last_used_ns = now;
  if (cfg_.max_lifetime_ns > 0) {
    const auto jitter = static_cast<std::int64_t>(static_cast<double>(cfg_.max_lifetime_ns) * cfg_.lifetime_jitter * rand01());
    p->expires_ns = now + cfg_.max_lifetime_ns - jitter;
  }
  return p;
}

void pool_core::note_connect_failure_locked(const error& e) noexcept {
  bump(connect_failures_, std::uint64_t{1});
  down_.store(true, std::memory_order_relaxed);
  try {
    last_error_ = e.what();
  } catch (...) {
  }
  ++consecutive_failures_;
}

void pool_core::note_connect_success_locked() noexcept {
  down_.store(false, std::memory_order_relaxed);
  consecutive_failures_ = 0;
  backoff_ns_ = cfg_.backoff_min_ns;
  next_connect_ns_ = 0;
  last_error_.clear();
}

void pool_core::close_pooled(pooled* p) noexcept {
  try {
    p->conn.close();
  } catch (...) {
    // Still inside a call on another thread (misuse): closing would race;
    // the connection is leaked rather than corrupted.
    p->impl->leased = false;
    return;
  }
  delete p;
}

bool pool_core::release_cleanup(pooled* p) noexcept {
  connection_impl& c = *p->impl;
  // An open transaction is rolled back below, expired or not: its deadline
  // must not follow the connection to the next caller.
  if (c.tx_deadline_ns != 0 || c.watch) c.disarm_tx_deadline();
  if (c.conn == nullptr || c.broken) return false;
  if (c.busy.load(std::memory_order_relaxed)) return false;
  // Channels and pending messages are per connection (a Redis subscriber
  // cannot even run ordinary commands): such a connection is closed, never
  // handed to the next caller.
  if (c.subscribed) return false;
  if (c.nlive != 0) detach_results(c);
  bool in_tx = c.tx_depth > 0;
  // No call since the last return, which left no transaction open: the
  // state is known without asking the plugin.
  if (!in_tx && c.called && c.rec->txn.in_transaction != nullptr) {
    std::unique_lock lock(c.rec->serial_mutex, std::defer_lock);
    if (c.serial) lock.lock();
    in_tx = c.rec->txn.in_transaction(c.conn) > 0;
  }
  if (in_tx) {
    if (c.rec->txn.rollback == nullptr) return false;
    if (!c.try_enter()) return false;
    abi_error err;
    const int32_t rc = c.rec->txn.rollback(c.conn, err);
    c.tx_depth = 0;
    c.raw_tx = false;
    if (rc < 0 && err.raw().conn_broken) c.broken = true;
    c.leave();
    if (rc < 0 || c.broken) return false;
  }
  c.called = false;
  // A plain query leaves session_dirty alone: no call at all.
  if (cfg_.reset == session_reset::automatic && !c.session_dirty) [[likely]] return true;
  return reset_session(c);
}

bool pool_core::reset_session(connection_impl& c) noexcept {
  if (cfg_.reset == session_reset::never) return true;
  // A driver that cannot reset (ABI 1.0 plugins, SQLite): the session may
  // hold the borrower's state, so the connection is closed instead.
  if (c.rec->conn.reset_session == nullptr) return false;
  if (!c.try_enter()) return false;
  std::uint32_t flags = 0;
  abi_error err;
  const int32_t rc = c.rec->conn.reset_session(c.conn, &flags, err);
  bool ok = rc >= 0;
  if (!ok && err.raw().conn_broken) c.broken = true;
  if (ok && (flags & DBR_RESET_STATEMENTS_DROPPED) != 0) {
    // The server forgot them: the cache must not hand them out again.
    std::vector<dbr_stmt*> dropped;
    try {
      c.cache.clear(dropped);
    } catch (...) {
      ok = false;  // out of memory: closing the connection drops them all
    }
    c.finalize_all(dropped);
  }
  c.leave();
  if (!ok) {
    if (rc < 0) {
      try {
        log_line(DBR_LOG_WARN, "pool",
                 "pool '" + cfg_.name + "': resetting the session of a returned connection failed (" +
                     err.to_info(rc, c.driver()).message + "); the connection is closed instead");
      } catch (...) {
      }
    }
    return false;
  }
  c.session_dirty = false;
  // Outside the pool lock, unlike the other counters: the rare path pays
  // the locked add so the common one carries no flag back.
  resets_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void pool_core::mark_leased(pooled* p) noexcept {
  p->impl->leased = true;
}

void pool_core::discard_checked_out(pooled* p, bool health_failure) noexcept {
  std::unique_lock lk(mu_);
  unlease_locked(p);
  drop(in_use_);
  forget_locked(p);
  bump(closed_n_, std::uint64_t{1});
  if (health_failure) bump(hc_failures_, std::uint64_t{1});
  grant_open_locked();
  maint_poke_ = true;
  maint_cv_.notify_one();
  lk.unlock();
  close_pooled(p);
}

pooled* pool_core::acquire_slow(std::int64_t timeout_ns, std::source_location site) {
  std::unique_lock lk(mu_);
  for (;;) {
    if (closed_) throw_closed();
    if (idle_.empty()) break;
    pooled* p = take_idle_locked();
    hist_.record_zero_locked();
    // No clock read here: the pool clock is a recent enough "now" for leak
    // reports and the exhaustion error.
    lease_locked(p, site, clock_ns_);
    lk.unlock();
    if (!cfg_.validate_on_acquire || p->conn.ping()) {
      mark_leased(p);
      return p;
    }
    discard_checked_out(p, true);
    lk.lock();
  }

  const std::int64_t start = mono_ns();
  pool_waiter w;
  link_waiter_locked(&w);
  bump(waiting_);
  // Room to grow: a connect starts in the background and its connection
  // comes to the head waiter (this caller, unless others wait already), so
  // the wait below stays bounded by the acquire timeout however long the
  // server takes to answer.
  const std::uint32_t used = total_.load(std::memory_order_relaxed) + opening_.load(std::memory_order_relaxed);
  if (used < cfg_.max && opening_.load(std::memory_order_relaxed) < waiting_.load(std::memory_order_relaxed) &&
      (in_use_.load(std::memory_order_relaxed) == 0 || strategy_should_grow_locked()))
    start_open_locked();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  while (w.handed == nullptr && !w.open_failed && !w.closed) {
    if (w.cv.wait_until(lk, deadline) == std::cv_status::timeout && w.handed == nullptr && !w.open_failed &&
        !w.closed) {
      unlink_waiter_locked(&w);
      drop(waiting_);
      bump(timeouts_, std::uint64_t{1});
      throw_exhausted_locked(mono_ns() - start);
    }
  }
  if (w.handed != nullptr) {
    pooled* p = w.handed;
    const std::int64_t now = mono_ns();
    hist_.record_locked(now - start);
    lease_locked(p, site, now);
    lk.unlock();
    mark_leased(p);
    return p;
  }
  if (w.closed) throw_closed();
  lk.unlock();
  std::rethrow_exception(w.open_failed);
}

pooled* pool_core::acquire_bail(std::int64_t timeout_ns, std::source_location site) {
  mu_.unlock();
  return acquire_slow(timeout_ns, site);
}

void pool_core::release_bail(pooled* p, bool discard) noexcept {
  mu_.unlock();
  release_slow(p, discard);
}

void pool_core::release_slow(pooled* p, bool discard) noexcept {
  connection_impl& c = *p->impl;
  c.leased = false;
  bool keep = !discard && release_cleanup(p);
  const bool broken = c.broken;
  std::unique_lock lk(mu_);
  // The pool clock lags by up to a tick: only a connection that may have
  // expired pays a clock read (under the lock, rarely: once per lifetime).
  const std::int64_t now = clock_ns_;
  if (keep && now >= p->expires_ns - tick_) [[unlikely]] keep = mono_coarse_ns() < p->expires_ns;
  p->last_used_ns = now;
  // Rare (a leak was reported): the registry lock nests inside the pool's.
  if (unlease_locked(p)) [[unlikely]] registry_set_leak(*c.slot, std::string());
  if (!keep || closed_) {
    drop(in_use_);
    forget_locked(p);
    bump(closed_n_, std::uint64_t{1});
    grant_open_locked();
    if (broken) {
      // Its siblings probably lost the server too: check them now.
      probe_needed_ = true;
      maint_poke_ = true;
      maint_cv_.notify_one();
    }
    const bool del = deletable_locked();
    lk.unlock();
    close_pooled(p);
    if (del) delete this;
    return;
  }
  drop(in_use_);
  offer_locked(p);
}

void pool_core::throw_exhausted_locked(std::int64_t waited_ns) {
  error_info info;
  info.category = errc::resource;
  info.subcategory = suberrc::pool_exhausted;
  info.native_domain = "dbridge";
  const auto in_use = in_use_.load(std::memory_order_relaxed);
  const auto waiting = waiting_.load(std::memory_order_relaxed);
  const auto opening = opening_.load(std::memory_order_relaxed);
  if (in_use == 0 && opening > 0) {
    // Nothing is borrowed: the wait was for the server to accept a connection.
    info.message = "pool '" + cfg_.name + "' (" + cfg_.redacted + "): no connection within the acquire timeout (" +
                   ms_text(waited_ns) + " waited) because the server has not completed a new connection (" +
                   std::to_string(opening) + " connect(s) still under way, each bounded by the driver's " +
                   "connect_timeout); check that the server is up and answering, or raise acquire_timeout";
    throw_error(std::move(info));
  }
  info.message = "pool '" + cfg_.name + "' (" + cfg_.redacted + ") is exhausted: no connection within the acquire timeout (" +
                 ms_text(waited_ns) + " waited); " + std::to_string(in_use) + " of max " + std::to_string(cfg_.max) +
                 " connections in use, " + std::to_string(opening_.load(std::memory_order_relaxed)) +
                 " opening, " + std::to_string(waiting) +
                 " other callers waiting" + holders_locked(mono_ns()) +
                 "; raise max (pool_max), release connections sooner, or raise acquire_timeout";
  throw_error(std::move(info));
}

std::string pool_core::holders_locked(std::int64_t now) const {
  std::vector<const pooled*> held;
  for (const pooled* p : all_)
    if (p->impl->leased) held.push_back(p);
  const std::size_t n_show = std::min<std::size_t>(3, held.size());
  std::partial_sort(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(n_show), held.end(),
                    [](const pooled* a, const pooled* b) { return a->acquired_ns < b->acquired_ns; });
  std::string out;
  for (std::size_t n = 0; n < n_show; ++n) {
    const pooled* p = held[n];
    out += n == 0 ? "; held longest by: " : ", ";
    out += "connection " + std::to_string(p->impl->slot->entry.id) + " acquired at " + site_text(p->site) +
           " by thread " + std::to_string(p->thread) + ", held " + ms_text(std::max<std::int64_t>(0, now - p->acquired_ns));
  }
  return out;
}

void pool_core::throw_closed() const {
  throw_error(errc::invalid_state, "pool '" + cfg_.name + "' is closed; create a new dbridge::pool");
}

void pool_core::poke() noexcept {
  std::lock_guard lk(mu_);
  maint_poke_ = true;
  maint_cv_.notify_one();
}

void pool_core::close() noexcept {
  idle_list idle;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    maint_stop_ = true;
    maint_cv_.notify_all();
    while (whead_ != nullptr) {
      pool_waiter* w = whead_;
      unlink_waiter_locked(w);
      drop(waiting_);
      w->closed = true;
      w->cv.notify_one();
    }
  }
  if (maint_.joinable()) maint_.join();
  {
    std::lock_guard lk(mu_);
    idle.swap(idle_);
    cands_.clear();
    const auto n = static_cast<std::uint32_t>(idle.size());
    drop(idle_n_, n);
    for (pooled* p : idle) forget_locked(p);
    bump(closed_n_, std::uint64_t{n});
  }
  for (pooled* p : idle) close_pooled(p);
}

void pool_core::shutdown() noexcept {
  close();
  bool del;
  {
    std::lock_guard lk(mu_);
    owner_gone_ = true;
    del = deletable_locked();
  }
  if (del) delete this;
}

std::string pool_core::last_error() const {
  std::lock_guard lk(mu_);
  return last_error_;
}

// ------------------------------------------------------------ pool_impl

pool_impl::~pool_impl() { shutdown(); }

void pool_impl::close() noexcept {
  for (pool_core* r : replicas) r->close();
  if (primary != nullptr) primary->close();
}

void pool_impl::shutdown() noexcept {
  for (pool_core* r : replicas) r->shutdown();
  replicas.clear();
  if (primary != nullptr) primary->shutdown();
  primary = nullptr;
}

}  // namespace dbridge::detail
