// SPDX-License-Identifier: Apache-2.0
// Connection pools for every driver: bounded, FIFO-fair, health-checked,
// with pool-strategy plugins choosing which idle connection to hand out, and
// optional read replicas.
//
//   dbridge::pool db("postgresql://app@db/shop", {.min = 2, .max = 16});
//   {
//     auto c = db.acquire();          // goes back when c leaves scope
//     c->execute("UPDATE ...");
//   }
//   auto n = dbridge::with_retry([&] { return db.read()->query_one("SELECT count(*) FROM t"); });
//
// Settings come from, highest first: the URL's query (pool_min, pool_max,
// pool_strategy, pool_acquire_timeout, pool_idle_timeout, pool_max_lifetime,
// pool_health_check_period, pool_validate_on_acquire, pool_transaction_timeout, pool_name,
// pool_read_strategy, pool_reset_on_release, pool_leak_detection_threshold;
// stripped before the driver sees the URL), the options
// struct, the environment (DATABASE_POOL_MIN, DATABASE_POOL_MAX,
// DATABASE_TIMEOUT; and DATABASE_URL / DATABASE_READ_URLS when no URL is
// given), then the defaults below. Durations in URLs and the environment are
// seconds, or carry a unit: 250ms, 1.5s, 2m, 500us.
#pragma once

#include "dbridge/export.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/connection.hpp"
#include "dbridge/pool_metrics.hpp"
#include "dbridge/retry.hpp"

namespace dbridge::inline v1 {

namespace detail {
class pool_core;
struct pooled;
struct pool_impl;
}  // namespace detail

/// How read() picks a replica.
enum class replica_choice : std::uint8_t { round_robin, least_busy };

/// What happens to a connection's session (settings, temporary tables,
/// session locks, the selected database...) when it goes back to the pool.
/// A reset that drops the server's prepared statements (MariaDB always;
/// PostgreSQL after a SQL-level PREPARE) also empties the connection's
/// statement cache; a dbridge::statement kept across the return then fails
/// with invalid_state and must be prepared again.
enum class session_reset : std::uint8_t {
  /// Reset it only when the borrower ran something that may have changed it
  /// (a SET, a temporary table, an advisory lock, Redis SELECT...; decided by
  /// the driver, or conservatively by the core for drivers built against
  /// ABI 1.0); a plain query costs nothing extra. A driver without a reset
  /// (ABI 1.0 plugins, SQLite) gets such a connection closed instead.
  automatic,
  /// Reset on every return; a driver without a reset gets every returned
  /// connection closed (each acquire then opens a new one).
  always,
  /// Never: the next borrower sees what the previous one left.
  never,
};

/// Unset fields fall back to the URL, then the environment, then the default.
struct pool_options {
  std::optional<std::uint32_t> min{};                         ///< default 0
  std::optional<std::uint32_t> max{};                         ///< default 10; 0 is an error
  std::optional<std::chrono::nanoseconds> acquire_timeout{};  ///< default 30 s
  std::optional<std::chrono::nanoseconds> idle_timeout{};     ///< default 10 min; 0 = never
  std::optional<std::chrono::nanoseconds> max_lifetime{};     ///< default 30 min; 0 = never
  /// Lifetimes are shortened by a random 0..jitter fraction so connections
  /// opened together do not all expire together. Default 0.1.
  std::optional<double> max_lifetime_jitter{};
  std::optional<std::chrono::nanoseconds> health_check_period{};  ///< default 30 s; 0 = never
  std::optional<bool> validate_on_acquire{};                      ///< ping before handing out; default off
  /// Default transaction_options::timeout of the pool's connections (begin()
  /// and raw BEGIN / MULTI); default none. See transaction_options::timeout.
  std::optional<std::chrono::nanoseconds> transaction_timeout{};
  std::optional<std::string> strategy{};                          ///< "lifo" (default), "fifo", or a plugin id
  std::optional<std::string> name{};                              ///< registry label; default "pool-N"
  std::string opened_by{};                                        ///< registry label of its connections
  /// Read replicas: read() hands out connections to these.
  std::vector<std::string> read_urls{};
  std::optional<replica_choice> read_strategy{};  ///< default round_robin
  /// URL: pool_reset_on_release=auto|always|never. Default automatic.
  std::optional<session_reset> reset_on_release{};
  /// A connection held longer than this is reported once (log at warn level
  /// and the registry entry's `leak`) with where and by which thread it was
  /// acquired. Checked by the pool's maintainer, so a report comes within a
  /// quarter of the threshold after it passed. Default 0 = off.
  std::optional<std::chrono::nanoseconds> leak_detection_threshold{};
  /// Reconnect backoff while the server is down (doubles, with jitter).
  std::chrono::nanoseconds reconnect_backoff_min = std::chrono::milliseconds(50);
  std::chrono::nanoseconds reconnect_backoff_max = std::chrono::seconds(5);
  connect_options connect{};  ///< statement cache size for the pool's connections
};

/// An acquired connection; goes back to its pool when destroyed (rolled back
/// first if a transaction is still open; closed instead if it is broken or
/// has subscribed to notifications, whose channels must not follow it).
class DBRIDGE_API pooled_connection {
 public:
  pooled_connection() = default;
  pooled_connection(pooled_connection&& o) noexcept : core_(o.core_), p_(o.p_) { o.core_ = nullptr, o.p_ = nullptr; }
  pooled_connection& operator=(pooled_connection&& o) noexcept;
  pooled_connection(const pooled_connection&) = delete;
  pooled_connection& operator=(const pooled_connection&) = delete;
  ~pooled_connection() { release(); }

  connection& operator*() const;
  connection* operator->() const { return &**this; }
  [[nodiscard]] connection& get() const { return **this; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

  /// Gives the connection back now.
  void release() noexcept;
  /// Closes the connection instead of giving it back (the pool opens another).
  void discard() noexcept;
  /// "primary" or "replica".
  [[nodiscard]] std::string_view role() const noexcept;

 private:
  friend class pool;
  pooled_connection(detail::pool_core* core, detail::pooled* p) noexcept : core_(core), p_(p) {}
  detail::pool_core* core_ = nullptr;
  detail::pooled* p_ = nullptr;
};

/// What pool::health() reports; to_json() renders it.
struct DBRIDGE_API pool_health {
  bool healthy = true;
  std::string status;      ///< "healthy" | "degraded" (a replica down) | "unhealthy"
  pool_metrics primary;
  std::vector<pool_metrics> replicas;
  std::vector<bool> replica_up;
  std::string last_error;  ///< redacted; empty when none
  std::string to_json() const;
};

/// A pool of connections to one primary and optional read replicas. Copies
/// share the pool; it closes when the last copy goes (connections still
/// acquired close when they come back). Thread-safe.
class DBRIDGE_API pool {
 public:
  /// url empty: DATABASE_URL (and DATABASE_READ_URLS) from the environment.
  explicit pool(std::string_view url = {}, const pool_options& opts = {});
  pool(const pool&) = default;
  pool& operator=(const pool&) = default;
  pool(pool&&) noexcept = default;
  pool& operator=(pool&&) noexcept = default;
  ~pool();

  /// A connection to the primary; waits up to acquire_timeout, then throws
  /// resource_error (subcategory pool_exhausted) saying how many connections
  /// are in use, how many callers wait, and the three oldest holders with
  /// where they acquired (`site`, the caller's line by default) and how long
  /// they have held it.
  [[nodiscard]] pooled_connection acquire(std::source_location site = std::source_location::current());
  [[nodiscard]] pooled_connection acquire(std::chrono::nanoseconds timeout,
                            std::source_location site = std::source_location::current());
  [[nodiscard]] pooled_connection write(std::source_location site = std::source_location::current()) { return acquire(site); }
  /// A connection to a replica (chosen by the read strategy); the primary
  /// when there are none or every replica is down.
  [[nodiscard]] pooled_connection read(std::source_location site = std::source_location::current());

  [[nodiscard]] pool_metrics metrics() const;
  [[nodiscard]] std::vector<pool_metrics> replica_metrics() const;
  [[nodiscard]] pool_health health() const;
  const std::string& name() const noexcept;
  [[nodiscard]] std::size_t replica_count() const noexcept;
  [[nodiscard]] bool replica_up(std::size_t i) const;
  /// Closes idle connections and refuses new acquires; acquired ones close on return.
  void close();

 private:
  std::shared_ptr<detail::pool_impl> impl_;
};

}  // namespace dbridge
