// SPDX-License-Identifier: Apache-2.0
// Graphs in Redis, written with the SDK only (as a third party would).
//
// Every key of graph NAME starts with "dbridge:graph:{NAME}" (NAME escaped),
// so the hash tag keeps a graph in one Redis Cluster slot:
//   dbridge:graph:{NAME}                 head hash: version, directed, nodes, edges
//   dbridge:graph:{NAME}:seq             version counter
//   dbridge:graph:{NAME}:V:nodes         set of node ids
//   dbridge:graph:{NAME}:V:n:ID          node hash: id, v (JSON value), l (JSON labels)
//   dbridge:graph:{NAME}:V:out:ID:TYPE   hash: target id -> {"w":weight,"p":properties}
//   dbridge:graph:{NAME}:V:in:ID:TYPE    set of source ids
//   dbridge:graph:{NAME}:V:outt:ID, :V:int:ID   edge types leaving / entering ID
// store() writes a new version V beside the old one and then switches the
// head in one command, so a reader sees the old graph or the new one; the old
// version expires after a grace period, so a load already under way finishes.
// Writes go in batches, one EVAL (one round trip) per batch.
#include <dbridge/sdk/mapper.hpp>

#include <charconv>
#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

namespace sdk = dbridge::sdk;

constexpr const char* registry_key = "dbridge:graphs";
constexpr std::size_t batch_size = 500;
// How long a replaced version stays readable for loads already under way.
constexpr const char* replaced_grace_ms = "60000";

/// '%', ':', '{' and '}' escaped, so ids and names cannot run into each other
/// or end the hash tag.
std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '%' || c == ':' || c == '{' || c == '}') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// The same escaping inside the scripts.
constexpr const char* lua_esc =
    "local function esc(s) return (string.gsub(s, '[%%:{}]', function(c) "
    "return string.format('%%%02X', string.byte(c)) end)) end\n";

// ARGV: prefix, then id, value, labels per node ('' = none). Returns the new nodes.
const std::string write_nodes_lua = std::string(lua_esc) + R"(
local p, added = ARGV[1], 0
for i = 2, #ARGV, 3 do
  local id, v, l = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  added = added + redis.call('SADD', p .. 'nodes', id)
  local k = p .. 'n:' .. esc(id)
  redis.call('DEL', k)
  redis.call('HSET', k, 'id', id)
  if v ~= '' then redis.call('HSET', k, 'v', v) end
  if l ~= '' then redis.call('HSET', k, 'l', l) end
end
return added
)";

// ARGV: prefix, then from, to, type, record per edge. Returns the new edges.
const std::string write_edges_lua = std::string(lua_esc) + R"(
local p, added = ARGV[1], 0
for i = 2, #ARGV, 4 do
  local f, t, ty, rec = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  added = added + redis.call('HSET', p .. 'out:' .. esc(f) .. ':' .. esc(ty), t, rec)
  redis.call('SADD', p .. 'in:' .. esc(t) .. ':' .. esc(ty), f)
  redis.call('SADD', p .. 'outt:' .. esc(f), ty)
  redis.call('SADD', p .. 'int:' .. esc(t), ty)
end
return added
)";

// ARGV: prefix, ids. Returns id, value, labels per node; a missing node
// (its version expired under the reader) as false.
const std::string read_nodes_lua = std::string(lua_esc) + R"(
local p, out = ARGV[1], {}
for i = 2, #ARGV do
  local h = redis.call('HMGET', p .. 'n:' .. esc(ARGV[i]), 'id', 'v', 'l')
  if not h[1] then return false end
  table.insert(out, h[1]); table.insert(out, h[2] or ''); table.insert(out, h[3] or '')
end
return out
)";

// ARGV: prefix, ids. Returns from, type, to, record per edge leaving them.
const std::string read_edges_lua = std::string(lua_esc) + R"(
local p, out = ARGV[1], {}
for i = 2, #ARGV do
  local f = ARGV[i]
  for _, ty in ipairs(redis.call('SMEMBERS', p .. 'outt:' .. esc(f))) do
    local h = redis.call('HGETALL', p .. 'out:' .. esc(f) .. ':' .. esc(ty))
    for j = 1, #h, 2 do
      table.insert(out, f); table.insert(out, ty); table.insert(out, h[j]); table.insert(out, h[j + 1])
    end
  end
end
return out
)";

// ARGV: prefix, direction (1 out, 2 in, 3 both), type ('' = any), ids.
// Returns the ids one edge away, with repeats.
const std::string step_lua = std::string(lua_esc) + R"(
local p, dir, ty, out = ARGV[1], tonumber(ARGV[2]), ARGV[3], {}
local function follow(kind, types, id, hash)
  local list = {}
  if ty ~= '' then list = {ty} else list = redis.call('SMEMBERS', p .. types .. esc(id)) end
  for _, t in ipairs(list) do
    local k = p .. kind .. esc(id) .. ':' .. esc(t)
    local ids = hash and redis.call('HKEYS', k) or redis.call('SMEMBERS', k)
    for _, n in ipairs(ids) do table.insert(out, n) end
  end
end
for i = 4, #ARGV do
  if dir == 1 or dir == 3 then follow('out:', 'outt:', ARGV[i], true) end
  if dir == 2 or dir == 3 then follow('in:', 'int:', ARGV[i], false) end
end
return out
)";

// ARGV: prefix, how ('del' or a grace in ms), ids. Drops (or lets expire)
// every key of those nodes in one version.
const std::string drop_nodes_lua = std::string(lua_esc) + R"(
local p, how = ARGV[1], ARGV[2]
local function drop(k) if how == 'del' then redis.call('UNLINK', k) else redis.call('PEXPIRE', k, how) end end
for i = 3, #ARGV do
  local id = esc(ARGV[i])
  for _, ty in ipairs(redis.call('SMEMBERS', p .. 'outt:' .. id)) do drop(p .. 'out:' .. id .. ':' .. esc(ty)) end
  for _, ty in ipairs(redis.call('SMEMBERS', p .. 'int:' .. id)) do drop(p .. 'in:' .. id .. ':' .. esc(ty)) end
  drop(p .. 'outt:' .. id); drop(p .. 'int:' .. id); drop(p .. 'n:' .. id)
end
return 1
)";

/// A reply borrowed from the lent connection (valid until its next call).
struct reply_view {
  const dbr_reply* r;
  bool nil() const { return r->type == DBR_REPLY_NIL; }
  std::string str() const { return r->str != nullptr ? std::string(r->str, r->len) : std::string(); }
  std::size_t size() const { return static_cast<std::size_t>(r->elements); }
  reply_view at(std::size_t i) const { return {r->element[i]}; }
  std::int64_t integer() const {
    if (r->type == DBR_REPLY_INTEGER) return r->integer;
    std::int64_t v = 0;
    if (r->str != nullptr) std::from_chars(r->str, r->str + r->len, v);
    return v;
  }
};

class redis_graphs {
 public:
  redis_graphs(const sdk::lent_connection& c, std::string_view name)
      : c_(c), name_(name), head_("dbridge:graph:{" + esc(name) + "}") {}

  reply_view run(const std::vector<std::string>& argv) const {
    std::vector<const char*> ptrs;
    std::vector<std::uint64_t> lens;
    for (const auto& a : argv) ptrs.push_back(a.data()), lens.push_back(a.size());
    const dbr_reply* r = c_.command(static_cast<std::uint32_t>(argv.size()), ptrs.data(), lens.data());
    if (r == nullptr) throw sdk::error(DBR_CAT_INTERNAL, "graph-redis: the lent connection returned no reply");
    if (r->type == DBR_REPLY_ERROR)
      throw sdk::error(DBR_CAT_BACKEND, "graph-redis: " + std::string(r->str != nullptr ? r->str : "", r->len));
    return {r};
  }
  reply_view eval(const std::string& script, std::vector<std::string> args) const {
    args.insert(args.begin(), {"EVAL", script, "0"});
    return run(args);
  }

  std::string prefix(std::string_view version) const { return head_ + ":" + std::string(version) + ":"; }

  struct head_state {
    std::string version;  // empty: no graph of this name
    std::string pending;
    bool directed = true;
    std::uint64_t nodes = 0, edges = 0;
  };
  head_state head() const {
    const reply_view r = run({"HMGET", head_, "version", "pending", "directed", "nodes", "edges"});
    head_state h;
    if (r.size() < 5) return h;
    if (!r.at(0).nil()) h.version = r.at(0).str();
    if (!r.at(1).nil()) h.pending = r.at(1).str();
    h.directed = r.at(2).nil() || r.at(2).str() != "0";
    h.nodes = static_cast<std::uint64_t>(r.at(3).integer());
    h.edges = static_cast<std::uint64_t>(r.at(4).integer());
    return h;
  }
  head_state existing() const {
    head_state h = head();
    if (h.version.empty())
      throw sdk::error(DBR_CAT_NOT_FOUND, "graph-redis: no graph called '" + name_ + "' is stored");
    return h;
  }
  std::string next_version() const { return std::to_string(run({"INCR", head_ + ":seq"}).integer()); }

  /// Every id of a version's node set, batch by batch (SSCAN: a set that
  /// merge grows meanwhile may repeat ids; seen drops repeats).
  template <class F>
  void each_id_batch(const std::string& p, F&& f) const {
    std::string cursor = "0";
    std::unordered_set<std::string> seen;
    do {
      const reply_view r = run({"SSCAN", p + "nodes", cursor, "COUNT", std::to_string(batch_size)});
      cursor = r.at(0).str();
      std::vector<std::string> ids;
      const reply_view items = r.at(1);
      for (std::size_t i = 0; i < items.size(); ++i) {
        std::string id = items.at(i).str();
        if (seen.insert(id).second) ids.push_back(std::move(id));
      }
      if (!ids.empty()) f(std::move(ids));
    } while (cursor != "0");
  }

  /// Drops (how = "del") or lets expire (how = milliseconds) a whole version.
  void drop_version(const std::string& version, const char* how) const {
    const std::string p = prefix(version);
    each_id_batch(p, [&](std::vector<std::string> ids) {
      ids.insert(ids.begin(), {p, how});
      eval(drop_nodes_lua, std::move(ids));
    });
    if (std::string_view(how) == "del") run({"UNLINK", p + "nodes"});
    else run({"PEXPIRE", p + "nodes", how});
  }

  /// Writes g's nodes and edges into version prefix p; returns the nodes and
  /// edges that were not there before.
  std::pair<std::uint64_t, std::uint64_t> write(const std::string& p, const dbr_graph& g, bool directed) const {
    std::uint64_t nodes = 0, edges = 0;
    std::vector<std::string> args{p};
    auto flush = [&](const std::string& script, std::uint64_t& count) {
      if (args.size() > 1) count += static_cast<std::uint64_t>(eval(script, std::move(args)).integer());
      args = {p};
    };
    for (std::uint64_t i = 0; i < g.nnodes; ++i) {
      const dbr_graph_node& n = g.nodes[i];
      args.push_back(n.id);
      args.push_back(n.value != nullptr ? std::string(n.value, n.value_len) : std::string());
      args.push_back(labels_json(n));
      if (args.size() > batch_size * 3) flush(write_nodes_lua, nodes);
    }
    flush(write_nodes_lua, nodes);
    for (std::uint64_t i = 0; i < g.nedges; ++i) {
      const dbr_graph_edge& e = g.edges[i];
      std::string from = e.from, to = e.to;
      // An undirected edge is kept once, under its smaller end.
      if (!directed && to < from) std::swap(from, to);
      args.push_back(std::move(from));
      args.push_back(std::move(to));
      args.push_back(e.type != nullptr ? e.type : "");
      args.push_back(edge_record(e));
      if (args.size() > batch_size * 4) flush(write_edges_lua, edges);
    }
    flush(write_edges_lua, edges);
    return {nodes, edges};
  }

  const sdk::lent_connection& c_;
  std::string name_;
  std::string head_;

 private:
  static void json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') out += '\\', out += c;
      else if (u < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
      } else out += c;
    }
    out += '"';
  }
  static std::string labels_json(const dbr_graph_node& n) {
    if (n.nlabels == 0) return {};
    std::string s = "[";
    for (std::uint32_t i = 0; i < n.nlabels; ++i) {
      if (i > 0) s += ',';
      json_string(s, n.labels[i]);
    }
    return s + "]";
  }
  static std::string edge_record(const dbr_graph_edge& e) {
    std::string s = "{";
    if (e.has_weight != 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", e.weight);
      s += "\"w\":";
      s += buf;
    }
    if (e.properties != nullptr) {
      if (s.size() > 1) s += ',';
      s += "\"p\":";
      s.append(e.properties, e.properties_len);
    }
    return s + "}";
  }
};

/// The labels of a JSON array of strings (as this mapper writes them).
std::vector<std::string> parse_labels(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = text.find('"', i)) != std::string_view::npos) {
    std::string s;
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] != '\\') {
        s += text[i];
        continue;
      }
      const char c = text[++i];
      if (c == 'u') {
        s += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 4)), nullptr, 16));
        i += 4;
      } else {
        s += c;
      }
    }
    out.push_back(std::move(s));
    ++i;
  }
  return out;
}

/// Splits an edge record {"w":..,"p":..} back into weight and properties.
void parse_record(std::string_view rec, dbr_graph_edge& e, std::string& props) {
  e.has_weight = 0;
  e.properties = nullptr;
  e.properties_len = 0;
  if (rec.starts_with("{\"w\":")) {
    std::size_t end = rec.find_first_of(",}", 5);
    e.weight = std::strtod(std::string(rec.substr(5, end - 5)).c_str(), nullptr);
    e.has_weight = 1;
    rec = rec.substr(end);
  }
  if (const std::size_t at = rec.find("\"p\":"); at != std::string_view::npos) {
    props = std::string(rec.substr(at + 4, rec.size() - at - 5));
    e.properties = props.c_str();
    e.properties_len = props.size();
  }
}

/// The nodes of a read_nodes_lua reply, one dbr_graph_node each. The cells
/// are copied first: the reply is the lent connection's until its next call.
template <class F>
void each_node(const reply_view& rows, F&& f) {
  std::vector<std::string> cells;
  for (std::size_t i = 0; i < rows.size(); ++i) cells.push_back(rows.at(i).str());
  for (std::size_t i = 0; i + 2 < cells.size(); i += 3) {
    const std::vector<std::string> labels =
        cells[i + 2].empty() ? std::vector<std::string>{} : parse_labels(cells[i + 2]);
    std::vector<const char*> lp;
    for (const auto& l : labels) lp.push_back(l.c_str());
    dbr_graph_node n{};
    n.struct_size = sizeof n;
    n.id = cells[i].c_str();
    n.nlabels = static_cast<std::uint32_t>(lp.size());
    n.labels = lp.empty() ? nullptr : lp.data();
    if (!cells[i + 1].empty()) n.value = cells[i + 1].c_str(), n.value_len = cells[i + 1].size();
    f(n);
  }
}

class graph_redis final : public sdk::mapper_plugin {
 public:
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID, .version = DBRIDGE_PLUGIN_VERSION,
                                         .threading = DBR_THREADING_FREE, .min_minor = 2};

  const char* const* schemes() override {
    static const char* const s[] = {"redis", "redis+unix", nullptr};
    return s;
  }
  void prepare(const sdk::lent_connection&) override {}

  void store(const sdk::lent_connection& c, const dbr_graph& g) override {
    redis_graphs r(c, g.name);
    const auto before = r.head();
    if (!before.pending.empty() && before.pending != before.version) r.drop_version(before.pending, "del");
    const std::string v = r.next_version();
    // A store that dies midway leaves this version for the next one to drop.
    r.run({"HSET", r.head_, "pending", v});
    const auto [nodes, edges] = r.write(r.prefix(v), g, g.directed != 0);
    // The switch: one command, so readers see the old graph or the new one.
    r.run({"HSET", r.head_, "version", v, "pending", v, "directed", g.directed != 0 ? "1" : "0", "nodes",
           std::to_string(nodes), "edges", std::to_string(edges)});
    r.run({"SADD", registry_key, g.name});
    if (!before.version.empty()) r.drop_version(before.version, replaced_grace_ms);
  }

  void merge(const sdk::lent_connection& c, const dbr_graph& g) override {
    redis_graphs r(c, g.name);
    auto h = r.head();
    if (h.version.empty()) {
      store(c, g);
      return;
    }
    const auto [nodes, edges] = r.write(r.prefix(h.version), g, h.directed);
    r.run({"HINCRBY", r.head_, "nodes", std::to_string(nodes)});
    r.run({"HINCRBY", r.head_, "edges", std::to_string(edges)});
  }

  void load(const sdk::lent_connection& c, const char* name, const dbr_graph_sink& sink) override {
    redis_graphs r(c, name);
    const auto h = r.existing();
    const sdk::graph_writer out(sink);
    dbr_graph_stats st{};
    st.struct_size = sizeof st;
    st.directed = h.directed ? 1 : 0;
    st.nnodes = h.nodes;
    st.nedges = h.edges;
    out.info(st);
    const std::string p = r.prefix(h.version);
    auto replaced = [&] {
      return sdk::error(DBR_CAT_TXN_CONFLICT, "graph-redis: graph '" + r.name_ +
                                                  "' was replaced while it was loading, and the old version expired; "
                                                  "load it again")
          .retry(DBR_RETRY_SAME_CONN);
    };
    r.each_id_batch(p, [&](std::vector<std::string> ids) {
      ids.insert(ids.begin(), p);
      const reply_view rows = r.eval(read_nodes_lua, std::move(ids));
      if (rows.nil() || rows.r->type != DBR_REPLY_ARRAY) throw replaced();
      each_node(rows, [&](const dbr_graph_node& n) { out.node(n); });
    });
    r.each_id_batch(p, [&](std::vector<std::string> ids) {
      ids.insert(ids.begin(), p);
      const reply_view rows = r.eval(read_edges_lua, std::move(ids));
      std::vector<std::string> cells;
      for (std::size_t i = 0; i < rows.size(); ++i) cells.push_back(rows.at(i).str());
      for (std::size_t i = 0; i + 3 < cells.size(); i += 4) {
        dbr_graph_edge e{};
        e.struct_size = sizeof e;
        e.from = cells[i].c_str();
        e.type = cells[i + 1].c_str();
        e.to = cells[i + 2].c_str();
        std::string props;
        parse_record(cells[i + 3], e, props);
        out.edge(e);
      }
    });
    if (r.head().version != h.version && r.run({"EXISTS", p + "nodes"}).integer() == 0) throw replaced();
  }

  void neighbors(const sdk::lent_connection& c, const char* name, const char* node, const dbr_graph_walk& walk,
                 const sdk::reach_writer& out) override {
    redis_graphs r(c, name);
    const auto h = r.existing();
    const std::string p = r.prefix(h.version);
    const std::string dir = std::to_string(h.directed ? walk.direction : DBR_WALK_BOTH);
    const std::string type = walk.edge_type != nullptr ? walk.edge_type : "";
    std::unordered_set<std::string> seen{node};
    std::vector<std::string> frontier{node};
    for (std::uint32_t depth = 1; depth <= walk.depth && !frontier.empty(); ++depth) {
      std::vector<std::string> next;
      for (std::size_t at = 0; at < frontier.size(); at += batch_size) {
        std::vector<std::string> args{p, dir, type};
        for (std::size_t i = at; i < frontier.size() && i < at + batch_size; ++i) args.push_back(frontier[i]);
        const reply_view ids = r.eval(step_lua, std::move(args));
        for (std::size_t i = 0; i < ids.size(); ++i) {
          std::string id = ids.at(i).str();
          if (seen.insert(id).second) next.push_back(std::move(id));
        }
      }
      report(r, p, next, depth, out);
      frontier = std::move(next);
    }
  }

  void list(const sdk::lent_connection& c, const sdk::graph_list_writer& out) override {
    redis_graphs registry(c, "");
    const reply_view names = registry.run({"SMEMBERS", registry_key});
    std::vector<std::string> all;
    for (std::size_t i = 0; i < names.size(); ++i) all.push_back(names.at(i).str());
    for (const auto& n : all) {
      redis_graphs r(c, n);
      const auto h = r.head();
      if (h.version.empty()) continue;
      dbr_graph_stats st{};
      st.struct_size = sizeof st;
      st.directed = h.directed ? 1 : 0;
      st.nnodes = h.nodes;
      st.nedges = h.edges;
      out.graph(n.c_str(), st);
    }
  }

  dbr_graph_stats stats(const sdk::lent_connection& c, const char* name) override {
    const auto h = redis_graphs(c, name).existing();
    dbr_graph_stats st{};
    st.struct_size = sizeof st;
    st.directed = h.directed ? 1 : 0;
    st.nnodes = h.nodes;
    st.nedges = h.edges;
    return st;
  }

  void remove(const sdk::lent_connection& c, const char* name) override {
    redis_graphs r(c, name);
    const auto h = r.existing();
    // The graph is gone for readers at once; its keys go after.
    r.run({"UNLINK", r.head_});
    r.run({"SREM", registry_key, name});
    r.drop_version(h.version, "del");
    if (!h.pending.empty() && h.pending != h.version) r.drop_version(h.pending, "del");
  }

 private:
  static void report(const redis_graphs& r, const std::string& p, const std::vector<std::string>& ids,
                     std::uint32_t depth, const sdk::reach_writer& out) {
    for (std::size_t at = 0; at < ids.size(); at += batch_size) {
      std::vector<std::string> args{p};
      for (std::size_t i = at; i < ids.size() && i < at + batch_size; ++i) args.push_back(ids[i]);
      const reply_view rows = r.eval(read_nodes_lua, std::move(args));
      if (rows.nil() || rows.r->type != DBR_REPLY_ARRAY) continue;
      each_node(rows, [&](const dbr_graph_node& n) { out.reached(n, depth); });
    }
  }
};

}  // namespace

DBRIDGE_SDK_MAPPER(graph_redis)
