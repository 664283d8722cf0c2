// SPDX-License-Identifier: Apache-2.0
// Graphs and where they are kept.
//
//   dbridge::graph g;                                   // directed
//   g.add_node("alice", dbridge::json{R"({"age": 31})"}, {"Person"});
//   g.add_edge("alice", "bob", "FRIEND", 0.8);
//   auto conn = dbridge::connect("sqlite:///tmp/social.db");
//   dbridge::graph_store db(conn);                      // mapper chosen by the URL's scheme
//   db.store(g, "social_network");                      // replaces atomically
//   dbridge::graph back = db.load("social_network");
//   for (auto& n : db.neighbors("social_network", "alice", {.edge_type = "FRIEND", .depth = 2})) ...
//
// The work is done by a graph-mapper plugin ([mapper] schemes = [...] in its
// manifest) on a connection the store lends it for each call.
#pragma once

#include "dbridge/export.hpp"
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dbridge/value.hpp"

namespace dbridge::inline v1 {

class connection;

/// Values and properties are dbridge::json documents: empty text means none
/// (SQL NULL), "null" is JSON's null. A graph validates each one it is given
/// and normalises it (object keys sorted, no insignificant space), so equal
/// documents have equal text; invalid JSON is an invalid_argument error.
struct DBRIDGE_API node {
  std::string id;
  json value;
  std::vector<std::string> labels;
  friend bool operator==(const node&, const node&) = default;
};

struct DBRIDGE_API edge {
  std::string from;
  std::string to;
  std::string type;
  std::optional<double> weight;
  json properties;
  friend bool operator==(const edge&, const edge&) = default;
};

enum class graph_kind { directed, undirected };

/// A graph of nodes (unique ids) and typed edges. Between two nodes there is
/// at most one edge of each type (in an undirected graph a-b and b-a are the
/// same edge); parallel edges differ in type.
class DBRIDGE_API graph {
 public:
  explicit graph(graph_kind kind = graph_kind::directed) : kind_(kind) {}
  graph_kind kind() const noexcept { return kind_; }
  bool directed() const noexcept { return kind_ == graph_kind::directed; }

  /// Adds the node, or replaces the value and labels of the node with this id.
  /// The reference (like add_edge's) holds until the next add_node or add_edge.
  node& add_node(std::string id, json value = {}, std::vector<std::string> labels = {});
  /// Adds the edge, or replaces weight and properties of the edge with the
  /// same ends and type. Missing end nodes are added with a null value.
  edge& add_edge(std::string from, std::string to, std::string type, std::optional<double> weight = {},
                 json properties = {});
  const node* find_node(std::string_view id) const;
  const edge* find_edge(std::string_view from, std::string_view to, std::string_view type) const;

  const std::vector<node>& nodes() const noexcept { return nodes_; }
  const std::vector<edge>& edges() const noexcept { return edges_; }
  std::size_t node_count() const noexcept { return nodes_.size(); }
  std::size_t edge_count() const noexcept { return edges_.size(); }
  void reserve(std::size_t nodes, std::size_t edges);

  /// Same kind, same nodes and same edges, whatever the order they were added in.
  friend DBRIDGE_API bool operator==(const graph& a, const graph& b);

 private:
  std::string edge_key(std::string_view from, std::string_view to, std::string_view type) const;
  graph_kind kind_;
  std::vector<node> nodes_;
  std::vector<edge> edges_;
  std::unordered_map<std::string, std::size_t> node_at_;
  std::unordered_map<std::string, std::size_t> edge_at_;
};

enum class direction { out, in, both };

/// Which edges neighbors() follows, and how far.
struct DBRIDGE_API walk {
  std::optional<std::string> edge_type = std::nullopt;  ///< only edges of this type; none = any
  direction dir = direction::out;        ///< an undirected graph always walks both ways
  std::uint32_t depth = 1;               ///< 1 = adjacent nodes only
};

/// A node a walk reached, at the length of its shortest walk.
struct DBRIDGE_API reached {
  std::string id;
  json value;
  std::vector<std::string> labels;
  std::uint32_t depth = 0;
};

struct DBRIDGE_API graph_stats {
  std::string name;
  bool directed = true;
  std::uint64_t nodes = 0;
  std::uint64_t edges = 0;
};

/// Graphs kept through one connection. Errors are dbridge errors; a graph
/// never stored is not_found.
class DBRIDGE_API graph_store {
 public:
  /// The mapper whose manifest lists the connection's scheme.
  explicit graph_store(connection& conn);
  /// The mapper plugin with this id.
  graph_store(connection& conn, std::string_view mapper_id);
  graph_store(graph_store&&) noexcept;
  graph_store& operator=(graph_store&&) noexcept;
  ~graph_store();

  /// Replaces the graph called name atomically: a reader sees the old graph or
  /// the new one, and a failure leaves the old one.
  void store(const graph& g, std::string_view name);
  /// Upserts g's nodes (by id) and edges (by ends and type) into the graph
  /// called name, creating it when missing.
  void merge(const graph& g, std::string_view name);
  /// Upserts edges alone into the graph called name, leaving the nodes they
  /// name as stored (merge would reset a node an edge only names). Those nodes
  /// must be stored already: graph-sql refuses an edge to a missing node
  /// (constraint_violation). kind is the graph's, used to match undirected edges
  /// both ways and when name does not exist yet. For streaming writes larger
  /// than memory: nodes chunk by chunk with merge, then edges with this.
  void merge_edges(std::span<const edge> edges, std::string_view name, graph_kind kind = graph_kind::directed);
  graph load(std::string_view name);
  /// Streams the graph called name (every node, then every edge) without
  /// holding it; returns what it holds. A callback that throws stops the load.
  graph_stats load(std::string_view name, const std::function<void(const node&)>& on_node,
                   const std::function<void(const edge&)>& on_edge);
  std::vector<reached> neighbors(std::string_view name, std::string_view node, const walk& w = {});
  void remove(std::string_view name);
  std::vector<graph_stats> list();
  graph_stats stats(std::string_view name);

  const std::string& mapper_id() const noexcept;
  const std::string& mapper_version() const noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace dbridge
