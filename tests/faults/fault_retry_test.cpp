// SPDX-License-Identifier: Apache-2.0
// with_retry against real servers behind a proxy that cuts connections
// (tests/support/fault_proxy.py): a write whose reply was lost is never run
// twice, reads and work inside an open transaction are re-run, and a
// connection that died while idle is retried before anything is sent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/retry.hpp"
#include "fault_proxy.hpp"
#include "test_server.hpp"

using namespace dbridge;
using dbridge::test::fault_proxy;
using dbridge::test::fault_proxy_options;

namespace {

const std::string unknown_text = "may or may not have been applied";

/// A policy that counts its retries and does not wait long.
struct counting_policy {
  int retries = 0;
  retry_class last = retry_class::none;
  retry_policy get(bool idempotent = false) {
    retry_policy p;
    p.max_attempts = 4;
    p.initial_backoff = std::chrono::milliseconds(1);
    p.max_backoff = std::chrono::milliseconds(5);
    p.idempotent = idempotent;
    p.on_retry = [this](const error& e, std::uint32_t, std::chrono::nanoseconds) {
      ++retries;
      last = e.info().retry;
    };
    return p;
  }
};

std::string unique(const std::string& what) { return "dbr-" + what + "-" + std::to_string(::getpid()); }

// ------------------------------------------------------------ SQL servers

/// What differs between the SQL servers in these tests.
struct sql_server {
  const char* env;
  const char* select_text;  ///< one text parameter, returned
};

const sql_server postgres{"DBRIDGE_TEST_POSTGRES_URL", "SELECT $1::text"};
const sql_server mariadb{"DBRIDGE_TEST_MYSQL_URL", "SELECT CAST($1 AS CHAR)"};

/// A table (id bigint, tag text) without a key, so a write applied twice
/// shows as two rows; dropped by the guard.
struct sql_table {
  connection db;
  std::string name;
  sql_table(const std::string& url, const std::string& base)
      : db(connect(url)), name("dbr_fault_" + base + "_" + std::to_string(::getpid())) {
    db.execute("DROP TABLE IF EXISTS " + name);
    db.execute("CREATE TABLE " + name + " (id BIGINT NOT NULL, tag VARCHAR(200) NOT NULL)");
  }
  ~sql_table() {
    try {
      db.execute("DROP TABLE IF EXISTS " + name);
    } catch (...) {
    }
  }
  std::int64_t count(const std::string& tag) {
    return db.query_one("SELECT count(*) FROM " + name + " WHERE tag = $1", {tag}).get<std::int64_t>(0);
  }
  std::string insert() const { return "INSERT INTO " + name + " (id, tag) VALUES ($1, $2)"; }
};

fault_proxy_options cut(const std::string& url, const std::string& mode, const std::string& marker) {
  fault_proxy_options o;
  o.target = dbridge::test::host_port(url);
  o.mode = mode;
  o.marker = marker;
  return o;
}

void autocommit_insert_cut_after_request(const sql_server& s) {
  const std::string url = dbridge::test::env_or_empty(s.env);
  sql_table t(url, "ins");
  const std::string marker = unique("ins");
  fault_proxy proxy(cut(url, "after_request", marker));
  const std::string via = dbridge::test::via_port(url, proxy.port());
  counting_policy counter;
  try {
    with_retry([&] { connect(via).execute(t.insert(), {std::int64_t{1}, marker}); }, counter.get());
    FAIL() << "the cut INSERT succeeded";
  } catch (const error& e) {
    EXPECT_TRUE(e.outcome_unknown()) << e.what();
    EXPECT_FALSE(e.retryable()) << e.what();
    EXPECT_NE(std::string(e.what()).find(unknown_text), std::string::npos) << e.what();
  }
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(counter.retries, 0) << "with_retry re-ran a write whose outcome was unknown";
  EXPECT_EQ(t.count(marker), 1) << "the server ran the INSERT once";
}

void request_dropped_before_the_server(const sql_server& s) {
  const std::string url = dbridge::test::env_or_empty(s.env);
  sql_table t(url, "drop");
  const std::string marker = unique("drop");
  fault_proxy proxy(cut(url, "before", marker));
  const std::string via = dbridge::test::via_port(url, proxy.port());
  counting_policy counter;
  // The client wrote its request and then lost the connection: from where
  // it stands the server may have run it, so it must not run it again.
  EXPECT_THROW(with_retry([&] { connect(via).execute(t.insert(), {std::int64_t{1}, marker}); }, counter.get()),
               error);
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(counter.retries, 0);
  EXPECT_EQ(t.count(marker), 0) << "the proxy dropped the request";
}

void idle_connection_lost_before_sending(const sql_server& s) {
  const std::string url = dbridge::test::env_or_empty(s.env);
  sql_table t(url, "idle");
  const std::string marker = unique("idle");
  fault_proxy proxy(cut(url, "after_reply", marker));
  pool_options po;
  po.max = 1;
  dbridge::pool db(dbridge::test::via_port(url, proxy.port()), po);
  // The reply arrives, then the server side goes away while the connection
  // sits in the pool (as in a server restart).
  EXPECT_EQ(db.acquire()->query_one(s.select_text, {marker}).get<std::string>(0), marker);
  ASSERT_TRUE(proxy.wait_cuts(1));
  counting_policy counter;
  with_retry([&] { db.acquire()->execute(t.insert(), {std::int64_t{1}, "after-idle-" + marker}); }, counter.get());
  EXPECT_EQ(counter.retries, 1) << "found dead before sending, the INSERT is retried on a new connection";
  EXPECT_EQ(counter.last, retry_class::new_connection);
  EXPECT_EQ(t.count("after-idle-" + marker), 1);
}

void read_cut_after_request(const sql_server& s, bool idempotent) {
  const std::string url = dbridge::test::env_or_empty(s.env);
  const std::string marker = unique(idempotent ? "read-idem" : "read");
  fault_proxy proxy(cut(url, "after_request", marker));
  const std::string via = dbridge::test::via_port(url, proxy.port());
  counting_policy counter;
  const std::string got =
      with_retry([&] { return connect(via).query_one(s.select_text, {marker}).get<std::string>(0); },
                 counter.get(idempotent));
  EXPECT_EQ(got, marker);
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(counter.retries, 1);
  EXPECT_EQ(counter.last, retry_class::new_connection) << "a read is safe to run again";
}

void idempotent_write_cut_after_request(const sql_server& s) {
  // The caller vouches that running it twice is harmless (here: a delete).
  const std::string url = dbridge::test::env_or_empty(s.env);
  sql_table t(url, "idem");
  const std::string marker = unique("idem");
  t.db.execute(t.insert(), {std::int64_t{1}, marker});
  fault_proxy proxy(cut(url, "after_request", marker));
  const std::string via = dbridge::test::via_port(url, proxy.port());
  counting_policy counter;
  with_retry([&] { connect(via).execute("DELETE FROM " + t.name + " WHERE tag = $1", {marker}); },
             counter.get(true));
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(counter.retries, 1);
  EXPECT_EQ(counter.last, retry_class::unknown_outcome);
  EXPECT_EQ(t.count(marker), 0);
}

void transaction_cut_midway(const sql_server& s) {
  const std::string url = dbridge::test::env_or_empty(s.env);
  sql_table t(url, "tx");
  const std::string marker = unique("tx");
  const std::string first = unique("txfirst");  // does not hold the marker
  fault_proxy proxy(cut(url, "after_request", marker));
  const std::string via = dbridge::test::via_port(url, proxy.port());
  counting_policy counter;
  int runs = 0;
  with_retry(
      [&] {
        ++runs;
        connection c = connect(via);
        transaction tx = c.begin();
        c.execute(t.insert(), {std::int64_t{1}, first});
        c.execute(t.insert(), {std::int64_t{2}, marker});  // cut here the first time
        tx.commit();
      },
      counter.get());
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(runs, 2) << "the whole transaction ran again";
  EXPECT_EQ(counter.last, retry_class::new_connection) << "the server rolled the open transaction back";
  EXPECT_EQ(t.count(first), 1);
  EXPECT_EQ(t.count(marker), 1);
}

/// 200 autocommit INSERTs through a proxy cutting every 10th after the
/// server received it, each in with_retry: counts writes applied twice.
void insert_loop(const sql_server& s, const char* label) {
  const std::string url = dbridge::test::env_or_empty(s.env);
  sql_table t(url, "loop");
  const std::string marker = unique("loop");
  fault_proxy_options o = cut(url, "after_request", marker);
  o.every = 10;
  o.cuts = 0;
  fault_proxy proxy(o);
  pool_options po;
  po.max = 1;
  dbridge::pool db(dbridge::test::via_port(url, proxy.port()), po);
  constexpr int n = 200;
  int acknowledged = 0, unknown = 0;
  std::vector<bool> acked(n, false);
  for (int i = 0; i < n; ++i) {
    try {
      retry_policy p;
      p.max_attempts = 3;
      p.initial_backoff = std::chrono::milliseconds(0);
      with_retry([&] { db.acquire()->execute(t.insert(), {std::int64_t{i}, marker + "-" + std::to_string(i)}); }, p);
      acked[static_cast<std::size_t>(i)] = true;
      ++acknowledged;
    } catch (const error& e) {
      ASSERT_TRUE(e.outcome_unknown()) << e.what();
      ++unknown;
    }
  }
  EXPECT_TRUE(proxy.wait_cuts(n / 10));
  const std::int64_t twice =
      t.db.query_one("SELECT count(*) FROM (SELECT id FROM " + t.name + " GROUP BY id HAVING count(*) > 1) d")
          .get<std::int64_t>(0);
  std::int64_t lost = 0;
  for (int i = 0; i < n; ++i)
    if (acked[static_cast<std::size_t>(i)] && t.count(marker + "-" + std::to_string(i)) != 1) ++lost;
  std::cout << label << ": " << n << " inserts, " << proxy.cuts_seen() << " cut after the request: " << acknowledged
            << " acknowledged, " << unknown << " unknown outcome, " << twice << " applied twice, " << lost
            << " acknowledged but not stored once\n";
  EXPECT_EQ(twice, 0);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(unknown, n / 10);
}

#define SQL_FAULT_TESTS(suite, server)                                                                       \
  TEST(suite, AutocommitInsertCutAfterRequestIsUnknownAndAppliedOnce) {                                      \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    autocommit_insert_cut_after_request(server);                                                             \
  }                                                                                                          \
  TEST(suite, RequestDroppedBeforeTheServerIsNotAppliedNorRetried) {                                         \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    request_dropped_before_the_server(server);                                                               \
  }                                                                                                          \
  TEST(suite, ConnectionLostWhileIdleIsRetriedBeforeSendingAndAppliedOnce) {                                 \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    idle_connection_lost_before_sending(server);                                                             \
  }                                                                                                          \
  TEST(suite, SelectCutAfterRequestIsRetried) {                                                              \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    read_cut_after_request(server, false);                                                                   \
  }                                                                                                          \
  TEST(suite, IdempotentReadCutAfterRequestIsRetried) {                                                      \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    read_cut_after_request(server, true);                                                                    \
  }                                                                                                          \
  TEST(suite, IdempotentMarkedWriteCutAfterRequestIsRetried) {                                               \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    idempotent_write_cut_after_request(server);                                                              \
  }                                                                                                          \
  TEST(suite, TransactionCutMidwayIsRerunWholeAndAppliedOnce) {                                              \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    transaction_cut_midway(server);                                                                          \
  }                                                                                                          \
  TEST(suite, InsertLoopCutEveryTenthAppliesNothingTwice) {                                                  \
    DBRIDGE_REQUIRE_SERVER_ENV(server.env);                                                                  \
    insert_loop(server, #suite);                                                                             \
  }

SQL_FAULT_TESTS(PostgresFaults, postgres)
SQL_FAULT_TESTS(MariadbFaults, mariadb)

// ------------------------------------------------------------ Redis

const char* const redis_env = "DBRIDGE_TEST_REDIS_URL";

struct redis_keys {
  connection db;
  std::string prefix;
  explicit redis_keys(const std::string& url) : db(connect(url)), prefix(unique("redis") + ":") {}
  ~redis_keys() {
    try {
      reply keys = db.command({"KEYS", prefix + "*"});
      for (const reply& k : keys.elements) db.command({"DEL", k.str});
    } catch (...) {
    }
  }
  std::string key(const std::string& name) const { return prefix + name; }
};

TEST(RedisFaults, WritesCutAfterRequestAreUnknownAndAppliedOnce) {
  DBRIDGE_REQUIRE_SERVER_ENV(redis_env);
  const std::string url = dbridge::test::env_or_empty(redis_env);
  redis_keys k(url);
  for (const char* verb : {"RPUSH", "INCR"}) {
    const std::string key = k.key(std::string("cut-") + verb);
    fault_proxy proxy(cut(url, "after_request", key));
    const std::string via = dbridge::test::via_port(url, proxy.port());
    counting_policy counter;
    try {
      with_retry(
          [&] {
            connection c = connect(via);
            if (std::string_view(verb) == "RPUSH") c.command({"RPUSH", key, "x"});
            else c.command({"INCR", key});
          },
          counter.get());
      ADD_FAILURE() << verb << " succeeded through the cut";
    } catch (const error& e) {
      EXPECT_TRUE(e.outcome_unknown()) << e.what();
      EXPECT_NE(std::string(e.what()).find(unknown_text), std::string::npos) << e.what();
    }
    EXPECT_TRUE(proxy.wait_cuts(1));
    EXPECT_EQ(counter.retries, 0) << verb;
    if (std::string_view(verb) == "RPUSH") EXPECT_EQ(k.db.command({"LLEN", key}).as_integer(), 1);
    else EXPECT_EQ(k.db.command({"GET", key}).as_integer(), 1);
  }
}

TEST(RedisFaults, RequestDroppedBeforeTheServerIsNotAppliedNorRetried) {
  DBRIDGE_REQUIRE_SERVER_ENV(redis_env);
  const std::string url = dbridge::test::env_or_empty(redis_env);
  redis_keys k(url);
  const std::string key = k.key("drop");
  fault_proxy proxy(cut(url, "before", key));
  counting_policy counter;
  EXPECT_THROW(with_retry([&] { connect(dbridge::test::via_port(url, proxy.port())).command({"RPUSH", key, "x"}); },
                          counter.get()),
               error);
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(counter.retries, 0);
  EXPECT_EQ(k.db.command({"LLEN", key}).as_integer(), 0);
}

TEST(RedisFaults, ReadCutAfterRequestIsRetried) {
  DBRIDGE_REQUIRE_SERVER_ENV(redis_env);
  const std::string url = dbridge::test::env_or_empty(redis_env);
  redis_keys k(url);
  const std::string key = k.key("read");
  k.db.command({"SET", key, "value"});
  fault_proxy proxy(cut(url, "after_request", key));
  counting_policy counter;
  const std::string got = with_retry(
      [&] { return connect(dbridge::test::via_port(url, proxy.port())).command({"GET", key}).as_string(); },
      counter.get());
  EXPECT_EQ(got, "value");
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(counter.retries, 1);
  EXPECT_EQ(counter.last, retry_class::new_connection);
}

TEST(RedisFaults, ConnectionLostWhileIdleIsRetriedBeforeSendingAndAppliedOnce) {
  DBRIDGE_REQUIRE_SERVER_ENV(redis_env);
  const std::string url = dbridge::test::env_or_empty(redis_env);
  redis_keys k(url);
  const std::string key = k.key("idle");
  fault_proxy proxy(cut(url, "after_reply", key));
  pool_options po;
  po.max = 1;
  dbridge::pool db(dbridge::test::via_port(url, proxy.port()), po);
  EXPECT_EQ(db.acquire()->command({"ECHO", key}).as_string(), key);
  ASSERT_TRUE(proxy.wait_cuts(1));
  counting_policy counter;
  with_retry([&] { db.acquire()->command({"RPUSH", key + "-list", "x"}); }, counter.get());
  EXPECT_EQ(counter.retries, 1);
  EXPECT_EQ(counter.last, retry_class::new_connection);
  EXPECT_EQ(k.db.command({"LLEN", key + "-list"}).as_integer(), 1);
}

TEST(RedisFaults, MultiCutBeforeExecIsRerunWholeAndAppliedOnce) {
  DBRIDGE_REQUIRE_SERVER_ENV(redis_env);
  const std::string url = dbridge::test::env_or_empty(redis_env);
  redis_keys k(url);
  const std::string key = k.key("multi");
  fault_proxy proxy(cut(url, "after_request", key + "-cut"));
  counting_policy counter;
  int runs = 0;
  with_retry(
      [&] {
        ++runs;
        connection c = connect(dbridge::test::via_port(url, proxy.port()));
        c.command({"MULTI"});
        c.command({"RPUSH", key, "a"});
        c.command({"RPUSH", key, key + "-cut"});  // queued, cut the first time
        c.command({"EXEC"});
      },
      counter.get());
  EXPECT_TRUE(proxy.wait_cuts(1));
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(counter.last, retry_class::new_connection) << "the server discards a MULTI whose connection drops";
  EXPECT_EQ(k.db.command({"LLEN", key}).as_integer(), 2);
}

TEST(RedisFaults, IncrLoopCutEveryTenthAppliesNothingTwice) {
  DBRIDGE_REQUIRE_SERVER_ENV(redis_env);
  const std::string url = dbridge::test::env_or_empty(redis_env);
  redis_keys k(url);
  const std::string key = k.key("loop");
  fault_proxy_options o = cut(url, "after_request", key);
  o.every = 10;
  o.cuts = 0;
  fault_proxy proxy(o);
  pool_options po;
  po.max = 1;
  dbridge::pool db(dbridge::test::via_port(url, proxy.port()), po);
  constexpr int n = 200;
  int acknowledged = 0, unknown = 0;
  for (int i = 0; i < n; ++i) {
    try {
      retry_policy p;
      p.max_attempts = 3;
      p.initial_backoff = std::chrono::milliseconds(0);
      with_retry([&] { db.acquire()->command({"INCR", key}); }, p);
      ++acknowledged;
    } catch (const error& e) {
      ASSERT_TRUE(e.outcome_unknown()) << e.what();
      ++unknown;
    }
  }
  EXPECT_TRUE(proxy.wait_cuts(n / 10));
  // Every cut INCR reached the server (cut after the request): it applied
  // each command once, so the counter is exactly n; a re-run would exceed it.
  const std::int64_t value = k.db.command({"GET", key}).as_integer();
  std::cout << "RedisFaults: " << n << " INCR, " << proxy.cuts_seen() << " cut after the request: " << acknowledged
            << " acknowledged, " << unknown << " unknown outcome, " << value - n << " applied twice\n";
  EXPECT_EQ(value, n);
  EXPECT_EQ(unknown, n / 10);
}

TEST(RedisFaults, BusyServerIsRetryableWithoutRunningTheCommand) {
  DBRIDGE_REQUIRE_SERVER_ENV(redis_env);
  const std::string url = dbridge::test::env_or_empty(redis_env);
  redis_keys k(url);
  const std::string key = k.key("busy");
  const reply old_limit = k.db.command({"CONFIG", "GET", "lua-time-limit"});
  ASSERT_EQ(old_limit.elements.size(), 2u);
  k.db.command({"CONFIG", "SET", "lua-time-limit", "10"});
  // Opened first: while the script runs, connecting would meet BUSY too.
  connection other = connect(url), killer = connect(url);
  // A script that spins until killed (or 5 s): past lua-time-limit the server
  // answers BUSY to everyone else.
  std::thread spinner([&] {
    try {
      connect(url).command({"EVAL",
                            "local s = redis.call('TIME') while true do local n = redis.call('TIME') "
                            "if n[1] - s[1] > 5 then break end end return 1",
                            "0"});
    } catch (const error&) {
      // Killed by SCRIPT KILL below.
    }
  });
  std::int64_t acknowledged = 0;
  bool saw_busy = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (!saw_busy && std::chrono::steady_clock::now() < deadline) {
    try {
      other.command({"INCR", key});
      ++acknowledged;
    } catch (const error& e) {
      EXPECT_EQ(e.info().backend_code, "BUSY") << e.what();
      saw_busy = true;
      EXPECT_TRUE(e.retryable()) << e.what();
      EXPECT_EQ(e.info().retry, retry_class::new_connection) << e.what();
    }
  }
  try {
    killer.command({"SCRIPT", "KILL"});
  } catch (const error&) {
    // NOTBUSY: the script already ended.
  }
  spinner.join();
  k.db.command({"CONFIG", "SET", "lua-time-limit", old_limit.elements[1].str});
  EXPECT_TRUE(saw_busy) << "the server never answered BUSY";
  EXPECT_EQ(k.db.command({"GET", key}).as_integer(), acknowledged) << "the INCR refused with BUSY did not run";
}

}  // namespace
