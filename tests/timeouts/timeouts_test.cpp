// SPDX-License-Identifier: Apache-2.0
// Never hang: connect timeouts against a silent server (tests/support/
// silent_server.py) and a server of the wrong kind, the pool's acquire
// timeout while a connect is stuck, transaction timeouts and read timeouts,
// on the real servers of DBRIDGE_TEST_{POSTGRES,MYSQL,REDIS}_URL.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ostream>
#include <string>
#include <thread>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/url.hpp"
#include "silent_server.hpp"
#include "test_server.hpp"

#include <dbridge/sdk/timeout.hpp>

using namespace std::chrono_literals;
using dbridge::test::silent_server;

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

struct kind {
  const char* name;
  const char* env;     ///< the real server's URL
  const char* prefix;  ///< URL up to the host, with credentials the silent server never checks
  const char* path;    ///< after host:port
};

const kind kinds[] = {
    {"postgres", "DBRIDGE_TEST_POSTGRES_URL", "postgresql://u:pw@", "/db"},
    {"mysql", "DBRIDGE_TEST_MYSQL_URL", "mysql://u:pw@", "/db"},
    {"redis", "DBRIDGE_TEST_REDIS_URL", "redis://", "/0"},
};

// gtest names the parameters by these instead of dumping their bytes.
void PrintTo(const kind& k, std::ostream* os) { *os << k.name; }

std::string port_of(const char* env) {
  const dbridge::url u = dbridge::parse_url(dbridge::test::env_or_empty(env));
  return std::to_string(u.hosts.at(0).port);
}

std::string with_option(std::string url, const std::string& opt) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + opt;
}

// One silent server for the suite; no real server is needed.
class SilentServer : public ::testing::TestWithParam<kind> {
 protected:
  static void SetUpTestSuite() { server_ = new silent_server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  std::string url(const std::string& query) const {
    return std::string(GetParam().prefix) + server_->hostport() + GetParam().path + (query.empty() ? "" : "?" + query);
  }
  static silent_server* server_;
};
silent_server* SilentServer::server_ = nullptr;

// ------------------------------------------------------------ connect

TEST_P(SilentServer, ConnectTimeoutIsATimeoutErrorWithinTheBound) {
  const auto t0 = clock_type::now();
  try {
    (void)dbridge::connect(url("connect_timeout=1"));
    FAIL() << "connected to a server that never answers";
  } catch (const dbridge::timeout_error& e) {
    const double s = since(t0);
    EXPECT_GE(s, 0.9) << e.what();
    EXPECT_LT(s, 2.0) << e.what();
    EXPECT_EQ(e.info().retry, dbridge::retry_class::new_connection) << e.what();
    EXPECT_TRUE(e.connection_broken()) << e.what();
    EXPECT_NE(std::string(e.what()).find("connect_timeout"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos) << e.what();
  }
}

TEST_P(SilentServer, FractionalConnectTimeout) {
  const auto t0 = clock_type::now();
  EXPECT_THROW(dbridge::connect(url("connect_timeout=0.3")), dbridge::timeout_error);
  // The MariaDB client counts whole seconds: 0.3 is rounded up to 1.
  const double bound = std::string(GetParam().name) == "mysql" ? 1.8 : 0.9;
  EXPECT_LT(since(t0), bound);
}

TEST_P(SilentServer, BadConnectTimeoutIsRefused) {
  EXPECT_THROW(dbridge::connect(url("connect_timeout=soon")), dbridge::invalid_argument_error);
  EXPECT_THROW(dbridge::connect(url("connect_timeout=-1")), dbridge::invalid_argument_error);
}

// The default (10 s) is read rather than waited for; DBRIDGE_SLOW_TESTS=1
// waits it out once per driver.
TEST_P(SilentServer, DefaultConnectTimeout) {
  EXPECT_EQ(dbridge::sdk::default_connect_timeout_s, 10.0);
  if (dbridge::test::env_or_empty("DBRIDGE_SLOW_TESTS") != "1") GTEST_SKIP() << "set DBRIDGE_SLOW_TESTS=1 to wait 10 s";
  const auto t0 = clock_type::now();
  EXPECT_THROW(dbridge::connect(url("")), dbridge::timeout_error);
  EXPECT_GE(since(t0), 9.5);
  EXPECT_LT(since(t0), 11.5);
}

TEST_P(SilentServer, CliPingFailsWithinTheBound) {
  const auto r = dbridge::test::run_capped(DBRIDGE_EXE, {"ping", url("connect_timeout=1")}, 10);
  EXPECT_FALSE(r.killed) << "dbridge ping still running after " << r.seconds << " s";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.seconds, 3.0);
}

TEST_P(SilentServer, PoolAcquireHonoursItsTimeoutWhileAConnectIsStuck) {
  dbridge::pool_options o;
  o.acquire_timeout = 1s;
  o.max = 2;
  o.name = std::string("silent-") + GetParam().name;
  // The connect alone would take 2 s; acquire must give up after 1 s.
  dbridge::pool p(url("connect_timeout=2"), o);
  auto t0 = clock_type::now();
  try {
    (void)p.acquire();
    FAIL() << "acquired a connection to a server that never answers";
  } catch (const dbridge::resource_error& e) {
    const double s = since(t0);
    EXPECT_GE(s, 0.9) << e.what();
    EXPECT_LT(s, 1.8) << e.what();
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::pool_exhausted);
    EXPECT_NE(std::string(e.what()).find(*o.name), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("has not completed a new connection"), std::string::npos) << e.what();
  }
  // A second caller with a shorter timeout is bounded too.
  t0 = clock_type::now();
  EXPECT_THROW(p.acquire(200ms), dbridge::resource_error);
  EXPECT_LT(since(t0), 0.8);
  // The stuck connect ends by its own connect_timeout, as a recorded failure.
  const auto until = clock_type::now() + 4s;
  while (p.metrics().connect_failures == 0 && clock_type::now() < until) std::this_thread::sleep_for(20ms);
  EXPECT_GE(p.metrics().connect_failures, 1u);
  EXPECT_EQ(p.metrics().total, 0u);
}

INSTANTIATE_TEST_SUITE_P(Drivers, SilentServer, ::testing::ValuesIn(kinds),
                         [](const auto& info) { return std::string(info.param.name); });

// A server that greets and then hangs in the middle of the handshake: the
// authentication exchange is bounded by connect_timeout too.
TEST(SilentHandshake, MysqlServerThatStopsAfterItsGreeting) {
  silent_server server("mysql");
  const auto t0 = clock_type::now();
  try {
    (void)dbridge::connect("mysql://u:pw@" + server.hostport() + "/db?connect_timeout=1");
    FAIL() << "connected to a server that never finishes the handshake";
  } catch (const dbridge::timeout_error& e) {
    EXPECT_GE(since(t0), 0.9) << e.what();
    EXPECT_LT(since(t0), 2.0) << e.what();
    EXPECT_EQ(e.info().retry, dbridge::retry_class::new_connection) << e.what();
  }
}

// ------------------------------------------------------------ wrong kind

struct wrong_kind {
  const char* name;
  const char* prefix;  ///< the URL's kind
  const char* path;
  const char* target_env;  ///< the server it is aimed at
};

void PrintTo(const wrong_kind& k, std::ostream* os) { *os << k.name; }

class WrongKind : public ::testing::TestWithParam<wrong_kind> {};

TEST_P(WrongKind, FailsWithinTheConnectTimeout) {
  DBRIDGE_REQUIRE_SERVER_ENV(GetParam().target_env);
  const std::string u = std::string(GetParam().prefix) + "127.0.0.1:" + port_of(GetParam().target_env) +
                        GetParam().path + "?connect_timeout=2";
  const auto t0 = clock_type::now();
  try {
    (void)dbridge::connect(u);
    FAIL() << "connected to a server of another kind";
  } catch (const dbridge::error& e) {
    EXPECT_LT(since(t0), 3.0) << e.what();
    EXPECT_TRUE(e.category() == dbridge::errc::timeout || e.category() == dbridge::errc::connection) << e.what();
    EXPECT_TRUE(e.connection_broken()) << e.what();
  }
}

const wrong_kind wrong_kinds[] = {
    {"postgres_at_redis", "postgresql://u:pw@", "/db", "DBRIDGE_TEST_REDIS_URL"},
    {"mysql_at_redis", "mysql://u:pw@", "/db", "DBRIDGE_TEST_REDIS_URL"},
    {"redis_at_postgres", "redis://", "/0", "DBRIDGE_TEST_POSTGRES_URL"},
};
INSTANTIATE_TEST_SUITE_P(Urls, WrongKind, ::testing::ValuesIn(wrong_kinds),
                         [](const auto& info) { return std::string(info.param.name); });

// ------------------------------------------------------------ transactions

struct sql_kind {
  const char* name;
  const char* env;
  const char* sleep_sql;  ///< runs 5 s
  const char* int_type;
};

void PrintTo(const sql_kind& k, std::ostream* os) { *os << k.name; }

class TxTimeout : public ::testing::TestWithParam<sql_kind> {
 protected:
  void SetUp() override {
    DBRIDGE_REQUIRE_SERVER_ENV(GetParam().env);
    url_ = dbridge::test::env_or_empty(GetParam().env);
    table_ = "dbr_txto_" + std::to_string(::getpid());
    admin_.emplace(dbridge::connect(url_));
    admin_->execute("DROP TABLE IF EXISTS " + table_);
    admin_->execute("CREATE TABLE " + table_ + " (id " + GetParam().int_type + ")");
  }
  void TearDown() override {
    if (admin_) admin_->execute("DROP TABLE IF EXISTS " + table_);
  }
  std::int64_t rows() { return admin_->query_one("SELECT count(*) FROM " + table_).get<std::int64_t>(0); }
  std::string insert() const { return "INSERT INTO " + table_ + " VALUES (1)"; }

  std::string url_, table_;
  std::optional<dbridge::connection> admin_;
};

TEST_P(TxTimeout, AnIdleTransactionIsRolledBackAtTheNextCall) {
  auto c = dbridge::connect(url_);
  auto tx = c.begin({.timeout = 300ms});
  tx.execute(insert());
  // Waiting for the deadline to pass is the point of the test.
  std::this_thread::sleep_for(400ms);
  EXPECT_THROW(tx.execute(insert()), dbridge::timeout_error);
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(rows(), 0);
  // The transaction object keeps refusing; commit never commits.
  EXPECT_THROW(tx.execute(insert()), dbridge::timeout_error);
  EXPECT_THROW(tx.commit(), dbridge::timeout_error);
  tx.rollback();  // nothing to do, no error
  // The connection is clean and usable.
  EXPECT_EQ(c.query_one("SELECT 1").get<std::int64_t>(0), 1);
  c.execute(insert());
  EXPECT_EQ(rows(), 1);
}

TEST_P(TxTimeout, CommitAfterTheDeadlineFails) {
  auto c = dbridge::connect(url_);
  auto tx = c.begin({.timeout = 200ms});
  tx.execute(insert());
  std::this_thread::sleep_for(300ms);
  EXPECT_THROW(tx.commit(), dbridge::timeout_error);
  EXPECT_EQ(rows(), 0);
  EXPECT_TRUE(c.ping());
}

TEST_P(TxTimeout, AStatementRunningAtTheDeadlineIsCancelled) {
  auto c = dbridge::connect(url_);
  auto tx = c.begin({.timeout = 500ms});
  tx.execute(insert());
  const auto t0 = clock_type::now();
  try {
    (void)tx.query_one(GetParam().sleep_sql);
    FAIL() << "the sleep outlived its transaction";
  } catch (const dbridge::timeout_error& e) {
    EXPECT_LT(since(t0), 2.5) << e.what();
  }
  EXPECT_EQ(rows(), 0);
  EXPECT_EQ(c.query_one("SELECT 1").get<std::int64_t>(0), 1);
}

TEST_P(TxTimeout, WithinTheTimeoutNothingChanges) {
  auto c = dbridge::connect(url_);
  auto tx = c.begin({.timeout = 10s});
  tx.execute(insert());
  tx.commit();
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(c.query_one("SELECT 1").get<std::int64_t>(0), 1);
}

TEST_P(TxTimeout, PoolDefaultAndCleanReuse) {
  dbridge::pool_options o;
  o.max = 1;
  o.transaction_timeout = 300ms;
  dbridge::pool p(url_, o);
  {
    auto c = p.acquire();
    auto tx = c->begin();
    tx.execute(insert());
    std::this_thread::sleep_for(400ms);
    EXPECT_THROW(tx.execute(insert()), dbridge::timeout_error);
    EXPECT_EQ(c->query_one("SELECT 1").get<std::int64_t>(0), 1);
  }
  {
    // Given back with a transaction open past its deadline: rolled back
    // before reuse, and no stale deadline follows the connection.
    auto c = p.acquire();
    auto tx = c->begin();
    tx.execute(insert());
    std::this_thread::sleep_for(400ms);
  }
  EXPECT_EQ(rows(), 0);
  {
    auto c = p.acquire();
    EXPECT_FALSE(c->in_transaction());
    c->execute(insert());
    auto tx = c->begin({.timeout = std::chrono::nanoseconds(0)});  // zero: no timeout despite the pool's
    std::this_thread::sleep_for(400ms);
    tx.execute(insert());
    tx.commit();
  }
  EXPECT_EQ(rows(), 2);
  EXPECT_EQ(p.metrics().total, 1u);
}

TEST_P(TxTimeout, PoolDefaultFromTheUrl) {
  dbridge::pool p(with_option(url_, "pool_transaction_timeout=200ms"), {.max = 1});
  auto c = p.acquire();
  auto tx = c->begin();
  tx.execute(insert());
  std::this_thread::sleep_for(300ms);
  EXPECT_THROW(tx.commit(), dbridge::timeout_error);
  EXPECT_EQ(rows(), 0);
}

const sql_kind sql_kinds[] = {
    {"postgres", "DBRIDGE_TEST_POSTGRES_URL", "SELECT pg_sleep(5)", "integer"},
    {"mysql", "DBRIDGE_TEST_MYSQL_URL", "SELECT SLEEP(5)", "integer"},
};
INSTANTIATE_TEST_SUITE_P(Drivers, TxTimeout, ::testing::ValuesIn(sql_kinds),
                         [](const auto& info) { return std::string(info.param.name); });

// The same rules on SQLite, which every build has: no server needed.
TEST(SqliteTxTimeout, RolledBackAtTheNextCallAndWhileRunning) {
  char path[] = "/tmp/dbridge-txto-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string url = std::string("sqlite://") + path;
  {
    auto c = dbridge::connect(url);
    auto other = dbridge::connect(url);
    c.execute("CREATE TABLE t (id INTEGER)");
    {
      auto tx = c.begin({.timeout = 200ms});
      tx.execute("INSERT INTO t VALUES (1)");
      std::this_thread::sleep_for(300ms);
      EXPECT_THROW(tx.execute("INSERT INTO t VALUES (2)"), dbridge::timeout_error);
      EXPECT_THROW(tx.commit(), dbridge::timeout_error);
    }
    EXPECT_EQ(other.query_one("SELECT count(*) FROM t").get<std::int64_t>(0), 0);
    {
      // A statement that would run for minutes is interrupted at the deadline.
      auto tx = c.begin({.timeout = 300ms});
      tx.execute("INSERT INTO t VALUES (3)");
      const auto t0 = clock_type::now();
      EXPECT_THROW(tx.query_one("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                                "SELECT count(*) FROM n"),
                   dbridge::timeout_error);
      EXPECT_LT(since(t0), 2.0);
    }
    EXPECT_FALSE(c.in_transaction());
    EXPECT_EQ(c.query_one("SELECT count(*) FROM t").get<std::int64_t>(0), 0);
  }
  ::unlink(path);
}

// ------------------------------------------------------------ read timeouts

class ReadTimeout : public ::testing::TestWithParam<sql_kind> {};

TEST_P(ReadTimeout, ASilentStatementBreaksTheConnectionWithinTheBound) {
  DBRIDGE_REQUIRE_SERVER_ENV(GetParam().env);
  const std::string url = dbridge::test::env_or_empty(GetParam().env);
  auto admin = dbridge::connect(url);
  auto c = dbridge::connect(with_option(url, "read_timeout=1"));
  const std::int64_t pid = c.query_one(std::string(GetParam().name) == "postgres" ? "SELECT pg_backend_pid()"
                                                                                   : "SELECT CONNECTION_ID()")
                               .get<std::int64_t>(0);
  const auto t0 = clock_type::now();
  try {
    (void)c.query_one(GetParam().sleep_sql);
    FAIL() << "no read timeout";
  } catch (const dbridge::timeout_error& e) {
    EXPECT_GE(since(t0), 0.9) << e.what();
    EXPECT_LT(since(t0), 2.5) << e.what();
    EXPECT_TRUE(e.connection_broken()) << e.what();
    // The driver reports the outcome unknown; the statement only reads, so
    // the core's rule (statement_effect.hpp) makes it safe to run again.
    EXPECT_EQ(e.info().retry, dbridge::retry_class::new_connection) << e.what();
  }
  EXPECT_FALSE(c.ping());
  // The server stops the statement rather than sleeping on.
  const std::string busy = std::string(GetParam().name) == "postgres"
                               ? "SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid) +
                                     " AND state = 'active'"
                               : "SELECT count(*) FROM information_schema.processlist WHERE id = " +
                                     std::to_string(pid) + " AND command = 'Query'";
  const auto until = clock_type::now() + 3s;
  std::int64_t n = 1;
  while ((n = admin.query_one(busy).get<std::int64_t>(0)) != 0 && clock_type::now() < until)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(n, 0) << "the server is still running the statement";
  EXPECT_LT(since(t0), 4.0);
}

TEST_P(ReadTimeout, QuickStatementsAreUnaffected) {
  DBRIDGE_REQUIRE_SERVER_ENV(GetParam().env);
  auto c = dbridge::connect(with_option(dbridge::test::env_or_empty(GetParam().env), "read_timeout=1"));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.query_one("SELECT 1").get<std::int64_t>(0), 1);
  EXPECT_TRUE(c.ping());
}

INSTANTIATE_TEST_SUITE_P(Drivers, ReadTimeout, ::testing::ValuesIn(sql_kinds),
                         [](const auto& info) { return std::string(info.param.name); });

class RedisReadTimeout : public ::testing::Test {
 protected:
  void SetUp() override {
    DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_REDIS_URL");
    url_ = dbridge::test::env_or_empty("DBRIDGE_TEST_REDIS_URL");
    key_ = "dbr:readto:" + std::to_string(::getpid());
  }
  std::string url_, key_;
};

TEST_F(RedisReadTimeout, ABlockingCommandMayWaitLongerThanTheReadTimeout) {
  auto c = dbridge::connect(with_option(url_, "read_timeout=1"));
  c.command({"DEL", key_});
  const auto t0 = clock_type::now();
  const dbridge::reply r = c.command({"BLPOP", key_, "2"});
  EXPECT_GE(since(t0), 1.9);
  EXPECT_LT(since(t0), 3.0);
  EXPECT_TRUE(r.is_nil());
  // Still alive, and the read timeout is back in force afterwards.
  EXPECT_TRUE(c.ping());
  c.command({"RPUSH", key_, "v"});
  const dbridge::reply got = c.command({"BLPOP", key_, "0"});  // 0 = forever, answered at once
  ASSERT_TRUE(got.type == dbridge::reply_type::array);
  c.command({"DEL", key_});
}

TEST_F(RedisReadTimeout, ASilentServerBreaksTheConnectionWithinTheBound) {
  auto admin = dbridge::connect(url_);
  auto c = dbridge::connect(with_option(url_, "read_timeout=1"));
  // CLIENT PAUSE holds every other client's commands: the server goes silent.
  admin.command({"CLIENT", "PAUSE", "1500", "ALL"});
  const auto t0 = clock_type::now();
  try {
    c.command({"GET", key_});
    FAIL() << "no read timeout";
  } catch (const dbridge::timeout_error& e) {
    EXPECT_GE(since(t0), 0.9) << e.what();
    EXPECT_LT(since(t0), 2.0) << e.what();
    EXPECT_TRUE(e.connection_broken());
    EXPECT_EQ(e.info().retry, dbridge::retry_class::unknown_outcome);
  }
  admin.command({"CLIENT", "UNPAUSE"});
  EXPECT_FALSE(c.ping());
}

}  // namespace
