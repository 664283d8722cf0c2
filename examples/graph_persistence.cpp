// SPDX-License-Identifier: Apache-2.0
// A small social network kept in a database: people are nodes with JSON
// values, FRIEND and FOLLOWS are weighted edges. The graph is stored, loaded
// back, compared, walked, and queried with plain SQL over the mapper's tables.
// Usage: example_graph_persistence [URL]   (default: a SQLite file in /tmp)
#include <dbridge/connection.hpp>
#include <dbridge/graph.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <unistd.h>

int main(int argc, char** argv) try {
  const std::string file =
      (std::filesystem::temp_directory_path() / ("dbridge_social_" + std::to_string(::getpid()) + ".db")).string();
  const std::string url = argc > 1 ? argv[1] : "sqlite://" + file;
  auto db = dbridge::connect(url);
  dbridge::graph_store graphs(db);  // the mapper is chosen by the URL's scheme
  std::cout << "mapper: " << graphs.mapper_id() << " " << graphs.mapper_version() << "\n";

  dbridge::graph social;
  social.add_node("alice", dbridge::json{R"({"name": "Alice", "age": 31, "city": "Lyon"})"}, {"Person"});
  social.add_node("bob", dbridge::json{R"({"name": "Bob", "age": 27})"}, {"Person"});
  social.add_node("carol", dbridge::json{R"({"name": "Carol", "tags": ["chess", "go"]})"}, {"Person"});
  social.add_node("dave", dbridge::json{R"({"name": "Dave"})"}, {"Person"});
  social.add_edge("alice", "bob", "FRIEND", 0.9);
  social.add_edge("alice", "carol", "FRIEND", 0.4);
  social.add_edge("bob", "dave", "FRIEND", 0.7);
  social.add_edge("dave", "alice", "FOLLOWS", 1.0);
  social.add_edge("carol", "alice", "FOLLOWS", 0.5, dbridge::json{R"({"since": "2021-03-01"})"});

  const std::string name = "social_network";
  graphs.store(social, name);
  const dbridge::graph back = graphs.load(name);
  const auto st = graphs.stats(name);
  std::cout << "stored and loaded " << st.nodes << " people and " << st.edges << " edges: "
            << (back == social ? "identical" : "DIFFERENT") << "\n";
  if (!(back == social)) return 1;

  std::cout << "friends of friends of alice:";
  for (const auto& r : graphs.neighbors(name, "alice", {.edge_type = "FRIEND", .depth = 2}))
    std::cout << " " << r.id << "(" << r.depth << ")";
  std::cout << "\nwho follows alice:";
  for (const auto& r : graphs.neighbors(name, "alice", {.edge_type = "FOLLOWS", .dir = dbridge::direction::in}))
    std::cout << " " << r.id;
  std::cout << "\n";

  if (graphs.mapper_id() == "graph-sql") {
    // The tables are plain and documented: any SQL tool can read them.
    std::cout << "alice's friends by SQL:";
    for (auto& row : db.query("SELECT n2.node_id FROM graph_nodes n1 JOIN graph_edges e ON n1.node_id = e.from_node "
                              "AND e.graph_name = n1.graph_name JOIN graph_nodes n2 ON n2.node_id = e.to_node AND "
                              "n2.graph_name = e.graph_name WHERE n1.graph_name = $1 AND n1.node_id = $2 AND "
                              "e.edge_type = 'FRIEND' ORDER BY n2.node_id",
                              {name, "alice"}))
      std::cout << " " << row.get<std::string>(0);
    std::cout << "\n";
  }

  graphs.remove(name);
  if (argc <= 1) std::filesystem::remove(file);
  return 0;
} catch (const dbridge::error& e) {
  std::cerr << "error (" << dbridge::to_string(e.category()) << "): " << e.what() << "\n";
  return 1;
}
