// SPDX-License-Identifier: Apache-2.0
// dbridge::pool and pooled_connection over the pool cores (pool_core.cpp); replica choice
// for read(); the health report.
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "dbridge/pool.hpp"
#include "pool_impl.hpp"
#include "pool_options.hpp"

namespace dbridge::inline v1 {

// ------------------------------------------------------------ pooled_connection

pooled_connection& pooled_connection::operator=(pooled_connection&& o) noexcept {
  if (this != &o) {
    release();
    core_ = o.core_;
    p_ = o.p_;
    o.core_ = nullptr;
    o.p_ = nullptr;
  }
  return *this;
}

connection& pooled_connection::operator*() const {
  if (p_ == nullptr)
    throw_error(errc::invalid_state,
                "this pooled_connection holds no connection (it was released, discarded or moved from); "
                "acquire another from the pool");
  return p_->conn;
}

void pooled_connection::release() noexcept {
  if (p_ == nullptr) return;
  detail::pool_core* c = core_;
  detail::pooled* p = p_;
  core_ = nullptr;
  p_ = nullptr;
  c->release(p, false);
}

void pooled_connection::discard() noexcept {
  if (p_ == nullptr) return;
  detail::pool_core* c = core_;
  detail::pooled* p = p_;
  core_ = nullptr;
  p_ = nullptr;
  c->release(p, true);
}

std::string_view pooled_connection::role() const noexcept {
  return core_ != nullptr ? std::string_view(core_->config().role) : std::string_view();
}

// ------------------------------------------------------------ pool

pool::pool(std::string_view url, const pool_options& opts) {
  detail::resolved_pool r = detail::resolve_pool(url, opts);
  auto impl = std::make_shared<detail::pool_impl>();
  impl->name = r.name;
  impl->choice = r.choice;
  // Cores go into impl as soon as they exist, so a failure half-way shuts
  // down the ones already made.
  impl->primary = new detail::pool_core(std::move(r.primary));
  for (auto& rc : r.replicas) impl->replicas.push_back(new detail::pool_core(std::move(rc)));
  impl->primary->start();
  for (auto* c : impl->replicas) c->start();
  impl_ = std::move(impl);
}

pool::~pool() = default;

namespace {
detail::pool_impl& live(const std::shared_ptr<detail::pool_impl>& p) {
  if (!p || p->primary == nullptr)
    throw_error(errc::invalid_state, "this pool object was moved from; use the one it was moved to");
  return *p;
}
}  // namespace

pooled_connection pool::acquire(std::source_location site) {
  auto& i = live(impl_);
  return pooled_connection(i.primary, i.primary->acquire(i.primary->config().acquire_timeout_ns, site));
}

pooled_connection pool::acquire(std::chrono::nanoseconds timeout, std::source_location site) {
  auto& i = live(impl_);
  if (timeout.count() < 0)
    throw_error(errc::invalid_argument, "pool::acquire: the timeout is negative; give zero or more");
  return pooled_connection(i.primary, i.primary->acquire(timeout.count(), site));
}

pooled_connection pool::read(std::source_location site) {
  auto& i = live(impl_);
  const std::size_t n = i.replicas.size();
  if (n == 0) return acquire(site);
  // Replicas in preference order; the primary is the last resort.
  std::size_t order[64];
  std::size_t m = 0;
  if (i.choice == replica_choice::round_robin) {
    const std::size_t start = i.rr.fetch_add(1, std::memory_order_relaxed) % n;
    for (std::size_t k = 0; k < n && m < 64; ++k) {
      const std::size_t idx = (start + k) % n;
      if (i.replicas[idx]->up()) order[m++] = idx;
    }
  } else {
    for (std::size_t k = 0; k < n && m < 64; ++k)
      if (i.replicas[k]->up()) order[m++] = k;
    std::sort(order, order + m, [&](std::size_t a, std::size_t b) {
      const auto ua = i.replicas[a]->in_use(), ub = i.replicas[b]->in_use();
      if (ua != ub) return ua < ub;
      return i.replicas[a]->idle_count() > i.replicas[b]->idle_count();
    });
  }
  for (std::size_t k = 0; k < m; ++k) {
    detail::pool_core* c = i.replicas[order[k]];
    try {
      return pooled_connection(c, c->acquire(c->config().acquire_timeout_ns, site));
    } catch (const connection_error&) {
      // That replica cannot be reached (its core is now marked down): next.
    }
  }
  return acquire(site);
}

pool_metrics pool::metrics() const { return live(impl_).primary->metrics(); }

std::vector<pool_metrics> pool::replica_metrics() const {
  std::vector<pool_metrics> out;
  for (auto* c : live(impl_).replicas) out.push_back(c->metrics());
  return out;
}

const std::string& pool::name() const noexcept {
  static const std::string none;
  return impl_ ? impl_->name : none;
}

std::size_t pool::replica_count() const noexcept { return impl_ ? impl_->replicas.size() : 0; }

bool pool::replica_up(std::size_t i) const {
  auto& p = live(impl_);
  if (i >= p.replicas.size())
    throw_error(errc::invalid_argument, "pool '" + p.name + "' has " + std::to_string(p.replicas.size()) +
                                            " replicas; index " + std::to_string(i) + " is out of range");
  return p.replicas[i]->up();
}

void pool::close() {
  if (impl_) impl_->close();
}

pool_health pool::health() const {
  auto& p = live(impl_);
  pool_health h;
  h.primary = p.primary->metrics();
  const bool primary_up = p.primary->up();
  bool all_replicas = true;
  for (auto* c : p.replicas) {
    h.replicas.push_back(c->metrics());
    h.replica_up.push_back(c->up());
    all_replicas = all_replicas && c->up();
  }
  h.last_error = p.primary->last_error();
  if (h.last_error.empty())
    for (auto* c : p.replicas)
      if (std::string e = c->last_error(); !e.empty()) {
        h.last_error = c->config().name + ": " + e;
        break;
      }
  h.healthy = primary_up;
  h.status = !primary_up ? "unhealthy" : all_replicas ? "healthy" : "degraded";
  return h;
}

namespace {
nlohmann::json metrics_json(const pool_metrics& m) {
  return {
      {"name", m.name},
      {"role", m.role},
      {"total", m.total},
      {"idle", m.idle},
      {"in_use", m.in_use},
      {"waiting", m.waiting},
      {"opening", m.opening},
      {"min", m.min},
      {"max", m.max},
      {"created", m.created},
      {"closed", m.closed},
      {"acquires", m.acquires},
      {"timeouts", m.timeouts},
      {"health_check_failures", m.health_check_failures},
      {"connect_failures", m.connect_failures},
      {"resets", m.resets},
      {"leaks", m.leaks},
      {"acquire_wait_us",
       {{"p50", static_cast<double>(m.wait_p50.count()) / 1e3},
        {"p99", static_cast<double>(m.wait_p99.count()) / 1e3},
        {"max", static_cast<double>(m.wait_max.count()) / 1e3}}},
  };
}
}  // namespace

std::string pool_health::to_json() const {
  nlohmann::json j = {
      {"status", status},
      {"healthy", healthy},
      {"primary", metrics_json(primary)},
      {"last_error", last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_error)},
  };
  nlohmann::json reps = nlohmann::json::array();
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    nlohmann::json r = metrics_json(replicas[i]);
    r["up"] = i < replica_up.size() ? replica_up[i] : false;
    reps.push_back(std::move(r));
  }
  j["replicas"] = std::move(reps);
  return j.dump(2);
}

}  // namespace dbridge
