// SPDX-License-Identifier: Apache-2.0
// A pool under 16 threads of inserts while the test's own PostgreSQL server
// is killed with SIGKILL and restarted on the same port: no acknowledged
// write is lost, none is applied twice, the same pool serves again, and no
// server session is left once the pool is gone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/retry.hpp"
#include "test_server.hpp"

#ifndef DBRIDGE_PRIVATE_POSTGRES
#error "define DBRIDGE_PRIVATE_POSTGRES as the path of tests/faults/private_postgres.sh"
#endif

using namespace dbridge;
using namespace std::chrono_literals;

namespace {

/// Runs the script; returns its output, "" and a failure when it fails.
std::string script(const std::string& args) {
  const std::string cmd = std::string(DBRIDGE_PRIVATE_POSTGRES) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {};
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << cmd << ":\n" << out;
  return rc == 0 ? out : std::string();
}

/// The private server, stopped and removed by the destructor.
struct private_postgres {
  std::string dir = "/tmp/dbridge-kill-" + std::to_string(::getpid());
  std::string url;
  private_postgres() {
    const std::string out = script("start " + dir);
    const std::size_t at = out.find("url ");
    if (at != std::string::npos) url = out.substr(at + 4, out.find('\n', at) - at - 4);
  }
  ~private_postgres() { script("stop " + dir); }
};

/// Polls a condition that needs a round trip to the server, bounded.
template <class F>
bool poll_until(std::chrono::steady_clock::duration timeout, F&& done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done())
    if (std::chrono::steady_clock::now() > deadline) return false;
  return true;
}

TEST(PostgresKill, SigkillAndRestartLosesNoAcknowledgedWriteAndAppliesNoneTwice) {
  // Needs PostgreSQL installed, which the shared server's presence shows.
  DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_URL");
  private_postgres server;
  ASSERT_FALSE(server.url.empty()) << "the private server did not start";
  const std::string app = "dbr_kill_" + std::to_string(::getpid());
  const std::string url = server.url + "?application_name=" + app;
  connect(server.url).execute("CREATE TABLE ids (id BIGINT NOT NULL)");

  constexpr int threads = 16;
  std::atomic<std::int64_t> next_id{0};
  std::atomic<bool> restarted{false}, stop{false};
  std::mutex m;
  std::condition_variable progress;
  std::int64_t acked_total = 0, acked_after = 0;  // guarded by m
  std::vector<std::int64_t> acked, unknown, refused;
  {
    pool_options po;
    po.max = threads;
    po.acquire_timeout = 5s;
    po.reconnect_backoff_min = 10ms;
    po.reconnect_backoff_max = 100ms;
    dbridge::pool db(url, po);
    retry_policy rp;
    rp.max_attempts = 200;  // the server is down for a moment: keep knocking
    rp.initial_backoff = 5ms;
    rp.max_backoff = 50ms;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        while (!stop.load()) {
          const std::int64_t id = next_id.fetch_add(1);
          try {
            with_retry([&] { db.acquire()->execute("INSERT INTO ids (id) VALUES ($1)", {id}); }, rp);
            std::lock_guard lock(m);
            acked.push_back(id);
            ++acked_total;
            if (restarted.load()) ++acked_after;
            progress.notify_all();
          } catch (const error& e) {
            std::lock_guard lock(m);
            (e.outcome_unknown() ? unknown : refused).push_back(id);
          }
        }
      });
    }
    const auto acked_at_least = [&](const std::int64_t& counter, std::int64_t n) {
      std::unique_lock lock(m);
      return progress.wait_for(lock, 10s, [&] { return counter >= n; });
    };
    EXPECT_TRUE(acked_at_least(acked_total, 200)) << "no inserts before the kill";
    script("kill " + server.dir);
    script("restart " + server.dir);
    restarted = true;
    // The same pool object serves again: its broken connections are
    // replaced by new ones to the restarted server.
    EXPECT_TRUE(acked_at_least(acked_after, 200)) << "the pool did not recover";
    stop = true;
    for (std::thread& w : workers) w.join();
    EXPECT_EQ(db.acquire()->query_one("SELECT 1").get<std::int64_t>(0), 1);
  }  // the pool is destroyed here

  connection check = connect(server.url);
  std::set<std::int64_t> stored;
  std::int64_t rows = 0;
  for (const auto& row : check.query("SELECT id FROM ids")) {
    stored.insert(row.get<std::int64_t>(0));
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<std::int64_t>(stored.size())) << "a write was applied twice";
  std::size_t lost = 0, unknown_present = 0;
  for (std::int64_t id : acked) lost += stored.count(id) == 0 ? 1 : 0;
  for (std::int64_t id : unknown) unknown_present += stored.count(id);
  for (std::int64_t id : refused)
    EXPECT_EQ(stored.count(id), 0u) << "id " << id << " failed as not applied, yet is stored";
  EXPECT_EQ(lost, 0u) << "acknowledged writes lost";
  std::cout << "kill test: " << acked.size() << " acknowledged, " << unknown.size() << " unknown outcome ("
            << unknown_present << " of them applied), " << refused.size() << " refused, "
            << rows - static_cast<std::int64_t>(stored.size()) << " applied twice, " << lost
            << " acknowledged but lost\n";
  EXPECT_TRUE(poll_until(5s, [&] {
    return check.query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {app})
               .get<std::int64_t>(0) == 0;
  })) << "server sessions of the pool outlived it";
}

}  // namespace
