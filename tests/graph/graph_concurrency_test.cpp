// SPDX-License-Identifier: Apache-2.0
// graph-sql writers of different graphs at the same time, on two connections:
// both must succeed and each graph must end complete. A third connection (the
// gate) holds a lock each writer meets part-way, so both are inside their
// transactions, holding what they took so far, before either goes on: the
// interleaving that deadlocked is made, not hoped for. The test polls the
// server until both writers wait (bounded), then lets them go.
#include <dbridge/connection.hpp>
#include <dbridge/graph.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sql_backends.hpp"
#include "temp_files.hpp"
#include "test_server.hpp"

namespace {

using dbridge::graph;
using dbridge::graph_store;

using dbridge::test::sql_backend;
using dbridge::test::sql_backends;

// n nodes, each with edges to the next three.
graph ring(const std::string& tag, int n) {
  graph g;
  for (int i = 0; i < n; ++i)
    for (int k = 1; k <= 3; ++k)
      g.add_edge(tag + std::to_string(i), tag + std::to_string((i + k) % n), "LINK", 1.0);
  return g;
}

class graph_sql_concurrency : public ::testing::TestWithParam<sql_backend> {
 protected:
  void SetUp() override {
    dbridge::test::use_backend(GetParam().url_env, "dbridge_graph_concurrency", url_, file_);
    if (url_.empty()) return;
    conn_.emplace(dbridge::connect(url_));
    store_.emplace(*conn_, "graph-sql");  // makes the schema before the writers race
    remove_test_graphs();
  }
  void TearDown() override {
    if (store_) remove_test_graphs();
  }
  void remove_test_graphs() {
    for (const auto& s : store_->list())
      if (s.name.rfind("gc_", 0) == 0) store_->remove(s.name);
  }
  std::string dialect() const { return GetParam().dialect; }

  // Sessions of this database waiting for a lock (row, table, advisory or user lock).
  std::int64_t waiting() {
    if (dialect() == "postgres")
      return conn_
          ->query_one("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                      "wait_event_type = 'Lock'")
          .get<std::int64_t>(0);
    return conn_
        ->query_one("SELECT (SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT') + "
                    "(SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
                    "(STATE = 'User lock' OR STATE LIKE 'Waiting for%lock%'))")
        .get<std::int64_t>(0);
  }
  std::string sessions() {
    std::string out;
    const char* sql = dialect() == "postgres"
                          ? "SELECT coalesce(wait_event_type, '-') || ' ' || left(query, 60) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                          : "SELECT CONCAT(COALESCE(STATE, '-'), ' ', LEFT(COALESCE(INFO, '-'), 60)) FROM "
                            "information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()";
    for (const auto& row : conn_->query(sql)) out += "\n  " + row.get<std::string>(0);
    return out;
  }
  void wait_for_waiters(std::int64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (waiting() < n) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "fewer than " << n << " writers waiting: " << sessions();
      // InnoDB refreshes INNODB_TRX only when it was not read for 100 ms.
      std::this_thread::sleep_for(std::chrono::milliseconds(dialect() == "mariadb" ? 150 : 10));
    }
  }

  // Runs first, then second, each on its own connection. With a gate (SQL
  // run in a transaction of a third connection; not on SQLite, whose writers
  // wait in their busy handler where the server cannot show them), each
  // writer is started once the previous ones wait, and the gate is rolled
  // back once both do. Returns what failed, "" if nothing.
  std::string run_both(const std::vector<std::string>& gate_sql, const std::function<void(graph_store&)>& first,
                       const std::function<void(graph_store&)>& second) {
    std::optional<dbridge::connection> gate_conn;
    std::optional<dbridge::transaction> gate;
    if (!gate_sql.empty() && dialect() != "sqlite") {
      gate_conn.emplace(dbridge::connect(url_));
      gate.emplace(gate_conn->begin());
      for (const auto& sql : gate_sql) (void)gate_conn->query(sql);
    }
    std::string failures;
    std::mutex failures_mutex;
    auto run = [&](const char* which, const std::function<void(graph_store&)>& op) {
      try {
        auto conn = dbridge::connect(url_);
        graph_store s(conn, "graph-sql");
        op(s);
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> lock(failures_mutex);
        failures += std::string(which) + ": " + e.what() + "\n";
      }
    };
    std::thread a(run, "first", first);
    if (gate) wait_for_waiters(1);
    std::thread b(run, "second", second);
    if (gate) {
      wait_for_waiters(2);
      gate->rollback();
    }
    a.join();
    b.join();
    return failures;
  }
  // Locks the graphs' node rows and the index ranges where they go.
  std::string lock_nodes_of(const std::string& a, const std::string& b) const {
    return "SELECT node_id FROM graph_nodes WHERE graph_name IN ('" + a + "', '" + b + "') FOR UPDATE";
  }
  // On PostgreSQL a store takes its edge ids from graph_edges' sequence after
  // copying nothing yet; ALTER SEQUENCE holds a lock that nextval waits for.
  std::vector<std::string> gate_at_edge_ids(const std::string& a, const std::string& b) const {
    if (dialect() == "postgres") return {"ALTER SEQUENCE graph_edges_id_seq CACHE 1"};
    return {lock_nodes_of(a, b)};
  }

  std::string url_;
  std::optional<dbridge::test::temp_sqlite_db> file_;
  std::optional<dbridge::connection> conn_;
  std::optional<graph_store> store_;
};

// Each store held a lock on graph_edges from making its fresh edge table and
// then asked for graph_edges alone (PostgreSQL); each took the gap where new
// graphs' rows go and then inserted into the other's (MariaDB).
TEST_P(graph_sql_concurrency, two_stores_of_different_graphs_at_once_both_complete) {
  if (!store_) GTEST_SKIP() << "no server for " << dialect();
  const graph a = ring("a", 300), b = ring("b", 200);
  const std::string failures = run_both(
      gate_at_edge_ids("gc_a", "gc_b"), [&](graph_store& s) { s.store(a, "gc_a"); },
      [&](graph_store& s) { s.store(b, "gc_b"); });
  EXPECT_EQ(failures, "");
  EXPECT_EQ(store_->load("gc_a"), a);
  EXPECT_EQ(store_->load("gc_b"), b);
}

// A store over a stored graph and the remove of another, both replacing or
// dropping partitions on PostgreSQL.
TEST_P(graph_sql_concurrency, a_store_and_a_remove_of_another_graph_at_once_both_complete) {
  if (!store_) GTEST_SKIP() << "no server for " << dialect();
  const graph a = ring("a", 300);
  store_->store(ring("old", 50), "gc_a");
  store_->store(ring("b", 200), "gc_b");
  store_->merge(ring("m", 200), "gc_m");
  const std::string failures = run_both(
      gate_at_edge_ids("gc_a", "gc_b"), [&](graph_store& s) { s.store(a, "gc_a"); },
      [&](graph_store& s) {
        s.remove("gc_b");
        s.remove("gc_m");
      });
  EXPECT_EQ(failures, "");
  EXPECT_EQ(store_->load("gc_a"), a);
  EXPECT_THROW(store_->stats("gc_b"), dbridge::not_found_error);
  EXPECT_THROW(store_->stats("gc_m"), dbridge::not_found_error);
}

// The merge holds graph_nodes from its node upsert when it reaches
// graph_edges; the store holds graph_edges when its attach checks the
// foreign keys against graph_nodes (PostgreSQL).
TEST_P(graph_sql_concurrency, a_merge_and_a_store_of_another_graph_at_once_both_complete) {
  if (!store_) GTEST_SKIP() << "no server for " << dialect();
  store_->merge(ring("m", 100), "gc_m");
  graph more = ring("m", 100);
  more.add_edge("m0", "m_new", "LINK", 2.0);
  graph expected = more;
  const graph s = ring("s", 300);
  const std::string failures = run_both(
      {lock_nodes_of("gc_m", "gc_s")}, [&](graph_store& st) { st.merge(more, "gc_m"); },
      [&](graph_store& st) { st.store(s, "gc_s"); });
  EXPECT_EQ(failures, "");
  EXPECT_EQ(store_->load("gc_m"), expected);
  EXPECT_EQ(store_->load("gc_s"), s);
}

INSTANTIATE_TEST_SUITE_P(backends, graph_sql_concurrency, ::testing::ValuesIn(sql_backends),
                         [](const ::testing::TestParamInfo<sql_backend>& i) { return std::string(i.param.dialect); });

}  // namespace
