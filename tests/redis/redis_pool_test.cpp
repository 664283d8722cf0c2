// SPDX-License-Identifier: Apache-2.0
// Redis connections in the core's pool, against the real test server
// (DBRIDGE_TEST_REDIS_URL): reuse, what a returned connection may carry
// (MULTI, subscriptions, a killed socket), exhaustion, threads, the registry.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/notify.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/redis.hpp"
#include "dbridge/registry.hpp"
#include "dbridge/url.hpp"
#include "redis_test_support.hpp"

using namespace dbridge;
using namespace std::chrono_literals;
using dbridge::test::redis_url;

namespace {

class RedisPool : public dbridge::test::redis_keys_test {
 protected:
  static std::int64_t client_id(connection& c) { return c.command({"CLIENT", "ID"}).integer; }
};

}  // namespace

TEST_F(RedisPool, ReturnedConnectionIsReused) {
  pool p(url_, {.max = 1, .name = "redis-reuse"});
  std::int64_t first = 0;
  {
    auto c = p.acquire();
    first = client_id(*c);
    EXPECT_TRUE(redis(*c).set(key("k"), "v"));
  }
  auto c = p.acquire();
  EXPECT_EQ(client_id(*c), first) << "the pool opened a new connection instead of reusing the idle one";
  EXPECT_EQ(redis(*c).get(key("k")), "v");
  const pool_metrics m = p.metrics();
  EXPECT_EQ(m.created, 1u);
  EXPECT_EQ(m.acquires, 2u);
}

TEST_F(RedisPool, ConnectionReturnedInsideMultiIsDiscardedNotQueued) {
  pool p(url_, {.max = 1});
  std::int64_t first = 0;
  {
    auto c = p.acquire();
    first = client_id(*c);
    c->command({"MULTI"});
    EXPECT_EQ(c->command({"SET", key("queued"), "never"}).str, "QUEUED");
    EXPECT_TRUE(c->in_transaction());
  }  // given back with MULTI open: the pool must DISCARD, not hand it on
  auto c = p.acquire();
  EXPECT_EQ(client_id(*c), first);  // rolled back and kept, not closed
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(c->command({"SET", key("after"), "1"}).str, "OK") << "the next caller's command was queued in MULTI";
  EXPECT_FALSE(redis(*c).exists(key("queued")));
}

TEST_F(RedisPool, SubscribedConnectionIsClosedOnReturn) {
  pool p(url_, {.max = 1});
  std::int64_t subscriber = 0;
  const std::string channel = key("chan");
  {
    auto c = p.acquire();
    subscriber = client_id(*c);
    listen(*c, channel);
  }
  auto c = p.acquire();
  EXPECT_NE(client_id(*c), subscriber) << "a subscribed connection was handed to the next caller";
  EXPECT_EQ(c->command({"PING"}).str, "PONG");  // an ordinary connection, not in pub/sub mode
  // The server no longer counts a subscriber on that channel.
  auto check = connect(url_);
  const reply r = check.command({"PUBSUB", "NUMSUB", channel});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[1].integer, 0);
  EXPECT_EQ(p.metrics().closed, 1u);
}

TEST_F(RedisPool, KilledPooledConnectionIsReplaced) {
  pool p(url_, {.max = 1, .validate_on_acquire = true});
  std::int64_t victim = 0;
  {
    auto c = p.acquire();
    victim = client_id(*c);
  }
  auto admin = connect(url_);
  ASSERT_EQ(admin.command({"CLIENT", "KILL", "ID", std::to_string(victim)}).integer, 1);
  auto c = p.acquire();  // validation finds the dead socket and opens another
  EXPECT_NE(client_id(*c), victim);
  EXPECT_EQ(c->command({"PING"}).str, "PONG");
}

TEST_F(RedisPool, BrokenConnectionIsDiscardedOnReturn) {
  pool p(url_, {.max = 1});  // no validation: the caller meets the failure
  auto admin = connect(url_);
  std::int64_t victim = 0;
  {
    auto c = p.acquire();
    victim = client_id(*c);
    ASSERT_EQ(admin.command({"CLIENT", "KILL", "ID", std::to_string(victim)}).integer, 1);
    try {
      c->command({"PING"});
      FAIL() << "a killed pooled connection did not fail";
    } catch (const connection_error& e) {
      EXPECT_TRUE(e.retryable());
      EXPECT_TRUE(e.connection_broken());
    }
  }
  auto c = p.acquire();
  EXPECT_NE(client_id(*c), victim);
  EXPECT_EQ(c->command({"PING"}).str, "PONG");
  EXPECT_EQ(p.metrics().closed, 1u);
}

TEST_F(RedisPool, ExhaustedPoolSaysWhy) {
  pool p(url_, {.max = 1, .name = "redis-tiny"});
  auto held = p.acquire();
  try {
    (void)p.acquire(30ms);
    FAIL() << "acquire on an exhausted pool did not time out";
  } catch (const resource_error& e) {
    EXPECT_EQ(e.info().subcategory, suberrc::pool_exhausted);
    const std::string what = e.what();
    EXPECT_NE(what.find("1 of max 1 connections in use"), std::string::npos) << what;
    EXPECT_NE(what.find("redis-tiny"), std::string::npos) << what;
  }
  EXPECT_EQ(p.metrics().timeouts, 1u);
}

TEST_F(RedisPool, ThreadsShareAPoolWithoutLosingUpdates) {
  pool p(url_, {.max = 4});
  constexpr int threads = 8;
  constexpr int per_thread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        try {
          auto c = p.acquire(10s);
          redis(*c).incr(key("counter"));
        } catch (...) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto c = p.acquire();
  EXPECT_EQ(redis(*c).get(key("counter")), std::to_string(threads * per_thread));
  EXPECT_LE(p.metrics().created, 4u);
}

TEST_F(RedisPool, RegistryListsPooledConnectionsWithoutThePassword) {
  const std::string password = std::string(*parse_url(url_).password);
  ASSERT_FALSE(password.empty()) << "the test server is expected to require a password";
  pool p(url_, {.max = 2, .name = "redis-listed"});
  auto a = p.acquire();
  auto b = p.acquire();
  const auto mine = registry::global().list([](const connection_entry& e) { return e.pool == "redis-listed"; });
  ASSERT_EQ(mine.size(), 2u);
  for (const auto& e : mine) {
    EXPECT_EQ(e.scheme, "redis");
    EXPECT_EQ(e.state, connection_state::in_use);
    EXPECT_EQ(e.redacted_url.find(password), std::string::npos) << e.redacted_url;
    ASSERT_TRUE(e.pool_stats.has_value());
    EXPECT_EQ(e.pool_stats->in_use, 2u);
  }
}
