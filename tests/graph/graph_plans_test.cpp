// SPDX-License-Identifier: Apache-2.0
// graph-sql on PostgreSQL while the planner's statistics do not know a graph
// (right after a store or a merge, before autovacuum's analyze): remove and
// neighbors must read the rows of the nodes they touch, not the whole graph.
// The index tuples each call reads are counted from pg_stat_user_indexes
// (flushed on demand), so the tests assert work done rather than time.
#include <dbridge/connection.hpp>
#include <dbridge/graph.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "temp_files.hpp"
#include "test_server.hpp"

namespace {

using dbridge::graph;
using dbridge::graph_store;

class graph_sql_plans : public ::testing::Test {
 protected:
  void SetUp() override {
    dbridge::test::use_backend("DBRIDGE_TEST_POSTGRES_URL", "dbridge_graph_plans", url_, file_);
    if (url_.empty()) return;
    conn_.emplace(dbridge::connect(url_));
    store_.emplace(*conn_, "graph-sql");  // makes the schema
    remove_test_graphs();  // left by a run that was stopped
    // A session of an earlier test may still be ending, and its statistics
    // would land in the middle of a count. (Sessions of tests that do not
    // take the servers' lock may stay: then the counts go on after 5 s.)
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline &&
           conn_->query_one("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND "
                            "datname = current_database() AND pid <> pg_backend_pid()")
                   .get<std::int64_t>(0) > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // No analyze by autovacuum in the middle of a test: the statistics stay
    // the ones the test made.
    // Dead index entries left by earlier runs (their removes, with
    // autovacuum off) are read by lookups too and would land in the counts.
    conn_->execute_script("VACUUM graph_nodes, graph_edges_default");
    conn_->execute_script(
        "ALTER TABLE graph_nodes SET (autovacuum_enabled = off); "
        "ALTER TABLE graph_edges_default SET (autovacuum_enabled = off)");
  }
  void TearDown() override {
    if (!store_) return;
    remove_test_graphs();
    conn_->execute_script(
        "ALTER TABLE graph_nodes RESET (autovacuum_enabled); "
        "ALTER TABLE graph_edges_default RESET (autovacuum_enabled)");
  }
  void remove_test_graphs() {
    for (const auto& s : store_->list())
      if (s.name.rfind("gp_", 0) == 0) store_->remove(s.name);
  }
  // Statistics that know one small graph, and so none of the graphs the test adds next.
  void analyze_with_another_graph() {
    graph other;
    for (int i = 0; i < 50; ++i) other.add_edge("o" + std::to_string(i), "o" + std::to_string(i + 1), "NEXT");
    store_->merge(other, "gp_other");
    conn_->execute_script("ANALYZE graph_nodes; ANALYZE graph_edges_default");
  }
  // n nodes, each with edges to the next three (3n edges): a walk of depth 2 reaches at most 9 nodes.
  static graph ring(int n) {
    graph g;
    for (int i = 0; i < n; ++i) g.add_node("n" + std::to_string(i));
    for (int i = 0; i < n; ++i)
      for (int k = 1; k <= 3; ++k) g.add_edge("n" + std::to_string(i), "n" + std::to_string((i + k) % n), "LINK");
    return g;
  }
  // Index tuples read so far from table's indexes, this session's included.
  std::int64_t index_tuples_read(const char* table) {
    conn_->execute_script("SELECT pg_stat_force_next_flush()");  // flushed when the statement ends
    return conn_
        ->query_one("SELECT coalesce(sum(idx_tup_read), 0)::bigint FROM pg_stat_user_indexes WHERE relname = $1",
                    {std::string(table)})
        .get<std::int64_t>(0);
  }

  std::string url_;
  std::optional<dbridge::test::temp_sqlite_db> file_;
  std::optional<dbridge::connection> conn_;
  std::optional<graph_store> store_;
};

// Each deleted node's foreign-key checks used to read graph_edges_default's
// graph_name index, all the graph's edges (2 x 1500 x 4500 index tuples).
TEST_F(graph_sql_plans, removing_a_merged_graph_checks_each_node_against_its_own_edges) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  analyze_with_another_graph();
  const auto partitions = [&] {
    return conn_->query_one("SELECT count(*) FROM pg_inherits WHERE inhparent = 'graph_edges'::regclass")
        .get<std::int64_t>(0);
  };
  const std::int64_t partitions_before = partitions();
  constexpr int n = 1500;
  store_->merge(ring(n), "gp_merged");
  ASSERT_EQ(store_->stats("gp_merged").edges, 3u * n);
  const std::int64_t before = index_tuples_read("graph_edges_default");
  store_->remove("gp_merged");
  // The DELETE of the edges reads each once; the checks find none there.
  EXPECT_LE(index_tuples_read("graph_edges_default") - before, 2 * 3 * n);
  EXPECT_THROW(store_->stats("gp_merged"), dbridge::not_found_error);
  EXPECT_TRUE(conn_->query_one("SELECT count(*) = 0 FROM graph_nodes WHERE graph_name = 'gp_merged'").get<bool>(0));
  // The partition made for the node checks is gone again.
  EXPECT_EQ(partitions(), partitions_before);
  EXPECT_EQ(store_->stats("gp_other").edges, 50u);
  EXPECT_EQ(store_->neighbors("gp_other", "o0", {.depth = 2}).size(), 2u);
}

// store over a merged graph (its edges in graph_edges_default) deletes its
// old nodes as remove does: each node's foreign-key checks used to read the
// graph_name index, all the graph's deleted edges (2 x 1500 x 4500 index tuples).
TEST_F(graph_sql_plans, storing_over_a_merged_graph_checks_each_node_against_its_own_edges) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  analyze_with_another_graph();
  constexpr int n = 1500;
  store_->merge(ring(n), "gp_replaced");
  ASSERT_EQ(store_->stats("gp_replaced").edges, 3u * n);
  graph next = ring(n);
  next.add_edge("n0", "extra", "LINK");
  const std::int64_t before = index_tuples_read("graph_edges_default");
  store_->store(next, "gp_replaced");
  // The DELETE of the old edges reads each once; the checks find none there.
  EXPECT_LE(index_tuples_read("graph_edges_default") - before, 2 * 3 * n);
  EXPECT_EQ(store_->stats("gp_replaced").nodes, n + 1u);
  EXPECT_EQ(store_->stats("gp_replaced").edges, 3u * n + 1);
  EXPECT_EQ(store_->load("gp_replaced"), next);
  // Stored over again, now from its own partition.
  store_->store(ring(n), "gp_replaced");
  EXPECT_EQ(store_->load("gp_replaced"), ring(n));
  EXPECT_EQ(store_->stats("gp_other").edges, 50u);
}

// store over a stored graph updates the rows of the nodes both graphs have
// (an update that keeps (graph_name, node_id) fires no foreign-key check;
// deleting each node fired three) and deletes only the nodes it lost.
TEST_F(graph_sql_plans, storing_over_a_stored_graph_updates_the_nodes_it_keeps) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  constexpr int n = 2000;
  store_->store(ring(n), "gp_kept");
  // n1 .. n(n-1) in reverse order with values, and one new node; n0 is gone.
  graph next;
  for (int i = n - 1; i >= 1; --i) next.add_node("n" + std::to_string(i), dbridge::json{std::to_string(i)});
  next.add_node("new", {}, {"Fresh"});
  for (int i = 1; i < n; ++i)
    next.add_edge("n" + std::to_string(i), i + 1 < n ? "n" + std::to_string(i + 1) : "new", "LINK");
  const auto counts = [&] {
    conn_->execute_script("SELECT pg_stat_force_next_flush()");  // flushed when the statement ends
    auto row = conn_->query_one(
        "SELECT n_tup_upd, n_tup_del, n_tup_ins FROM pg_stat_user_tables WHERE relname = 'graph_nodes'");
    return std::vector<std::int64_t>{row.get<std::int64_t>(0), row.get<std::int64_t>(1), row.get<std::int64_t>(2)};
  };
  const std::vector<std::int64_t> before = counts();
  store_->store(next, "gp_kept");
  const std::vector<std::int64_t> after = counts();
  EXPECT_EQ(after[0] - before[0], n - 1);  // updated in place
  EXPECT_EQ(after[1] - before[1], 1);      // n0
  EXPECT_EQ(after[2] - before[2], 1);      // "new"
  EXPECT_EQ(store_->load("gp_kept"), next);
  // The rows' ids follow the new graph's order (load reads by id), one each.
  std::vector<std::string> by_id, order;
  for (auto& row : conn_->query("SELECT node_id FROM graph_nodes WHERE graph_name = 'gp_kept' ORDER BY id"))
    by_id.push_back(row.get<std::string>(0));
  for (const auto& node : next.nodes()) order.push_back(node.id);
  EXPECT_EQ(by_id, order);
  EXPECT_EQ(
      conn_->query_one("SELECT count(DISTINCT id) FROM graph_nodes WHERE graph_name = 'gp_kept'").get<std::int64_t>(0),
      n);
  // No temporary table is left for the next store in the session.
  store_->store(ring(n), "gp_kept");
  EXPECT_EQ(store_->load("gp_kept"), ring(n));
}

// A store over a stored graph that fails after its nodes were updated (here
// at the insert of a new node, which a check refuses) leaves the old rows.
TEST_F(graph_sql_plans, a_store_over_a_stored_graph_failing_after_its_updates_leaves_the_old_rows) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  store_->store(ring(50), "gp_failed");
  const auto rows = [&] {
    std::vector<std::string> out;
    for (auto& row : conn_->query("SELECT id || ' ' || node_id || ' ' || coalesce(value::text, '') || ' ' || "
                                  "created_at FROM graph_nodes WHERE graph_name = 'gp_failed' ORDER BY id"))
      out.push_back(row.get<std::string>(0));
    return out;
  };
  const std::vector<std::string> old_rows = rows();
  const graph old = ring(50);
  graph bad = old;
  for (const auto& node : old.nodes()) bad.add_node(node.id, dbridge::json{"1"});
  bad.add_edge("n0", "boom", "LINK");
  conn_->execute("ALTER TABLE graph_nodes ADD CONSTRAINT gp_no_boom CHECK (node_id <> 'boom')");
  EXPECT_THROW(store_->store(bad, "gp_failed"), dbridge::error);
  conn_->execute("ALTER TABLE graph_nodes DROP CONSTRAINT gp_no_boom");
  EXPECT_EQ(rows(), old_rows);
  EXPECT_EQ(store_->load("gp_failed"), old);
}

// merge replaces each given edge with a DELETE by (graph, from, to, type):
// with a custom plan from statistics that did not know the graph, each could
// read graph_edges_default's graph_name index, all the graph's edges.
TEST_F(graph_sql_plans, merging_into_a_merged_graph_reads_each_edges_own_rows) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  analyze_with_another_graph();
  constexpr int n = 1000;
  store_->merge(ring(n), "gp_merged_twice");
  const std::int64_t before = index_tuples_read("graph_edges_default");
  store_->merge(ring(n), "gp_merged_twice");
  // Each of the 3n DELETEs reads its from_node's three edges (and their replaced versions).
  EXPECT_LE(index_tuples_read("graph_edges_default") - before, 4 * 3 * n);
  EXPECT_EQ(store_->stats("gp_merged_twice").edges, 3u * n);
  EXPECT_EQ(store_->load("gp_merged_twice"), ring(n));
}

// Each remove of a merged graph attaches and drops a partition; two at once
// queue for graph_edges' lock (taken first) instead of deadlocking over it.
TEST_F(graph_sql_plans, two_removes_of_merged_graphs_at_once_both_succeed) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  store_->merge(ring(200), "gp_a");
  store_->merge(ring(200), "gp_b");
  std::atomic<int> ready{0};
  std::string failures;
  std::mutex failures_mutex;
  auto remove = [&](const char* name) {
    try {
      auto conn = dbridge::connect(url_);
      graph_store store(conn, "graph-sql");
      ++ready;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (ready.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      store.remove(name);
    } catch (const std::exception& e) {
      const std::lock_guard<std::mutex> lock(failures_mutex);
      failures += std::string(name) + ": " + e.what() + "\n";
    }
  };
  std::thread a(remove, "gp_a"), b(remove, "gp_b");
  a.join();
  b.join();
  EXPECT_EQ(failures, "");
  EXPECT_THROW(store_->stats("gp_a"), dbridge::not_found_error);
  EXPECT_THROW(store_->stats("gp_b"), dbridge::not_found_error);
}

// A stored graph (its own partition) and a merged one (graph_edges_default):
// each walk used to join the reached nodes by a scan of every node of the
// graph, and to walk the merged graph through the graph_name index.
TEST_F(graph_sql_plans, neighbors_read_the_reached_nodes_only) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  analyze_with_another_graph();
  constexpr int n = 1000, walks = 12;
  store_->store(ring(n), "gp_stored");
  store_->merge(ring(n), "gp_merged");
  for (const char* name : {"gp_stored", "gp_merged"}) {
    SCOPED_TRACE(name);
    const std::int64_t nodes_before = index_tuples_read("graph_nodes");
    const std::int64_t edges_before = index_tuples_read("graph_edges_default");
    for (int i = 0; i < walks; ++i) {
      const auto reached = store_->neighbors(name, "n" + std::to_string(i * 97 % n), {.depth = 2});
      ASSERT_EQ(reached.size(), 6u);  // the next six
      EXPECT_EQ(reached.front().depth, 1u);
      EXPECT_EQ(reached.back().depth, 2u);
    }
    // At most a few lookups per reached node (the start's, its edges' ends).
    EXPECT_LE(index_tuples_read("graph_nodes") - nodes_before, walks * 20);
    EXPECT_LE(index_tuples_read("graph_edges_default") - edges_before, walks * 40);
  }
}

// A store's attach checks each foreign key with one join against all of
// graph_nodes. With graph_nodes' statistics from before the store's nodes,
// or none, the planner priced hashing graph_nodes too high and probed its
// index once per edge instead (1-2 s per check at 500k edges). The store
// analyses graph_nodes' key columns before the attach: the statistics the
// checks are planned with count the nodes just written and measure their ids.
TEST_F(graph_sql_plans, store_plans_its_key_checks_with_statistics_of_its_nodes) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  analyze_with_another_graph();  // 51 nodes; the fixture keeps autovacuum's analyze away
  constexpr int n = 3000;
  const std::int64_t before = index_tuples_read("graph_nodes");
  store_->store(ring(n), "gp_counted");
  const std::int64_t read = index_tuples_read("graph_nodes") - before;
  EXPECT_GE(conn_->query_one("SELECT reltuples::bigint FROM pg_class WHERE oid = 'graph_nodes'::regclass")
                .get<std::int64_t>(0),
            n);
  EXPECT_LT(conn_->query_one("SELECT avg_width::bigint FROM pg_stats WHERE schemaname = current_schema() AND "
                             "tablename = 'graph_nodes' AND attname = 'node_id'")
                .get<std::int64_t>(0),
            16);
  // Probing per edge reads an index tuple per edge and key (2 x 3n).
  EXPECT_LT(read, 3 * n);
  EXPECT_EQ(store_->load("gp_counted").edge_count(), 3u * n);
}

// neighbors sets generic plans for its call only: the session, and a
// transaction of the caller's, keep the setting they had, also after a commit.
TEST_F(graph_sql_plans, neighbors_leave_the_callers_plan_setting) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  store_->store(ring(10), "gp_small");
  const auto setting = [&] {
    return conn_->query_one("SELECT current_setting('plan_cache_mode')").get<std::string>(0);
  };
  conn_->execute_script("SET plan_cache_mode = force_custom_plan");
  EXPECT_EQ(store_->neighbors("gp_small", "n0", {.depth = 1}).size(), 3u);
  EXPECT_EQ(setting(), "force_custom_plan");
  conn_->execute_script("RESET plan_cache_mode");
  auto tx = conn_->begin();
  conn_->execute_script("SET LOCAL plan_cache_mode = force_custom_plan");
  EXPECT_EQ(store_->neighbors("gp_small", "n0", {.depth = 1}).size(), 3u);
  EXPECT_EQ(setting(), "force_custom_plan");
  tx.commit();
  EXPECT_EQ(setting(), "auto");
}

// store analyses its fresh partition at a small statistics target for that
// ANALYZE only (store runs in a transaction of its own): the session's
// setting is the one it had before.
// The store sets these for its own transaction (ANALYZE's sample, the
// attach's index builds and foreign-key checks, the joins of a store over a
// stored graph) and must put them back.
TEST_F(graph_sql_plans, store_leaves_the_sessions_settings) {
  if (!store_) GTEST_SKIP() << "no PostgreSQL";
  const auto settings = [&] {
    return conn_
        ->query_one("SELECT current_setting('default_statistics_target') || ' ' || "
                    "current_setting('max_parallel_maintenance_workers') || ' ' || current_setting('enable_mergejoin') "
                    "|| ' ' || current_setting('max_parallel_workers_per_gather') || ' ' || "
                    "current_setting('enable_nestloop')")
        .get<std::string>(0);
  };
  conn_->execute_script(
      "SET default_statistics_target = 55; SET max_parallel_maintenance_workers = 1; SET enable_mergejoin = on; "
      "SET max_parallel_workers_per_gather = 3");
  store_->store(ring(10), "gp_stats");
  EXPECT_EQ(settings(), "55 1 on 3 on");
  store_->store(ring(12), "gp_stats");  // over the stored graph: its nodes updated under hash joins
  EXPECT_EQ(settings(), "55 1 on 3 on");
  conn_->execute_script(
      "RESET default_statistics_target; RESET max_parallel_maintenance_workers; RESET enable_mergejoin; "
      "RESET max_parallel_workers_per_gather");
  EXPECT_EQ(store_->load("gp_stats").node_count(), 12u);
}

}  // namespace
