// SPDX-License-Identifier: Apache-2.0
// A connection goes back to the pool clean (issue 10, section 4): with one
// connection in the pool the next borrower gets the same server session, and
// must not see what the previous one left (settings, temporary tables, locks,
// channels, user variables, the selected database, the client name). Also:
// a plain query costs no reset, reset_on_release=never keeps the state, a
// plugin built against ABI 1.0 (no reset slot) gets such a connection closed,
// cached statements survive a reset, leak reports and the holders named in
// the exhaustion error.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <optional>
#include <string>

#include "dbridge/command.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/registry.hpp"
#include "pool_test_util.hpp"
#include "test_server.hpp"

using namespace dbridge;
using namespace std::chrono_literals;
using pool_test::eventually;

namespace {

// The fixture plugin built from the frozen ABI 1.0 header (tests/fixtures:
// old-sql) must be found next to the build tree's plugins.
const bool fixture_path_set = [] {
  std::string path = DBRIDGE_TEST_OLD_SQL_DIR;
  if (const char* p = std::getenv("DBRIDGE_PLUGIN_PATH"); p != nullptr && *p != '\0') path += std::string(":") + p;
  ::setenv("DBRIDGE_PLUGIN_PATH", path.c_str(), 1);
  return true;
}();

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

pool_options one_connection(session_reset mode = session_reset::automatic) {
  pool_options o;
  o.max = 1;
  o.acquire_timeout = 2s;
  o.reset_on_release = mode;
  return o;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string text_of(connection& c, std::string_view sql) { return c.query_one(sql).get<std::string>(0); }
std::int64_t int_of(connection& c, std::string_view sql) { return c.query_one(sql).get<std::int64_t>(0); }

// ------------------------------------------------------------ PostgreSQL

class pg_reset : public ::testing::Test {
 protected:
  void SetUp() override { DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_URL"); }
  std::string url() const { return env("DBRIDGE_TEST_POSTGRES_URL"); }
};

TEST_F(pg_reset, settings_temp_tables_and_channels_do_not_reach_the_next_borrower) {
  connection fresh = connect(url());
  const std::string search_path = text_of(fresh, "SHOW search_path");
  const std::string timeout = text_of(fresh, "SHOW statement_timeout");

  pool db(url(), one_connection());
  std::int64_t pid;
  {
    auto c = db.acquire();
    pid = int_of(*c, "SELECT pg_backend_pid()");
    c->execute("SET search_path TO pg_catalog");
    c->execute("SET statement_timeout = 4321");
    c->execute("CREATE TEMP TABLE reset_probe (x int)");
    c->execute("LISTEN reset_channel");
    ASSERT_EQ(text_of(*c, "SHOW search_path"), "pg_catalog");
    ASSERT_EQ(int_of(*c, "SELECT count(*) FROM pg_listening_channels()"), 1);
  }
  auto c = db.acquire();
  ASSERT_EQ(int_of(*c, "SELECT pg_backend_pid()"), pid) << "the pool did not hand out the same session";
  EXPECT_EQ(text_of(*c, "SHOW search_path"), search_path);
  EXPECT_EQ(text_of(*c, "SHOW statement_timeout"), timeout);
  EXPECT_EQ(int_of(*c, "SELECT count(*) FROM pg_class WHERE relname = 'reset_probe' AND relpersistence = 't'"), 0);
  EXPECT_EQ(int_of(*c, "SELECT count(*) FROM pg_listening_channels()"), 0);
  EXPECT_EQ(db.metrics().resets, 1u);
}

TEST_F(pg_reset, an_advisory_lock_is_released_for_other_sessions) {
  connection other = connect(url());
  pool db(url(), one_connection());
  {
    auto c = db.acquire();
    (void)c->query_one("SELECT pg_advisory_lock(424242)");
    ASSERT_FALSE(other.query_one("SELECT pg_try_advisory_lock(424242)").get<bool>(0))
        << "the borrower's lock should block another session";
  }
  EXPECT_TRUE(other.query_one("SELECT pg_try_advisory_lock(424242)").get<bool>(0));
  (void)other.query_one("SELECT pg_advisory_unlock(424242)");
  EXPECT_EQ(db.metrics().resets, 1u);
  EXPECT_EQ(db.metrics().created, 1u) << "the connection was reset, not replaced";
}

TEST_F(pg_reset, a_plain_query_costs_no_reset) {
  pool db(url(), one_connection());
  for (int i = 0; i < 3; ++i) {
    auto c = db.acquire();
    EXPECT_EQ(int_of(*c, "SELECT 40 + 2"), 42);
    c->execute("CREATE TABLE IF NOT EXISTS reset_plain (x int)");
    c->execute("INSERT INTO reset_plain VALUES (1)");
  }
  EXPECT_EQ(db.metrics().resets, 0u);
  {
    auto c = db.acquire();
    c->execute("DROP TABLE reset_plain");
    (void)c->query_one("SELECT set_config('application_name', 'changed', false)");
  }
  EXPECT_EQ(db.metrics().resets, 1u) << "set_config() in a SELECT changes the session";
}

TEST_F(pg_reset, never_leaves_the_state_to_the_next_borrower) {
  pool db(url(), one_connection(session_reset::never));
  {
    auto c = db.acquire();
    c->execute("SET search_path TO pg_catalog");
  }
  auto c = db.acquire();
  EXPECT_EQ(text_of(*c, "SHOW search_path"), "pg_catalog");
  EXPECT_EQ(db.metrics().resets, 0u);
}

TEST_F(pg_reset, cached_statements_work_after_either_kind_of_reset) {
  pool db(url(), one_connection());
  const std::string_view cached = "SELECT $1::int + 1";
  {
    auto c = db.acquire();
    EXPECT_EQ(c->query_one(cached, {41}).get<std::int64_t>(0), 42);
    c->execute("SET search_path TO pg_catalog");  // reset keeping prepared statements
  }
  {
    auto c = db.acquire();
    EXPECT_EQ(c->query_one(cached, {1}).get<std::int64_t>(0), 2);
    c->execute("PREPARE reset_sql_prepared AS SELECT 7");  // only DISCARD ALL removes it
  }
  auto c = db.acquire();
  EXPECT_EQ(c->query_one(cached, {2}).get<std::int64_t>(0), 3) << "the core's cache must drop what DISCARD ALL freed";
  EXPECT_EQ(int_of(*c, "SELECT count(*) FROM pg_prepared_statements WHERE from_sql"), 0);
  EXPECT_EQ(db.metrics().resets, 2u);
}

TEST_F(pg_reset, the_urls_statement_timeout_is_applied_again) {
  const std::string u = url() + (url().find('?') == std::string::npos ? "?" : "&") + "statement_timeout=1500";
  pool db(u, one_connection());
  {
    auto c = db.acquire();
    ASSERT_EQ(text_of(*c, "SHOW statement_timeout"), "1500ms");
    c->execute("SET statement_timeout = 9");
  }
  auto c = db.acquire();
  EXPECT_EQ(text_of(*c, "SHOW statement_timeout"), "1500ms");
  EXPECT_EQ(db.metrics().resets, 1u);
}

// ------------------------------------------------------------ MariaDB

class mysql_reset : public ::testing::Test {
 protected:
  void SetUp() override { DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_MYSQL_URL"); }
  std::string url() const { return env("DBRIDGE_TEST_MYSQL_URL"); }
};

TEST_F(mysql_reset, variables_temp_tables_and_named_locks_do_not_reach_the_next_borrower) {
  connection fresh = connect(url());
  const std::string sql_mode = text_of(fresh, "SELECT @@SESSION.sql_mode");
  const std::string time_zone = text_of(fresh, "SELECT @@SESSION.time_zone");
  connection other = connect(url());

  pool db(url(), one_connection());
  std::int64_t id;
  const std::string_view cached = "SELECT ? + 1";
  {
    auto c = db.acquire();
    id = int_of(*c, "SELECT CONNECTION_ID()");
    EXPECT_EQ(c->query_one(cached, {41}).get<std::int64_t>(0), 42);
    c->execute("SET @reset_v = 42");
    c->execute("SET SESSION sql_mode = 'ANSI_QUOTES'");
    c->execute("SET SESSION time_zone = '+05:00'");
    c->execute("CREATE TEMPORARY TABLE reset_probe (x int)");
    ASSERT_EQ(int_of(*c, "SELECT GET_LOCK('dbridge_reset_lock', 0)"), 1);
    ASSERT_EQ(int_of(other, "SELECT IS_FREE_LOCK('dbridge_reset_lock')"), 0);
  }
  auto c = db.acquire();
  ASSERT_EQ(int_of(*c, "SELECT CONNECTION_ID()"), id) << "the pool did not hand out the same session";
  EXPECT_EQ(int_of(*c, "SELECT @reset_v IS NULL"), 1);
  EXPECT_EQ(text_of(*c, "SELECT @@SESSION.sql_mode"), sql_mode);
  EXPECT_EQ(text_of(*c, "SELECT @@SESSION.time_zone"), time_zone);
  EXPECT_THROW(c->query("SELECT * FROM reset_probe"), dbridge::error);
  EXPECT_EQ(int_of(other, "SELECT IS_FREE_LOCK('dbridge_reset_lock')"), 1);
  EXPECT_EQ(c->query_one(cached, {1}).get<std::int64_t>(0), 2) << "statements cached before the reset";
  EXPECT_EQ(db.metrics().resets, 1u);
}

TEST_F(mysql_reset, the_urls_init_command_is_applied_again) {
  const std::string u = url() + (url().find('?') == std::string::npos ? "?" : "&") +
                        "init_command=SET%20SESSION%20wait_timeout%3D1234";
  pool db(u, one_connection());
  {
    auto c = db.acquire();
    ASSERT_EQ(int_of(*c, "SELECT @@SESSION.wait_timeout"), 1234);
    c->execute("SET SESSION wait_timeout = 99");
  }
  auto c = db.acquire();
  EXPECT_EQ(int_of(*c, "SELECT @@SESSION.wait_timeout"), 1234);
  EXPECT_EQ(db.metrics().resets, 1u);
}

TEST_F(mysql_reset, a_plain_query_costs_no_reset) {
  pool db(url(), one_connection());
  for (int i = 0; i < 3; ++i) {
    auto c = db.acquire();
    EXPECT_EQ(int_of(*c, "SELECT 40 + 2"), 42);
  }
  EXPECT_EQ(db.metrics().resets, 0u);
}

// ------------------------------------------------------------ Redis

class redis_reset : public ::testing::Test {
 protected:
  void SetUp() override { DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_REDIS_URL"); }
  // Database 2 (and the server's password): the reset must log in again and
  // select the URL's database, not stay on RESET's database 0.
  std::string url() const {
    std::string u = env("DBRIDGE_TEST_REDIS_URL");
    const auto slash = u.find('/', u.find("://") + 3);
    return (slash == std::string::npos ? u : u.substr(0, slash)) + "/2";
  }
};

TEST_F(redis_reset, select_and_client_name_do_not_reach_the_next_borrower) {
  pool db(url(), one_connection());
  std::int64_t id;
  {
    auto c = db.acquire();
    id = c->command({"CLIENT", "ID"}).as_integer();
    c->command({"SELECT", "3"});
    c->command({"CLIENT", "SETNAME", "dbridge-reset-probe"});
    ASSERT_TRUE(contains(c->command({"CLIENT", "INFO"}).as_string(), " db=3 "));
  }
  auto c = db.acquire();
  ASSERT_EQ(c->command({"CLIENT", "ID"}).as_integer(), id) << "the pool did not hand out the same connection";
  EXPECT_TRUE(c->command({"CLIENT", "GETNAME"}).is_nil());
  const std::string info = c->command({"CLIENT", "INFO"}).as_string();
  EXPECT_TRUE(contains(info, " db=2 ")) << info;
  EXPECT_EQ(c->command({"PING"}).as_string(), "PONG") << "logged in again after RESET";
  EXPECT_EQ(db.metrics().resets, 1u);
}

TEST_F(redis_reset, a_plain_command_costs_no_reset) {
  pool db(url(), one_connection());
  for (int i = 0; i < 3; ++i) {
    auto c = db.acquire();
    c->command({"SET", "dbridge-reset-plain", "1"});
    c->command({"GET", "dbridge-reset-plain"});
    c->command({"CLIENT", "ID"});
  }
  {
    auto c = db.acquire();
    c->command({"DEL", "dbridge-reset-plain"});
  }
  EXPECT_EQ(db.metrics().resets, 0u);
}

// ------------------------------------------------------------ ABI 1.0 plugin

// old-sql: built from tests/abi/v1_0 (no reset slot, no session report).
// "SET N" stores N in the connection, "show" reads it.
TEST(abi_1_0_plugin, auto_closes_a_connection_whose_session_changed_and_keeps_a_plain_one) {
  pool db("fixoldsql://nowhere/db", one_connection());
  {
    auto c = db.acquire();
    EXPECT_EQ(int_of(*c, "show"), 0);
  }
  EXPECT_EQ(db.metrics().closed, 0u) << "a plain statement keeps the connection";
  {
    auto c = db.acquire();
    c->execute("SET 5");
  }
  EXPECT_EQ(db.metrics().closed, 1u) << "no reset slot: the changed session is closed";
  auto c = db.acquire();
  EXPECT_EQ(int_of(*c, "show"), 0);
  EXPECT_EQ(db.metrics().created, 2u);
  EXPECT_EQ(db.metrics().resets, 0u);
}

TEST(abi_1_0_plugin, never_keeps_and_always_closes) {
  {
    pool db("fixoldsql://nowhere/db", one_connection(session_reset::never));
    {
      auto c = db.acquire();
      c->execute("SET 5");
    }
    auto c = db.acquire();
    EXPECT_EQ(int_of(*c, "show"), 5);
  }
  pool db("fixoldsql://nowhere/db", one_connection(session_reset::always));
  for (int i = 0; i < 2; ++i) {
    auto c = db.acquire();
    EXPECT_EQ(int_of(*c, "show"), 0);
  }
  EXPECT_EQ(db.metrics().closed, 2u);
}

TEST(abi_1_0_plugin, reset_on_release_comes_from_the_url_too) {
  pool db("fixoldsql://nowhere/db?pool_reset_on_release=never&pool_max=1");
  {
    auto c = db.acquire();
    c->execute("SET 3");
  }
  auto c = db.acquire();
  EXPECT_EQ(int_of(*c, "show"), 3);
  EXPECT_THROW(pool("fixoldsql://nowhere/db?pool_reset_on_release=sometimes"), invalid_argument_error);
}

// ------------------------------------------------------------ leaks and holders

std::optional<connection_entry> entry_of_pool(const std::string& name) {
  for (auto& e : registry::global().list())
    if (e.pool == name && !e.leak.empty()) return e;
  return std::nullopt;
}

TEST(pool_leaks, a_connection_held_past_the_threshold_is_reported_once_with_its_site) {
  pool_options o;
  o.max = 2;
  o.name = "leak-probe";
  o.leak_detection_threshold = 100ms;
  pool db("fixoldsql://nowhere/db", o);
  const auto start = std::chrono::steady_clock::now();
  auto held = db.acquire(); const int line = __LINE__;
  std::optional<connection_entry> e;
  ASSERT_TRUE(eventually([&] { return (e = entry_of_pool("leak-probe")).has_value(); }, 5000ms))
      << "no leak report within 5 s";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_TRUE(contains(e->leak, "pool_reset_test.cpp:" + std::to_string(line))) << e->leak;
  EXPECT_TRUE(contains(e->leak, "by thread ")) << e->leak;
  EXPECT_TRUE(contains(e->leak, "held for ")) << e->leak;
  EXPECT_EQ(db.metrics().leaks, 1u);
  held.release();
  EXPECT_FALSE(entry_of_pool("leak-probe").has_value()) << "the report ends when the connection comes back";
  EXPECT_EQ(db.metrics().leaks, 1u);
}

TEST(pool_leaks, the_exhaustion_error_names_the_oldest_holders) {
  pool_options o;
  o.max = 2;
  pool db("fixoldsql://nowhere/db", o);
  auto first = db.acquire(); const int line1 = __LINE__;
  auto second = db.acquire(); const int line2 = __LINE__;
  try {
    (void)db.acquire(50ms);
    FAIL() << "the pool should be exhausted";
  } catch (const resource_error& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "pool_reset_test.cpp:" + std::to_string(line1))) << msg;
    EXPECT_TRUE(contains(msg, "pool_reset_test.cpp:" + std::to_string(line2))) << msg;
    EXPECT_TRUE(contains(msg, "held ")) << msg;
    EXPECT_LT(msg.find(":" + std::to_string(line1)), msg.find(":" + std::to_string(line2))) << "oldest first";
  }
}

}  // namespace
