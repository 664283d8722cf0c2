// SPDX-License-Identifier: Apache-2.0
// graph-sql's schema through the core's migrate (ABI 1.3 lent migrate): a
// fresh database gets it recorded in the mapper's own record table, a second
// open runs nothing, a database made before the record table is adopted, and
// the application's migrations with the same versions do not meet the mapper's.
#include <dbridge/connection.hpp>
#include <dbridge/graph.hpp>
#include <dbridge/migrate.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sql_backends.hpp"
#include "temp_files.hpp"
#include "test_server.hpp"

namespace {

using dbridge::test::sql_backend;
using dbridge::test::sql_backends;

constexpr const char* record_table = "dbridge_graph_sql_migrations";

class graph_sql_schema : public ::testing::TestWithParam<sql_backend> {
 protected:
  void SetUp() override {
    dbridge::test::use_backend(GetParam().url_env, "dbr_graph_schema", url_, file_);
    if (url_.empty()) return;
    conn_.emplace(dbridge::connect(url_));
    drop_schema();
  }
  void TearDown() override {
    // The other graph tests find the schema as a fresh open would make it.
    if (conn_) drop_schema();
    conn_.reset();
    file_.reset();
  }
  void drop_schema() {
    for (const char* t : {"gs_user_ref", "graph_node_labels", "graph_edges", "graph_nodes", "dbridge_graphs",
                          record_table, "gs_user_table", "dbridge_schema_migrations"})
      conn_->execute_script(std::string("DROP TABLE IF EXISTS ") + t);
  }
  bool has_table(const std::string& name) {
    for (const auto& r : conn_->tables())
      if (r.get<std::string>("name") == name) return true;
    return false;
  }
  // PostgreSQL has a third step (its edge indexes, node id first), a
  // fourth (no graph_nodes(graph_name) index), a fifth (edge indexes
  // compared byte for byte) and a sixth (node keys ON DELETE RESTRICT);
  // MariaDB a seventh (keys compared without padding).
  std::vector<std::int64_t> all_versions() const {
    if (std::string(GetParam().dialect) == "postgres") return {1, 2, 3, 4, 5, 6};
    if (std::string(GetParam().dialect) == "mariadb") return {1, 2, 7};
    return {1, 2};
  }
  std::vector<std::int64_t> recorded_versions() {
    std::vector<std::int64_t> out;
    for (const auto& r : conn_->query(std::string("SELECT version FROM ") + record_table + " ORDER BY version"))
      out.push_back(r.get<std::int64_t>(0));
    return out;
  }

  std::string url_;
  std::optional<dbridge::test::temp_sqlite_db> file_;
  std::optional<dbridge::connection> conn_;
};

TEST_P(graph_sql_schema, a_fresh_database_gets_the_schema_recorded_with_checksums) {
  dbridge::graph_store store(*conn_, "graph-sql");
  for (const char* t : {"dbridge_graphs", "graph_nodes", "graph_edges", "graph_node_labels"})
    EXPECT_TRUE(has_table(t)) << t;
  EXPECT_EQ(recorded_versions(), all_versions());
  for (const auto& r : conn_->query(std::string("SELECT name, checksum FROM ") + record_table)) {
    EXPECT_FALSE(r.get<std::string>(0).empty());
    EXPECT_EQ(r.get<std::string>(1).size(), 64u);
  }
  dbridge::graph g;
  g.add_edge("a", "b", "FRIEND", 1.0);
  store.store(g, "gs_fresh");
  EXPECT_TRUE(store.load("gs_fresh") == g);
}

TEST_P(graph_sql_schema, a_second_open_runs_no_step) {
  { dbridge::graph_store first(*conn_, "graph-sql"); }
  // Were step 2 (step 3 on PostgreSQL, whose step 4 drops step 2's index)
  // run again, its CREATE INDEX IF NOT EXISTS would bring this back.
  const std::string backend = GetParam().dialect;
  const std::string drop = backend == "mariadb"    ? "DROP INDEX graph_nodes_graph_name ON graph_nodes"
                           : backend == "postgres" ? "DROP INDEX graph_edges_default_graph_name"
                                                   : "DROP INDEX graph_nodes_graph_name";
  conn_->execute_script(drop);
  dbridge::graph_store second(*conn_, "graph-sql");
  EXPECT_EQ(recorded_versions(), all_versions());
  bool index_back = false;
  try {
    conn_->execute_script(drop);
    index_back = true;
  } catch (const dbridge::error&) {
  }
  EXPECT_FALSE(index_back) << "a second open ran the index step again";
  // Put it back for the other graph tests.
  conn_->execute_script(backend == "postgres"
                            ? "CREATE INDEX graph_edges_default_graph_name ON graph_edges_default (graph_name)"
                            : "CREATE INDEX graph_nodes_graph_name ON graph_nodes (graph_name)");
}

TEST_P(graph_sql_schema, a_database_made_before_the_record_table_is_adopted_with_its_graphs) {
  dbridge::graph g;
  g.add_node("x", dbridge::json{"1"});
  g.add_edge("x", "y", "LINK", 2.0);
  {
    dbridge::graph_store store(*conn_, "graph-sql");
    store.store(g, "gs_old");
  }
  // What graph-sql 0.1 left behind: the tables, no record of them.
  conn_->execute_script(std::string("DROP TABLE ") + record_table);
  dbridge::graph_store store(*conn_, "graph-sql");
  EXPECT_EQ(recorded_versions(), all_versions());
  EXPECT_TRUE(store.load("gs_old") == g);
  store.remove("gs_old");
}

TEST_P(graph_sql_schema, the_applications_migrations_with_the_same_versions_do_not_meet_the_mappers) {
  std::vector<dbridge::migration> mine(1);
  mine[0].version = 1, mine[0].name = "gs_user_step", mine[0].sql = "CREATE TABLE gs_user_table (id INT)";
  dbridge::migrate(*conn_, mine);
  dbridge::graph_store store(*conn_, "graph-sql");
  EXPECT_EQ(recorded_versions(), all_versions());
  // The application's table still holds its own version 1 only, unchanged.
  const auto status = dbridge::migration_status_of(*conn_, mine);
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].st, dbridge::migration_status::state::applied);
  EXPECT_EQ(conn_->query_one("SELECT COUNT(*) FROM dbridge_schema_migrations WHERE name = 'gs_user_step'")
                .get<std::int64_t>(0),
            1);
  EXPECT_TRUE(dbridge::migrate(*conn_, mine).applied.empty());
}

// A database made by graph-sql 0.2.0 (steps 1 and 2, edge indexes with
// graph_name first, a graph_nodes(graph_name) index) is upgraded by steps 3
// and 4 and keeps its graphs.
TEST_P(graph_sql_schema, a_database_made_by_0_2_0_gets_the_node_first_edge_indexes) {
  if (std::string(GetParam().dialect) != "postgres") GTEST_SKIP() << "step 3 is PostgreSQL's";
  dbridge::graph g;
  g.add_node("x", dbridge::json{"1"});
  g.add_edge("x", "y", "LINK", 2.0);
  g.add_edge("y", "x", "LINK", 3.0);
  {
    dbridge::graph_store store(*conn_, "graph-sql");
    store.store(g, "gs_020");
  }
  // Back to what 0.2.0 left: its step 2 indexes, no step 3 or 4.
  conn_->execute_script(std::string("DELETE FROM ") + record_table + " WHERE version >= 3");
  conn_->execute_script("CREATE INDEX graph_nodes_graph_name ON graph_nodes (graph_name); "
                        "DROP INDEX graph_edges_from_node; DROP INDEX graph_edges_to_node; "
                        "DROP INDEX graph_edges_default_graph_name; "
                        "CREATE INDEX graph_edges_from_node ON graph_edges (graph_name, from_node); "
                        "CREATE INDEX graph_edges_to_node ON graph_edges (graph_name, to_node)");
  dbridge::graph_store store(*conn_, "graph-sql");
  EXPECT_EQ(recorded_versions(), all_versions());
  const auto def = [&](const char* index) {
    return conn_->query_one("SELECT pg_get_indexdef($1::regclass)", {std::string(index)}).get<std::string>(0);
  };
  EXPECT_NE(def("graph_edges_from_node").find("(from_node varchar_pattern_ops, graph_name)"), std::string::npos);
  EXPECT_NE(def("graph_edges_to_node").find("(to_node varchar_pattern_ops, graph_name)"), std::string::npos);
  EXPECT_NE(def("graph_edges_default_graph_name").find("(graph_name)"), std::string::npos);
  // Step 4: graph_nodes keeps only UNIQUE (graph_name, node_id) for lookups by graph.
  EXPECT_TRUE(conn_->query_one("SELECT to_regclass('graph_nodes_graph_name') IS NULL").get<bool>(0));
  EXPECT_TRUE(store.load("gs_020") == g);
  // A store after the upgrade builds the new indexes on the graph's partition.
  g.add_edge("x", "x", "SELF", 1.0);
  store.store(g, "gs_020");
  EXPECT_TRUE(store.load("gs_020") == g);
  EXPECT_EQ(store.neighbors("gs_020", "y", {.depth = 1}).size(), 1u);
  store.remove("gs_020");
}

// Step 6 makes graph-sql's own keys on graph_nodes ON DELETE RESTRICT (one
// query per deleted node and key instead of two); a user's key on
// graph_nodes is left as it is, and a node with edges still cannot be
// deleted by hand.
TEST_P(graph_sql_schema, the_node_keys_are_restrict_and_a_users_key_is_left_alone) {
  if (std::string(GetParam().dialect) != "postgres") GTEST_SKIP() << "step 6 is PostgreSQL's";
  dbridge::graph_store store(*conn_, "graph-sql");
  conn_->execute_script("DROP TABLE IF EXISTS gs_user_ref; CREATE TABLE gs_user_ref (graph_name varchar(255), "
                        "node_id varchar(255), FOREIGN KEY (graph_name, node_id) REFERENCES graph_nodes "
                        "(graph_name, node_id))");
  conn_->execute_script(std::string("DELETE FROM ") + record_table + " WHERE version >= 6");
  { dbridge::graph_store again(*conn_, "graph-sql"); }  // runs step 6 again, with the user's key there
  EXPECT_EQ(recorded_versions(), all_versions());
  std::vector<std::string> keys;
  for (const auto& r : conn_->query("SELECT conrelid::regclass::text || ' ' || confdeltype::text FROM pg_constraint WHERE "
                                    "contype = 'f' AND confrelid = 'graph_nodes'::regclass AND conparentid = 0 "
                                    "ORDER BY 1"))
    keys.push_back(r.get<std::string>(0));
  EXPECT_EQ(keys, (std::vector<std::string>{"graph_edges r", "graph_edges r", "graph_node_labels r", "gs_user_ref a"}));
  dbridge::graph g;
  g.add_edge("x", "y", "LINK", 1.0);
  store.store(g, "gs_keys");
  try {
    conn_->execute("DELETE FROM graph_nodes WHERE graph_name = 'gs_keys' AND node_id = 'x'");
    ADD_FAILURE() << "a node with edges was deleted";
  } catch (const dbridge::error& e) {
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::foreign_key_violation) << e.what();
  }
  EXPECT_TRUE(store.load("gs_keys") == g);
  store.remove("gs_keys");  // gs_user_ref goes with the schema in TearDown
}

// A MariaDB database made by graph-sql 0.5.9 (tables in utf8mb4_bin, a PAD
// SPACE collation) gets step 7 and keeps its graphs; after it, graph "c "
// and node "a " are keys of their own, and graph-sql's foreign keys still hold.
TEST_P(graph_sql_schema, a_mariadb_database_made_by_0_5_9_gets_keys_compared_without_padding) {
  if (std::string(GetParam().dialect) != "mariadb") GTEST_SKIP() << "step 7 is MariaDB's";
  dbridge::graph g;
  g.add_node("a", dbridge::json{"1"}, {"L"});
  g.add_edge("a", "b", "LINK", 2.0);
  {
    dbridge::graph_store store(*conn_, "graph-sql");
    store.store(g, "gs_pad");
  }
  // Back to what 0.5.9 left: step 1's utf8mb4_bin columns, no step 7.
  conn_->execute_script(std::string("DELETE FROM ") + record_table + " WHERE version >= 7");
  conn_->execute_script(
      "ALTER TABLE graph_edges DROP FOREIGN KEY graph_edges_ibfk_1, DROP FOREIGN KEY graph_edges_ibfk_2, "
      "CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; "
      "ALTER TABLE graph_node_labels DROP FOREIGN KEY graph_node_labels_ibfk_1, "
      "CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; "
      "ALTER TABLE graph_nodes CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; "
      "ALTER TABLE dbridge_graphs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; "
      "ALTER TABLE graph_edges ADD FOREIGN KEY (graph_name, from_node) REFERENCES graph_nodes (graph_name, node_id), "
      "ADD FOREIGN KEY (graph_name, to_node) REFERENCES graph_nodes (graph_name, node_id); "
      "ALTER TABLE graph_node_labels ADD FOREIGN KEY (graph_name, node_id) REFERENCES graph_nodes (graph_name, node_id)");
  EXPECT_EQ(conn_->query_one("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND "
                             "table_name = 'graph_nodes' AND data_type = 'varchar' AND collation_name = 'utf8mb4_bin'")
                .get<std::int64_t>(0),
            2);
  dbridge::graph_store store(*conn_, "graph-sql");
  EXPECT_EQ(recorded_versions(), all_versions());
  EXPECT_EQ(conn_->query_one("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND "
                             "table_name IN ('dbridge_graphs', 'graph_nodes', 'graph_edges', 'graph_node_labels') "
                             "AND data_type = 'varchar' AND collation_name <> 'utf8mb4_nopad_bin'")
                .get<std::int64_t>(0),
            0);
  EXPECT_EQ(conn_->query_one("SELECT COUNT(*) FROM information_schema.referential_constraints WHERE "
                             "constraint_schema = DATABASE() AND referenced_table_name = 'graph_nodes'")
                .get<std::int64_t>(0),
            3);
  EXPECT_TRUE(store.load("gs_pad") == g);
  dbridge::graph padded;
  padded.add_node("a");
  padded.add_node("a ");
  store.store(padded, "gs_pad ");
  EXPECT_TRUE(store.load("gs_pad") == g) << "graph \"gs_pad \" replaced graph \"gs_pad\"";
  EXPECT_TRUE(store.load("gs_pad ") == padded);
  try {
    conn_->execute("INSERT INTO graph_edges (graph_name, from_node, to_node) VALUES ('gs_pad', 'zz', 'a')");
    ADD_FAILURE() << "an edge from a missing node was inserted";
  } catch (const dbridge::error& e) {
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::foreign_key_violation) << e.what();
  }
  store.remove("gs_pad ");
  store.remove("gs_pad");
}

// SQLite's store raises the page cache for its transaction only: the
// connection gets its own setting back, after a good store and a failed one.
TEST_P(graph_sql_schema, a_sqlite_store_puts_the_page_cache_back) {
  if (std::string(GetParam().dialect) != "sqlite") GTEST_SKIP() << "the page cache is SQLite's";
  dbridge::graph_store store(*conn_, "graph-sql");
  conn_->execute_script("PRAGMA cache_size = -3000");
  dbridge::graph g;
  for (int i = 0; i < 4000; ++i) g.add_edge("n" + std::to_string(i), "n" + std::to_string(i + 1), "NEXT", 1.0);
  store.store(g, "gs_cache");
  EXPECT_EQ(conn_->query_one("PRAGMA cache_size").get<std::int64_t>(0), -3000);
  conn_->execute_script("CREATE TRIGGER gs_fail BEFORE INSERT ON graph_edges WHEN NEW.from_node = 'n3999' "
                        "BEGIN SELECT RAISE(ABORT, 'gs_fail'); END");
  EXPECT_THROW(store.store(g, "gs_cache"), dbridge::error);
  EXPECT_EQ(conn_->query_one("PRAGMA cache_size").get<std::int64_t>(0), -3000);
  conn_->execute_script("DROP TRIGGER gs_fail");
  EXPECT_EQ(store.stats("gs_cache").edges, 4000u);
  store.remove("gs_cache");
}

INSTANTIATE_TEST_SUITE_P(backends, graph_sql_schema, ::testing::ValuesIn(sql_backends),
                         [](const auto& i) { return std::string(i.param.dialect); });

}  // namespace
