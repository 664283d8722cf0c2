// SPDX-License-Identifier: Apache-2.0
// graph-sql: graphs kept in plain tables users can query with SQL
// (graph_nodes, graph_edges; JSONB on PostgreSQL, JSON on MariaDB, TEXT on
// SQLite), written only with the SDK. Labels and each graph's kind live in
// two tables of their own (graph_node_labels, dbridge_graphs) so the two
// documented tables keep exactly their documented columns.
#include <dbridge/sdk/mapper.hpp>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <cstdio>
#include <cstring>
#include <future>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

namespace sdk = dbridge::sdk;

enum class dialect { postgres, mariadb, sqlite };

dialect dialect_of(std::string_view scheme) {
  if (scheme == "postgresql" || scheme == "postgres") return dialect::postgres;
  if (scheme == "mysql" || scheme == "mariadb") return dialect::mariadb;
  if (scheme == "sqlite") return dialect::sqlite;
  throw sdk::error(DBR_CAT_UNSUPPORTED, "graph-sql works over PostgreSQL, MariaDB and SQLite, not '" +
                                            std::string(scheme) + "'");
}

// ------------------------------------------------------------ cells

std::string_view text(const dbr_value& v) {
  if ((v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_JSON || v.type == DBR_TYPE_DECIMAL) && v.u.str.ptr != nullptr)
    return {v.u.str.ptr, static_cast<std::size_t>(v.u.str.len)};
  if (v.type == DBR_TYPE_BYTES && v.u.bin.ptr != nullptr)
    return {reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len)};
  return {};
}

std::int64_t integer(const dbr_value& v) {
  switch (v.type) {
    case DBR_TYPE_BOOL:
    case DBR_TYPE_INT64: return v.u.i64;
    case DBR_TYPE_UINT64: return static_cast<std::int64_t>(v.u.u64);
    case DBR_TYPE_DOUBLE: return static_cast<std::int64_t>(v.u.f64);
    case DBR_TYPE_TEXT:
    case DBR_TYPE_DECIMAL: {
      std::string_view s = text(v);
      std::int64_t out = 0;
      std::from_chars(s.data(), s.data() + s.size(), out);
      return out;
    }
    default: return 0;
  }
}

// Labels travel as one text joined by the unit separator.
constexpr char label_sep = '\x1f';

std::vector<std::string> split_labels(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t at = 0;
  while (true) {
    std::size_t end = s.find(label_sep, at);
    out.emplace_back(s.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return out;
}

// A node record whose strings live here.
struct node_record {
  std::string id, value;
  bool has_value = false;
  std::vector<std::string> labels;
  std::vector<const char*> label_ptrs;
  dbr_graph_node n{};

  const dbr_graph_node& fill(const dbr_value* row) {
    id.assign(text(row[0]));
    has_value = row[1].type != DBR_TYPE_NULL;
    value.assign(text(row[1]));
    labels = row[2].type == DBR_TYPE_NULL ? std::vector<std::string>{} : split_labels(text(row[2]));
    label_ptrs.clear();
    for (const auto& l : labels) label_ptrs.push_back(l.c_str());
    n = dbr_graph_node{};
    n.struct_size = sizeof n;
    n.id = id.c_str();
    n.nlabels = static_cast<std::uint32_t>(labels.size());
    n.labels = label_ptrs.data();
    if (has_value) {
      n.value = value.data();
      n.value_len = value.size();
    }
    return n;
  }
};

// ------------------------------------------------------------ SQL per dialect

struct sql_text {
  dialect d;

  const char* json_type() const {
    return d == dialect::postgres ? "jsonb" : d == dialect::mariadb ? "JSON" : "TEXT";
  }
  // The schema as versioned steps, recorded by the core's migrate in the
  // mapper's own record table. Step 1 is the schema of 0.1, which created it
  // with IF NOT EXISTS on every open: a database made then runs it as a no-op
  // and is recorded. Never edit an applied step; append a new one.
  struct step {
    std::int64_t version;
    const char* name;
    std::string sql;
  };
  std::vector<step> schema_steps() const {
    const bool pg = d == dialect::postgres, my = d == dialect::mariadb;
    const std::string id = pg ? "id serial PRIMARY KEY" : my ? "id BIGINT AUTO_INCREMENT PRIMARY KEY"
                                                            : "id INTEGER PRIMARY KEY AUTOINCREMENT";
    // PostgreSQL keeps each stored graph's edges in a partition of their own
    // (see store_partitioned); a partitioned table's key includes its
    // partition key, so the edge key is (id, graph_name).
    const std::string edge_id = pg ? "id serial, graph_name varchar(255) NOT NULL, " : id + ", graph_name varchar(255) NOT NULL, ";
    const std::string edge_key = pg ? ", PRIMARY KEY (id, graph_name)" : "";
    const std::string now = pg ? "timestamp DEFAULT now()" : "TIMESTAMP DEFAULT CURRENT_TIMESTAMP";
    // MariaDB compares ids byte for byte, as the other two do.
    const std::string tail = my ? " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin" : "";
    const std::string flag = pg ? "boolean" : "SMALLINT";
    std::string tables =
        "CREATE TABLE IF NOT EXISTS dbridge_graphs (graph_name varchar(255) PRIMARY KEY, directed " + flag +
            " NOT NULL, created_at " + now + ")" + tail +
        ";\nCREATE TABLE IF NOT EXISTS graph_nodes (" + id +
            ", graph_name varchar(255) NOT NULL, node_id varchar(255) NOT NULL, value " + json_type() +
            ", created_at " + now + ", UNIQUE (graph_name, node_id))" + tail +
        ";\nCREATE TABLE IF NOT EXISTS graph_edges (" + edge_id +
            "from_node varchar(255) NOT NULL, to_node varchar(255) NOT NULL, "
            "edge_type varchar(255), weight double precision, properties " +
            json_type() + ", created_at " + now + edge_key +
            ", FOREIGN KEY (graph_name, from_node) REFERENCES graph_nodes (graph_name, node_id)"
            ", FOREIGN KEY (graph_name, to_node) REFERENCES graph_nodes (graph_name, node_id))" +
            (pg ? " PARTITION BY LIST (graph_name)" : tail) +
        ";\nCREATE TABLE IF NOT EXISTS graph_node_labels (graph_name varchar(255) NOT NULL, node_id varchar(255) NOT "
        "NULL, label varchar(255) NOT NULL, PRIMARY KEY (graph_name, node_id, label), FOREIGN KEY (graph_name, "
        "node_id) REFERENCES graph_nodes (graph_name, node_id))" +
        tail;
    // Edges of graphs without a partition (merged, or inserted by hand). A
    // graph_edges made by an earlier graph-sql is a plain table: left so.
    if (pg)
      tables += ";\nDO $do$ BEGIN IF (SELECT relkind FROM pg_class WHERE oid = 'graph_edges'::regclass) = 'p' "
                "THEN CREATE TABLE IF NOT EXISTS graph_edges_default PARTITION OF graph_edges DEFAULT; END IF; "
                "END $do$";
    // (graph_name, from_node) also serves lookups by graph_name alone.
    const std::string indexes =
        "CREATE INDEX IF NOT EXISTS graph_nodes_graph_name ON graph_nodes (graph_name);\n"
        "CREATE INDEX IF NOT EXISTS graph_edges_from_node ON graph_edges (graph_name, from_node);\n"
        "CREATE INDEX IF NOT EXISTS graph_edges_to_node ON graph_edges (graph_name, to_node)";
    std::vector<step> out = {{1, "graph_tables", tables}, {2, "graph_indexes", indexes}};
    // PostgreSQL builds a stored graph's edge indexes when it attaches the
    // partition. With graph_name (one value per partition) first, every
    // comparison of the sort runs through both columns; node id first sorts
    // in about 20% less time, and serves the same equality lookups (walks,
    // foreign-key checks). Lookups by graph_name alone go to the graph's own
    // partition, or to graph_name's index on the default partition (or on a
    // plain graph_edges made by graph-sql 0.1).
    if (pg)
      out.push_back(
          {3, "graph_edge_indexes_node_first",
           "DROP INDEX IF EXISTS graph_edges_from_node;\n"
           "CREATE INDEX graph_edges_from_node ON graph_edges (from_node, graph_name);\n"
           "DROP INDEX IF EXISTS graph_edges_to_node;\n"
           "CREATE INDEX graph_edges_to_node ON graph_edges (to_node, graph_name);\n"
           "DO $do$ BEGIN IF (SELECT relkind FROM pg_class WHERE oid = 'graph_edges'::regclass) = 'p' "
           "THEN CREATE INDEX IF NOT EXISTS graph_edges_default_graph_name ON graph_edges_default (graph_name); "
           "ELSE CREATE INDEX IF NOT EXISTS graph_edges_graph_name ON graph_edges (graph_name); END IF; END $do$"});
    // graph_nodes(graph_name) is the prefix of UNIQUE (graph_name, node_id),
    // and a trap: while graph_nodes' statistics do not know a graph yet (right
    // after a store or a remove), the planner takes `graph_name = $1 AND
    // node_id = $2` for one row and reads it through graph_name alone, every
    // node of the graph. The foreign-key check of each edge row inserted one
    // by one did so (the per-row INSERT loop went quadratic: 370 s of server
    // CPU before half of 500k edges), and so did neighbors' node lookups.
    if (pg) out.push_back({4, "drop_graph_nodes_graph_name", "DROP INDEX IF EXISTS graph_nodes_graph_name"});
    // The attach of a stored graph's partition builds both edge indexes by
    // sorting its edges. Under the database's collation (a libc one unless
    // it is "C") every comparison is a strcoll() and PostgreSQL uses no
    // abbreviated keys: the to_node build was the largest part of a store.
    // varchar_pattern_ops compares bytes (memcmp, abbreviated keys) and
    // still serves every equality lookup on the columns (walks, the
    // foreign-key checks, users' joins); the columns keep their collation,
    // so users' comparisons and joins with their own columns are unchanged.
    // Only range and ORDER BY on a node id could use the old indexes, and
    // nothing of graph-sql's or the documented query does.
    if (pg)
      out.push_back({5, "graph_edge_indexes_bytewise",
                     "DROP INDEX IF EXISTS graph_edges_from_node;\n"
                     "CREATE INDEX graph_edges_from_node ON graph_edges (from_node varchar_pattern_ops, graph_name);\n"
                     "DROP INDEX IF EXISTS graph_edges_to_node;\n"
                     "CREATE INDEX graph_edges_to_node ON graph_edges (to_node varchar_pattern_ops, graph_name)"});
    // Deleting a node runs each foreign key's check of it. Under NO ACTION
    // (the default) PostgreSQL first looks for another node with the same
    // key, then for referencing rows: two queries per key and node, where
    // RESTRICT runs the second alone. Deleting 100k nodes (remove, and a
    // store that cannot update them in place) took 2.60-2.80 s, and 1.31-1.45 s
    // with RESTRICT (bench/graph_sql_keys). The two differ only for a key deleted and given back
    // within one statement, which no graph-sql statement does. Only
    // graph-sql's own keys are rewritten (a user's stay as they are); each is
    // checked again when added.
    if (pg)
      out.push_back(
          {6, "graph_node_keys_restrict",
           "DO $do$ DECLARE k record; BEGIN\n"
           "FOR k IN SELECT c.conname, c.conrelid::regclass AS rel, pg_get_constraintdef(c.oid) AS def "
           "FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = 'graph_nodes'::regclass "
           "AND c.conparentid = 0 AND c.confdeltype = 'a' AND NOT c.condeferrable "
           "AND c.conrelid IN ('graph_edges'::regclass, 'graph_node_labels'::regclass) LOOP\n"
           "EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.rel, k.conname);\n"
           "EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s ON DELETE RESTRICT', k.rel, k.conname, k.def);\n"
           "END LOOP; END $do$"});
    // utf8mb4_bin is a PAD SPACE collation: 'c' and 'c ' are one key, so a
    // store of graph "c " replaced graph "c", and nodes "a" and "a " of one
    // graph failed as duplicates. utf8mb4_nopad_bin compares every byte, as
    // PostgreSQL and SQLite do. MariaDB refuses to change a column's
    // collation under a foreign key (even with foreign_key_checks off), so
    // graph-sql's own keys (InnoDB's names for step 1's unnamed keys) are
    // dropped and added back; each statement can be rerun, since MariaDB
    // commits DDL at once and a failed step is run again from its start.
    // Turning PAD SPACE into NO PAD only splits keys, so no stored row
    // can collide.
    if (my) {
      const std::string c = " COLLATE utf8mb4_nopad_bin";
      const std::string key = " varchar(255)" + c + " NOT NULL";
      const std::string table = "DEFAULT CHARSET=utf8mb4" + c;
      out.push_back(
          {7, "graph_keys_nopad",
           "ALTER TABLE graph_edges DROP FOREIGN KEY IF EXISTS graph_edges_ibfk_1, "
           "DROP FOREIGN KEY IF EXISTS graph_edges_ibfk_2, " + table + ", MODIFY graph_name" + key +
               ", MODIFY from_node" + key + ", MODIFY to_node" + key + ", MODIFY edge_type varchar(255)" + c +
               ";\nALTER TABLE graph_node_labels DROP FOREIGN KEY IF EXISTS graph_node_labels_ibfk_1, " + table +
               ", MODIFY graph_name" + key + ", MODIFY node_id" + key + ", MODIFY label" + key +
               ";\nALTER TABLE graph_nodes " + table + ", MODIFY graph_name" + key + ", MODIFY node_id" + key +
               ";\nALTER TABLE dbridge_graphs " + table + ", MODIFY graph_name" + key +
               ";\nALTER TABLE graph_edges ADD CONSTRAINT graph_edges_ibfk_1 FOREIGN KEY IF NOT EXISTS "
               "(graph_name, from_node) REFERENCES graph_nodes (graph_name, node_id), "
               "ADD CONSTRAINT graph_edges_ibfk_2 FOREIGN KEY IF NOT EXISTS "
               "(graph_name, to_node) REFERENCES graph_nodes (graph_name, node_id)"
               ";\nALTER TABLE graph_node_labels ADD CONSTRAINT graph_node_labels_ibfk_1 FOREIGN KEY IF NOT EXISTS "
               "(graph_name, node_id) REFERENCES graph_nodes (graph_name, node_id)"});
    }
    return out;
  }
  std::string upsert_graph(bool keep_kind) const {
    const std::string ins = "INSERT INTO dbridge_graphs (graph_name, directed) VALUES ($1, $2)";
    if (d == dialect::mariadb)
      return ins + (keep_kind ? " ON DUPLICATE KEY UPDATE graph_name = graph_name"
                              : " ON DUPLICATE KEY UPDATE directed = VALUES(directed)");
    return ins + (keep_kind ? " ON CONFLICT (graph_name) DO UPDATE SET graph_name = excluded.graph_name"
                            : " ON CONFLICT (graph_name) DO UPDATE SET directed = excluded.directed");
  }
  std::string labels_of(const char* node_alias) const {
    const std::string where = std::string(" FROM graph_node_labels l WHERE l.graph_name = ") + node_alias +
                              ".graph_name AND l.node_id = " + node_alias + ".node_id)";
    if (d == dialect::postgres) return "(SELECT string_agg(l.label, chr(31) ORDER BY l.label)" + where;
    if (d == dialect::mariadb) return "(SELECT GROUP_CONCAT(l.label ORDER BY l.label SEPARATOR '\x1f')" + where;
    return "(SELECT group_concat(label, char(31)) FROM (SELECT l.label" + where.substr(0, where.size() - 1) +
           " ORDER BY l.label))";
  }
  std::string upsert_nodes(std::size_t n) const {
    std::string sql = "INSERT INTO graph_nodes (graph_name, node_id, value) VALUES ";
    for (std::size_t i = 0; i < n; ++i) {
      sql += i ? ",(" : "(";
      sql += "$1,$" + std::to_string(2 + 2 * i) + ",$" + std::to_string(3 + 2 * i) + ")";
    }
    if (d == dialect::mariadb) return sql + " ON DUPLICATE KEY UPDATE value = VALUES(value)";
    return sql + " ON CONFLICT (graph_name, node_id) DO UPDATE SET value = excluded.value";
  }
  std::string walk(std::uint32_t direction, bool typed) const {
    // The walk's column takes its anchor's collation, under which UNION
    // tells reached nodes apart: the connection's (utf8mb4_general_ci by
    // default) would fold "a" into "A" and "a ".
    const std::string start =
        d == dialect::mariadb ? "CAST($2 AS CHAR(255) CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin" : "$2";
    const std::string type = typed ? " AND e.edge_type = $3" : "";
    const std::string depth = typed ? "$4" : "$3";
    if (d == dialect::postgres) return walk_postgres(direction, type, depth);
    // One step along the edges whose column `from` is a reached node.
    auto step = [&](const char* from, const char* to) {
      return std::string("SELECT e.") + to + ", w.depth + 1 FROM walk w JOIN graph_edges e ON e.graph_name = $1 AND e." +
             from + " = w.node_id" + type + " WHERE w.depth < " + depth;
    };
    std::string steps;
    if (direction != DBR_WALK_BOTH) {
      steps = direction == DBR_WALK_OUT ? step("from_node", "to_node") : step("to_node", "from_node");
    } else {
      // Two recursive selects, each joining the edge table on one indexed column
      // (MariaDB does not push the join into a UNION of edges: it scanned the graph per step).
      steps = step("from_node", "to_node") + " UNION " + step("to_node", "from_node");
    }
    return "WITH RECURSIVE walk (node_id, depth) AS (SELECT " + start + ", 0 UNION " + steps +
           ") SELECT n.node_id, n.value, " + labels_of("n") +
           ", m.depth FROM (SELECT node_id, MIN(depth) AS depth FROM walk WHERE depth > 0 AND node_id <> $2 GROUP BY node_id) m "
           "JOIN graph_nodes n ON n.graph_name = $1 AND n.node_id = m.node_id ORDER BY m.depth, n.node_id";
  }
  // On PostgreSQL every lookup is a subquery per reached node, which the
  // planner runs as such (it never turns one into a join): each step reads
  // the node's edges by (from_node, graph_name) or (to_node, graph_name),
  // and each reached node's value by (graph_name, node_id). As joins, a
  // plan from estimates that missed (see generic_plans) read every node of
  // the graph, or every edge through graph_name alone, on each walk. The
  // foreign keys make every reached node a row of graph_nodes.
  std::string walk_postgres(std::uint32_t direction, const std::string& type, const std::string& depth) const {
    auto ends = [&](const char* from, const char* to) {
      return std::string("ARRAY(SELECT e.") + to + " FROM graph_edges e WHERE e.graph_name = $1 AND e." + from +
             " = w.node_id" + type + ")";
    };
    const std::string next = direction == DBR_WALK_OUT  ? ends("from_node", "to_node")
                             : direction == DBR_WALK_IN ? ends("to_node", "from_node")
                                                        : ends("from_node", "to_node") + " || " + ends("to_node", "from_node");
    return "WITH RECURSIVE walk (node_id, depth) AS (SELECT CAST($2 AS varchar(255)), 0 UNION SELECT CAST(unnest(" +
           next + ") AS varchar(255)), w.depth + 1 FROM walk w WHERE w.depth < " + depth +
           ") SELECT m.node_id, (SELECT n.value FROM graph_nodes n WHERE n.graph_name = m.graph_name AND n.node_id = "
           "m.node_id), " + labels_of("m") +
           ", m.depth FROM (SELECT CAST($1 AS varchar(255)) AS graph_name, node_id, MIN(depth) AS depth FROM walk "
           "WHERE depth > 0 AND node_id <> $2 GROUP BY node_id) m ORDER BY m.depth, m.node_id";
  }
};

// ------------------------------------------------------------ SQLite page cache

// SQLite's default page cache (2 MB) is far smaller than the index pages a
// large store touches: the inserts, which land at random places in the
// (graph_name, from_node) and (graph_name, to_node) indexes, evict pages, and
// every eviction in a rollback-journal transaction writes the page out (after
// an fsync of the journal). For the store, the cache is sized to the graph
// and put back afterwards; the commit still syncs as the connection is set to.
// Measured on 100k nodes + 500k edges: 80 s -> 38 s wall, 4.4 s -> 0.6 s of
// system time.
class sqlite_cache_for_store {
 public:
  sqlite_cache_for_store(const sdk::lent_connection& conn, dialect d, const dbr_graph& g) : conn_(conn) {
    if (d != dialect::sqlite) return;
    // About 1 KiB of table and index pages per row, at most 256 MiB; the
    // pages are taken only as they are used.
    const std::uint64_t want_kib = std::min<std::uint64_t>(g.nnodes + g.nedges, 256 * 1024);
    conn.each_row("PRAGMA cache_size", {}, [&](std::span<const dbr_value> row) { old_ = integer(row[0]); });
    // A negative size is KiB, a positive one pages.
    std::int64_t old_kib = -old_;
    if (old_ > 0)
      conn.each_row("PRAGMA page_size", {},
                    [&](std::span<const dbr_value> row) { old_kib = old_ * integer(row[0]) / 1024; });
    if (old_ == 0 || static_cast<std::uint64_t>(old_kib) >= want_kib) return;
    conn.query("PRAGMA cache_size = -" + std::to_string(want_kib));
    set_ = true;
  }
  ~sqlite_cache_for_store() {
    if (!set_) return;
    try {
      conn_.query("PRAGMA cache_size = " + std::to_string(old_));
    } catch (...) {  // the store's own outcome is what the caller needs
    }
  }
  sqlite_cache_for_store(const sqlite_cache_for_store&) = delete;
  sqlite_cache_for_store& operator=(const sqlite_cache_for_store&) = delete;

 private:
  const sdk::lent_connection& conn_;
  std::int64_t old_ = 0;
  bool set_ = false;
};

// ------------------------------------------------------------ PostgreSQL plans

// Puts a setting back when the scope ends (set_config(name, old, local)),
// once armed. Its own failure is swallowed: the call's failure is the one to
// report, and inside a transaction the rollback undoes the change anyway.
class setting_restore {
 public:
  setting_restore(const sdk::lent_connection& conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  void arm(std::string old, bool local) {
    old_ = std::move(old);
    local_ = local;
    armed_ = true;
  }
  ~setting_restore() {
    if (!armed_) return;
    try {
      const dbr_value args[] = {sdk::make_text(name_), sdk::make_text(old_), sdk::make_bool(local_)};
      conn_.query("SELECT set_config($1, $2, $3)", args);
    } catch (...) {
    }
  }
  setting_restore(const setting_restore&) = delete;
  setting_restore& operator=(const setting_restore&) = delete;

 private:
  const sdk::lent_connection& conn_;
  std::string name_, old_;
  bool local_ = true, armed_ = false;
};

// PostgreSQL plans a statement for the parameter values it is given (a
// custom plan), from the statistics of the moment. Until they know a graph
// (after a store, a merge or rows inserted by hand, before autovacuum's
// analyze) `graph_name = 'g'` is estimated at one row, and for `graph_name =
// 'g' AND from_node = $2` the planner took graph_edges_default's graph_name
// index, which reads all of a merged graph's edges: so did neighbors' step
// and remove's foreign-key check of each deleted node. A generic plan
// estimates `graph_name = $1` from the number of graphs, so it takes the
// node-first index whatever the statistics, and it is planned once per
// statement and connection (a custom plan of the walk took 1-4 ms to make
// under load). Set and put back around the
// call, as SET LOCAL inside a transaction (the mapper's, or the caller's:
// neighbors may not begin one of its own there), for the session outside
// one (where a local setting ends with its statement). If the call fails
// inside a transaction, the put back fails with it and the rollback undoes
// the set.
class generic_plans {
 public:
  generic_plans(const sdk::lent_connection& conn, dialect d) : restore_(conn, "plan_cache_mode") {
    if (d != dialect::postgres) return;
    // plan_cache_mode came with PostgreSQL 12; missing_ok reads NULL before.
    bool set = false, local = false;
    std::string old;
    conn.each_row("SELECT current_setting('plan_cache_mode', true), CASE WHEN current_setting('plan_cache_mode', "
                  "true) IS NOT NULL THEN set_config('plan_cache_mode', 'force_generic_plan', true) END",
                  {}, [&](std::span<const dbr_value> row) {
                    set = row[0].type != DBR_TYPE_NULL;
                    old.assign(text(row[0]));
                  });
    if (!set) return;
    // Still set: a transaction block. Gone: set it for the session.
    conn.each_row("SELECT current_setting('plan_cache_mode') = 'force_generic_plan' OR "
                  "set_config('plan_cache_mode', 'force_generic_plan', false) IS NULL",
                  {}, [&](std::span<const dbr_value> row) { local = integer(row[0]) != 0; });
    restore_.arm(std::move(old), local);
  }

 private:
  setting_restore restore_;
};

// A setting changed for the rest of the caller's transaction and put back
// when done (set_config(..., true)), so the caller's own setting, for the
// session or for a transaction of theirs, survives the call.
class local_setting {
 public:
  local_setting(const sdk::lent_connection& conn, const char* name, const char* value) : restore_(conn, name) {
    const dbr_value args[] = {sdk::make_text(name), sdk::make_text(value)};
    std::string old;
    conn.each_row("SELECT current_setting($1), set_config($1, $2, true)", args,
                  [&](std::span<const dbr_value> row) { old.assign(text(row[0])); });
    restore_.arm(std::move(old), true);
  }

 private:
  setting_restore restore_;
};

// ------------------------------------------------------------ writers' lock

// store, merge and remove of different graphs used to deadlock. On
// PostgreSQL a store holds graph_edges (from making its fresh edge table)
// when it asks for graph_edges alone, and so does the other store; a merge
// holds graph_nodes when it reaches graph_edges, which a store holds when
// its attach needs graph_nodes. On MariaDB each writer takes the gap where
// new graphs' rows go, then inserts into the gap the other holds. So every
// writer takes one lock of the database first and writers run one after
// the other; readers take none and wait for what they waited for before.
// PostgreSQL: an advisory lock of the transaction ("dbrgraph" in ASCII;
// advisory locks are per database). MariaDB: a named lock (server-wide, so
// named after the database) held around the transaction, which does not
// end with it. SQLite: the database's write lock, taken by a write that
// changes nothing as the transaction's first statement (what BEGIN
// IMMEDIATE does): a remove that read first and wrote then got
// SQLITE_BUSY at once instead of waiting in the busy handler, because a
// reader may not wait for the writer that may wait for it.
constexpr std::int64_t pg_writers_key = 0x6462726772617068;
constexpr const char* mariadb_writers_lock_name = "CONCAT('dbridge_graph_sql.', SHA1(DATABASE()))";

class mariadb_writers_lock {
 public:
  mariadb_writers_lock(const sdk::lent_connection& conn, dialect d) : conn_(conn) {
    if (d != dialect::mariadb) return;
    std::int64_t got = 0;
    conn.each_row(std::string("SELECT GET_LOCK(") + mariadb_writers_lock_name + ", @@innodb_lock_wait_timeout)", {},
                  [&](std::span<const dbr_value> row) { got = row[0].type == DBR_TYPE_NULL ? 0 : integer(row[0]); });
    if (got != 1)
      throw sdk::error(DBR_CAT_TIMEOUT,
                       "graph-sql: another store, merge or remove in this database held the graph writers' lock for "
                       "longer than innodb_lock_wait_timeout; try again once it has finished");
    held_ = true;
  }
  ~mariadb_writers_lock() {
    if (!held_) return;
    try {
      conn_.query(std::string("SELECT RELEASE_LOCK(") + mariadb_writers_lock_name + ")");
    } catch (...) {  // a broken connection released it; the call's own outcome is what the caller needs
    }
  }
  mariadb_writers_lock(const mariadb_writers_lock&) = delete;
  mariadb_writers_lock& operator=(const mariadb_writers_lock&) = delete;

 private:
  const sdk::lent_connection& conn_;
  bool held_ = false;
};

// MariaDB: InnoDB's foreign-key checks off for the rows a store writes
// after its nodes, each of which references a node the same transaction has
// just written (the caller checks that first). The setting is the
// session's, not the transaction's, so it must be put back whatever
// happens: restore() at the end of the work reports a failure to do so
// (the store fails and rolls back rather than leave the session unchecked);
// when the work itself failed, the destructor tries once and swallows its
// own failure, as the work's is the one to report.
class mariadb_key_checks_off {
 public:
  explicit mariadb_key_checks_off(const sdk::lent_connection& conn) : conn_(conn) {
    conn.each_row("SELECT @@SESSION.foreign_key_checks", {},
                  [&](std::span<const dbr_value> row) { was_on_ = integer(row[0]) != 0; });
    conn.query("SET SESSION foreign_key_checks = 0");
  }
  void restore() {
    if (!was_on_) return;
    was_on_ = false;
    conn_.query("SET SESSION foreign_key_checks = 1");
  }
  ~mariadb_key_checks_off() {
    try {
      restore();
    } catch (...) {
    }
  }
  mariadb_key_checks_off(const mariadb_key_checks_off&) = delete;
  mariadb_key_checks_off& operator=(const mariadb_key_checks_off&) = delete;

 private:
  const sdk::lent_connection& conn_;
  bool was_on_ = false;
};

// body in one transaction that holds the writers' lock (see above).
template <class Body>
void write_transaction(const sdk::lent_connection& conn, dialect d, Body&& body) {
  const mariadb_writers_lock held(conn, d);
  conn.transaction([&] {
    if (d == dialect::postgres) conn.query("SELECT pg_advisory_xact_lock(" + std::to_string(pg_writers_key) + ")");
    if (d == dialect::sqlite) conn.query("UPDATE dbridge_graphs SET directed = directed WHERE 0");
    body();
  });
}

// ------------------------------------------------------------ bulk rows

// f() on a second thread, or on this one (at get()) when no thread can be had.
template <class F>
std::future<std::invoke_result_t<F&>> on_second_thread(F f) {
  try {
    return std::async(std::launch::async, f);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, std::move(f));
  }
}

// Rows for insert_rows (COPY on PostgreSQL), sent a chunk at a time: the
// rows of units [0, n) (nodes, edges), fill(unit, cells) appending each
// unit's rows (none, one, or one per label). The cells of a whole graph at
// once (24 bytes a cell: 84 MB for 500k edges) cost more to fault into
// memory than to fill: ~1 s of client CPU in a 500k-edge PostgreSQL store,
// with the server idle. A chunk's cells are a few MB, reused and
// cache-warm; each chunk is a COPY (or a batch) of its own in the caller's
// transaction. Each chunk is built on a second thread while the connection
// sends the one before, so the server does not wait for the builds: edges
// in from_node order read the graph at random, ~10 ms per chunk, and a
// 500k-edge PostgreSQL store left the server idle ~0.3 s for them. fill
// must only read what the connection does not touch.
constexpr std::uint64_t units_per_chunk = 16384;
template <class Fill>
void insert_chunked(const sdk::lent_connection& conn, const char* table, std::span<const char* const> columns,
                    std::uint64_t n, Fill fill) {
  auto build = [&](std::uint64_t lo, std::vector<dbr_value>& cells) {
    const std::uint64_t hi = std::min(n, lo + units_per_chunk);
    cells.clear();
    cells.reserve(columns.size() * static_cast<std::size_t>(hi - lo));
    for (std::uint64_t u = lo; u < hi; ++u) fill(u, cells);
  };
  std::vector<dbr_value> sending, building;
  build(0, sending);
  for (std::uint64_t lo = 0; lo < n; lo += units_per_chunk) {
    const bool more = n - lo > units_per_chunk;
    std::future<void> next;  // joined before `building` goes, also when the send throws
    if (more) next = on_second_thread([&build, &building, lo] { build(lo + units_per_chunk, building); });
    if (!sending.empty()) conn.insert_rows(table, columns, sending);
    if (more) next.get();
    std::swap(sending, building);
  }
}

// ------------------------------------------------------------ the mapper

class graph_sql final : public sdk::mapper_plugin {
 public:
  static constexpr const char* scheme_list[] = {"postgresql", "postgres", "mysql", "mariadb", "sqlite", nullptr};
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID,
                                         .version = DBRIDGE_PLUGIN_VERSION,
                                         .threading = DBR_THREADING_PER_CONNECTION,
                                         .min_minor = 3};

  const char* const* schemes() override { return scheme_list; }

  static constexpr const char* migrations_table = "dbridge_graph_sql_migrations";

  void prepare(const sdk::lent_connection& conn) override {
    const sql_text q{dialect_of(conn.scheme())};
    const auto steps = q.schema_steps();
    std::vector<dbr_migration_step> abi;
    for (const auto& st : steps) abi.push_back(sdk::lent_connection::step(st.version, st.name, st.sql));
    conn.migrate(migrations_table, abi);
  }

  void store(const sdk::lent_connection& conn, const dbr_graph& g) override {
    const sql_text q{dialect_of(conn.scheme())};
    const dbr_value name = sdk::make_text(g.name);
    const sqlite_cache_for_store cache(conn, q.d, g);
    write_transaction(conn, q.d, [&] {
      const dbr_value head[] = {name, kind_value(q, g.directed != 0)};
      conn.query(q.upsert_graph(false), head);
      if (q.d == dialect::postgres && edges_partitioned(conn)) return store_partitioned(conn, g, name);
      const dbr_value by_name[] = {name};
      {
        const generic_plans plans(conn, q.d);  // the nodes' foreign-key checks, as in remove
        conn.query("DELETE FROM graph_node_labels WHERE graph_name = $1", by_name);
        conn.query("DELETE FROM graph_edges WHERE graph_name = $1", by_name);
        conn.query("DELETE FROM graph_nodes WHERE graph_name = $1", by_name);
      }
      insert_nodes(conn, g, name);
      // InnoDB checks each label and edge row's keys against graph_nodes, row
      // by row: an insert of 500k edges took 7.4-8.5 s with the checks and
      // 4.0-5.0 s without (bench/graph_sql_keys).
      // Every key they check is a node just written above; the client checks
      // the edges' ends itself, so a bad edge is still refused.
      std::optional<mariadb_key_checks_off> checked_here;
      if (q.d == dialect::mariadb) {
        require_edge_ends(g);
        checked_here.emplace(conn);
      }
      insert_labels(conn, g, name);
      insert_edges(conn, g, name, "graph_edges");
      if (checked_here) checked_here->restore();
    });
  }

  void merge(const sdk::lent_connection& conn, const dbr_graph& g) override {
    const sql_text q{dialect_of(conn.scheme())};
    const dbr_value name = sdk::make_text(g.name);
    write_transaction(conn, q.d, [&] {
      const dbr_value head[] = {name, kind_value(q, g.directed != 0)};
      conn.query(q.upsert_graph(true), head);
      // Nodes: upsert by id, in chunks of one multi-row statement.
      constexpr std::size_t chunk = 500;
      std::vector<dbr_value> params;
      for (std::uint64_t at = 0; at < g.nnodes; at += chunk) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, g.nnodes - at));
        params.assign(1, name);
        for (std::size_t i = 0; i < n; ++i) {
          const dbr_graph_node nd = sdk::detail::widen(&g.nodes[at + i]);
          params.push_back(sdk::make_text(nd.id));
          params.push_back(json_value(nd.value, nd.value_len));
        }
        conn.query(q.upsert_nodes(n), params);
        // A merged node's labels are the ones given now.
        std::string del = "DELETE FROM graph_node_labels WHERE graph_name = $1 AND node_id IN (";
        std::vector<dbr_value> ids = {name};
        for (std::size_t i = 0; i < n; ++i) {
          del += (i ? ",$" : "$") + std::to_string(2 + i);
          ids.push_back(params[1 + 2 * i]);
        }
        conn.query(del + ")", ids);
      }
      insert_labels(conn, g, name);
      // Edges: (from, to, type) identifies one; replace it. (On PostgreSQL
      // each DELETE takes the (from_node, graph_name) index also under
      // statistics that do not know the graph: it matches two of the four
      // conditions, graph_name's one.)
      for (std::uint64_t i = 0; i < g.nedges; ++i) {
        const dbr_graph_edge e = sdk::detail::widen(&g.edges[i]);
        const dbr_value key[] = {name, sdk::make_text(e.from), sdk::make_text(e.to), sdk::make_text(e.type)};
        conn.query("DELETE FROM graph_edges WHERE graph_name = $1 AND from_node = $2 AND to_node = $3 AND "
                   "edge_type = $4",
                   key);
        if (g.directed == 0) {
          const dbr_value back[] = {name, key[2], key[1], key[3]};
          conn.query("DELETE FROM graph_edges WHERE graph_name = $1 AND from_node = $2 AND to_node = $3 AND "
                     "edge_type = $4",
                     back);
        }
      }
      insert_edges(conn, g, name, "graph_edges");
    });
  }

  void load(const sdk::lent_connection& conn, const char* name, const dbr_graph_sink& raw_sink) override {
    const sql_text q{dialect_of(conn.scheme())};
    const sdk::graph_writer sink(raw_sink);
    const dbr_value by_name[] = {sdk::make_text(name)};
    node_record rec;
    std::string from, to, type, props;
    // cells: from, to, type, weight, properties
    auto emit_edge = [&](const dbr_value& f, const dbr_value& t, const dbr_value& ty, const dbr_value& w,
                         const dbr_value& p) {
      from.assign(text(f));
      to.assign(text(t));
      type.assign(text(ty));
      props.assign(text(p));
      dbr_graph_edge e{};
      e.struct_size = sizeof e;
      e.from = from.c_str();
      e.to = to.c_str();
      e.type = type.c_str();
      if (w.type != DBR_TYPE_NULL) {
        e.has_weight = 1;
        e.weight = w.type == DBR_TYPE_DOUBLE ? w.u.f64 : static_cast<double>(integer(w));
      }
      if (p.type != DBR_TYPE_NULL) {
        e.properties = props.data();
        e.properties_len = props.size();
      }
      sink.edge(e);
    };
    if (q.d == dialect::postgres) {
      // One statement is one snapshot: a store committing meanwhile is not seen half.
      sink.info(read_stats(conn, name));
      conn.each_row("SELECT 0 AS part, n.id AS seq, n.node_id AS a, NULL::varchar AS b, NULL::varchar AS c, n.value AS "
                    "doc, " + q.labels_of("n") + " AS labels, NULL::float8 AS w FROM graph_nodes n WHERE n.graph_name = "
                    "$1 UNION ALL SELECT 1, e.id, e.from_node, e.to_node, e.edge_type, e.properties, NULL, e.weight "
                    "FROM graph_edges e WHERE e.graph_name = $1 ORDER BY part, seq",
                    by_name, [&](std::span<const dbr_value> row) {
                      if (integer(row[0]) == 0) {
                        const dbr_value cells[] = {row[2], row[5], row[6]};
                        sink.node(rec.fill(cells));
                      } else {
                        emit_edge(row[2], row[3], row[4], row[7], row[5]);
                      }
                    });
      return;
    }
    // MariaDB (InnoDB's repeatable read) and SQLite keep one snapshot for a transaction.
    conn.transaction([&] {
      sink.info(read_stats(conn, name));
      conn.each_row("SELECT n.node_id, n.value, " + q.labels_of("n") +
                        " FROM graph_nodes n WHERE n.graph_name = $1 ORDER BY n.id",
                    by_name, [&](std::span<const dbr_value> row) { sink.node(rec.fill(row.data())); });
      conn.each_row(
          "SELECT from_node, to_node, edge_type, weight, properties FROM graph_edges WHERE graph_name = $1 ORDER BY id",
          by_name, [&](std::span<const dbr_value> row) { emit_edge(row[0], row[1], row[2], row[3], row[4]); });
    });
  }

  void neighbors(const sdk::lent_connection& conn, const char* name, const char* node, const dbr_graph_walk& walk,
                 const sdk::reach_writer& out) override {
    const sql_text q{dialect_of(conn.scheme())};
    const std::uint32_t direction = read_directed(conn, name) ? walk.direction : DBR_WALK_BOTH;
    if (direction < DBR_WALK_OUT || direction > DBR_WALK_BOTH)
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "neighbors: unknown direction " + std::to_string(walk.direction));
    std::vector<dbr_value> params = {sdk::make_text(name), sdk::make_text(node)};
    if (walk.edge_type != nullptr) params.push_back(sdk::make_text(walk.edge_type));
    params.push_back(sdk::make_int64(walk.depth));
    node_record rec;
    const generic_plans plans(conn, q.d);
    conn.each_row(q.walk(direction, walk.edge_type != nullptr), params, [&](std::span<const dbr_value> row) {
      out.reached(rec.fill(row.data()), static_cast<std::uint32_t>(integer(row[3])));
    });
  }

  void remove(const sdk::lent_connection& conn, const char* name) override {
    const sql_text q{dialect_of(conn.scheme())};
    const dbr_value by_name[] = {sdk::make_text(name)};
    write_transaction(conn, q.d, [&] {
      if (q.d == dialect::postgres) {
        const edges_shape shape = edges_shape_of(conn);
        if (shape.partitioned) return remove_partitioned(conn, name, shape.user_triggers);
      }
      read_stats(conn, name);  // not_found for a graph never stored
      const generic_plans plans(conn, q.d);
      conn.query("DELETE FROM graph_node_labels WHERE graph_name = $1", by_name);
      conn.query("DELETE FROM graph_edges WHERE graph_name = $1", by_name);
      conn.query("DELETE FROM graph_nodes WHERE graph_name = $1", by_name);
      conn.query("DELETE FROM dbridge_graphs WHERE graph_name = $1", by_name);
    });
  }

  void list(const sdk::lent_connection& conn, const sdk::graph_list_writer& out) override {
    std::string name;
    conn.each_row(
        "SELECT g.graph_name, g.directed, (SELECT COUNT(*) FROM graph_nodes n WHERE n.graph_name = g.graph_name), "
        "(SELECT COUNT(*) FROM graph_edges e WHERE e.graph_name = g.graph_name) FROM dbridge_graphs g "
        "ORDER BY g.graph_name",
        {}, [&](std::span<const dbr_value> row) {
          name.assign(text(row[0]));
          out.graph(name.c_str(), stats_of(row.data()));
        });
  }

  dbr_graph_stats stats(const sdk::lent_connection& conn, const char* name) override { return read_stats(conn, name); }

 private:
  static dbr_value kind_value(const sql_text& q, bool directed) {
    return q.d == dialect::postgres ? sdk::make_bool(directed) : sdk::make_int64(directed ? 1 : 0);
  }
  static dbr_value json_value(const char* p, std::uint64_t n) {
    return p == nullptr ? sdk::make_null() : sdk::make_text(std::string_view(p, static_cast<std::size_t>(n)));
  }
  static dbr_graph_stats stats_of(const dbr_value* row) {
    dbr_graph_stats st{};
    st.struct_size = sizeof st;
    st.directed = integer(row[1]) != 0 ? 1 : 0;
    st.nnodes = static_cast<std::uint64_t>(integer(row[2]));
    st.nedges = static_cast<std::uint64_t>(integer(row[3]));
    return st;
  }
  static sdk::error missing(const char* name) {
    return sdk::error(DBR_CAT_NOT_FOUND, "no graph named '" + std::string(name) + "' is stored");
  }
  // The graph's kind alone: read_stats counts every node and edge.
  static bool read_directed(const sdk::lent_connection& conn, const char* name) {
    const dbr_value by_name[] = {sdk::make_text(name)};
    int directed = -1;
    conn.each_row("SELECT directed FROM dbridge_graphs WHERE graph_name = $1", by_name,
                  [&](std::span<const dbr_value> row) { directed = integer(row[0]) != 0 ? 1 : 0; });
    if (directed < 0) throw missing(name);
    return directed == 1;
  }
  static dbr_graph_stats read_stats(const sdk::lent_connection& conn, const char* name) {
    const dbr_value by_name[] = {sdk::make_text(name)};
    bool found = false;
    dbr_graph_stats st{};
    conn.each_row(
        "SELECT g.graph_name, g.directed, (SELECT COUNT(*) FROM graph_nodes n WHERE n.graph_name = g.graph_name), "
        "(SELECT COUNT(*) FROM graph_edges e WHERE e.graph_name = g.graph_name) FROM dbridge_graphs g "
        "WHERE g.graph_name = $1",
        by_name, [&](std::span<const dbr_value> row) {
          found = true;
          st = stats_of(row.data());
        });
    if (!found) throw missing(name);
    return st;
  }

  // Refuses an edge whose end is not one of the graph's nodes, as the
  // foreign key would: for a store that writes the edges without the
  // database's checks.
  static void require_edge_ends(const dbr_graph& g) {
    std::unordered_set<std::string_view> ids;
    ids.reserve(static_cast<std::size_t>(g.nnodes));
    for (std::uint64_t i = 0; i < g.nnodes; ++i) {
      const char* id = sdk::detail::widen(&g.nodes[i]).id;
      ids.insert(id != nullptr ? id : "");
    }
    for (std::uint64_t i = 0; i < g.nedges; ++i) {
      const dbr_graph_edge e = sdk::detail::widen(&g.edges[i]);
      for (const char* end : {e.from, e.to}) {
        const std::string_view id = end != nullptr ? end : "";
        if (!ids.contains(id))
          throw sdk::error(DBR_CAT_CONSTRAINT, "graph-sql: edge " + std::to_string(i + 1) + " of graph '" +
                                                   std::string(g.name) + "' names node '" + std::string(id) +
                                                   "', which the graph does not have")
              .subcategory(DBR_SUB_FOREIGN_KEY_VIOLATION)
              .sqlstate("23000");
      }
    }
  }
  static void insert_nodes(const sdk::lent_connection& conn, const dbr_graph& g, const dbr_value& name) {
    static const char* const cols[] = {"graph_name", "node_id", "value"};
    insert_chunked(conn, "graph_nodes", cols, g.nnodes, [&](std::uint64_t i, std::vector<dbr_value>& cells) {
      const dbr_graph_node n = sdk::detail::widen(&g.nodes[i]);
      cells.insert(cells.end(), {name, sdk::make_text(n.id), json_value(n.value, n.value_len)});
    });
  }
  static void insert_labels(const sdk::lent_connection& conn, const dbr_graph& g, const dbr_value& name) {
    static const char* const cols[] = {"graph_name", "node_id", "label"};
    insert_chunked(conn, "graph_node_labels", cols, g.nnodes, [&](std::uint64_t i, std::vector<dbr_value>& cells) {
      const dbr_graph_node n = sdk::detail::widen(&g.nodes[i]);
      for (std::uint32_t l = 0; l < n.nlabels; ++l)
        cells.insert(cells.end(), {name, sdk::make_text(n.id), sdk::make_text(n.labels[l])});
    });
  }
  // ---------------------------------------------------- PostgreSQL partitions
  //
  // Loading rows into graph_edges fires two foreign-key checks and updates
  // every index per row, which costs the server more than the rows
  // themselves. So store copies the edges into a fresh table with no index or
  // key, and attaching it as the graph's partition builds each index in one
  // sorted pass and checks each foreign key with one join. The old partition
  // is dropped in the same transaction: a reader sees the old graph or the
  // new one. Dropping it locks graph_edges until commit (readers of other
  // graphs wait for the node rows and the attach, not for the edge copy).

  // Whether store and remove may swap whole partitions: graph_edges is
  // partitioned and has no trigger of its own (a user's row trigger is
  // fired by the row-by-row path, not by an attach).
  static bool edges_partitioned(const sdk::lent_connection& conn) {
    const edges_shape shape = edges_shape_of(conn);
    return shape.partitioned && !shape.user_triggers;
  }
  struct edges_shape {
    bool partitioned = false;  // graph-sql 0.1 made a plain table
    bool user_triggers = false;
  };
  static edges_shape edges_shape_of(const sdk::lent_connection& conn) {
    edges_shape shape;
    conn.each_row("SELECT c.relkind = 'p', EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT "
                  "t.tgisinternal) FROM pg_class c WHERE c.oid = to_regclass('graph_edges')",
                  {}, [&](std::span<const dbr_value> row) {
                    shape.partitioned = integer(row[0]) != 0;
                    shape.user_triggers = integer(row[1]) != 0;
                  });
    return shape;
  }
  // A string literal for DDL, which takes no parameters (standard_conforming_strings).
  static std::string literal(std::string_view s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }
  // The partition's table name: from a hash of the graph name, which may hold
  // any character; the partition itself is found by its bound, not its name.
  static std::string partition_name(std::string_view graph) {
    std::uint64_t h = 14695981039346656037ULL;  // FNV-1a
    for (unsigned char c : graph) h = (h ^ c) * 1099511628211ULL;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return std::string("graph_edges_") + hex;
  }
  // The graph's partition (its table name, quoted), or "" if it has none.
  static std::string partition_of(const sdk::lent_connection& conn, const char* graph) {
    const dbr_value by_name[] = {sdk::make_text(graph)};
    std::string table;
    conn.each_row("SELECT quote_ident(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                  "WHERE i.inhparent = 'graph_edges'::regclass AND pg_get_expr(c.relpartbound, c.oid) = "
                  "'FOR VALUES IN (''' || replace($1::text, '''', '''''') || ''')'",
                  by_name, [&](std::span<const dbr_value> row) { table.assign(text(row[0])); });
    return table;
  }
  // Deleting a node fires graph_edges' foreign-key checks, one query per
  // node and key (`graph_name = $1 AND from_node = $2`, and to_node). On
  // graph_edges_default they read indexes full of the rows this transaction
  // just deleted, and with statistics that did not know the graph the
  // planner took the graph_name index: each node's check read all the
  // graph's edges (4000 nodes, 20000 merged edges: 19 s). So the nodes are
  // deleted while the graph has an empty partition of its own, where every
  // check then looks whatever its plan; it is dropped before the commit.
  // Removing a merged graph thus locks graph_edges until the commit, as
  // removing a stored one always did (dropping its partition). That lock
  // (ACCESS EXCLUSIVE, which the drop takes anyway) is asked for first: so
  // two removes run one after the other, and a reader that holds
  // graph_edges while it waits for the truncated partition does not
  // deadlock with the drop.
  static void remove_partitioned(const sdk::lent_connection& conn, const char* name, bool user_triggers) {
    conn.query("LOCK TABLE graph_edges IN ACCESS EXCLUSIVE MODE");
    read_stats(conn, name);  // not_found for a graph never stored
    const std::string part = delete_nodes_partitioned(conn, name, user_triggers);
    const dbr_value by_name[] = {sdk::make_text(name)};
    conn.query("DELETE FROM dbridge_graphs WHERE graph_name = $1", by_name);
    conn.query("DROP TABLE " + part);
  }
  // Deletes the graph's edges, labels and nodes, the nodes while the graph
  // has an empty partition (see above), under generic plans. Returns that
  // partition (its table name), for the caller to drop. The caller holds
  // graph_edges' lock (ACCESS EXCLUSIVE).
  static std::string delete_nodes_partitioned(const sdk::lent_connection& conn, const char* name,
                                              bool user_triggers) {
    const dbr_value by_name[] = {sdk::make_text(name)};
    const generic_plans plans(conn, dialect::postgres);
    std::string part = clear_edges_partitioned(conn, name, user_triggers);
    conn.query("DELETE FROM graph_nodes WHERE graph_name = $1", by_name);
    return part;
  }
  // Deletes the graph's labels and edges, and leaves the graph an empty
  // partition of its own (see above), which it returns.
  static std::string clear_edges_partitioned(const sdk::lent_connection& conn, const char* name,
                                             bool user_triggers) {
    const dbr_value by_name[] = {sdk::make_text(name)};
    conn.query("DELETE FROM graph_node_labels WHERE graph_name = $1", by_name);
    std::string part = partition_of(conn, name);
    // With a user's row trigger on graph_edges, the DELETE below lets it see each edge go.
    if (!part.empty() && !user_triggers) conn.query("TRUNCATE " + part);
    conn.query("DELETE FROM graph_edges WHERE graph_name = $1", by_name);  // the rows in graph_edges_default
    if (part.empty()) {
      const std::string lit = literal(name);
      part = partition_name(name);
      conn.query("CREATE TABLE " + part + " (LIKE graph_edges INCLUDING DEFAULTS, CHECK (graph_name = " + lit + "))");
      conn.query("ALTER TABLE graph_edges ATTACH PARTITION " + part + " FOR VALUES IN (" + lit + ")");
    }
    return part;
  }
  static void store_partitioned(const sdk::lent_connection& conn, const dbr_graph& g, const dbr_value& name) {
    const std::string lit = literal(g.name), part = partition_name(g.name), fresh = part + "_next";
    // The CHECK lets ATTACH skip its scan of the rows.
    conn.query("CREATE TABLE " + fresh + " (LIKE graph_edges INCLUDING DEFAULTS, CHECK (graph_name = " + lit + "))");
    {
      // The order is computed while the server reserves the ids (at 500k
      // edges ~0.3 s of client and ~0.2 s of server work, one after the
      // other before).
      auto order = on_second_thread([&g] { return by_from_node(g); });
      const std::optional<std::int64_t> first_id = reserve_ids(conn, "graph_edges", g.nedges);
      insert_edges(conn, g, name, fresh.c_str(), first_id, first_id ? order.get() : std::vector<std::uint32_t>{});
    }
    // The old nodes the new graph lacks (all of them, when they cannot be
    // updated in place) are deleted as remove's are, while the graph's
    // partition is empty: with the old partition dropped first, the checks
    // of a merged graph's nodes read graph_edges_default, all its deleted
    // edges per node. The lock is asked for before the partition's, as
    // remove does.
    conn.query("LOCK TABLE graph_edges IN ACCESS EXCLUSIVE MODE");
    {
      const generic_plans plans(conn, dialect::postgres);
      const std::string old_part = clear_edges_partitioned(conn, g.name, false);
      if (!replace_nodes_in_place(conn, g, name)) {
        const dbr_value by_name[] = {name};
        conn.query("DELETE FROM graph_nodes WHERE graph_name = $1", by_name);
        insert_nodes(conn, g, name);
      }
      conn.query("DROP TABLE " + old_part);
    }
    insert_labels(conn, g, name);
    conn.query("ALTER TABLE " + fresh + " RENAME TO " + part);  // before the attach, which names its indexes
    // The attach checks each foreign key with one join, planned from the
    // statistics of both tables. A fresh table has none: the planner guessed
    // a few thousand rows and, without parallel workers, picked a nested loop
    // over a scan of graph_nodes (minutes for 500k edges) or a merge join
    // that sorts the edges (~1.6 s each); with the table's real size it
    // hashes (~0.35 s each). Steering the plan with enable_nestloop and
    // enable_mergejoin off without the ANALYZE built the hash table from the
    // guess: 3x slower. The plan needs the table's size more than fine statistics:
    // with the default target ANALYZE sampled 30k rows and sorted each
    // column's sample under the collation (~0.19 s of a 1.3 s store at
    // 100k edges); 3000 rows give the same row count (taken from the
    // table's pages) and the same hash joins. Autovacuum's analyze, due
    // after that many inserted rows, refines them later.
    // The other side of each join is all of graph_nodes. Its statistics are
    // autovacuum's, from before this store's nodes, or none on a database
    // where graph_nodes was never analysed (the planner then takes every
    // node id for a full varchar(255)). With them the planner chose a nested
    // loop of one index probe per edge over hashing graph_nodes: 1-2 s per
    // check at 500k edges against ~0.15-0.2 s hashed, on freshly started test
    // servers (stores of 5.0-6.5 s against 2.55-2.97 s). Analysing
    // graph_nodes' key columns here (a 3000-row sample, ~10 ms at 200k rows)
    // gives the planner the real row count and key widths; it may still
    // probe where graph_nodes holds far more nodes of other graphs than this
    // graph has edges. PostgreSQL skips the ANALYZE with a warning for a user
    // who does not own graph_nodes.
    {
      const local_setting target(conn, "default_statistics_target", "10");
      conn.query("ANALYZE " + part);
      conn.query("ANALYZE graph_nodes (graph_name, node_id)");
    }
    // The attach builds the partition's three indexes one after the other.
    // With parallel maintenance workers (2 by default) each build split its
    // sort across processes that write their runs to temporary files for the
    // leader to merge: more CPU in all, and on a machine with few cores the
    // workers only compete with the leader (500k edges on 2 busy cores:
    // attach ~1.6 s -> ~1.35 s; no clear change on a quiet machine).
    // Then it checks each foreign key with one anti-join. Once the indexes
    // exist the planner took a merge join that reads the partition through
    // the new from_node or to_node index, fetching every row from the heap
    // (rows of this transaction: no visibility map), for to_node in random
    // order; a hash anti-join over a scan of the partition is cheaper
    // (measured 500k edges: to_node check ~0.35 -> ~0.2 s, from_node ~0.14 ->
    // ~0.12 s). Serial: a parallel hash join of the same check took twice
    // the time of a serial one here.
    const local_setting serial_builds(conn, "max_parallel_maintenance_workers", "0");
    const local_setting hashed_checks(conn, "enable_mergejoin", "off");
    const local_setting serial_checks(conn, "max_parallel_workers_per_gather", "0");
    conn.query("ALTER TABLE graph_edges ATTACH PARTITION " + part + " FOR VALUES IN (" + lit + ")");
  }

  // store over a stored graph: the nodes both graphs have are updated in
  // place (value, and a new id in the new graph's order, which load
  // follows), and only the nodes the new graph lacks are deleted. Deleting
  // every old node fired three foreign-key checks per node (graph_edges'
  // two, graph_node_labels'), ~10 us each: a replace of 100k nodes took
  // 6.3-7.5 s against 2.8-4.1 s for a store under a new name. An update
  // that keeps (graph_name, node_id) fires none. The caller has cleared the
  // graph's edges and labels and holds generic plans (for the checks of the
  // nodes deleted here). Declines (false, nothing done) for a graph with no
  // stored nodes, when graph_nodes has a user's trigger (which saw deletes
  // and inserts, not updates), for a user who may not make the temporary
  // table, and when the sequence gives no block of ids.
  static bool replace_nodes_in_place(const sdk::lent_connection& conn, const dbr_graph& g, const dbr_value& name) {
    if (g.nnodes < 2) return false;
    const dbr_value by_name[] = {name};
    bool stored = false, user_triggers = true, temp = false;
    conn.each_row("SELECT EXISTS (SELECT 1 FROM graph_nodes WHERE graph_name = $1), EXISTS (SELECT 1 FROM "
                  "pg_trigger t WHERE t.tgrelid = 'graph_nodes'::regclass AND NOT t.tgisinternal), "
                  "has_database_privilege(current_database(), 'TEMP')",
                  by_name, [&](std::span<const dbr_value> row) {
                    stored = integer(row[0]) != 0;
                    user_triggers = integer(row[1]) != 0;
                    temp = integer(row[2]) != 0;
                  });
    if (!stored || user_triggers || !temp) return false;
    const std::optional<std::int64_t> first = reserve_ids(conn, "graph_nodes", g.nnodes);
    if (!first) return false;
    // Named in pg_temp, so a user's table of the same name is never the one read.
    conn.query("CREATE TEMP TABLE pg_temp.dbridge_graph_nodes_next (ord int8 NOT NULL, node_id varchar(255) NOT NULL, "
               "value jsonb) ON COMMIT DROP");
    {
      static const char* const cols[] = {"ord", "node_id", "value"};
      insert_chunked(conn, "pg_temp.dbridge_graph_nodes_next", cols, g.nnodes,
                     [&](std::uint64_t i, std::vector<dbr_value>& cells) {
                       const dbr_graph_node n = sdk::detail::widen(&g.nodes[i]);
                       cells.insert(cells.end(), {sdk::make_int64(static_cast<std::int64_t>(i)), sdk::make_text(n.id),
                                                  json_value(n.value, n.value_len)});
                     });
    }
    // The statistics of graph_nodes may not know the graph yet (a store
    // right after a store) and the fresh table has none: a nested loop could
    // scan the fresh table once per stored node. Hash joins are linear.
    const local_setting hashed(conn, "enable_nestloop", "off");
    const dbr_value args[] = {name, sdk::make_int64(*first)};
    conn.query("DELETE FROM graph_nodes n WHERE n.graph_name = $1 AND NOT EXISTS (SELECT 1 FROM "
               "pg_temp.dbridge_graph_nodes_next s WHERE s.node_id = n.node_id)",
               by_name);
    const std::int64_t kept = conn.query(
        "UPDATE graph_nodes n SET id = $2 + s.ord, value = s.value, created_at = DEFAULT FROM "
        "pg_temp.dbridge_graph_nodes_next s WHERE n.graph_name = $1 AND n.node_id = s.node_id",
        args);
    const std::int64_t added = conn.query(
        "INSERT INTO graph_nodes (id, graph_name, node_id, value) SELECT $2 + s.ord, $1::varchar, s.node_id, s.value "
        "FROM pg_temp.dbridge_graph_nodes_next s WHERE NOT EXISTS (SELECT 1 FROM graph_nodes n "
        "WHERE n.graph_name = $1 AND n.node_id = s.node_id) ORDER BY s.ord",
        args);
    conn.query("DROP TABLE pg_temp.dbridge_graph_nodes_next");
    // An id given twice would update its row once and count once, where the
    // delete and insert refused it as a duplicate key.
    if (kept + added != static_cast<std::int64_t>(g.nnodes))
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       "graph-sql: graph '" + std::string(g.name) + "' names a node id twice");
    return true;
  }

  // Takes n values of table.id's sequence in one statement. They are
  // contiguous unless another session took one meanwhile (or the sequence
  // steps by more than 1); only then are they the first of n row ids the
  // caller may hand out in any row order. Otherwise nothing: the rows take
  // their ids from the column default.
  static std::optional<std::int64_t> reserve_ids(const sdk::lent_connection& conn, const char* table,
                                                 std::uint64_t n) {
    if (n < 2) return std::nullopt;
    std::string seq;
    const dbr_value of[] = {sdk::make_text(table)};
    conn.each_row("SELECT pg_get_serial_sequence($1, 'id')", of, [&](std::span<const dbr_value> row) {
      seq.assign(text(row[0]));
    });
    if (seq.empty()) return std::nullopt;
    // The literal is resolved once; a parameter cast to regclass would be
    // looked up per row. generate_series in the select list streams its
    // rows; in FROM it stored all n first (500k: ~0.15 s -> ~0.12 s).
    std::int64_t lo = 0, hi = 0;
    conn.each_row("SELECT min(v), max(v) FROM (SELECT nextval(" + literal(seq) +
                      "::regclass) AS v FROM (SELECT generate_series(1, " + std::to_string(n) + ")) g) s",
                  {}, [&](std::span<const dbr_value> row) {
                    lo = integer(row[0]);
                    hi = integer(row[1]);
                  });
    if (hi - lo + 1 != static_cast<std::int64_t>(n)) return std::nullopt;
    return lo;
  }
  // The edges ordered by from_node (byte order, which is the database's
  // order under the C and C.UTF-8 collations, and near it under others),
  // keeping the graph's order among edges of one node. Rows copied in this
  // order make the attach's (from_node, graph_name) index build a check of
  // already sorted input instead of a sort: ~1.1 s -> ~0.3 s of server CPU
  // for 500k edges.
  static std::vector<std::uint32_t> by_from_node(const dbr_graph& g) {
    std::unordered_map<std::string_view, std::uint32_t> rank;
    std::vector<std::string_view> keys;
    std::vector<std::uint32_t> key_of(static_cast<std::size_t>(g.nedges));
    for (std::uint64_t i = 0; i < g.nedges; ++i) {
      const std::string_view from = sdk::detail::widen(&g.edges[i]).from;
      auto [at, added] = rank.try_emplace(from, static_cast<std::uint32_t>(keys.size()));
      if (added) keys.push_back(from);
      key_of[i] = at->second;
    }
    // Sort the distinct ids (fewer than the edges), then place each edge by
    // its id's place. Each id is sorted by its first 8 bytes as one number
    // (bytes compare unsigned, as string_view's <), compared whole only on a
    // tie: comparing the ids through their indexes was a third of the
    // client's work in a store (100k ids: ~0.33 G instructions, while the
    // server waited).
    struct sort_key {
      std::uint64_t prefix;
      std::uint32_t key;
    };
    std::vector<sort_key> sorted(keys.size());
    for (std::uint32_t k = 0; k < sorted.size(); ++k) {
      unsigned char b[8] = {};
      if (!keys[k].empty()) std::memcpy(b, keys[k].data(), std::min<std::size_t>(8, keys[k].size()));
      std::uint64_t prefix = 0;
      for (unsigned char c : b) prefix = prefix << 8 | c;
      sorted[k] = {prefix, k};
    }
    std::sort(sorted.begin(), sorted.end(), [&](const sort_key& a, const sort_key& b) {
      return a.prefix != b.prefix ? a.prefix < b.prefix : keys[a.key] < keys[b.key];
    });
    std::vector<std::uint32_t> start(keys.size() + 1, 0);
    for (std::uint32_t k : key_of) ++start[k + 1];
    std::vector<std::uint32_t> place(keys.size());
    std::uint32_t sum = 0;
    for (const sort_key& k : sorted) {
      place[k.key] = sum;
      sum += start[k.key + 1];
    }
    std::vector<std::uint32_t> order(key_of.size());
    for (std::uint32_t i = 0; i < key_of.size(); ++i) order[place[key_of[i]]++] = i;
    return order;
  }

  // With first_id, the rows are copied in from_node order (`order`, from
  // by_from_node) with their ids given: the graph's i-th edge gets
  // first_id + i, so ids still follow the graph's order.
  static void insert_edges(const sdk::lent_connection& conn, const dbr_graph& g, const dbr_value& name,
                           const char* table, std::optional<std::int64_t> first_id = std::nullopt,
                           const std::vector<std::uint32_t>& order = {}) {
    static const char* const cols[] = {"graph_name", "from_node", "to_node", "edge_type", "weight", "properties"};
    static const char* const cols_with_id[] = {"id",        "graph_name", "from_node", "to_node",
                                               "edge_type", "weight",     "properties"};
    const bool ordered = first_id && order.size() == g.nedges;
    const auto columns = ordered ? std::span<const char* const>(cols_with_id) : std::span<const char* const>(cols);
    insert_chunked(conn, table, columns, g.nedges, [&](std::uint64_t r, std::vector<dbr_value>& cells) {
      const std::uint64_t i = ordered ? order[static_cast<std::size_t>(r)] : r;
      const dbr_graph_edge e = sdk::detail::widen(&g.edges[i]);
      if (ordered) cells.push_back(sdk::make_int64(*first_id + static_cast<std::int64_t>(i)));
      cells.insert(cells.end(), {name, sdk::make_text(e.from), sdk::make_text(e.to),
                                 sdk::make_text(e.type != nullptr ? e.type : ""),
                                 e.has_weight ? sdk::make_double(e.weight) : sdk::make_null(),
                                 json_value(e.properties, e.properties_len)});
    });
  }
};

}  // namespace

DBRIDGE_SDK_MAPPER(graph_sql)
