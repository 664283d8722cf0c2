// SPDX-License-Identifier: Apache-2.0
// Pools against the real PostgreSQL server of scripts/servers: 200 threads on
// 8 connections, broken connections, validation, redaction, a real
// serialization failure under with_retry, the server stopped and restarted
// under load, and read/write splitting with a pg_basebackup streaming replica.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_server.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/registry.hpp"
#include "dbridge/url.hpp"
#include "pool_test_util.hpp"

using namespace dbridge;
using namespace std::chrono_literals;
using pool_test::eventually;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}
std::string server_url() { return env("DBRIDGE_TEST_POSTGRES_URL"); }

#define REQUIRE_SERVER() DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_URL")

#define REQUIRE_SERVER_CONTROL()                             \
  do {                                                       \
    REQUIRE_SERVER();                                        \
    DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_BIN");  \
    DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_DATA"); \
  } while (0)

/// Runs a server program (as the postgres user when we are root: the server
/// refuses root). Returns the exit status; output goes to `log`.
int run(const std::vector<std::string>& args, const std::string& log = "/dev/null",
        const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> argv;
  if (::geteuid() == 0) argv = {"runuser", "-u", "postgres", "--"};
  argv.push_back("env");
  for (const auto& e : extra_env) argv.push_back(e);
  for (const auto& a : args) argv.push_back(a);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      // The server may append to the same file later, as postgres.
      if (::geteuid() == 0)
        if (passwd* pw = ::getpwnam("postgres")) (void)::fchown(fd, pw->pw_uid, pw->pw_gid);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execvp(cargs[0], cargs.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string bin(const char* prog) { return env("DBRIDGE_TEST_POSTGRES_BIN") + "/" + prog; }

/// The server's command-line options (from postmaster.opts) without -D, as
/// pg_ctl -o wants them; `replace` swaps values of options such as -p / -k.
std::string server_options(const std::string& data_dir, const std::vector<std::pair<std::string, std::string>>& replace = {}) {
  std::ifstream in(data_dir + "/postmaster.opts");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> tokens;
  for (std::size_t i = line.find('"'); i != std::string::npos;) {
    const std::size_t end = line.find('"', i + 1);
    if (end == std::string::npos) break;
    tokens.push_back(line.substr(i + 1, end - i - 1));
    i = line.find('"', end + 1);
  }
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string t = tokens[i];
    if (t == "-D") {
      ++i;
      continue;
    }
    if (i + 1 < tokens.size()) {
      bool replaced = false;
      for (const auto& [k, v] : replace)
        if (t == k) {
          out += " \"" + t + "\" \"" + v + "\"";
          ++i;
          replaced = true;
        }
      if (replaced) continue;
    }
    out += " \"" + t + "\"";
  }
  return out;
}

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

std::string with_port(const std::string& u, int port) {
  const url parsed = parse_url(u);
  const std::string host = parsed.hosts.empty() ? "127.0.0.1" : parsed.hosts[0].host;
  const std::string from = host + ":" + std::to_string(parsed.hosts.empty() ? 5432 : parsed.hosts[0].port);
  std::string out = u;
  out.replace(out.find(from), from.size(), host + ":" + std::to_string(port));
  return out;
}

std::string password() {
  const url u = parse_url(server_url());
  return u.password.value_or("");
}

std::string table(const std::string& base) { return "dbr_pooltest_" + base + "_" + std::to_string(::getpid()); }

}  // namespace

TEST(limits, two_hundred_threads_on_eight_connections) {
  REQUIRE_SERVER();
  pool p(server_url(), {.max = 8, .acquire_timeout = 120s, .name = "pg-200", .opened_by = "pool-200-test"});
  constexpr int threads = 200, rounds = 10;
  std::mutex mu;
  std::set<std::int64_t> busy_pids;
  std::atomic<int> violations{0}, ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        auto c = p.acquire();
        const auto pid = c->query_one("SELECT pg_backend_pid()").get<std::int64_t>(0);
        {
          std::lock_guard lock(mu);
          if (!busy_pids.insert(pid).second) ++violations;  // another caller holds this session
        }
        (void)c->query_one("SELECT 1");
        {
          std::lock_guard lock(mu);
          busy_pids.erase(pid);
        }
        ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(ok.load(), threads * rounds);
  const auto m = p.metrics();
  EXPECT_LE(m.total, 8u);
  EXPECT_LE(m.created, 8u);
  EXPECT_EQ(m.in_use, 0u);
  EXPECT_EQ(m.waiting, 0u);
  EXPECT_EQ(m.timeouts, 0u);
  EXPECT_EQ(registry::global().opened_by("pool-200-test").size(), m.total);
  // Every connection came back: the server sees exactly the pool's sessions.
  auto c = p.acquire();
  EXPECT_EQ(c->query_one("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                         "backend_type = 'client backend' AND application_name = ''")
                .get<std::int64_t>(0) >= static_cast<std::int64_t>(m.total),
            true);
}

TEST(connections, broken_one_is_discarded_and_replaced) {
  REQUIRE_SERVER();
  pool p(server_url(), {.max = 2});
  auto killer = connect(server_url());
  std::uint64_t id;
  {
    auto c = p.acquire();
    id = c->id();
    const auto pid = c->query_one("SELECT pg_backend_pid()").get<std::int64_t>(0);
    killer.execute("SELECT pg_terminate_backend($1)", {pid});
    try {
      (void)c->query_one("SELECT 1");
      ADD_FAILURE() << "a terminated session answered";
    } catch (const error& e) {
      EXPECT_EQ(e.category(), errc::connection);
      EXPECT_TRUE(e.connection_broken());
      EXPECT_TRUE(e.retryable());
    }
  }
  EXPECT_EQ(p.metrics().closed, 1u);
  EXPECT_EQ(p.metrics().total, 0u);
  auto c = p.acquire();
  EXPECT_NE(c->id(), id);
  EXPECT_EQ(c->query_one("SELECT 3").get<std::int64_t>(0), 3);
}

TEST(connections, validate_on_acquire_skips_a_dead_idle_connection) {
  REQUIRE_SERVER();
  pool p(server_url(), {.max = 2, .validate_on_acquire = true});
  auto killer = connect(server_url());
  std::int64_t pid;
  std::uint64_t id;
  {
    auto c = p.acquire();
    id = c->id();
    pid = c->query_one("SELECT pg_backend_pid()").get<std::int64_t>(0);
  }
  killer.execute("SELECT pg_terminate_backend($1)", {pid});
  ASSERT_TRUE(eventually([&] {
    return killer.query_one("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", {pid}).get<std::int64_t>(0) == 0;
  }));
  auto c = p.acquire();
  EXPECT_NE(c->id(), id);
  EXPECT_EQ(c->query_one("SELECT 4").get<std::int64_t>(0), 4);
  EXPECT_EQ(p.metrics().health_check_failures, 1u);
}

TEST(registry, entries_are_redacted_and_carry_pool_state) {
  REQUIRE_SERVER();
  const std::string secret = password();
  ASSERT_FALSE(secret.empty());
  pool p(server_url() + "?pool_max=3&pool_name=pg-reg", {.opened_by = "module-x"});
  auto c = p.acquire();
  auto tx = c->begin();
  auto list = registry::global().opened_by("module-x");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].state, connection_state::in_transaction);
  EXPECT_EQ(list[0].pool, "pg-reg");
  EXPECT_EQ(list[0].driver, "postgres");
  EXPECT_EQ(list[0].database, "dbridge_test");
  EXPECT_EQ(list[0].redacted_url.find(secret), std::string::npos);
  EXPECT_EQ(list[0].redacted_url.find("pool_"), std::string::npos);
  ASSERT_TRUE(list[0].pool_stats.has_value());
  EXPECT_EQ(list[0].pool_stats->max, 3u);
  const std::string json = registry::global().to_json();
  EXPECT_EQ(json.find(secret), std::string::npos);
  tx.commit();
  c->execute("BEGIN");  // a raw BEGIN is seen too: rolled back on the way in
  c.release();
  list = registry::global().opened_by("module-x");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].state, connection_state::idle);
  auto again = p.acquire();
  EXPECT_FALSE(again->in_transaction());

  // An unreachable server: errors and the health report keep the secret out.
  pool dead(with_port(server_url(), free_port()), {.min = 1, .max = 1, .acquire_timeout = 2s,
                                                  .reconnect_backoff_min = 10ms, .reconnect_backoff_max = 50ms});
  try {
    (void)dead.acquire();
    ADD_FAILURE() << "connected to a closed port";
  } catch (const error& e) {
    EXPECT_EQ(e.category(), errc::connection);
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
  }
  ASSERT_TRUE(eventually([&] { return !dead.health().healthy; }));
  const auto h = dead.health();
  EXPECT_EQ(h.status, "unhealthy");
  EXPECT_FALSE(h.last_error.empty());
  EXPECT_EQ(h.to_json().find(secret), std::string::npos);
  EXPECT_GE(h.primary.connect_failures, 1u);
}

TEST(retry, with_retry_survives_a_real_serialization_failure) {
  REQUIRE_SERVER();
  pool p(server_url(), {.max = 2});
  const std::string t = table("ser");
  p.acquire()->execute("DROP TABLE IF EXISTS " + t);
  p.acquire()->execute("CREATE TABLE " + t + " (k text, v int)");
  auto other = connect(server_url());
  int attempts = 0;
  std::vector<errc> seen;
  retry_policy pol;
  pol.initial_backoff = 1ms;
  pol.on_retry = [&](const error& e, std::uint32_t, std::chrono::nanoseconds) { seen.push_back(e.category()); };
  with_retry(
      [&] {
        ++attempts;
        auto c = p.acquire();
        c->transaction(
            [&](transaction& tx) {
              const auto sum = tx.query_one("SELECT coalesce(sum(v), 0) FROM " + t + " WHERE k = 'a'").get<std::int64_t>(0);
              if (attempts == 1) {
                // A concurrent transaction reads the same rows, writes and commits first:
                // write skew, which SERIALIZABLE must refuse.
                other.transaction(
                    [&](transaction& o) {
                      (void)o.query_one("SELECT coalesce(sum(v), 0) FROM " + t + " WHERE k = 'a'");
                      o.execute("INSERT INTO " + t + " VALUES ('a', 1)");
                    },
                    {.isolation = isolation_level::serializable});
              }
              tx.execute("INSERT INTO " + t + " VALUES ('a', $1)", {sum + 10});
            },
            {.isolation = isolation_level::serializable});
      },
      pol);
  EXPECT_EQ(attempts, 2);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], errc::txn_conflict);
  EXPECT_EQ(other.query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 2);
  EXPECT_EQ(other.query_one("SELECT max(v) FROM " + t).get<std::int64_t>(0), 11);
  other.execute("DROP TABLE " + t);
  EXPECT_EQ(p.metrics().in_use, 0u);
}

TEST(outage, server_restart_under_load_recovers_by_itself) {
  REQUIRE_SERVER_CONTROL();
  const std::string data = env("DBRIDGE_TEST_POSTGRES_DATA");
  const std::string log = std::filesystem::path(data).parent_path().string() + "/server.log";
  const std::string opts = server_options(data);
  ASSERT_FALSE(opts.empty());
  pool p(server_url(), {.min = 2, .max = 8, .acquire_timeout = 60s, .health_check_period = 200ms,
                        .name = "pg-outage", .opened_by = "outage-test",
                        .reconnect_backoff_min = 20ms, .reconnect_backoff_max = 500ms});
  constexpr int threads = 8;
  std::atomic<int> phase{0};  // 0 before the stop, 1 down, 2 restarted
  std::atomic<bool> stop{false};
  std::atomic<int> retryable{0}, fatal{0};
  std::atomic<int> ok_after[threads] = {};
  std::atomic<long> ok{0};
  std::vector<std::thread> ts;
  retry_policy pol;
  pol.max_attempts = 100000;
  pol.initial_backoff = 5ms;
  pol.max_backoff = 100ms;
  pol.on_retry = [&](const error&, std::uint32_t, std::chrono::nanoseconds) { ++retryable; };
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      while (!stop) {
        try {
          with_retry(
              [&] {
                auto c = p.acquire();
                (void)c->query_one("SELECT 1");
              },
              pol);
          ++ok;
          if (phase == 2) ++ok_after[t];
        } catch (const error& e) {
          ++fatal;
          ADD_FAILURE() << "not retried: " << e.what();
        }
      }
    });
  ASSERT_TRUE(eventually([&] { return ok > 200; }));
  phase = 1;
  ASSERT_EQ(run({bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "-t", "60", "stop"}), 0);
  const bool saw_errors = eventually([&] { return retryable > 0; }, 20s);
  ASSERT_EQ(run({bin("pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "-o", opts, "start"}), 0);
  phase = 2;
  const bool all_recovered = eventually(
      [&] {
        for (auto& n : ok_after)
          if (n < 5) return false;
        return true;
      },
      60s);
  stop = true;
  for (auto& t : ts) t.join();
  EXPECT_TRUE(saw_errors);
  EXPECT_TRUE(all_recovered);
  EXPECT_EQ(fatal.load(), 0);
  ASSERT_TRUE(eventually([&] { return p.health().healthy; }));
  const auto m = p.metrics();
  EXPECT_EQ(m.in_use, 0u);
  EXPECT_EQ(m.waiting, 0u);
  EXPECT_LE(m.total, 8u);
  EXPECT_GT(m.closed, 0u);
  EXPECT_GE(m.connect_failures + m.health_check_failures, 1u);
  // No leaked entries: the registry holds exactly the pool's open connections.
  ASSERT_TRUE(eventually([&] { return registry::global().opened_by("outage-test").size() == p.metrics().total; }));
}

namespace {

/// A streaming replica of the test server in a temporary folder.
struct replica {
  std::filesystem::path dir;
  std::string data, log, opts, url;
  int port = 0;
  bool running = false;

  replica() {
    char tmpl[] = "/tmp/dbr_pool_replica.XXXXXX";
    dir = ::mkdtemp(tmpl);
    if (::geteuid() == 0) {
      if (passwd* pw = ::getpwnam("postgres")) {
        (void)::chown(dir.c_str(), pw->pw_uid, pw->pw_gid);
      }
    }
    ::chmod(dir.c_str(), 0700);
    data = (dir / "data").string();
    log = (dir / "server.log").string();
    port = free_port();
    url = with_port(server_url(), port);
  }
  ~replica() {
    if (running) stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  bool create() {
    const dbridge::url u = parse_url(server_url());
    const int rc = run({bin("pg_basebackup"), "-h", u.hosts.at(0).host, "-p", std::to_string(u.hosts.at(0).port), "-U",
                        u.user.value_or("dbridge"), "-D", data, "-R", "-X", "stream", "-c", "fast"},
                       log, {"PGPASSWORD=" + u.password.value_or("")});
    // Same settings as the primary (hot standby insists on max_connections
    // and friends being no lower), its own port and socket folder.
    opts = server_options(env("DBRIDGE_TEST_POSTGRES_DATA"), {{"-p", std::to_string(port)}, {"-k", dir.string()}});
    return rc == 0;
  }
  bool start() {
    running = run({bin("pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "-o", opts, "start"}, log) == 0;
    return running;
  }
  bool stop() {
    const bool ok = run({bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "-t", "60", "stop"}, log) == 0;
    if (ok) running = false;
    return ok;
  }
  std::string log_text() const {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

std::int64_t server_port(connection& c) { return c.query_one("SELECT inet_server_port()").get<std::int64_t>(0); }

}  // namespace

TEST(replicas, reads_go_to_the_replica_writes_to_the_primary_with_fallback) {
  REQUIRE_SERVER_CONTROL();
  replica r;
  ASSERT_TRUE(r.create()) << r.log_text();
  ASSERT_TRUE(r.start()) << r.log_text();
  const int primary_port = parse_url(server_url()).hosts.at(0).port;
  pool p(server_url(), {.max = 4, .health_check_period = 100ms, .name = "pg-split", .read_urls = {r.url},
                        .reconnect_backoff_min = 20ms, .reconnect_backoff_max = 200ms});
  ASSERT_EQ(p.replica_count(), 1u);
  const std::string t = table("split");
  {
    auto w = p.write();
    EXPECT_EQ(w.role(), "primary");
    EXPECT_EQ(server_port(*w), primary_port);
    EXPECT_FALSE(w->query_one("SELECT pg_is_in_recovery()").get<bool>(0));
    w->execute("DROP TABLE IF EXISTS " + t);
    w->execute("CREATE TABLE " + t + " (v int)");
    w->execute("INSERT INTO " + t + " VALUES (7)");
  }
  {
    auto rd = p.read();
    EXPECT_EQ(rd.role(), "replica");
    EXPECT_EQ(server_port(*rd), r.port);
    EXPECT_TRUE(rd->query_one("SELECT pg_is_in_recovery()").get<bool>(0));
    EXPECT_THROW(rd->execute("INSERT INTO " + t + " VALUES (8)"), error);  // read-only
  }
  // The write reaches the replica by streaming.
  EXPECT_TRUE(eventually([&] {
    try {
      auto rd = p.read();
      return rd.role() == "replica" && rd->query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0) == 1;
    } catch (const error&) {
      return false;
    }
  }, 20s)) << r.log_text();

  // Replica stopped: reads fall back to the primary (callers may see one
  // retryable error from a connection that died with it).
  ASSERT_TRUE(r.stop());
  retry_policy pol;
  pol.max_attempts = 50;
  pol.initial_backoff = 5ms;
  EXPECT_TRUE(eventually([&] {
    return with_retry([&] {
      auto rd = p.read();
      return server_port(*rd) == primary_port && rd.role() == "primary";
    }, pol);
  }, 20s));
  EXPECT_FALSE(p.replica_up(0));
  EXPECT_EQ(p.health().status, "degraded");
  EXPECT_TRUE(p.health().healthy);

  // Back again: the pool takes it back by itself.
  ASSERT_TRUE(r.start()) << r.log_text();
  EXPECT_TRUE(eventually([&] {
    return with_retry([&] {
      auto rd = p.read();
      return rd.role() == "replica" && server_port(*rd) == r.port;
    }, pol);
  }, 30s));
  EXPECT_TRUE(p.replica_up(0));
  EXPECT_EQ(p.health().status, "healthy");
  p.write()->execute("DROP TABLE " + t);
  p.close();
}

TEST(replicas, least_busy_prefers_the_idle_replica_and_env_configures_replicas) {
  REQUIRE_SERVER();
  // Two "replicas" that are the primary under other URLs: enough to watch
  // the choice, which depends only on the pools' figures.
  const std::string a = server_url() + "?application_name=rep_a";
  const std::string b = server_url() + "?application_name=rep_b";
  ::setenv("DATABASE_URL", server_url().c_str(), 1);
  ::setenv("DATABASE_READ_URLS", (a + "," + b).c_str(), 1);
  pool p(std::string_view{}, {.max = 4, .read_strategy = replica_choice::least_busy});
  ::unsetenv("DATABASE_URL");
  ::unsetenv("DATABASE_READ_URLS");
  ASSERT_EQ(p.replica_count(), 2u);
  auto r1 = p.read();
  auto r2 = p.read();
  const auto app1 = r1->query_one("SELECT current_setting('application_name')").get<std::string>(0);
  const auto app2 = r2->query_one("SELECT current_setting('application_name')").get<std::string>(0);
  EXPECT_NE(app1, app2) << "least busy spreads two concurrent reads";
  r1.release();
  auto r3 = p.read();
  EXPECT_EQ(r3->query_one("SELECT current_setting('application_name')").get<std::string>(0), app1);
  // Round robin alternates regardless of load.
  pool rr(server_url(), {.max = 2, .read_urls = {a, b}});
  std::vector<std::string> apps;
  for (int i = 0; i < 4; ++i)
    apps.push_back(rr.read()->query_one("SELECT current_setting('application_name')").get<std::string>(0));
  EXPECT_NE(apps[0], apps[1]);
  EXPECT_EQ(apps[0], apps[2]);
  EXPECT_EQ(apps[1], apps[3]);
}
