// SPDX-License-Identifier: Apache-2.0
// Mappers built from the frozen 1.0 to 1.3 headers (tests/fixtures,
// old_mapper_plugin.c), loaded through the real loader and graph_store: a graph
// of several nodes and edges arrives intact, which it only does when the core
// lays the node and edge arrays out at the mapper's own element sizes.
#include <dbridge/connection.hpp>
#include <dbridge/error.hpp>
#include <dbridge/graph.hpp>
#include <gtest/gtest.h>

#include <string>

#include "temp_files.hpp"

namespace {

using dbridge::graph;
using dbridge::json;

class old_mapper : public ::testing::TestWithParam<const char*> {
 protected:
  dbridge::test::temp_sqlite_db file_{"dbr_old_mapper"};
};

// Only what a 1.0 graph carries: ids, labels, endpoints, types.
graph several_nodes_and_edges() {
  graph g;
  g.add_node("alice", json{}, {"Person", "Admin"});
  g.add_node("bob", json{}, {"Person"});
  g.add_node("carol");
  g.add_node("dave", json{}, {"Robot", "Person", "X"});
  g.add_node("東京", json{}, {"City"});
  g.add_edge("alice", "bob", "FRIEND");
  g.add_edge("bob", "carol", "FOLLOWS");
  g.add_edge("carol", "dave", "FRIEND");
  g.add_edge("dave", "alice", "KNOWS");
  g.add_edge("alice", "東京", "LIVES_IN");
  g.add_edge("dave", "dave", "SELF");
  return g;
}

TEST_P(old_mapper, stores_and_loads_every_node_and_edge_intact) {
  auto conn = dbridge::connect(file_.url());
  dbridge::graph_store store(conn, GetParam());
  ASSERT_EQ(store.mapper_id(), GetParam());
  const graph g = several_nodes_and_edges();
  store.store(g, "old");
  const graph back = store.load("old");
  ASSERT_EQ(back.node_count(), g.node_count());
  ASSERT_EQ(back.edge_count(), g.edge_count());
  for (const auto& n : g.nodes()) {
    const auto* got = back.find_node(n.id);
    ASSERT_NE(got, nullptr) << n.id;
    EXPECT_EQ(got->labels, n.labels) << n.id;
  }
  for (const auto& e : g.edges())
    EXPECT_NE(back.find_edge(e.from, e.to, e.type), nullptr) << e.from << " -" << e.type << "-> " << e.to;
  EXPECT_TRUE(back == g);
  store.remove("old");
  EXPECT_THROW(store.load("old"), dbridge::not_found_error);
}

TEST_P(old_mapper, slots_newer_than_its_minor_are_unsupported) {
  auto conn = dbridge::connect(file_.url());
  dbridge::graph_store store(conn, GetParam());
  EXPECT_THROW(store.merge(several_nodes_and_edges(), "old"), dbridge::unsupported_error);
}

// Builds from 1.2 on answer list and stats, the slots 1.2 added, through
// the frozen header's own dbr_graph_stats.
class old_mapper_listing : public old_mapper {};

TEST_P(old_mapper_listing, lists_and_counts_its_graphs) {
  {
    auto conn = dbridge::connect(file_.url());
    dbridge::graph_store store(conn, GetParam());
    store.store(several_nodes_and_edges(), "old");
    const auto stats = store.stats("old");
    EXPECT_EQ(stats.nodes, 5u);
    EXPECT_EQ(stats.edges, 6u);
    EXPECT_TRUE(stats.directed);
    const auto all = store.list();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].name, "old");
    EXPECT_EQ(all[0].edges, 6u);
    store.remove("old");
    EXPECT_THROW((void)store.stats("old"), dbridge::not_found_error);
  }
}

INSTANTIATE_TEST_SUITE_P(frozen_headers, old_mapper,
                         ::testing::Values("fixture-oldmapper-v10", "fixture-oldmapper-v11",
                                           "fixture-oldmapper-v12", "fixture-oldmapper-v13"),
                         [](const auto& i) { return std::string(i.param).substr(sizeof "fixture-oldmapper-" - 1); });
INSTANTIATE_TEST_SUITE_P(frozen_headers, old_mapper_listing,
                         ::testing::Values("fixture-oldmapper-v12", "fixture-oldmapper-v13"),
                         [](const auto& i) { return std::string(i.param).substr(sizeof "fixture-oldmapper-" - 1); });

}  // namespace
