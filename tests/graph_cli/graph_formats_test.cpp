// SPDX-License-Identifier: Apache-2.0
// The graph files of `dbridge graph export|import`: GraphML, JSON and JSON
// Lines written and read back give the same graph; GraphML and node-link JSON
// as other tools write them are read.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "dbridge/error.hpp"
#include "dbridge/graph.hpp"
#include "graph_formats.hpp"

namespace {

using dbridge::cli::graph_format;

dbridge::graph sample(dbridge::graph_kind kind) {
  dbridge::graph g(kind);
  g.add_node("alice", dbridge::json{R"({"age": 31, "tags": ["a", "b"], "nested": {"x": null}})"}, {"Person", "Admin"});
  g.add_node("bob", dbridge::json{"\"just a string\""}, {"Person"});
  g.add_node("zoë 🌍 <&\"'>", dbridge::json{"3.5"});
  g.add_node("no value");
  g.add_node("json null", dbridge::json{"null"});
  g.add_edge("alice", "bob", "FRIEND", 0.8, dbridge::json{R"({"since": 2019})"});
  g.add_edge("alice", "bob", "FOLLOWS");
  g.add_edge("bob", "bob", "SELF", -1e-300);
  g.add_edge("zoë 🌍 <&\"'>", "alice", "tab\there", 1.0 / 3.0);
  return g;
}

dbridge::graph read_file(graph_format f, std::FILE* file);

/// Writes g in format f and reads it back.
dbridge::graph round_trip(const dbridge::graph& g, graph_format f) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), std::fclose);
  auto w = dbridge::cli::make_graph_writer(f, file.get());
  w->begin("social", g.directed());
  for (const auto& n : g.nodes()) w->node(n);
  for (const auto& e : g.edges()) w->edge(e);
  w->end();
  std::rewind(file.get());
  return read_file(f, file.get());
}

/// Reads a graph file the way `dbridge graph import` does.
dbridge::graph read_file(graph_format f, std::FILE* file) {
  dbridge::graph_kind kind = dbridge::graph_kind::directed;
  std::optional<dbridge::graph> g;
  auto ensure = [&]() -> dbridge::graph& {
    if (!g) g.emplace(kind);
    return *g;
  };
  dbridge::cli::read_graph(
      f, file,
      {.directed = [&](bool d) { kind = d ? dbridge::graph_kind::directed : dbridge::graph_kind::undirected; },
       .node = [&](dbridge::node&& n) { ensure().add_node(n.id, n.value, n.labels); },
       .edge = [&](dbridge::edge&& e) { ensure().add_edge(e.from, e.to, e.type, e.weight, e.properties); }});
  return ensure();
}

dbridge::graph read_text(graph_format f, const std::string& text) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), std::fclose);
  std::fputs(text.c_str(), file.get());
  std::rewind(file.get());
  return read_file(f, file.get());
}

class graph_files : public ::testing::TestWithParam<graph_format> {};

TEST_P(graph_files, a_written_graph_reads_back_equal) {
  for (auto kind : {dbridge::graph_kind::directed, dbridge::graph_kind::undirected}) {
    const dbridge::graph g = sample(kind);
    const dbridge::graph back = round_trip(g, GetParam());
    EXPECT_EQ(back.node_count(), g.node_count());
    EXPECT_EQ(back.edge_count(), g.edge_count());
    EXPECT_TRUE(back == g) << "the graph changed on its way through the file";
    ASSERT_NE(back.find_node("no value"), nullptr);
    EXPECT_TRUE(back.find_node("no value")->value.text.empty());
    EXPECT_EQ(back.find_node("json null")->value.text, "null");
  }
}

TEST_P(graph_files, an_empty_graph_reads_back_empty_with_its_kind) {
  const dbridge::graph back = round_trip(dbridge::graph(dbridge::graph_kind::undirected), GetParam());
  EXPECT_EQ(back.node_count(), 0u);
  EXPECT_FALSE(back.directed());
}

INSTANTIATE_TEST_SUITE_P(formats, graph_files,
                         ::testing::Values(graph_format::graphml, graph_format::json, graph_format::jsonl),
                         [](const auto& i) {
                           return std::string(i.param == graph_format::graphml ? "graphml"
                                              : i.param == graph_format::json  ? "json"
                                                                               : "jsonl");
                         });

TEST(graph_files_of_other_tools, graphml_attributes_become_the_value_and_properties_typed_by_their_keys) {
  // The shape NetworkX's write_graphml gives: typed keys, a default, edges
  // before the nodes they name.
  const dbridge::graph g = read_text(graph_format::graphml, R"(<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="d0" for="node" attr.name="age" attr.type="long"/>
  <key id="d1" for="node" attr.name="name" attr.type="string"><default>anonymous</default></key>
  <key id="d2" for="edge" attr.name="weight" attr.type="double"/>
  <key id="d3" for="edge" attr.name="label" attr.type="string"/>
  <key id="d4" for="edge" attr.name="close" attr.type="boolean"/>
  <graph edgedefault="undirected">
    <edge source="1" target="2"><data key="d2">2.5</data><data key="d3">KNOWS</data><data key="d4">true</data></edge>
    <node id="1"><data key="d0">42</data><data key="d1">Ann</data></node>
    <node id="2"/>
  </graph>
</graphml>)");
  EXPECT_FALSE(g.directed());
  ASSERT_EQ(g.node_count(), 2u);
  EXPECT_EQ(g.find_node("1")->value.text, R"({"age":42,"name":"Ann"})");
  EXPECT_EQ(g.find_node("2")->value.text, R"({"name":"anonymous"})");
  const dbridge::edge* e = g.find_edge("1", "2", "KNOWS");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->weight, 2.5);
  EXPECT_EQ(e->properties.text, R"({"close":true})");
}

TEST(graph_files_of_other_tools, neo4j_labels_and_node_link_json_are_read) {
  dbridge::graph g = read_text(graph_format::graphml, R"(<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="labels" for="node" attr.name="labels"/>
  <graph edgedefault="directed"><node id="n0"><data key="labels">:Person:Admin</data></node></graph></graphml>)");
  EXPECT_EQ(g.find_node("n0")->labels, (std::vector<std::string>{"Person", "Admin"}));

  g = read_text(graph_format::json, R"({"directed": true, "multigraph": false, "graph": {},
    "nodes": [{"id": 1, "color": "red"}, {"id": 2}],
    "links": [{"source": 1, "target": 2, "weight": 3}]})");
  EXPECT_EQ(g.find_node("1")->value.text, R"({"color":"red"})");
  const dbridge::edge* e = g.find_edge("1", "2", "");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->weight, 3.0);
}

TEST(graph_files_of_other_tools, broken_files_are_data_errors_with_their_place) {
  try {
    read_text(graph_format::graphml, "<graphml><graph><node id='a'></graph></graphml>");
    FAIL() << "mismatched tags were accepted";
  } catch (const dbridge::data_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
  }
  try {
    read_text(graph_format::jsonl, "{\"kind\":\"node\",\"id\":\"a\"}\n{\"kind\":\"edge\",\"from\":\n");
    FAIL() << "a broken line was accepted";
  } catch (const dbridge::data_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_text(graph_format::graphml, "<graphml><graph><hyperedge/></graph></graphml>"), dbridge::data_error);
  // A number past a double is the file's fault, not an internal error.
  EXPECT_THROW(read_text(graph_format::json, R"({"nodes":[{"id":"a","value":1e999}]})"), dbridge::data_error);
  try {
    read_text(graph_format::jsonl, "{\"kind\":\"node\",\"id\":\"a\"}\n{\"kind\":\"node\",\"id\":\"b\",\"value\":-1e999}\n");
    FAIL() << "an overflowing number was accepted";
  } catch (const dbridge::data_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(graph_files_of_other_tools, graphml_refuses_what_xml_cannot_carry) {
  // U+FFFE, U+FFFF and bytes that are not UTF-8 would make a file no XML
  // parser reads back; JSON carries them.
  for (const std::string& id : {std::string("a\xEF\xBF\xBF"), std::string("a\xEF\xBF\xBE"), std::string("a\x9b")}) {
    dbridge::graph g(dbridge::graph_kind::directed);
    g.add_node(id);
    EXPECT_THROW(round_trip(g, graph_format::graphml), dbridge::data_error) << id;
  }
  dbridge::graph fine(dbridge::graph_kind::directed);
  fine.add_node("a\xEF\xBF\xBD \xF0\x9F\x8C\x8D");  // U+FFFD and an emoji are XML characters
  EXPECT_EQ(round_trip(fine, graph_format::graphml).nodes().size(), 1u);
}

}  // namespace
