// SPDX-License-Identifier: Apache-2.0
// One suite for every mapper x driver pair: graph_store against real servers.
// A backend whose URL variable is unset is skipped by hand and fails in CI.
#include <dbridge/connection.hpp>
#include <dbridge/graph.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <algorithm>
#include <optional>
#include <thread>
#include <vector>
#include <unistd.h>

#include "temp_files.hpp"
#include "test_server.hpp"

namespace {

using dbridge::direction;
using dbridge::graph;
using dbridge::graph_kind;
using dbridge::graph_store;
using dbridge::json;

struct backend {
  const char* name;     // test name suffix
  const char* mapper;   // mapper plugin id
  const char* url_env;  // nullptr: a throwaway SQLite file
  const char* dialect;  // "postgres", "mariadb", "sqlite", "redis" (for the test's own SQL)
};

const backend backends[] = {
    {"sql_sqlite", "graph-sql", nullptr, "sqlite"},
    {"sql_postgres", "graph-sql", "DBRIDGE_TEST_POSTGRES_URL", "postgres"},
    {"sql_mariadb", "graph-sql", "DBRIDGE_TEST_MYSQL_URL", "mariadb"},
    {"redis", "graph-redis", "DBRIDGE_TEST_REDIS_URL", "redis"},
};

void PrintTo(const backend& b, std::ostream* os) { *os << b.name; }

class graph_suite : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    dbridge::test::use_backend(GetParam().url_env, "dbridge_graph_test", url_, file_);
    if (url_.empty()) return;
    conn_.emplace(dbridge::connect(url_));
    store_.emplace(*conn_);
    ASSERT_EQ(store_->mapper_id(), GetParam().mapper);
    prefix_ = std::string("gt_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : prefix_)
      if (c == '/') c = '_';
  }
  void TearDown() override {
    if (!store_) return;
    for (const auto& s : store_->list())
      if (s.name.rfind(prefix_, 0) == 0) store_->remove(s.name);
  }
  std::string name(const char* suffix) const { return prefix_ + "_" + suffix; }
  std::string dialect() const { return GetParam().dialect; }

  std::string url_;
  std::optional<dbridge::test::temp_sqlite_db> file_;
  std::optional<dbridge::connection> conn_;
  std::optional<graph_store> store_;
  std::string prefix_;
};

graph every_kind_of_graph() {
  graph g;
  g.add_node("ñandú", json{R"({"b": [1, "two", null, true, false, 3.25], "a": {"nested": {}}})"}, {"Bird", "Émeu"});
  g.add_node("東京", json{R"("日本の首都")"}, {"City"});
  g.add_node("emoji 😀", json{"true"});
  g.add_node("f", json{"false"});
  g.add_node("n", json{"null"});
  g.add_node("none");
  g.add_node("i", json{"-42"});
  g.add_node("d", json{"2.5"});
  g.add_node("arr", json{"[]"});
  g.add_node("obj", json{"{}"});
  g.add_edge("ñandú", "ñandú", "SELF", 1.0);                                       // self-loop
  g.add_edge("ñandú", "東京", "FRIEND", 0.5, json{R"({"since": 2019})"});
  g.add_edge("ñandú", "東京", "FOLLOWS");                                          // parallel, other type
  g.add_edge("東京", "ñandú", "FRIEND", -3.0);                                     // the reverse edge
  g.add_edge("emoji 😀", "i", "", std::nullopt, json{R"(["x", 1])"});
  return g;
}

TEST_P(graph_suite, round_trip_keeps_every_node_edge_and_json_type) {
  const graph g = every_kind_of_graph();
  store_->store(g, name("g"));
  const graph back = store_->load(name("g"));
  EXPECT_TRUE(back.directed());
  EXPECT_EQ(back.node_count(), g.node_count());
  EXPECT_EQ(back.edge_count(), g.edge_count());
  ASSERT_NE(back.find_node("ñandú"), nullptr);
  EXPECT_EQ(back.find_node("ñandú")->value, g.find_node("ñandú")->value);
  EXPECT_EQ(back.find_edge("ñandú", "東京", "FRIEND")->weight, 0.5);
  EXPECT_FALSE(back.find_edge("ñandú", "東京", "FOLLOWS")->weight.has_value());
  EXPECT_TRUE(back == g);
  const auto st = store_->stats(name("g"));
  EXPECT_EQ(st.nodes, g.node_count());
  EXPECT_EQ(st.edges, g.edge_count());
  EXPECT_TRUE(st.directed);
}

TEST_P(graph_suite, undirected_graph_round_trips_and_walks_both_ways) {
  graph g(graph_kind::undirected);
  g.add_edge("a", "b", "LINK", 1.0);
  g.add_edge("c", "b", "LINK", 2.0);
  store_->store(g, name("u"));
  const graph back = store_->load(name("u"));
  EXPECT_FALSE(back.directed());
  EXPECT_TRUE(back == g);
  auto r = store_->neighbors(name("u"), "b", {.dir = direction::out, .depth = 1});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].id, "a");
  EXPECT_EQ(r[1].id, "c");
}

TEST_P(graph_suite, empty_graph_is_stored_and_listed) {
  store_->store(graph(), name("empty"));
  const graph back = store_->load(name("empty"));
  EXPECT_EQ(back.node_count(), 0u);
  EXPECT_EQ(back.edge_count(), 0u);
  bool listed = false;
  for (const auto& s : store_->list())
    if (s.name == name("empty")) listed = s.nodes == 0 && s.edges == 0;
  EXPECT_TRUE(listed);
}

TEST_P(graph_suite, one_megabyte_values_round_trip) {
  graph g;
  std::string big(1 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  g.add_node("big", json{"\"" + big + "\""});
  g.add_edge("big", "big", "SELF", std::nullopt, json{"{\"blob\": \"" + big + "\"}"});
  store_->store(g, name("big"));
  const graph back = store_->load(name("big"));
  ASSERT_NE(back.find_node("big"), nullptr);
  EXPECT_EQ(back.find_node("big")->value.text.size(), big.size() + 2);
  EXPECT_TRUE(back == g);
}

TEST_P(graph_suite, merge_upserts_nodes_and_edges) {
  graph first;
  first.add_node("a", json{"1"}, {"Old"});
  first.add_node("b", json{"2"});
  first.add_edge("a", "b", "FRIEND", 1.0);
  first.add_edge("a", "b", "FOLLOWS", 9.0);
  store_->store(first, name("m"));

  graph second;
  second.add_node("b", json{"3"}, {"New"});
  second.add_node("c", json{"4"});
  second.add_edge("a", "b", "FRIEND", 5.0);  // adds node a with a null value
  second.add_edge("b", "c", "FOLLOWS");
  store_->merge(second, name("m"));

  graph expect;
  expect.add_node("a", json{}, {});
  expect.add_node("b", json{"3"}, {"New"});
  expect.add_node("c", json{"4"});
  expect.add_edge("a", "b", "FRIEND", 5.0);
  expect.add_edge("a", "b", "FOLLOWS", 9.0);
  expect.add_edge("b", "c", "FOLLOWS");
  const graph back = store_->load(name("m"));
  EXPECT_TRUE(back == expect);
  EXPECT_EQ(back.edge_count(), 3u);

  // Merging into a graph that does not exist creates it.
  store_->merge(second, name("fresh"));
  EXPECT_TRUE(store_->load(name("fresh")) == second);
}

TEST_P(graph_suite, neighbors_at_depth_one_to_three_in_both_directions) {
  graph g;
  g.add_edge("a", "b", "FRIEND");
  g.add_edge("b", "c", "FRIEND");
  g.add_edge("c", "d", "FRIEND");
  g.add_edge("a", "e", "OTHER");
  g.add_edge("d", "a", "OTHER");
  store_->store(g, name("w"));
  auto ids = [](const std::vector<dbridge::reached>& r) {
    std::string out;
    for (const auto& x : r) out += x.id + std::to_string(x.depth) + " ";
    return out;
  };
  const auto n = name("w");
  EXPECT_EQ(ids(store_->neighbors(n, "a", {.depth = 1})), "b1 e1 ");
  EXPECT_EQ(ids(store_->neighbors(n, "a", {.edge_type = "FRIEND", .depth = 1})), "b1 ");
  EXPECT_EQ(ids(store_->neighbors(n, "a", {.edge_type = "FRIEND", .depth = 2})), "b1 c2 ");
  EXPECT_EQ(ids(store_->neighbors(n, "a", {.edge_type = "FRIEND", .depth = 3})), "b1 c2 d3 ");
  EXPECT_EQ(ids(store_->neighbors(n, "d", {.edge_type = "FRIEND", .dir = direction::in, .depth = 1})), "c1 ");
  EXPECT_EQ(ids(store_->neighbors(n, "d", {.edge_type = "FRIEND", .dir = direction::in, .depth = 3})), "c1 b2 a3 ");
  EXPECT_EQ(ids(store_->neighbors(n, "c", {.dir = direction::both, .depth = 1})), "b1 d1 ");
  EXPECT_EQ(ids(store_->neighbors(n, "c", {.dir = direction::both, .depth = 2})), "b1 d1 a2 ");
  // the start is never its own neighbour, even on a cycle (d -> a)
  EXPECT_EQ(ids(store_->neighbors(n, "a", {.depth = 3})), "b1 e1 c2 d3 ");
  EXPECT_EQ(ids(store_->neighbors(n, "b", {.depth = 3})), "c1 d2 a3 ");
}

TEST_P(graph_suite, two_graphs_with_the_same_node_ids_are_kept_apart) {
  graph one, two;
  one.add_node("x", json{"1"});
  one.add_edge("x", "y", "R");
  two.add_node("x", json{"2"});
  store_->store(one, name("one"));
  store_->store(two, name("two"));
  EXPECT_TRUE(store_->load(name("one")) == one);
  EXPECT_TRUE(store_->load(name("two")) == two);
  store_->remove(name("one"));
  EXPECT_THROW(store_->load(name("one")), dbridge::not_found_error);
  EXPECT_TRUE(store_->load(name("two")) == two);
}

// MariaDB's PAD SPACE collations took "c" and "c " for one key: a store of
// graph "c " replaced graph "c", and nodes "a" and "a " failed as duplicates.
TEST_P(graph_suite, names_ids_and_types_differing_by_trailing_spaces_or_case_are_apart) {
  graph one, two;
  one.add_node("x", json{"1"});
  two.add_node("a", json{"1"}, {"L", "L "});
  two.add_node("a ", json{"2"});
  two.add_node("A", json{"3"});
  two.add_edge("s", "a", "T");
  two.add_edge("s", "a ", "T ");
  two.add_edge("s", "A", "T");
  store_->store(one, name("c"));
  store_->store(two, name("c") + " ");
  EXPECT_TRUE(store_->load(name("c")) == one) << "graph \"c \" replaced graph \"c\"";
  const graph back = store_->load(name("c") + " ");
  EXPECT_TRUE(back == two);
  EXPECT_EQ(back.node_count(), 4u);
  auto ids = [](std::vector<dbridge::reached> r) {
    std::vector<std::string> out;
    for (const auto& x : r) out.push_back(x.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(ids(store_->neighbors(name("c") + " ", "s", {.depth = 1})), (std::vector<std::string>{"A", "a", "a "}));
  EXPECT_EQ(ids(store_->neighbors(name("c") + " ", "s", {.edge_type = "T", .depth = 1})),
            (std::vector<std::string>{"A", "a"}));
  EXPECT_EQ(ids(store_->neighbors(name("c") + " ", "a ", {.dir = direction::in, .depth = 1})),
            (std::vector<std::string>{"s"}));
  store_->remove(name("c") + " ");
  EXPECT_TRUE(store_->load(name("c")) == one);
}

// Ids, labels and types cross the ABI as C strings: node "e\0f" was stored
// as "e", and "e\0f" beside "e\0g" failed as a duplicate naming no node.
TEST_P(graph_suite, a_nul_byte_in_an_id_label_type_or_name_is_refused_before_anything_is_stored) {
  using namespace std::string_literals;
  graph old;
  old.add_node("keep", json{"1"});
  store_->store(old, name("nul"));
  const auto refused = [&](const graph& g, const std::string& graph_name, const std::string& names) {
    for (const bool merge : {false, true}) {
      try {
        merge ? store_->merge(g, graph_name) : store_->store(g, graph_name);
        ADD_FAILURE() << "stored a NUL byte: " << names;
      } catch (const dbridge::data_error& e) {
        EXPECT_EQ(e.subcategory(), dbridge::suberrc::nul_byte) << e.what();
        EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
      }
    }
  };
  graph ids;
  ids.add_node("ok");
  ids.add_node("e\0f"s);
  ids.add_node("e\0g"s);
  refused(ids, name("nul"), R"(node "e\u0000f")");
  graph label;
  label.add_node("a", json{}, {"x\0y"s});
  refused(label, name("nul"), R"(label "x\u0000y" of node "a")");
  graph type;
  type.add_edge("a", "b", "T\0U"s);
  refused(type, name("nul"), R"(edge "a" -> "b" (type "T\u0000U"))");
  refused(old, name("nul") + "\0x"s, R"(graph name ")" + name("nul") + R"(\u0000x")");
  EXPECT_TRUE(store_->load(name("nul")) == old);
  std::size_t mine = 0;
  for (const auto& st : store_->list()) mine += st.name.rfind(prefix_, 0) == 0;
  EXPECT_EQ(mine, 1u);
}

// Labels are a set: one given twice failed the store with the mapper's
// duplicate-key error, naming no node.
TEST_P(graph_suite, a_label_given_twice_is_stored_once) {
  graph g;
  g.add_node("a", json{"1"}, {"x", "y", "x", "x"});
  g.add_node("b", json{}, {"x"});
  for (const bool merge : {false, true}) {
    merge ? store_->merge(g, name("dup")) : store_->store(g, name("dup"));
    const graph back = store_->load(name("dup"));
    ASSERT_NE(back.find_node("a"), nullptr);
    auto labels = back.find_node("a")->labels;
    std::sort(labels.begin(), labels.end());
    EXPECT_EQ(labels, (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(back.find_node("b")->labels, (std::vector<std::string>{"x"}));
  }
}

TEST_P(graph_suite, a_missing_graph_is_not_found) {
  EXPECT_THROW(store_->load(name("never")), dbridge::not_found_error);
  EXPECT_THROW(store_->stats(name("never")), dbridge::not_found_error);
  EXPECT_THROW(store_->remove(name("never")), dbridge::not_found_error);
  EXPECT_THROW(store_->neighbors(name("never"), "a"), dbridge::not_found_error);
}

TEST_P(graph_suite, streaming_load_visits_every_node_then_every_edge) {
  const graph g = every_kind_of_graph();
  store_->store(g, name("s"));
  std::size_t nodes = 0, edges = 0;
  bool edge_before_node = false;
  const auto st = store_->load(
      name("s"), [&](const dbridge::node&) { edge_before_node = edge_before_node || edges > 0; ++nodes; },
      [&](const dbridge::edge&) { ++edges; });
  EXPECT_EQ(nodes, g.node_count());
  EXPECT_EQ(edges, g.edge_count());
  EXPECT_FALSE(edge_before_node);
  EXPECT_EQ(st.nodes, g.node_count());
  // A callback that throws stops the load with its own exception.
  struct stop {};
  EXPECT_THROW(store_->load(name("s"), [](const dbridge::node&) { throw stop{}; }, [](const dbridge::edge&) {}), stop);
  EXPECT_TRUE(conn_->ping());
}

TEST_P(graph_suite, the_issue_friend_query_works_as_written) {
  if (std::string(GetParam().mapper) != "graph-sql") GTEST_SKIP() << "SQL tables only";
  graph g;
  g.add_edge("alice", "bob", "FRIEND", 0.9);
  g.add_edge("alice", "carol", "FOLLOWS", 0.2);
  g.add_edge("alice", "dave", "FRIEND");
  store_->store(g, name("sql"));
  auto r = conn_->query(
      "SELECT n2.node_id FROM graph_nodes n1 JOIN graph_edges e ON n1.node_id = e.from_node AND e.graph_name = "
      "n1.graph_name JOIN graph_nodes n2 ON n2.node_id = e.to_node AND n2.graph_name = e.graph_name WHERE "
      "n1.graph_name = $1 AND n1.node_id = $2 AND e.edge_type = 'FRIEND'",
      {name("sql"), "alice"});
  std::vector<std::string> friends;
  for (auto& row : r) friends.push_back(row.get<std::string>(0));
  std::sort(friends.begin(), friends.end());
  EXPECT_EQ(friends, (std::vector<std::string>{"bob", "dave"}));
}

// A store over a stored graph that shares some of its nodes: load gives the
// new graph alone, in its own order, with the new values and labels.
TEST_P(graph_suite, a_store_over_a_graph_sharing_nodes_gives_the_new_graph) {
  graph old;
  old.add_node("a", json{"1"}, {"Gone"});
  old.add_node("b", json{"2"}, {"Old"});
  old.add_node("c", json{"3"});
  old.add_edge("a", "b", "FRIEND", 1.0);
  old.add_edge("b", "c", "FRIEND", 2.0);
  graph next;  // a gone, d new, c before b, b's value and labels changed
  next.add_node("d", json{R"({"new": true})"}, {"Fresh"});
  next.add_node("c", json{"3"});
  next.add_node("b", json{"20"}, {"New", "Other"});
  next.add_edge("d", "c", "FOLLOWS", 0.5);
  next.add_edge("c", "b", "FRIEND");
  const auto n = name("g");
  store_->store(old, n);
  const auto other = name("other");
  store_->store(old, other);  // the same node ids in another graph
  store_->store(next, n);
  const graph back = store_->load(n);
  EXPECT_TRUE(back == next);
  if (std::string(GetParam().mapper) == "graph-sql") {  // rows are read back by id
    std::vector<std::string> ids, want;
    for (const auto& node : back.nodes()) ids.push_back(node.id);
    for (const auto& node : next.nodes()) want.push_back(node.id);
    EXPECT_EQ(ids, want);
  }
  ASSERT_NE(back.find_node("b"), nullptr);
  auto labels = back.find_node("b")->labels;
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(labels, (std::vector<std::string>{"New", "Other"}));
  ASSERT_NE(back.find_node("d"), nullptr);
  EXPECT_EQ(back.find_node("d")->value, next.find_node("d")->value);
  EXPECT_EQ(store_->stats(n).nodes, 3u);
  EXPECT_EQ(store_->stats(n).edges, 2u);
  EXPECT_TRUE(store_->load(other) == old);
  store_->store(old, n);  // and back again
  EXPECT_TRUE(store_->load(n) == old);
}

// A trigger on graph_edges that refuses an edge of type BOOM.
void create_boom_trigger(dbridge::connection& c, const std::string& d) {
  if (d == "sqlite") {
    c.execute("CREATE TRIGGER gt_boom BEFORE INSERT ON graph_edges WHEN NEW.edge_type = 'BOOM' "
              "BEGIN SELECT RAISE(ABORT, 'boom'); END");
  } else if (d == "postgres") {
    c.execute("CREATE OR REPLACE FUNCTION gt_boom() RETURNS trigger AS $$ BEGIN IF NEW.edge_type = 'BOOM' THEN "
              "RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
    c.execute("CREATE TRIGGER gt_boom BEFORE INSERT ON graph_edges FOR EACH ROW EXECUTE FUNCTION gt_boom()");
  } else {
    c.execute("CREATE TRIGGER gt_boom BEFORE INSERT ON graph_edges FOR EACH ROW BEGIN IF NEW.edge_type = 'BOOM' "
              "THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; END IF; END");
  }
}
void drop_boom_trigger(dbridge::connection& c, const std::string& d) {
  c.execute(d == "postgres" ? "DROP TRIGGER gt_boom ON graph_edges" : "DROP TRIGGER gt_boom");
}

// A failure in the middle of a store leaves the old graph whole.
TEST_P(graph_suite, a_failed_store_leaves_the_old_graph) {
  if (std::string(GetParam().mapper) != "graph-sql") GTEST_SKIP() << "the failure is made with a SQL trigger";
  graph old;
  old.add_edge("a", "b", "FRIEND", 1.0);
  store_->store(old, name("old"));
  const std::string d = dialect();
  create_boom_trigger(*conn_, d);
  graph bad;
  for (int i = 0; i < 50; ++i) bad.add_edge("n" + std::to_string(i), "n" + std::to_string(i + 1), "OK");
  bad.add_edge("n50", "n0", "BOOM");
  EXPECT_THROW(store_->store(bad, name("old")), dbridge::error);
  drop_boom_trigger(*conn_, d);
  EXPECT_TRUE(store_->load(name("old")) == old);

  // The failed store let go of the writers' lock: a writer on another
  // connection, waiting at most 2 s for any lock, stores at once.
  auto other = dbridge::connect(url_);
  if (d == "postgres") other.execute("SET lock_timeout = '2s'");
  if (d == "mariadb") other.execute("SET SESSION innodb_lock_wait_timeout = 2");
  graph_store other_store(other);
  EXPECT_NO_THROW(other_store.store(old, name("next")));
  EXPECT_TRUE(store_->load(name("next")) == old);
}

// On MariaDB store writes labels and edges with the session's foreign-key
// checks off (their nodes were written just before, and the client checks
// the edges' ends): the session gets its setting back, after a failed store
// too, and the keys still hold for rows written by hand.
TEST_P(graph_suite, a_mariadb_store_gives_the_session_its_key_checks_back) {
  if (std::string(GetParam().mapper) != "graph-sql" || dialect() != "mariadb") GTEST_SKIP() << "MariaDB only";
  const auto checks = [&] { return conn_->query_one("SELECT @@SESSION.foreign_key_checks").get<std::int64_t>(0); };
  const graph g = every_kind_of_graph();
  store_->store(g, name("g"));
  EXPECT_EQ(checks(), 1);
  EXPECT_TRUE(store_->load(name("g")) == g);
  create_boom_trigger(*conn_, dialect());
  graph bad;
  bad.add_edge("a", "b", "OK");
  bad.add_edge("b", "a", "BOOM");
  EXPECT_THROW(store_->store(bad, name("g")), dbridge::error);
  drop_boom_trigger(*conn_, dialect());
  EXPECT_EQ(checks(), 1);
  EXPECT_TRUE(store_->load(name("g")) == g);
  try {
    conn_->execute("INSERT INTO graph_edges (graph_name, from_node, to_node) VALUES ($1, 'nowhere', 'none')",
                   {name("g")});
    ADD_FAILURE() << "an edge to no node was stored";
  } catch (const dbridge::error& e) {
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::foreign_key_violation) << e.what();
  }
  // A session that turned the checks off itself keeps them off.
  conn_->execute("SET SESSION foreign_key_checks = 0");
  store_->store(g, name("g"));
  EXPECT_EQ(checks(), 0);
  conn_->execute("SET SESSION foreign_key_checks = 1");
  EXPECT_TRUE(store_->load(name("g")) == g);
}

// On PostgreSQL store swaps the graph's edge partition: a failure after the
// old partition was dropped and the new edges copied still leaves the old
// graph, its partition and the other graphs whole.
TEST_P(graph_suite, a_failed_partition_swap_leaves_the_old_graph) {
  if (std::string(GetParam().mapper) != "graph-sql" || dialect() != "postgres")
    GTEST_SKIP() << "PostgreSQL keeps a partition per graph";
  graph old, other;
  old.add_edge("a", "b", "FRIEND", 1.0);
  other.add_edge("a", "c", "FOLLOWS", 2.0);
  store_->store(old, name("old"));
  store_->store(other, name("other"));
  // The node rows go in after the edges were copied and the old partition dropped.
  conn_->execute("CREATE OR REPLACE FUNCTION gt_boom_node() RETURNS trigger AS $$ BEGIN IF NEW.node_id = 'boom' "
                 "THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
  conn_->execute("CREATE TRIGGER gt_boom_node BEFORE INSERT ON graph_nodes FOR EACH ROW EXECUTE FUNCTION gt_boom_node()");
  graph bad;
  for (int i = 0; i < 50; ++i) bad.add_edge("n" + std::to_string(i), "n" + std::to_string(i + 1), "OK");
  bad.add_edge("n50", "boom", "OK");
  EXPECT_THROW(store_->store(bad, name("old")), dbridge::error);
  conn_->execute("DROP TRIGGER gt_boom_node ON graph_nodes");
  EXPECT_TRUE(store_->load(name("old")) == old);
  EXPECT_TRUE(store_->load(name("other")) == other);
  // Each stored graph's edges are in a partition of their own, none in the default one.
  std::int64_t in_default = -1;
  for (auto& row : conn_->query("SELECT COUNT(*) FROM graph_edges_default WHERE graph_name IN ($1, $2)",
                                {name("old"), name("other")}))
    in_default = row.get<std::int64_t>(0);
  EXPECT_EQ(in_default, 0);
  store_->store(other, name("old"));  // the swap works again after the failure
  EXPECT_TRUE(store_->load(name("old")) == other);
}

// The (from, to, type) of each edge in the graph's order.
std::vector<std::string> edge_order(const graph& g) {
  std::vector<std::string> out;
  for (const auto& e : g.edges()) out.push_back(e.from + ">" + e.to + ":" + e.type);
  return out;
}

// A graph whose edges are far from from_node order, several from one node.
graph edges_out_of_order() {
  graph g;
  for (int i = 0; i < 30; ++i)
    g.add_edge("n" + std::to_string((i * 17) % 10), "n" + std::to_string((i * 7) % 30), i % 2 ? "A" : "B", i);
  return g;
}

// On PostgreSQL store copies a graph's edges in from_node order (so the
// attach finds them sorted for the from_node index) with ids taken from the
// sequence in one block: load still gives them in the graph's order.
TEST_P(graph_suite, edges_copied_by_from_node_load_in_the_stored_order) {
  if (std::string(GetParam().mapper) != "graph-sql" || dialect() != "postgres")
    GTEST_SKIP() << "PostgreSQL copies the edges in from_node order";
  const graph g = edges_out_of_order();
  store_->store(g, name("g"));
  const graph back = store_->load(name("g"));
  EXPECT_TRUE(back == g);
  EXPECT_EQ(edge_order(back), edge_order(g));
  // The partition's rows lie in from_node order, and their ids follow the graph's.
  std::vector<std::string> stored;
  for (auto& row : conn_->query("SELECT from_node FROM graph_edges WHERE graph_name = $1 ORDER BY ctid", {name("g")}))
    stored.push_back(row.get<std::string>(0));
  ASSERT_EQ(stored.size(), g.edge_count());
  EXPECT_TRUE(std::is_sorted(stored.begin(), stored.end()));
  std::int64_t span = -1;
  for (auto& row : conn_->query("SELECT max(id) - min(id) + 1 FROM graph_edges WHERE graph_name = $1", {name("g")}))
    span = row.get<std::int64_t>(0);
  EXPECT_EQ(span, static_cast<std::int64_t>(g.edge_count()));
}

// store sends a graph's edges in chunks of 16384 rows and builds the next
// chunk while the connection sends one. A graph of several chunks, far from
// from_node order, loads back whole and in its order; a failure in the
// second chunk, while the third is being built, leaves the old graph, and
// the connection stores again.
TEST_P(graph_suite, a_store_of_several_chunks_loads_whole_and_fails_whole) {
  if (std::string(GetParam().mapper) != "graph-sql") GTEST_SKIP() << "the failure is made with a SQL trigger";
  constexpr int edges = 3 * 16384 + 100, boom_at = 20000;
  graph g;
  for (std::int64_t i = 0; i < edges; ++i)
    g.add_edge("n" + std::to_string(i * 7919 % 1000), "n" + std::to_string(i * 104729 % 997), i % 2 ? "A" : "B",
               static_cast<double>(i));
  store_->store(g, name("big"));
  const graph back = store_->load(name("big"));
  EXPECT_TRUE(back == g);
  EXPECT_EQ(edge_order(back), edge_order(g));

  graph bad;
  for (std::size_t i = 0; i < g.edge_count(); ++i) {
    if (i == boom_at) bad.add_edge("n1", "n2", "BOOM");
    const auto& e = g.edges()[i];
    bad.add_edge(e.from, e.to, e.type, e.weight);
  }
  const std::string d = dialect();
  create_boom_trigger(*conn_, d);  // on PostgreSQL it also sends the edges in the graph's order
  EXPECT_THROW(store_->store(bad, name("big")), dbridge::error);
  drop_boom_trigger(*conn_, d);
  EXPECT_TRUE(store_->load(name("big")) == g);
  EXPECT_EQ(conn_->query_one("SELECT count(*) FROM graph_edges WHERE graph_name = $1", {name("big")}).get<std::int64_t>(0),
            static_cast<std::int64_t>(edges));
  store_->store(bad, name("big"));
  EXPECT_TRUE(store_->load(name("big")) == bad);
}

// Ids that are not one block (here: a sequence stepping by 2, as when
// another session takes ids meanwhile) are not handed out by store; the rows
// take them from the column default, in the graph's order.
TEST_P(graph_suite, edges_keep_their_order_when_the_sequence_gives_no_block) {
  if (std::string(GetParam().mapper) != "graph-sql" || dialect() != "postgres")
    GTEST_SKIP() << "PostgreSQL takes the edge ids in one block";
  conn_->execute("ALTER SEQUENCE graph_edges_id_seq INCREMENT BY 2");
  const graph g = edges_out_of_order();
  EXPECT_NO_THROW(store_->store(g, name("g")));
  conn_->execute("ALTER SEQUENCE graph_edges_id_seq INCREMENT BY 1");
  const graph back = store_->load(name("g"));
  EXPECT_TRUE(back == g);
  EXPECT_EQ(edge_order(back), edge_order(g));
}

// Taking the block of edge ids is a step of its own that can fail (the
// sequence runs out): the old graph stays.
TEST_P(graph_suite, a_store_whose_edge_ids_run_out_leaves_the_old_graph) {
  if (std::string(GetParam().mapper) != "graph-sql" || dialect() != "postgres")
    GTEST_SKIP() << "PostgreSQL takes the edge ids in one block";
  graph old;
  old.add_edge("a", "b", "FRIEND", 1.0);
  store_->store(old, name("old"));
  std::int64_t last = 0;
  for (auto& row : conn_->query("SELECT last_value FROM graph_edges_id_seq")) last = row.get<std::int64_t>(0);
  conn_->execute("ALTER SEQUENCE graph_edges_id_seq MAXVALUE " + std::to_string(last + 10));
  std::optional<dbridge::error> failed;
  try {
    store_->store(edges_out_of_order(), name("old"));
  } catch (const dbridge::error& e) {
    failed = e;
  }
  conn_->execute("ALTER SEQUENCE graph_edges_id_seq NO MAXVALUE");
  ASSERT_TRUE(failed.has_value());
  EXPECT_NE(std::string(failed->what()).find("maximum value"), std::string::npos) << failed->what();
  EXPECT_TRUE(store_->load(name("old")) == old);
  store_->store(edges_out_of_order(), name("old"));  // and works again once ids are there
  EXPECT_TRUE(store_->load(name("old")) == edges_out_of_order());
}

// A reader on another connection during replaces sees the old or the new
// graph, never a mix.
TEST_P(graph_suite, a_concurrent_reader_never_sees_half_a_store) {
  graph small, large;
  for (int i = 0; i < 20; ++i) small.add_edge("s" + std::to_string(i), "s" + std::to_string(i + 1), "A", 1.0);
  for (int i = 0; i < 400; ++i) large.add_edge("l" + std::to_string(i), "l" + std::to_string(i + 1), "B", 2.0);
  const auto n = name("race");
  store_->store(small, n);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, mixed{0};
  std::string reader_error;
  std::thread reader([&] {
    try {
      auto c2 = dbridge::connect(url_);
      graph_store s2(c2);
      while (!done.load() || reads.load() < 3) {
        const graph g = s2.load(n);
        if (!(g == small) && !(g == large)) ++mixed;
        ++reads;
      }
    } catch (const std::exception& e) {
      reader_error = e.what();
    }
  });
  for (int i = 0; i < 8; ++i) store_->store(i % 2 == 0 ? large : small, n);
  done = true;
  reader.join();
  EXPECT_EQ(reader_error, "");
  EXPECT_GE(reads.load(), 3);
  EXPECT_EQ(mixed.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(mappers, graph_suite, ::testing::ValuesIn(backends),
                         [](const ::testing::TestParamInfo<backend>& i) { return std::string(i.param.name); });

}  // namespace
