// SPDX-License-Identifier: Apache-2.0
// The graph model and its JSON values, without a database.
#include <dbridge/error.hpp>
#include <dbridge/graph.hpp>
#include <gtest/gtest.h>


namespace {

using dbridge::graph;
using dbridge::json;

TEST(graph_model, json_is_validated_and_normalised_so_equal_documents_compare_equal) {
  graph g;
  EXPECT_EQ(g.add_node("a", json{R"({ "b" : 1, "a" : [true, null] })"}).value.text, R"({"a":[true,null],"b":1})");
  // Copies: a second add may move the nodes, and with them the first reference.
  const json b = g.add_node("b", json{R"({"b":1,"a":2})"}).value;
  const json c = g.add_node("c", json{R"({"a":2, "b":1})"}).value;
  EXPECT_EQ(b, c);
  EXPECT_EQ(g.add_node("d").value.text, "");  // no value
  EXPECT_EQ(g.add_node("e", json{" null "}).value.text, "null");
  EXPECT_THROW(g.add_node("f", json{"{not json"}), dbridge::invalid_argument_error);
  EXPECT_THROW(g.add_edge("a", "b", "T", std::nullopt, json{"[1,"}), dbridge::invalid_argument_error);
}

TEST(graph_model, edges_are_unique_per_ends_and_type) {
  graph g;
  g.add_edge("a", "b", "FRIEND", 1.0);
  g.add_edge("a", "b", "FOLLOWS");
  g.add_edge("a", "b", "FRIEND", 2.0);  // replaces
  EXPECT_EQ(g.edge_count(), 2u);
  EXPECT_EQ(g.node_count(), 2u);
  EXPECT_EQ(g.find_edge("a", "b", "FRIEND")->weight, 2.0);
  EXPECT_EQ(g.find_edge("b", "a", "FRIEND"), nullptr);

  graph u(dbridge::graph_kind::undirected);
  u.add_edge("a", "b", "LINK");
  u.add_edge("b", "a", "LINK", 3.0);
  EXPECT_EQ(u.edge_count(), 1u);
  EXPECT_EQ(u.find_edge("a", "b", "LINK")->weight, 3.0);
}

TEST(graph_model, equality_ignores_order_but_not_content) {
  graph a, b;
  a.add_node("x", json{"1"}, {"L1", "L2"});
  a.add_node("y");
  b.add_node("y");
  b.add_node("x", json{"1"}, {"L2", "L1"});
  EXPECT_TRUE(a == b);
  b.add_node("x", json{"2"});
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(graph(dbridge::graph_kind::undirected) == graph());
}

}  // namespace
