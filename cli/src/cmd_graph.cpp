// SPDX-License-Identifier: Apache-2.0
// `dbridge graph list|stats|export|import`: graphs kept by a graph-mapper
// plugin, to and from GraphML, JSON and JSON Lines files.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "commands.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/graph.hpp"
#include "graph_formats.hpp"

namespace dbridge::cli {
namespace {

using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

connection open_graph_db(const std::string& url, const char* opened_by) {
  require_known_scheme(parse_cli_url(url));
  return connect(url, connect_options{.opened_by = opened_by});
}

/// "N nodes, M edges" redrawn on stderr (a terminal only), ten times a second at most.
class graph_progress {
 public:
  graph_progress(std::string verb, std::uint64_t total) : verb_(std::move(verb)), total_(total) {}
  ~graph_progress() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }
  graph_progress(const graph_progress&) = delete;
  graph_progress& operator=(const graph_progress&) = delete;
  void node() { ++nodes_, tick(); }
  void edge() { ++edges_, tick(); }
  std::uint64_t nodes() const noexcept { return nodes_; }
  std::uint64_t edges() const noexcept { return edges_; }

 private:
  void tick() {
    if (!on_ || ((nodes_ + edges_) & 1023) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::string line = fmt::format("\r{} {} nodes, {} edges", verb_, nodes_, edges_);
    if (total_ > 0) line += fmt::format(" ({}%)", (nodes_ + edges_) * 100 / total_);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
  }
  std::string verb_;
  std::uint64_t total_;
  std::uint64_t nodes_ = 0, edges_ = 0;
  bool on_ = ::isatty(STDERR_FILENO) == 1;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

ojson stats_json(const graph_stats& s) {
  return {{"name", s.name}, {"directed", s.directed}, {"nodes", s.nodes}, {"edges", s.edges}};
}

int run_list(const graph_cmd_options& o) {
  connection conn = open_graph_db(o.url, "dbridge graph list");
  graph_store store(conn);
  const std::vector<graph_stats> all = store.list();
  if (o.output == output_format::json) {
    ojson rows = ojson::array();
    for (const auto& s : all) rows.push_back(stats_json(s));
    out(json_text(rows) + "\n");
    return exit_ok;
  }
  text_table t({"name", "kind", "nodes", "edges"});
  t.set_right_aligned(2), t.set_right_aligned(3);
  for (const auto& s : all)
    t.add_row({s.name, s.directed ? "directed" : "undirected", std::to_string(s.nodes), std::to_string(s.edges)});
  out(t.render());
  return exit_ok;
}

int run_stats(const graph_cmd_options& o) {
  connection conn = open_graph_db(o.url, "dbridge graph stats");
  graph_store store(conn);
  const graph_stats s = store.stats(o.name);
  if (o.output == output_format::json) {
    ojson j = stats_json(s);
    j["mapper"] = store.mapper_id();
    j["mapper_version"] = store.mapper_version();
    out(json_text(j) + "\n");
  } else {
    out(fmt::format("{}: {} graph, {} nodes, {} edges (mapper {} {})\n", s.name,
                    s.directed ? "directed" : "undirected", s.nodes, s.edges, store.mapper_id(),
                    store.mapper_version()));
  }
  return exit_ok;
}

int run_export(const graph_cmd_options& o) {
  connection conn = open_graph_db(o.url, "dbridge graph export");
  graph_store store(conn);
  const graph_stats s = store.stats(o.name);
  const bool to_stdout = o.file.empty() || o.file == "-";
  // A failed export (a value the format cannot hold, a lost connection)
  // leaves the file that was there, not a truncated one.
  std::optional<replacing_file> file;
  if (!to_stdout) {
    file.emplace(o.file);
    if (file->get() == nullptr)
      return report_failure("resource", fmt::format("cannot write {}: {}", o.file, std::strerror(errno)));
  }
  const graph_format f = !o.format.empty() ? graph_format_named(o.format)
                                           : graph_format_of_file(o.file).value_or(graph_format::json);
  auto writer = make_graph_writer(f, to_stdout ? stdout : file->get());
  graph_progress progress("exported", s.nodes + s.edges);
  writer->begin(s.name, s.directed);
  // Streamed: a graph larger than memory passes through one item at a time.
  store.load(
      o.name, [&](const node& n) { writer->node(n), progress.node(); },
      [&](const edge& e) { writer->edge(e), progress.edge(); });
  writer->end();
  if (file && !file->commit())
    return report_failure("resource", fmt::format("cannot write {}: {}", o.file, std::strerror(errno)));
  if (!to_stdout)
    out(fmt::format("exported {}: {} nodes, {} edges to {}\n", o.name, progress.nodes(), progress.edges(), o.file));
  return exit_ok;
}

/// A JSON Lines import without holding the graph: the first batch replaces
/// the graph (store), later ones are merged, each batch's nodes before its
/// edges, and edges alone so that they leave the nodes they name as stored.
/// A file of one batch or less is one store, atomic like the other formats.
class batched_import {
 public:
  batched_import(graph_store& store, std::string name, std::uint64_t batch)
      : store_(store), name_(std::move(name)), batch_(batch) {}
  void on_directed(bool d) { kind_ = d ? graph_kind::directed : graph_kind::undirected; }
  void on_node(dbridge::node&& n) {
    graph& g = pending();
    g.add_node(std::move(n.id), std::move(n.value), std::move(n.labels));
    if (++held_ >= batch_) flush();
  }
  void on_edge(dbridge::edge&& e) {
    if (stored_) edges_.push_back(std::move(e));
    else pending().add_edge(std::move(e.from), std::move(e.to), std::move(e.type), e.weight, std::move(e.properties));
    if (++held_ >= batch_) flush();
  }
  void finish() {
    if (!stored_) pending();
    flush();
  }

 private:
  graph& pending() {
    if (!nodes_) nodes_.emplace(kind_);
    return *nodes_;
  }
  void flush() {
    if (!stored_) {
      store_.store(*nodes_, name_);
      stored_ = true;
    } else {
      if (nodes_ && nodes_->node_count() > 0) store_.merge(*nodes_, name_);
      if (!edges_.empty()) merge_edges();
    }
    nodes_.reset();
    edges_.clear();
    held_ = 0;
  }
  void merge_edges() {
    try {
      store_.merge_edges(edges_, name_, kind_);
    } catch (const constraint_violation& e) {
      error_info info = e.info();
      info.message = "an edge names a node the file has not listed before it (" + info.message +
                     "); a JSON Lines file larger than --batch must list every node before the edges naming it, "
                     "as dbridge graph export writes it, or be imported with a larger --batch";
      throw_error(std::move(info));
    }
  }

  graph_store& store_;
  std::string name_;
  std::uint64_t batch_;
  graph_kind kind_ = graph_kind::directed;
  std::optional<graph> nodes_;  // the first batch whole; later, its nodes only
  std::vector<dbridge::edge> edges_;
  std::uint64_t held_ = 0;
  bool stored_ = false;
};

int run_import(const graph_cmd_options& o) {
  const bool from_stdin = o.file == "-";
  const std::optional<graph_format> by_name = graph_format_of_file(o.file);
  if (o.format.empty() && !by_name)
    throw usage_error(fmt::format("cannot tell the format of {} from its name", o.file),
                      "add --format json, jsonl or graphml");
  const graph_format f = o.format.empty() ? *by_name : graph_format_named(o.format);
  file_ptr owned(nullptr, std::fclose);
  if (!from_stdin) {
    owned.reset(std::fopen(o.file.c_str(), "rb"));
    if (!owned)
      return report_failure(errno == ENOENT ? "not_found" : "resource",
                            fmt::format("cannot open {}: {}", o.file, std::strerror(errno)));
  }
  connection conn = open_graph_db(o.url, "dbridge graph import");
  graph_store store(conn);
  graph_progress progress("read", 0);
  if (f == graph_format::jsonl) {
    batched_import in(store, o.name, o.batch);
    read_graph(f, from_stdin ? stdin : owned.get(),
               graph_sink{.directed = [&](bool d) { in.on_directed(d); },
                          .node = [&](node&& n) { in.on_node(std::move(n)), progress.node(); },
                          .edge = [&](edge&& e) { in.on_edge(std::move(e)), progress.edge(); }});
    in.finish();
    const graph_stats s = store.stats(o.name);
    out(fmt::format("imported {}: {} nodes, {} edges\n", o.name, s.nodes, s.edges));
    return exit_ok;
  }
  graph_kind kind = graph_kind::directed;
  std::optional<graph> g;
  read_graph(f, from_stdin ? stdin : owned.get(),
             graph_sink{.directed = [&](bool d) { kind = d ? graph_kind::directed : graph_kind::undirected; },
                        .node =
                            [&](node&& n) {
                              if (!g) g.emplace(kind);
                              g->add_node(std::move(n.id), std::move(n.value), std::move(n.labels));
                              progress.node();
                            },
                        .edge =
                            [&](edge&& e) {
                              if (!g) g.emplace(kind);
                              g->add_edge(std::move(e.from), std::move(e.to), std::move(e.type), e.weight,
                                          std::move(e.properties));
                              progress.edge();
                            }});
  if (!g) g.emplace(kind);
  // One store: the graph is replaced atomically, whatever the file held.
  store.store(*g, o.name);
  out(fmt::format("imported {}: {} nodes, {} edges\n", o.name, g->node_count(), g->edge_count()));
  return exit_ok;
}

}  // namespace

int run_graph(graph_command c, const graph_cmd_options& o) {
  switch (c) {
    case graph_command::list: return run_list(o);
    case graph_command::stats: return run_stats(o);
    case graph_command::export_file: return run_export(o);
    case graph_command::import_file: return run_import(o);
  }
  return exit_usage;
}

}  // namespace dbridge::cli
