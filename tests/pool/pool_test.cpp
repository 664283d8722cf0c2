// SPDX-License-Identifier: Apache-2.0
// Pools on SQLite: settings and their errors, RAII, limits, FIFO fairness,
// the exhausted error, eviction, strategies, rollback on return, metrics,
// health JSON and the registry view. No server needed.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dbridge/pool.hpp"
#include "dbridge/registry.hpp"
#include "pool_test_util.hpp"
#include "temp_files.hpp"

using namespace dbridge;
using namespace std::chrono_literals;
using pool_test::eventually;

namespace {

using temp_db = dbridge::test::temp_sqlite_db;

template <class F>
error_info expect_error(F&& f) {
  try {
    f();
  } catch (const error& e) {
    return e.info();
  }
  ADD_FAILURE() << "no dbridge::error thrown";
  return {};
}

struct env_guard {
  std::string name;
  env_guard(const char* n, const char* v) : name(n) { ::setenv(n, v, 1); }
  ~env_guard() { ::unsetenv(name.c_str()); }
};

}  // namespace

// ------------------------------------------------------------ settings

TEST(settings, invalid_combinations_are_clear_errors) {
  temp_db db;
  auto e = expect_error([&] { pool p(db.url(), {.min = 5, .max = 2}); });
  EXPECT_EQ(e.category, errc::invalid_argument);
  EXPECT_NE(e.message.find("min"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("max"), std::string::npos) << e.message;

  e = expect_error([&] { pool p(db.url(), {.max = 0}); });
  EXPECT_EQ(e.category, errc::invalid_argument);

  e = expect_error([&] { pool p(db.url(), {.acquire_timeout = -1s}); });
  EXPECT_EQ(e.category, errc::invalid_argument);
  EXPECT_NE(e.message.find("acquire_timeout"), std::string::npos) << e.message;

  e = expect_error([&] { pool p(db.url("pool_maxx=3")); });
  EXPECT_EQ(e.category, errc::invalid_argument);
  EXPECT_NE(e.message.find("pool_maxx"), std::string::npos) << e.message;

  e = expect_error([&] { pool p(db.url("pool_acquire_timeout=-5")); });
  EXPECT_EQ(e.category, errc::invalid_argument);
  e = expect_error([&] { pool p(db.url("pool_idle_timeout=5parsecs")); });
  EXPECT_EQ(e.category, errc::invalid_argument);
  e = expect_error([&] { pool p(db.url("pool_min=lots")); });
  EXPECT_EQ(e.category, errc::invalid_argument);

  e = expect_error([&] { pool p(db.url(), {.strategy = "random-walk"}); });
  EXPECT_EQ(e.category, errc::not_found);
  EXPECT_NE(e.message.find("random-walk"), std::string::npos) << e.message;

  e = expect_error([&] { pool p("nosuchdb://x/y"); });
  EXPECT_EQ(e.category, errc::not_found);
}

TEST(settings, url_parameters_win_and_are_stripped_before_the_driver) {
  temp_db db;
  pool p(db.url("pool_max=3&pool_min=1&pool_name=urlpool&pool_strategy=fifo&pool_acquire_timeout=250ms"),
         {.max = 7});
  const auto m = p.metrics();
  EXPECT_EQ(m.max, 3u);
  EXPECT_EQ(m.min, 1u);
  EXPECT_EQ(p.name(), "urlpool");
  auto c = p.acquire();
  for (const char* param : {"pool_max", "pool_min", "pool_name", "pool_strategy", "pool_acquire"})
    EXPECT_EQ(c->redacted_url().find(param), std::string::npos) << c->redacted_url();
}

TEST(settings, environment_fills_what_url_and_options_leave_open) {
  temp_db db;
  env_guard max("DATABASE_POOL_MAX", "6");
  env_guard min("DATABASE_POOL_MIN", "2");
  env_guard timeout("DATABASE_TIMEOUT", "1.5");
  {
    pool p(db.url(), {.min = 1});
    EXPECT_EQ(p.metrics().max, 6u);   // environment
    EXPECT_EQ(p.metrics().min, 1u);   // options beat the environment
  }
  {
    env_guard url("DATABASE_URL", db.url("pool_max=4").c_str());
    pool p;  // everything from the environment
    EXPECT_EQ(p.metrics().max, 4u);
    EXPECT_EQ(p.metrics().min, 2u);
    auto c = p.acquire();
    EXPECT_EQ(c->query_one("SELECT 41 + 1").get<std::int64_t>(0), 42);
  }
  env_guard bad("DATABASE_POOL_MAXIMUM", "3");
  auto e = expect_error([&] { pool p(db.url()); });
  EXPECT_EQ(e.category, errc::invalid_argument);
  EXPECT_NE(e.message.find("DATABASE_POOL_MAXIMUM"), std::string::npos) << e.message;
}

TEST(settings, no_url_and_no_environment_is_an_error) {
  ::unsetenv("DATABASE_URL");
  auto e = expect_error([&] { pool p; });
  EXPECT_EQ(e.category, errc::invalid_argument);
  EXPECT_NE(e.message.find("DATABASE_URL"), std::string::npos);
}

// ------------------------------------------------------------ basics

TEST(basics, handle_returns_on_scope_exit_and_metrics_follow) {
  temp_db db;
  pool p(db.url(), {.max = 2, .name = "basics"});
  {
    auto c = p.acquire();
    EXPECT_EQ(p.metrics().in_use, 1u);
    EXPECT_EQ(p.metrics().idle, 0u);
    c->execute("CREATE TABLE t(x INTEGER)");
    EXPECT_EQ(c.role(), "primary");
  }
  auto m = p.metrics();
  EXPECT_EQ(m.in_use, 0u);
  EXPECT_EQ(m.idle, 1u);
  EXPECT_EQ(m.total, 1u);
  EXPECT_EQ(m.created, 1u);
  EXPECT_EQ(m.acquires, 1u);
  pooled_connection moved;
  {
    auto c = p.acquire();
    moved = std::move(c);
    EXPECT_FALSE(c);
  }
  EXPECT_EQ(p.metrics().in_use, 1u);
  moved.release();
  EXPECT_EQ(p.metrics().in_use, 0u);
  EXPECT_THROW(*moved, invalid_state_error);
}

TEST(basics, open_transaction_is_rolled_back_before_reuse) {
  temp_db db;
  pool p(db.url(), {.max = 1});
  p.acquire()->execute("CREATE TABLE t(x INTEGER)");
  {
    auto c = p.acquire();
    c->execute("BEGIN");
    c->execute("INSERT INTO t VALUES (1)");
  }
  auto c = p.acquire();
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(c->query_one("SELECT count(*) FROM t").get<std::int64_t>(0), 0);
}

// The release asks the driver about a transaction only when a call ran since
// the last return; a BEGIN the core does not recognise as one (behind a
// comment) must still be rolled back, and a lease with no call in it must
// leave the connection as clean as it found it.
TEST(basics, a_transaction_the_core_did_not_see_open_is_rolled_back_too) {
  temp_db db;
  pool p(db.url(), {.max = 1});
  p.acquire()->execute("CREATE TABLE t(x INTEGER)");
  for (int round = 0; round < 2; ++round) {
    {
      auto c = p.acquire();
      c->execute("/* hidden */ BEGIN");
      c->execute("INSERT INTO t VALUES (1)");
    }
    { auto idle_lease = p.acquire(); }
    auto c = p.acquire();
    EXPECT_FALSE(c->in_transaction());
    EXPECT_EQ(c->query_one("SELECT count(*) FROM t").get<std::int64_t>(0), 0);
  }
}

TEST(basics, results_left_open_end_when_the_connection_goes_back) {
  temp_db db;
  pool p(db.url(), {.max = 1});
  result r;
  {
    auto c = p.acquire();
    r = c->query("SELECT 1 UNION ALL SELECT 2");
  }
  EXPECT_ANY_THROW({
    while (r.next() != nullptr) {
    }
  });
  auto c = p.acquire();
  EXPECT_EQ(c->query_one("SELECT 7").get<std::int64_t>(0), 7);
}

TEST(basics, discard_closes_instead_of_returning) {
  temp_db db;
  pool p(db.url(), {.max = 2});
  std::uint64_t first;
  {
    auto c = p.acquire();
    first = c->id();
    c.discard();
  }
  auto m = p.metrics();
  EXPECT_EQ(m.total, 0u);
  EXPECT_EQ(m.closed, 1u);
  auto c = p.acquire();
  EXPECT_NE(c->id(), first);
}

// ------------------------------------------------------------ limits and waiting

TEST(limits, many_threads_never_share_a_connection) {
  temp_db db;
  pool p(db.url(), {.max = 8, .acquire_timeout = 60s});
  constexpr int threads = 64, rounds = 200;
  std::mutex mu;
  std::set<std::uint64_t> held;
  std::atomic<int> violations{0}, done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        auto c = p.acquire();
        {
          std::lock_guard lock(mu);
          if (!held.insert(c->id()).second) ++violations;
        }
        if (c->query_one("SELECT 1").get<std::int64_t>(0) != 1) ++violations;
        std::lock_guard lock(mu);
        held.erase(c->id());
      }
      ++done;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(done.load(), threads);
  const auto m = p.metrics();
  EXPECT_LE(m.total, 8u);
  EXPECT_EQ(m.in_use, 0u);
  EXPECT_EQ(m.waiting, 0u);
  EXPECT_EQ(m.acquires, static_cast<std::uint64_t>(threads) * rounds);
  EXPECT_GT(m.wait_max.count(), 0);
}

TEST(limits, eight_threads_on_a_pool_of_two_never_hold_more_than_two) {
  // Many short acquire + release rounds through a pool much smaller than the
  // thread count: the lock, the waiter hand-off and the counters under churn.
  temp_db db;
  constexpr std::uint32_t max = 2;
  pool p(db.url(), {.max = max, .acquire_timeout = 10s});
  constexpr int threads = 8, rounds = 1500;
  std::atomic<int> out{0}, peak{0}, over{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        auto c = p.acquire();
        const int now = ++out;
        if (now > static_cast<int>(max)) ++over;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        --out;  // before the handle goes back, so a successor never counts it
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(over.load(), 0);
  EXPECT_LE(peak.load(), static_cast<int>(max));
  EXPECT_GE(peak.load(), 1);
  const auto m = p.metrics();
  EXPECT_EQ(m.acquires, static_cast<std::uint64_t>(threads) * rounds);
  EXPECT_EQ(m.timeouts, 0u);
  EXPECT_EQ(m.in_use, 0u);
  EXPECT_EQ(m.waiting, 0u);
  EXPECT_EQ(m.opening, 0u);
  EXPECT_LE(m.total, max);
  EXPECT_EQ(m.idle, m.total);
  EXPECT_EQ(m.created - m.closed, m.total);
}

TEST(limits, waiters_are_served_first_come_first_served) {
  temp_db db;
  pool p(db.url(), {.max = 1, .acquire_timeout = 30s});
  auto holder = p.acquire();
  constexpr int n = 8;
  std::mutex mu;
  std::vector<int> served;
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i) {
    ts.emplace_back([&, i] {
      auto c = p.acquire();
      std::lock_guard lock(mu);
      served.push_back(i);
    });
    // The next caller arrives only once this one is queued.
    ASSERT_TRUE(eventually([&] { return p.metrics().waiting == static_cast<std::uint32_t>(i + 1); }));
  }
  holder.release();
  for (auto& t : ts) t.join();
  std::vector<int> expected;
  for (int i = 0; i < n; ++i) expected.push_back(i);
  EXPECT_EQ(served, expected);
}

TEST(limits, timeout_says_how_many_are_in_use_and_waiting) {
  temp_db db;
  pool p(db.url(), {.max = 2, .name = "tiny"});
  auto a = p.acquire();
  auto b = p.acquire();
  std::thread other([&] {
    try {
      auto c = p.acquire(5s);
    } catch (const error&) {
    }
  });
  ASSERT_TRUE(eventually([&] { return p.metrics().waiting == 1; }));
  auto e = expect_error([&] { (void)p.acquire(30ms); });
  EXPECT_EQ(e.category, errc::resource);
  EXPECT_EQ(e.subcategory, suberrc::pool_exhausted);
  EXPECT_NE(e.message.find("2 of max 2 connections in use"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("1 other callers waiting"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("tiny"), std::string::npos) << e.message;
  EXPECT_EQ(p.metrics().timeouts, 1u);
  a.release();
  other.join();
}

// ------------------------------------------------------------ maintainer

TEST(maintainer, keeps_min_and_evicts_idle_down_to_it) {
  temp_db db;
  pool p(db.url(), {.min = 2, .max = 5, .idle_timeout = 300ms});
  ASSERT_TRUE(eventually([&] { return p.metrics().total == 2; }));
  {
    std::vector<pooled_connection> cs;
    for (int i = 0; i < 5; ++i) cs.push_back(p.acquire());
    EXPECT_EQ(p.metrics().total, 5u);
  }
  EXPECT_EQ(p.metrics().idle, 5u);
  ASSERT_TRUE(eventually([&] { return p.metrics().total == 2; }));
  EXPECT_GE(p.metrics().closed, 3u);
  EXPECT_EQ(p.metrics().idle, 2u);
}

TEST(maintainer, replaces_connections_past_their_lifetime) {
  temp_db db;
  pool p(db.url(), {.min = 2, .max = 2, .max_lifetime = 100ms, .max_lifetime_jitter = 0.0});
  ASSERT_TRUE(eventually([&] { return p.metrics().total == 2; }));
  std::set<std::uint64_t> first;
  {
    auto a = p.acquire();
    auto b = p.acquire();
    first = {a->id(), b->id()};
  }
  ASSERT_TRUE(eventually([&] { return p.metrics().created >= 4 && p.metrics().total == 2; }));
  auto a = p.acquire();
  EXPECT_EQ(first.count(a->id()), 0u);
}

TEST(maintainer, connection_held_past_its_lifetime_closes_on_return) {
  temp_db db;
  pool p(db.url(), {.max = 1, .max_lifetime = 100ms, .max_lifetime_jitter = 0.0});
  const auto t0 = std::chrono::steady_clock::now();
  auto a = p.acquire();
  const auto id = a->id();
  // The condition is the passing of the lifetime itself.
  ASSERT_TRUE(eventually([&] { return std::chrono::steady_clock::now() - t0 >= 150ms; }));
  a.release();
  EXPECT_EQ(p.metrics().closed, 1u);
  EXPECT_EQ(p.metrics().total, 0u);
  EXPECT_NE(p.acquire()->id(), id);
}

// ------------------------------------------------------------ strategies

TEST(strategies, lifo_reuses_the_hottest_fifo_rotates) {
  temp_db db;
  for (const char* strat : {"lifo", "fifo"}) {
    pool p(db.url(), {.max = 4, .strategy = strat});
    {
      std::vector<pooled_connection> cs;
      for (int i = 0; i < 4; ++i) cs.push_back(p.acquire());
    }
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 12; ++i) ids.push_back(p.acquire()->id());
    const std::set<std::uint64_t> distinct(ids.begin(), ids.end());
    if (std::string(strat) == "lifo") {
      EXPECT_EQ(distinct.size(), 1u) << strat;
    } else {
      EXPECT_EQ(distinct.size(), 4u) << strat;
      for (int i = 4; i < 12; ++i) EXPECT_EQ(ids[i], ids[i - 4]) << "fifo rotates in a fixed cycle";
    }
  }
}

TEST(strategies, under_light_load_lifo_shrinks_and_fifo_keeps_all_warm) {
  temp_db db;
  auto run = [&](const char* strat, std::chrono::milliseconds span) {
    pool p(db.url(), {.max = 4, .idle_timeout = 300ms, .strategy = strat});
    {
      std::vector<pooled_connection> cs;
      for (int i = 0; i < 4; ++i) cs.push_back(p.acquire());
    }
    bool shrank = eventually(
        [&] {
          (void)p.acquire()->query_one("SELECT 1");
          return p.metrics().total == 1;
        },
        span);
    return std::make_pair(shrank, p.metrics().total);
  };
  auto [lifo_shrank, lifo_total] = run("lifo", 5000ms);
  EXPECT_TRUE(lifo_shrank);
  EXPECT_EQ(lifo_total, 1u);
  auto [fifo_shrank, fifo_total] = run("fifo", 900ms);
  EXPECT_FALSE(fifo_shrank);
  EXPECT_EQ(fifo_total, 4u);
}

// ------------------------------------------------------------ retry

TEST(retry, non_retryable_errors_pass_through_at_once) {
  temp_db db;
  pool p(db.url(), {.max = 1});
  int attempts = 0;
  EXPECT_THROW(with_retry([&] {
                 ++attempts;
                 p.acquire()->execute("SELEC nonsense");
               }),
               syntax_error);
  EXPECT_EQ(attempts, 1);
}

TEST(retry, retryable_errors_run_again_with_backoff) {
  int attempts = 0;
  std::vector<std::chrono::nanoseconds> delays;
  retry_policy pol;
  pol.max_attempts = 4;
  pol.initial_backoff = 1ms;
  pol.jitter = 0;
  pol.on_retry = [&](const error&, std::uint32_t, std::chrono::nanoseconds d) { delays.push_back(d); };
  const int v = with_retry(
      [&] {
        if (++attempts < 3) {
          error_info i;
          i.category = errc::txn_conflict;
          i.retry = retry_class::same_connection;
          i.message = "simulated conflict";
          throw_error(i);
        }
        return 42;
      },
      pol);
  EXPECT_EQ(v, 42);
  EXPECT_EQ(attempts, 3);
  ASSERT_EQ(delays.size(), 2u);
  EXPECT_EQ(delays[1], 2 * delays[0]);
  // Exhausting the attempts rethrows the last error.
  attempts = -100;
  pol.max_attempts = 2;
  error_info conflict;
  conflict.category = errc::txn_conflict;
  conflict.retry = retry_class::new_connection;
  conflict.message = "simulated conflict";
  EXPECT_THROW(with_retry(
                   [&] {
                     ++attempts;
                     throw_error(conflict);
                   },
                   pol),
               transaction_conflict);
  EXPECT_EQ(attempts, -98);
}

// ------------------------------------------------------------ registry and health

TEST(registry, lists_pooled_connections_with_pool_and_live_stats) {
  temp_db db;
  pool p(db.url(), {.max = 3, .name = "reg-pool", .opened_by = "billing"});
  auto c = p.acquire();
  auto entries = registry::global().opened_by("billing");
  ASSERT_EQ(entries.size(), 1u);
  const auto& e = entries[0];
  EXPECT_EQ(e.id, c->id());
  EXPECT_EQ(e.pool, "reg-pool");
  EXPECT_EQ(e.driver, "sqlite");
  EXPECT_FALSE(e.driver_version.empty());
  EXPECT_EQ(e.state, connection_state::in_use);
  ASSERT_TRUE(e.pool_stats.has_value());
  EXPECT_EQ(e.pool_stats->in_use, 1u);
  EXPECT_EQ(e.pool_stats->max, 3u);
  {
    auto tx = c->begin();
    EXPECT_EQ(registry::global().opened_by("billing")[0].state, connection_state::in_transaction);
    tx.commit();
  }
  const auto id = c->id();
  c.release();
  entries = registry::global().opened_by("billing");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, connection_state::idle);
  auto j = nlohmann::json::parse(registry::global().to_json());
  bool found = false;
  for (const auto& x : j)
    if (x["id"] == id) {
      found = true;
      EXPECT_EQ(x["pool"], "reg-pool");
      EXPECT_EQ(x["pool_stats"]["max"], 3);
    }
  EXPECT_TRUE(found);
  p.close();
  EXPECT_TRUE(registry::global().opened_by("billing").empty());
}

TEST(health, reports_status_counts_and_renders_json) {
  temp_db db;
  pool p(db.url(), {.min = 1, .max = 4});
  ASSERT_TRUE(eventually([&] { return p.metrics().total == 1; }));
  auto c = p.acquire();
  const auto h = p.health();
  EXPECT_TRUE(h.healthy);
  EXPECT_EQ(h.status, "healthy");
  auto j = nlohmann::json::parse(h.to_json());
  EXPECT_EQ(j["status"], "healthy");
  EXPECT_EQ(j["primary"]["in_use"], 1);
  EXPECT_EQ(j["primary"]["max"], 4);
  EXPECT_TRUE(j["last_error"].is_null());
  EXPECT_TRUE(j["primary"]["acquire_wait_us"].contains("p99"));
}

TEST(lifetime, handles_outlive_a_closed_pool_safely) {
  temp_db db;
  pooled_connection kept;
  {
    pool p(db.url(), {.max = 2, .opened_by = "outliver"});
    kept = p.acquire();
    pool copy = p;  // copies share the pool
    EXPECT_EQ(copy.metrics().in_use, 1u);
  }
  EXPECT_EQ(kept->query_one("SELECT 5").get<std::int64_t>(0), 5);
  kept.release();
  EXPECT_TRUE(registry::global().opened_by("outliver").empty());
}

TEST(lifetime, close_fails_waiters_and_later_acquires) {
  temp_db db;
  pool p(db.url(), {.max = 1});
  auto held = p.acquire();
  std::atomic<int> outcome{0};
  std::thread waiter([&] {
    try {
      (void)p.acquire(30s);
      outcome = 1;
    } catch (const invalid_state_error&) {
      outcome = 2;
    }
  });
  ASSERT_TRUE(eventually([&] { return p.metrics().waiting == 1; }));
  p.close();
  waiter.join();
  EXPECT_EQ(outcome.load(), 2);
  EXPECT_THROW(p.acquire(), invalid_state_error);
  EXPECT_EQ(held->query_one("SELECT 1").get<std::int64_t>(0), 1);  // still usable until returned
  held.release();
  EXPECT_EQ(p.metrics().total, 0u);
}
