// SPDX-License-Identifier: Apache-2.0
// The pool's maintainer thread: one round per tick keeps min open, evicts
// over-age and idle connections, health-checks, probes a server that went
// away with backoff, and reports leaked connections.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "logging.hpp"
#include "pool_impl.hpp"
#include "registry_slot.hpp"

namespace dbridge::inline v1::detail {

namespace {

// "1234 (worker-3)" while the thread lives, else "1234 (exited)".
std::string thread_text(long tid) {
  std::string name;
  std::ifstream comm("/proc/self/task/" + std::to_string(tid) + "/comm");
  if (!comm || !std::getline(comm, name)) name = "exited";
  return std::to_string(tid) + " (" + name + ")";
}

}  // namespace

void pool_core::maintain() {
  std::unique_lock lk(mu_);
  while (!maint_stop_) {
    std::int64_t wake = maintain_once(lk);
    if (maint_stop_) break;
    const std::int64_t now = mono_ns();
    if (wake > now && !maint_poke_) {
      maint_cv_.wait_for(lk, std::chrono::nanoseconds(wake - now), [&] { return maint_stop_ || maint_poke_; });
    }
    maint_poke_ = false;
  }
}

std::int64_t pool_core::tick_ns() const noexcept {
  std::int64_t t = 1'000'000'000;
  if (cfg_.health_period_ns > 0) t = std::min(t, cfg_.health_period_ns / 2);
  if (cfg_.idle_timeout_ns > 0) t = std::min(t, cfg_.idle_timeout_ns / 4);
  if (cfg_.max_lifetime_ns > 0) t = std::min(t, cfg_.max_lifetime_ns / 8);
  if (cfg_.leak_threshold_ns > 0) t = std::min(t, cfg_.leak_threshold_ns / 4);
  return std::max<std::int64_t>(t, 2'000'000);
}

std::int64_t pool_core::maintain_once(std::unique_lock<pool_lock>& lk) {
  const std::int64_t now = mono_coarse_ns();
  // The pool clock: acquire and release read it instead of the clock, so
  // the rounds below must come at least once a tick.
  clock_ns_ = std::max(clock_ns_, now);
  // The precise clock: the coarse one lags by up to a tick, and a report
  // must never claim less than it saw.
  if (cfg_.leak_threshold_ns > 0 && in_use_.load(std::memory_order_relaxed) > 0) report_leaks_locked(lk, mono_ns());
  if (maint_stop_) return 0;
  const bool health_due = cfg_.health_period_ns > 0 && now - last_health_ns_ >= cfg_.health_period_ns;
  const bool check_all = probe_needed_;
  std::vector<pooled*> doomed, checking;

  // 1. Over-age connections go whatever min says (the refill replaces them);
  //    idle ones go when the strategy agrees and the pool is above min.
  for (std::size_t i = 0; i < idle_.size();) {
    pooled* p = idle_[i];
    bool evict = now >= p->expires_ns;
    if (!evict && total_.load(std::memory_order_relaxed) > cfg_.min && vt_.should_evict != nullptr) {
      dbr_pool_stats st;
      fill_stats_locked(st, now);
      const dbr_pool_candidate c = candidate_of(p);
      evict = vt_.should_evict(strategy_, &c, &st) != 0;
    }
    const bool check = !evict && (check_all || (health_due && now - p->last_used_ns >= cfg_.health_period_ns / 2));
    if (evict || check) {
      idle_.take(i);
      if (fixed_choice_ == DBR_POOL_CHOICE_CALL) cands_.erase(cands_.begin() + static_cast<std::ptrdiff_t>(i));
      drop(idle_n_);
      if (evict) {
        forget_locked(p);
        bump(closed_n_, std::uint64_t{1});
        doomed.push_back(p);
      } else {
        bump(in_use_);  // held by the maintainer while it pings
        checking.push_back(p);
      }
      continue;
    }
    ++i;
  }
  if (health_due) last_health_ns_ = now;

  if (!doomed.empty() || !checking.empty()) {
    lk.unlock();
    for (pooled* p : doomed) close_pooled(p);
    std::vector<bool> ok(checking.size());
    for (std::size_t i = 0; i < checking.size(); ++i) ok[i] = checking[i]->conn.ping();
    std::vector<pooled*> dead;
    lk.lock();
    for (std::size_t i = 0; i < checking.size(); ++i) {
      drop(in_use_);
      if (ok[i] && !closed_) {
        offer_locked(checking[i]);
      } else {
        forget_locked(checking[i]);
        bump(closed_n_, std::uint64_t{1});
        if (!ok[i]) bump(hc_failures_, std::uint64_t{1});
        dead.push_back(checking[i]);
      }
    }
    // Only a pool left with nothing alive needs to probe the server; the
    // refill below does that and clears the flag once a connect succeeds.
    probe_needed_ = !dead.empty() && idle_.empty();
    if (probe_needed_) next_connect_ns_ = 0;
    for (std::size_t i = 0; i < dead.size(); ++i) grant_open_locked();
    if (!dead.empty()) {
      lk.unlock();
      for (pooled* p : dead) close_pooled(p);
      lk.lock();
    }
    if (maint_stop_) return 0;
  }

  // 2. Keep min open; while the server is (or may be) down, probe it with
  //    one connect at a time, backing off exponentially with jitter. The
  //    connect runs on a thread of its own (background_open), so neither
  //    this thread nor close() waits for a server that does not answer.
  if (!maint_stop_ && !closed_ && !maint_opening_) {
    const std::uint32_t have = total_.load(std::memory_order_relaxed) + opening_.load(std::memory_order_relaxed);
    const bool below_min = have < cfg_.min;
    const bool probe = (probe_needed_ || down_.load(std::memory_order_relaxed)) && have < cfg_.max &&
                       opening_.load(std::memory_order_relaxed) == 0 && idle_.empty();
    if (below_min || probe) {
      // Backing off: the next round still comes within a tick (the pool clock).
      if (mono_ns() < next_connect_ns_) return std::min(next_connect_ns_, mono_ns() + tick_ns());
      maint_opening_ = true;
      start_open_locked(true);
    }
  }
  return mono_ns() + tick_ns();
}

void pool_core::report_leaks_locked(std::unique_lock<pool_lock>& lk, std::int64_t now) {
  // acquired_ns may be up to one maintainer tick early (a connection taken
  // from the idle list gets the last recent clock reading), so the report
  // waits that much longer: whatever it says was held at least the threshold.
  const std::int64_t limit = cfg_.leak_threshold_ns + tick_ns();
  std::vector<std::string> lines;
  for (pooled* p : all_) {
    const std::int64_t held = now - p->acquired_ns;
    if (!p->impl->leased || held < limit || p->leak_reported) continue;
    p->leak_reported = true;
    bump(leaks_, std::uint64_t{1});
    std::string text = "held for " + ms_text(held) + " (leak_detection_threshold " +
                       ms_text(cfg_.leak_threshold_ns) + "); acquired at " + site_text(p->site) + " by thread " +
                       thread_text(p->thread);
    registry_set_leak(*p->impl->slot, text);
    lines.push_back("pool '" + cfg_.name + "': possible connection leak: connection " +
                    std::to_string(p->impl->slot->entry.id) + " " + std::move(text));
  }
  if (lines.empty()) return;
  lk.unlock();
  for (const auto& l : lines) log_line(DBR_LOG_WARN, "pool", l);
  lk.lock();
}

}  // namespace dbridge::detail
