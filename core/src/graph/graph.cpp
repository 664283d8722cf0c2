// SPDX-License-Identifier: Apache-2.0
// The graph model and its JSON values (normalised through nlohmann, which
// stays inside the core).
#include "dbridge/graph.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dbridge/error.hpp"
#include "graph_json.hpp"

namespace dbridge::inline v1 {

namespace detail {

std::string normalised_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    // Parse again with exceptions for the position of the fault.
    try {
      j = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
      throw_error(errc::invalid_argument, std::string("invalid JSON: ") + e.what());
    }
    throw_error(errc::invalid_argument, "invalid JSON");
  }
  try {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    throw_error(errc::invalid_argument, std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace detail

namespace {
json normalised(json j) {
  if (!j.text.empty()) j.text = detail::normalised_json(j.text);
  return j;
}
}  // namespace

std::string graph::edge_key(std::string_view from, std::string_view to, std::string_view type) const {
  // An undirected edge has one key whichever way it is written.
  if (kind_ == graph_kind::undirected && to < from) std::swap(from, to);
  std::string k;
  k.reserve(from.size() + to.size() + type.size() + 2);
  k.append(from).push_back('\0');
  k.append(to).push_back('\0');
  k.append(type);
  return k;
}

node& graph::add_node(std::string id, json value, std::vector<std::string> labels) {
  if (auto it = node_at_.find(id); it != node_at_.end()) {
    node& n = nodes_[it->second];
    n.value = normalised(std::move(value));
    n.labels = std::move(labels);
    return n;
  }
  node_at_.emplace(id, nodes_.size());
  nodes_.push_back(node{std::move(id), normalised(std::move(value)), std::move(labels)});
  return nodes_.back();
}

edge& graph::add_edge(std::string from, std::string to, std::string type, std::optional<double> weight,
                      json properties) {
  if (!node_at_.contains(from)) add_node(from);
  if (!node_at_.contains(to)) add_node(to);
  std::string key = edge_key(from, to, type);
  if (auto it = edge_at_.find(key); it != edge_at_.end()) {
    edge& e = edges_[it->second];
    e.weight = weight;
    e.properties = normalised(std::move(properties));
    return e;
  }
  edge_at_.emplace(std::move(key), edges_.size());
  edges_.push_back(edge{std::move(from), std::move(to), std::move(type), weight, normalised(std::move(properties))});
  return edges_.back();
}

const node* graph::find_node(std::string_view id) const {
  auto it = node_at_.find(std::string(id));
  return it == node_at_.end() ? nullptr : &nodes_[it->second];
}

const edge* graph::find_edge(std::string_view from, std::string_view to, std::string_view type) const {
  auto it = edge_at_.find(edge_key(from, to, type));
  return it == edge_at_.end() ? nullptr : &edges_[it->second];
}

void graph::reserve(std::size_t nodes, std::size_t edges) {
  nodes_.reserve(nodes);
  node_at_.reserve(nodes);
  edges_.reserve(edges);
  edge_at_.reserve(edges);
}

bool operator==(const graph& a, const graph& b) {
  if (a.kind_ != b.kind_ || a.nodes_.size() != b.nodes_.size() || a.edges_.size() != b.edges_.size()) return false;
  for (const auto& n : a.nodes_) {
    const node* m = b.find_node(n.id);
    if (m == nullptr || m->value != n.value) return false;
    auto la = n.labels, lb = m->labels;
    std::sort(la.begin(), la.end());
    std::sort(lb.begin(), lb.end());
    if (la != lb) return false;
  }
  for (const auto& e : a.edges_) {
    const edge* f = b.find_edge(e.from, e.to, e.type);
    if (f == nullptr || f->weight != e.weight || f->properties != e.properties) return false;
  }
  return true;
}

}  // namespace dbridge
