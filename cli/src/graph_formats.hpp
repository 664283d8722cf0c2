// SPDX-License-Identifier: Apache-2.0
// Graph files for `dbridge graph export|import`: GraphML (as yEd, Gephi,
// NetworkX and Neo4j read and write it), one JSON document, and JSON Lines
// (one node or edge per line, so graphs larger than memory stream through).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dbridge/graph.hpp"

namespace dbridge::cli {

enum class graph_format { json, jsonl, graphml };

/// "json", "jsonl" or "graphml"; a usage_error for anything else.
graph_format graph_format_named(std::string_view name);
/// From a file name's extension (.json, .jsonl/.ndjson, .graphml/.xml);
/// nullopt when it says nothing.
std::optional<graph_format> graph_format_of_file(std::string_view path);

/// Writes a graph as it streams in: begin, every node, every edge, end.
class graph_writer {
 public:
  virtual ~graph_writer() = default;
  virtual void begin(std::string_view name, bool directed) = 0;
  virtual void node(const dbridge::node& n) = 0;
  virtual void edge(const dbridge::edge& e) = 0;
  virtual void end() = 0;
};
std::unique_ptr<graph_writer> make_graph_writer(graph_format f, std::FILE* out);

/// What a reader hands out, in file order: directed() once before anything
/// else (when the file says), then nodes and edges (GraphML and JSON Lines
/// may mix them; an edge may name a node that comes later).
struct graph_sink {
  std::function<void(bool directed)> directed;
  std::function<void(dbridge::node&&)> node;
  std::function<void(dbridge::edge&&)> edge;
};

/// Reads a graph file; errors are data_error with the line (and column) at fault.
void read_graph(graph_format f, std::FILE* in, const graph_sink& sink);

}  // namespace dbridge::cli
