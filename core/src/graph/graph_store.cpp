// SPDX-License-Identifier: Apache-2.0
// graph_store: picks the mapper plugin for a connection, lends it the
// connection (dbr_lent_conn) for each call, and turns graphs into the ABI's
// node and edge records and back.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <deque>
#include <span>
#include <string_view>
#include <vector>
#include <exception>
#include <set>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "dbridge/graph.hpp"
#include "dbridge/migrate.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "cell_abi.hpp"
#include "connection_impl.hpp"
#include "graph_json.hpp"
#include "plugin/capability.hpp"
#include "plugin/host.hpp"
#include "plugin/plugin_record.hpp"

namespace dbridge::inline v1 {

using detail::abi_error;
using detail::host_table;
using detail::plugin_record;

namespace {

int32_t report(dbr_error* err, errc cat, std::string_view sqlstate, std::string_view msg) noexcept {
  const std::string state(sqlstate);
  return host_table()->error_set(err, static_cast<std::uint32_t>(cat), state.size() == 5 ? state.c_str() : nullptr,
                                 msg.data(), msg.size());
}

// Fills err from the exception being handled; keeps it in *pending so the
// store can throw the very same exception once the mapper has returned.
int32_t report_current(dbr_error* err, std::exception_ptr* pending) noexcept {
  try {
    throw;
  } catch (const error& e) {
    if (pending != nullptr && !*pending) *pending = std::current_exception();
    int32_t rc = report(err, e.category(), e.sqlstate(), e.info().message);
    if (err != nullptr) {
      err->subcategory = static_cast<std::uint32_t>(e.subcategory());
      err->retry = static_cast<std::uint8_t>(e.info().retry);
      err->conn_broken = e.connection_broken() ? 1 : 0;
      err->native_code = e.native_code();
    }
    return rc;
  } catch (const std::exception& e) {
    if (pending != nullptr && !*pending) *pending = std::current_exception();
    return report(err, errc::internal, {}, e.what());
  } catch (...) {
    if (pending != nullptr && !*pending) *pending = std::current_exception();
    return report(err, errc::internal, {}, "unknown exception");
  }
}

std::string_view text_of(const char* p, std::uint64_t n) {
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<std::size_t>(n));
}

// ------------------------------------------------------------ the lent connection

// A row callback that failed: its status stops the query, err is already filled.
struct row_refused {
  int32_t status;
};

struct lent {
  connection* conn = nullptr;
  std::optional<transaction> tx;
  std::vector<value> params;
  std::vector<dbr_column> cols;
  std::vector<std::string> col_names;

  static lent& of(void* ctx) { return *static_cast<lent*>(ctx); }

  static int32_t query(void* ctx, const char* sql, uint64_t sql_len, const dbr_value* params, uint32_t nparams,
                       dbr_row_cb row_cb, void* user, int64_t* affected, dbr_error* err) noexcept {
    lent& l = of(ctx);
    try {
      l.params.clear();
      for (uint32_t i = 0; i < nparams; ++i) l.params.push_back(value::from_abi(params[i]));
      result r = l.conn->query(std::string_view(sql, static_cast<std::size_t>(sql_len)), l.params);
      if (row_cb != nullptr) {
        const auto& info = r.columns();
        l.col_names.clear();
        l.cols.assign(info.size(), dbr_column{});
        for (const auto& c : info) l.col_names.push_back(c.name);
        for (std::size_t i = 0; i < info.size(); ++i) {
          l.cols[i].struct_size = sizeof(dbr_column);
          l.cols[i].name = l.col_names[i].c_str();
          l.cols[i].native_type = info[i].native_type.c_str();
          l.cols[i].nullable = DBR_NULLABLE_UNKNOWN;
          l.cols[i].precision = l.cols[i].scale = -1;
          l.cols[i].max_length = -1;
        }
        const auto ncols = static_cast<uint32_t>(info.size());
        while (const row* rw = r.next()) {
          const int32_t rc = row_cb(user, ncols, l.cols.data(), ncols > 0 ? detail::abi_cells(&rw->raw(0)) : nullptr, err);
          if (rc < 0) throw row_refused{rc};
        }
      } else {
        while (r.next() != nullptr) {
        }
      }
      if (affected != nullptr) *affected = r.affected_rows();
      return DBR_OK;
    } catch (const row_refused& refused) {
      return refused.status;
    } catch (...) {
      return report_current(err, nullptr);
    }
  }

  // A command driver's reply, copied back into dbr_reply form: the mapper
  // borrows it until its next call, as from a driver.
  reply last_reply;
  std::deque<dbr_reply> reply_nodes;
  std::deque<std::vector<const dbr_reply*>> reply_children;

  const dbr_reply* expose(const reply& r) {
    dbr_reply& out = reply_nodes.emplace_back();
    out.struct_size = sizeof(dbr_reply);
    out.type = static_cast<uint32_t>(r.type);
    out.integer = r.integer;
    out.dval = r.number;
    out.str = r.str.data();
    out.len = r.str.size();
    if (!r.elements.empty()) {
      auto& kids = reply_children.emplace_back();
      kids.reserve(r.elements.size());
      for (const auto& e : r.elements) kids.push_back(expose(e));
      out.elements = kids.size();
      out.element = kids.data();
    }
    return &out;
  }

  static int32_t command(void* ctx, uint32_t argc, const char* const* argv, const uint64_t* argv_len,
                         const dbr_reply** out, dbr_error* err) noexcept {
    lent& l = of(ctx);
    try {
      if (out == nullptr || (argc > 0 && (argv == nullptr || argv_len == nullptr))) {
        return report(err, errc::invalid_argument, {}, "command needs argv, argv_len and a reply pointer");
      }
      std::vector<std::string_view> args;
      args.reserve(argc);
      for (uint32_t i = 0; i < argc; ++i) args.emplace_back(argv[i], static_cast<std::size_t>(argv_len[i]));
      l.last_reply = l.conn->command(std::span<const std::string_view>(args));
      l.reply_nodes.clear();
      l.reply_children.clear();
      *out = l.expose(l.last_reply);
      return DBR_OK;
    } catch (...) {
      return report_current(err, nullptr);
    }
  }

  static int32_t begin(void* ctx, dbr_error* err) noexcept {
    lent& l = of(ctx);
    try {
      if (l.tx) return report(err, errc::invalid_state, {}, "the mapper began a transaction twice");
      l.tx.emplace(l.conn->begin());
      return DBR_OK;
    } catch (...) {
      return report_current(err, nullptr);
    }
  }
  static int32_t commit(void* ctx, dbr_error* err) noexcept {
    lent& l = of(ctx);
    try {
      if (!l.tx) return report(err, errc::invalid_state, {}, "the mapper committed with no transaction");
      auto tx = std::move(l.tx);
      l.tx.reset();
      tx->commit();
      return DBR_OK;
    } catch (...) {
      return report_current(err, nullptr);
    }
  }
  static int32_t rollback(void* ctx, dbr_error* err) noexcept {
    lent& l = of(ctx);
    try {
      if (!l.tx) return DBR_OK;
      auto tx = std::move(l.tx);
      l.tx.reset();
      tx->rollback();
      return DBR_OK;
    } catch (...) {
      return report_current(err, nullptr);
    }
  }

  // The driver's bulk path when it has one (PostgreSQL binary COPY, MariaDB
  // array binding); otherwise a one-row INSERT run as a batch.
  static int32_t insert_rows(void* ctx, const char* table, const char* const* columns, uint32_t ncols,
                             const dbr_value* cells, uint64_t nrows, int64_t* rows, dbr_error* err) noexcept {
    lent& l = of(ctx);
    try {
      if (table == nullptr || columns == nullptr || ncols == 0)
        return report(err, errc::invalid_argument, {}, "insert_rows: no table or columns");
      std::vector<std::string> names(columns, columns + ncols);
      int64_t stored = 0;
      if (nrows == 0) {
      } else if (l.conn->has_capability("bulk")) {
        copy_in in(*l.conn, table, names);
        in.write_rows_raw(cells, nrows);
        stored = in.finish();
      } else {
        stored = insert_batch(*l.conn, table, names, cells, nrows);
      }
      if (rows != nullptr) *rows = stored;
      return DBR_OK;
    } catch (...) {
      return report_current(err, nullptr);
    }
  }

  // The mapper's schema steps, run by dbridge::migrate in the mapper's own
  // record table.
  static int32_t migrate(void* ctx, const char* table, const dbr_migration_step* steps, uint32_t step_size,
                         uint32_t nsteps, uint32_t* applied, dbr_error* err) noexcept {
    lent& l = of(ctx);
    try {
      if (table == nullptr || (nsteps > 0 && steps == nullptr))
        return report(err, errc::invalid_argument, {}, "migrate: no record table or steps");
      if (step_size < offsetof(dbr_migration_step, sql_len) + sizeof(uint64_t))
        return report(err, errc::invalid_argument, {},
                      "migrate: step_size " + std::to_string(step_size) + " is smaller than a 1.3 step");
      if (l.tx)
        return report(err, errc::invalid_state, {},
                      "migrate: the mapper's transaction is open; commit or roll it back first");
      std::vector<migration> set(nsteps);
      const auto* at = reinterpret_cast<const std::byte*>(steps);
      for (uint32_t i = 0; i < nsteps; ++i) {
        dbr_migration_step s{};
        std::memcpy(&s, at + std::size_t{i} * step_size, std::min<std::size_t>(step_size, sizeof s));
        if (s.sql == nullptr && s.sql_len > 0)
          return report(err, errc::invalid_argument, {}, "migrate: a step has sql_len but no sql");
        set[i].version = s.version;
        set[i].name = s.name != nullptr ? s.name : "";
        set[i].sql.assign(text_of(s.sql, s.sql_len));
      }
      migrate_options opts;
      opts.table = table;
      const migrate_result res = dbridge::migrate(*l.conn, set, opts);
      if (applied != nullptr) *applied = static_cast<uint32_t>(res.applied.size());
      return DBR_OK;
    } catch (...) {
      return report_current(err, nullptr);
    }
  }

  // One one-row INSERT run over every row by the driver's batch path
  // (execute_many): a loop in process on SQLite, where a one-row statement
  // beats a multi-row VALUES (measured 1.3x), arrays or a pipeline elsewhere.
  static int64_t insert_batch(connection& conn, const char* table, const std::vector<std::string>& names,
                              const dbr_value* cells, uint64_t nrows) {
    std::string sql = "INSERT INTO " + std::string(table) + " (";
    for (std::size_t c = 0; c < names.size(); ++c) sql += (c ? ", " : "") + names[c];
    sql += ") VALUES (";
    // SQLite resolves each $N by name (a scan per parameter); positional ?
    // is bound directly there and native on MariaDB.
    const bool positional = conn.scheme() == "sqlite" || conn.scheme() == "mysql" || conn.scheme() == "mariadb";
    for (std::size_t c = 0; c < names.size(); ++c) sql += (c ? "," : "") + (positional ? std::string("?") : "$" + std::to_string(c + 1));
    sql += ")";
    statement st = conn.prepare(sql);
    const exec_result res = st.execute_many_raw(cells, nrows);
    return res.affected_rows >= 0 ? res.affected_rows : static_cast<int64_t>(nrows);
  }
};

// Lends conn for one mapper call; a transaction the mapper left open is rolled back.
// Slots newer than the mapper's negotiated minor stay NULL.
class lending {
 public:
  lending(connection& conn, std::uint32_t mapper_minor) {
    state_.conn = &conn;
    std::memset(&table_, 0, sizeof table_);
    table_.struct_size = sizeof table_;
    table_.ctx = &state_;
    table_.scheme = conn.scheme().c_str();
    for (const std::string& name : detail::known_capabilities())
      if (conn.has_capability(name)) table_.capabilities |= static_cast<std::uint32_t>(detail::capability_bit(name));
    table_.query = &lent::query;
    table_.command = &lent::command;
    table_.begin = &lent::begin;
    table_.commit = &lent::commit;
    table_.rollback = &lent::rollback;
    table_.insert_rows = &lent::insert_rows;
    if (mapper_minor >= 3) table_.migrate = &lent::migrate;
  }
  lending(const lending&) = delete;
  lending& operator=(const lending&) = delete;
  ~lending() {
    if (state_.tx) {
      try {
        state_.tx->rollback();
      } catch (...) {  // the mapper's own error is the one reported
      }
    }
  }
  const dbr_lent_conn* get() const noexcept { return &table_; }

 private:
  lent state_;
  dbr_lent_conn table_;
};

// ------------------------------------------------------------ graphs as ABI records

// A mapper built before 1.2 steps through graph->nodes and graph->edges with
// the element sizes of its own header, so it is given arrays packed at those
// sizes (abi.h, dbr_graph): the 1.2 fields are cut off, never misread.
constexpr std::size_t node_size_1_0 = offsetof(dbr_graph_node, value);
constexpr std::size_t edge_size_1_0 = offsetof(dbr_graph_edge, weight);

template <class T>
std::vector<std::byte> packed_at(const std::vector<T>& items, std::size_t size) {
  std::vector<std::byte> out(items.size() * size);
  for (std::size_t i = 0; i < items.size(); ++i) {
    T item = items[i];
    item.struct_size = static_cast<uint32_t>(size);
    std::memcpy(out.data() + i * size, &item, size);
  }
  return out;
}

// The ABI view of a graph; points into g, which must outlive it.
// A name shown in an error, with control bytes (the NUL above all) escaped
// so the message shows where they are.
std::string shown(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, c == '"' || c == '\\' ? "\\%c" : "\\u%04x", c == '"' || c == '\\' ? c : u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Ids, labels and types cross the ABI as C strings: one holding a NUL would
// reach the mapper cut there ("e\0f" stored as "e"), so it is refused before
// the mapper sees any of the graph. `what()` names the node or edge (built
// only on a refusal: this runs for every id of a large graph).
template <class What>
void refuse_nul(std::string_view text, const What& what) {
  const std::size_t nul = text.find('\0');
  if (nul == std::string_view::npos) [[likely]] return;
  detail::throw_nul_byte(what(), nul, "the graph mapper would have read it cut there",
                         "remove the NUL byte; nothing of the graph was stored");
}

struct abi_graph {
  std::vector<dbr_graph_node> nodes;
  std::vector<dbr_graph_edge> edges;
  std::vector<const char*> labels;  // every node's labels, one run each
  std::vector<std::byte> old_nodes, old_edges;  // for a mapper older than 1.2
  dbr_graph g{};

  abi_graph(const graph& in, const std::string& name, std::uint32_t mapper_minor) {
    add_nodes(in);
    add_edges(in.edges());
    finish(name, in.directed(), mapper_minor);
  }
  // Edges alone: the nodes they name are stored already and stay as they are.
  abi_graph(std::span<const edge> in, const std::string& name, bool directed, std::uint32_t mapper_minor) {
    add_edges(in);
    finish(name, directed, mapper_minor);
  }

 private:
  void add_nodes(const graph& in) {
    std::size_t nlabels = 0;
    for (const auto& n : in.nodes()) nlabels += n.labels.size();
    labels.reserve(nlabels);
    nodes.resize(in.node_count());
    for (std::size_t i = 0; i < in.node_count(); ++i) {
      const node& n = in.nodes()[i];
      dbr_graph_node& out = nodes[i];
      std::memset(&out, 0, sizeof out);
      out.struct_size = sizeof out;
      refuse_nul(n.id, [&] { return "the id of node " + shown(n.id); });
      out.id = n.id.c_str();
      // Labels are a set: a label given twice is stored once (the mappers'
      // key on a node's labels refused the second as a duplicate).
      const std::size_t first = labels.size();
      for (const auto& l : n.labels) {
        refuse_nul(l, [&] { return "label " + shown(l) + " of node " + shown(n.id); });
        if (std::none_of(labels.begin() + static_cast<std::ptrdiff_t>(first), labels.end(),
                         [&](const char* seen) { return l == seen; }))
          labels.push_back(l.c_str());
      }
      out.nlabels = static_cast<uint32_t>(labels.size() - first);
      out.labels = labels.data() + first;
      if (!n.value.text.empty()) {
        out.value = n.value.text.c_str();
        out.value_len = n.value.text.size();
      }
    }
  }
  void add_edges(std::span<const edge> in) {
    edges.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      const edge& e = in[i];
      dbr_graph_edge& out = edges[i];
      std::memset(&out, 0, sizeof out);
      out.struct_size = sizeof out;
      const auto edge_part = [&](const char* part) {
        return [&e, part] { return "the " + std::string(part) + " of edge " + shown(e.from) + " -> " + shown(e.to) +
                                   " (type " + shown(e.type) + ")"; };
      };
      refuse_nul(e.from, edge_part("from node"));
      refuse_nul(e.to, edge_part("to node"));
      refuse_nul(e.type, edge_part("type"));
      out.from = e.from.c_str();
      out.to = e.to.c_str();
      out.type = e.type.c_str();
      out.has_weight = e.weight.has_value() ? 1 : 0;
      out.weight = e.weight.value_or(0.0);
      if (!e.properties.text.empty()) {
        out.properties = e.properties.text.c_str();
        out.properties_len = e.properties.text.size();
      }
    }
  }
  void finish(const std::string& name, bool directed, std::uint32_t mapper_minor) {
    g.struct_size = sizeof g;
    g.name = name.c_str();
    g.nodes = nodes.data();
    g.nnodes = nodes.size();
    g.edges = edges.data();
    g.nedges = edges.size();
    g.directed = directed ? 1 : 0;
    if (mapper_minor < 2) {
      old_nodes = packed_at(nodes, node_size_1_0);
      old_edges = packed_at(edges, edge_size_1_0);
      g.nodes = reinterpret_cast<const dbr_graph_node*>(old_nodes.data());
      g.edges = reinterpret_cast<const dbr_graph_edge*>(old_edges.data());
    }
  }
};

// Backends rewrite JSON (PostgreSQL's jsonb orders keys its own way): the
// same normal form as the graph's makes a loaded graph compare equal.
json json_from(const char* p, std::uint64_t n) {
  if (p == nullptr) return json{};
  return json{detail::normalised_json(text_of(p, n))};
}

node node_from(const dbr_graph_node* in) {
  dbr_graph_node n;
  std::memset(&n, 0, sizeof n);
  std::memcpy(&n, in, std::min<std::size_t>(in->struct_size, sizeof n));
  node out;
  out.id = n.id != nullptr ? n.id : "";
  out.value = json_from(n.value, n.value_len);
  for (uint32_t i = 0; i < n.nlabels; ++i)
    if (n.labels[i] != nullptr) out.labels.emplace_back(n.labels[i]);
  return out;
}

edge edge_from(const dbr_graph_edge* in) {
  dbr_graph_edge e;
  std::memset(&e, 0, sizeof e);
  std::memcpy(&e, in, std::min<std::size_t>(in->struct_size, sizeof e));
  edge out;
  out.from = e.from != nullptr ? e.from : "";
  out.to = e.to != nullptr ? e.to : "";
  out.type = e.type != nullptr ? e.type : "";
  if (e.has_weight) out.weight = e.weight;
  out.properties = json_from(e.properties, e.properties_len);
  return out;
}

graph_stats stats_from(std::string name, const dbr_graph_stats* in) {
  dbr_graph_stats s;
  std::memset(&s, 0, sizeof s);
  std::memcpy(&s, in, std::min<std::size_t>(in->struct_size, sizeof s));
  return graph_stats{std::move(name), s.directed != 0, s.nnodes, s.nedges};
}

struct load_sink {
  std::exception_ptr* pending;
  std::string name;
  const std::function<void(const graph_stats&)>* on_info;
  const std::function<void(const node&)>* on_node;
  const std::function<void(const edge&)>* on_edge;
  graph_stats seen;

  static int32_t info(void* ctx, const dbr_graph_stats* s, dbr_error* err) noexcept {
    auto* self = static_cast<load_sink*>(ctx);
    try {
      self->seen = stats_from(self->name, s);
      if (*self->on_info) (*self->on_info)(self->seen);
      return DBR_OK;
    } catch (...) {
      return report_current(err, self->pending);
    }
  }
  static int32_t node_cb(void* ctx, const dbr_graph_node* n, dbr_error* err) noexcept {
    auto* self = static_cast<load_sink*>(ctx);
    try {
      (*self->on_node)(node_from(n));
      return DBR_OK;
    } catch (...) {
      return report_current(err, self->pending);
    }
  }
  static int32_t edge_cb(void* ctx, const dbr_graph_edge* e, dbr_error* err) noexcept {
    auto* self = static_cast<load_sink*>(ctx);
    try {
      (*self->on_edge)(edge_from(e));
      return DBR_OK;
    } catch (...) {
      return report_current(err, self->pending);
    }
  }
};

std::string join_names(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::shared_ptr<plugin_record> mapper_for_scheme(const std::string& scheme) {
  std::set<std::string> ids, all;
  for (const auto& p : plugin_catalog::global().plugins()) {
    if (p.kind != "mapper") continue;
    all.insert(p.id);
    if (std::find(p.schemes.begin(), p.schemes.end(), scheme) != p.schemes.end()) ids.insert(p.id);
  }
  if (ids.empty()) {
    throw_error(errc::not_found, "no graph mapper works over scheme '" + scheme + "'; installed mappers: " +
                                     join_names({all.begin(), all.end()}) +
                                     ". Fix: install a mapper listing it under [mapper] schemes, or name one");
  }
  if (ids.size() > 1) {
    throw_error(errc::invalid_argument, "several graph mappers work over scheme '" + scheme + "' (" +
                                            join_names({ids.begin(), ids.end()}) + "): name the one to use");
  }
  return detail::plugin_by_id(*ids.begin(), "mapper");
}

}  // namespace

struct graph_store::impl {
  connection* conn;
  std::shared_ptr<plugin_record> rec;

  template <class F>
  void call(F&& f) {
    std::exception_ptr none;
    call_with(none, std::forward<F>(f));
  }
  // A call whose callbacks may hold the user's exception: that one is rethrown.
  template <class F>
  void call_with(std::exception_ptr& pending, F&& f) {
    lending lend(*conn, rec->negotiated_minor);
    abi_error err;
    const int32_t rc = f(lend.get(), err.get());
    if (pending) std::rethrow_exception(pending);
    if (rc >= 0) return;
    err.raise(rc, rec->id);
  }
  void need(bool slot, const char* what) const {
    if (!slot) {
      throw_error(errc::unsupported, "graph mapper '" + rec->id + "' " + rec->version + " cannot " + what +
                                         " (it was built for an older dbridge ABI or lacks it)");
    }
  }
  void prepare() {
    if (rec->mapper.prepare == nullptr) return;
    call([&](const dbr_lent_conn* c, dbr_error* e) { return rec->mapper.prepare(rec->instance, c, e); });
  }
};

namespace {
std::unique_ptr<graph_store::impl> open_store(connection& conn, std::shared_ptr<plugin_record> rec) {
  auto out = std::make_unique<graph_store::impl>(graph_store::impl{&conn, std::move(rec)});
  out->prepare();
  return out;
}

void check_name(std::string_view name) {
  if (name.empty()) throw_error(errc::invalid_argument, "a graph needs a name");
  if (name.size() > 255) throw_error(errc::invalid_argument, "graph names are at most 255 bytes");
  refuse_nul(name, [&] { return "graph name " + shown(name); });
}
}  // namespace

graph_store::graph_store(connection& conn) : impl_(open_store(conn, mapper_for_scheme(conn.scheme()))) {}

graph_store::graph_store(connection& conn, std::string_view mapper_id)
    : impl_(open_store(conn, detail::plugin_by_id(mapper_id, "mapper"))) {}

graph_store::graph_store(graph_store&&) noexcept = default;
graph_store& graph_store::operator=(graph_store&&) noexcept = default;
graph_store::~graph_store() = default;

const std::string& graph_store::mapper_id() const noexcept { return impl_->rec->id; }
const std::string& graph_store::mapper_version() const noexcept { return impl_->rec->version; }

void graph_store::store(const graph& g, std::string_view name) {
  check_name(name);
  const std::string n(name);
  abi_graph view(g, n, impl_->rec->negotiated_minor);
  auto& m = impl_->rec->mapper;
  impl_->call([&](const dbr_lent_conn* c, dbr_error* e) { return m.store(impl_->rec->instance, c, &view.g, e); });
}

void graph_store::merge(const graph& g, std::string_view name) {
  check_name(name);
  auto& m = impl_->rec->mapper;
  impl_->need(m.merge != nullptr, "merge graphs");
  const std::string n(name);
  abi_graph view(g, n, impl_->rec->negotiated_minor);
  impl_->call([&](const dbr_lent_conn* c, dbr_error* e) { return m.merge(impl_->rec->instance, c, &view.g, e); });
}

void graph_store::merge_edges(std::span<const edge> edges, std::string_view name, graph_kind kind) {
  check_name(name);
  auto& m = impl_->rec->mapper;
  impl_->need(m.merge != nullptr, "merge graphs");
  const std::string n(name);
  abi_graph view(edges, n, kind == graph_kind::directed, impl_->rec->negotiated_minor);
  impl_->call([&](const dbr_lent_conn* c, dbr_error* e) { return m.merge(impl_->rec->instance, c, &view.g, e); });
}

graph_stats graph_store::load(std::string_view name, const std::function<void(const node&)>& on_node,
                              const std::function<void(const edge&)>& on_edge) {
  check_name(name);
  std::exception_ptr pending;
  const std::function<void(const graph_stats&)> no_info;
  load_sink s{&pending, std::string(name), &no_info, &on_node, &on_edge, graph_stats{std::string(name), true, 0, 0}};
  dbr_graph_sink sink;
  std::memset(&sink, 0, sizeof sink);
  sink.struct_size = sizeof sink;
  sink.ctx = &s;
  sink.node = &load_sink::node_cb;
  sink.edge = &load_sink::edge_cb;
  sink.info = &load_sink::info;
  auto& m = impl_->rec->mapper;
  const std::string n(name);
  impl_->call_with(pending, [&](const dbr_lent_conn* c, dbr_error* e) { return m.load(impl_->rec->instance, c, n.c_str(), &sink, e); });
  return s.seen;
}

graph graph_store::load(std::string_view name) {
  // The kind is known only once the mapper says; nodes and edges wait for it.
  std::optional<graph> g;
  std::exception_ptr pending;
  const std::string n(name);
  check_name(name);
  const std::function<void(const graph_stats&)> on_info = [&](const graph_stats& st) {
    g.emplace(st.directed ? graph_kind::directed : graph_kind::undirected);
    g->reserve(static_cast<std::size_t>(st.nodes), static_cast<std::size_t>(st.edges));
  };
  const std::function<void(const node&)> on_node = [&](const node& nd) {
    if (!g) g.emplace();
    g->add_node(nd.id, nd.value, nd.labels);
  };
  const std::function<void(const edge&)> on_edge = [&](const edge& ed) {
    if (!g) g.emplace();
    g->add_edge(ed.from, ed.to, ed.type, ed.weight, ed.properties);
  };
  load_sink s{&pending, n, &on_info, &on_node, &on_edge, graph_stats{n, true, 0, 0}};
  dbr_graph_sink sink;
  std::memset(&sink, 0, sizeof sink);
  sink.struct_size = sizeof sink;
  sink.ctx = &s;
  sink.node = &load_sink::node_cb;
  sink.edge = &load_sink::edge_cb;
  sink.info = &load_sink::info;
  auto& m = impl_->rec->mapper;
  impl_->call_with(pending, [&](const dbr_lent_conn* c, dbr_error* e) { return m.load(impl_->rec->instance, c, n.c_str(), &sink, e); });
  return g ? std::move(*g) : graph();
}

std::vector<reached> graph_store::neighbors(std::string_view name, std::string_view from, const walk& w) {
  check_name(name);
  auto& m = impl_->rec->mapper;
  impl_->need(m.neighbors != nullptr, "walk graphs");
  if (w.depth == 0) throw_error(errc::invalid_argument, "neighbors: depth must be at least 1");
  struct collect {
    std::vector<reached> out;
    std::exception_ptr pending;
    static int32_t cb(void* user, const dbr_graph_node* n, uint32_t depth, dbr_error* err) noexcept {
      auto* self = static_cast<collect*>(user);
      try {
        node nd = node_from(n);
        self->out.push_back(reached{std::move(nd.id), std::move(nd.value), std::move(nd.labels), depth});
        return DBR_OK;
      } catch (...) {
        return report_current(err, &self->pending);
      }
    }
  } c;
  dbr_graph_walk gw;
  std::memset(&gw, 0, sizeof gw);
  gw.struct_size = sizeof gw;
  gw.direction = w.dir == direction::out ? DBR_WALK_OUT : w.dir == direction::in ? DBR_WALK_IN : DBR_WALK_BOTH;
  gw.depth = w.depth;
  gw.edge_type = w.edge_type ? w.edge_type->c_str() : nullptr;
  const std::string n(name), start(from);
  impl_->call_with(c.pending, [&](const dbr_lent_conn* lc, dbr_error* e) {
    return m.neighbors(impl_->rec->instance, lc, n.c_str(), start.c_str(), &gw, &collect::cb, &c, e);
  });
  std::sort(c.out.begin(), c.out.end(),
            [](const reached& a, const reached& b) { return a.depth != b.depth ? a.depth < b.depth : a.id < b.id; });
  return std::move(c.out);
}

void graph_store::remove(std::string_view name) {
  check_name(name);
  auto& m = impl_->rec->mapper;
  impl_->need(m.remove != nullptr, "remove graphs");
  const std::string n(name);
  impl_->call([&](const dbr_lent_conn* c, dbr_error* e) { return m.remove(impl_->rec->instance, c, n.c_str(), e); });
}

std::vector<graph_stats> graph_store::list() {
  auto& m = impl_->rec->mapper;
  impl_->need(m.list != nullptr, "list graphs");
  struct collect {
    std::vector<graph_stats> out;
    std::exception_ptr pending;
    static int32_t cb(void* user, const char* name, const dbr_graph_stats* st, dbr_error* err) noexcept {
      auto* self = static_cast<collect*>(user);
      try {
        self->out.push_back(stats_from(name != nullptr ? name : "", st));
        return DBR_OK;
      } catch (...) {
        return report_current(err, &self->pending);
      }
    }
  } c;
  impl_->call_with(c.pending, [&](const dbr_lent_conn* lc, dbr_error* e) { return m.list(impl_->rec->instance, lc, &collect::cb, &c, e); });
  std::sort(c.out.begin(), c.out.end(), [](const graph_stats& a, const graph_stats& b) { return a.name < b.name; });
  return std::move(c.out);
}

graph_stats graph_store::stats(std::string_view name) {
  check_name(name);
  auto& m = impl_->rec->mapper;
  impl_->need(m.stats != nullptr, "count graphs");
  dbr_graph_stats st;
  std::memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  const std::string n(name);
  impl_->call([&](const dbr_lent_conn* c, dbr_error* e) { return m.stats(impl_->rec->instance, c, n.c_str(), &st, e); });
  return stats_from(n, &st);
}

}  // namespace dbridge
