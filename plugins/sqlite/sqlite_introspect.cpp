// SPDX-License-Identifier: Apache-2.0
// Capability "introspect": the DBR_META_* listings of abi.h, read from
// SQLite's catalog pragmas into standalone in-memory cursors. Schemas are
// SQLite's attached databases (main, temp, and anything ATTACHed).
#include <string>
#include <utility>
#include <vector>

#include "sqlite_plugin.hpp"

namespace dbridge_sqlite {

namespace {

std::string quote_ident(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// Runs sql with text parameters and calls f(stmt) for every row.
template <class F>
void each_row(sqlite3* db, const std::string& sql, std::initializer_list<const char*> params, F&& f) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  if (rc != SQLITE_OK) throw make_error(db, rc);
  struct finalizer {
    sqlite3_stmt* s;
    ~finalizer() { sqlite3_finalize(s); }
  } guard{st};
  int i = 1;
  for (const char* p : params) sqlite3_bind_text(st, i++, p, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) f(st);
  if (rc != SQLITE_DONE) throw make_error(db, rc);
}

const char* col_text(sqlite3_stmt* st, int i) {
  return reinterpret_cast<const char*>(sqlite3_column_text(st, i));
}
std::string col_string(sqlite3_stmt* st, int i) {
  const char* p = col_text(st, i);
  return p != nullptr ? p : "";
}

std::vector<std::string> schemas(sqlite3* db, const char* filter) {
  std::vector<std::string> out;
  each_row(db, "PRAGMA database_list", {}, [&](sqlite3_stmt* st) {
    std::string name = col_string(st, 1);
    if (filter == nullptr || name == filter) out.push_back(std::move(name));
  });
  return out;
}

// (schema, table, type) for every table/view matching the filters.
std::vector<std::pair<std::string, std::string>> tables(sqlite3* db, const char* schema, const char* table,
                                                        std::vector<std::string>* types = nullptr) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& s : schemas(db, schema)) {
    std::string sql = "SELECT name, type FROM " + quote_ident(s) +
                      ".sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
    if (table != nullptr) sql += " AND name = ?1";
    sql += " ORDER BY name";
    auto add = [&](sqlite3_stmt* st) {
      out.emplace_back(s, col_string(st, 0));
      if (types != nullptr) types->push_back(col_string(st, 1));
    };
    if (table != nullptr)
      each_row(db, sql, {table}, add);
    else
      each_row(db, sql, {}, add);
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ',';
    out += p;
  }
  return out;
}

// "VARCHAR(20)" -> 20; -1 when the declared type gives no length.
std::int64_t declared_length(const std::string& type) {
  auto open = type.find('(');
  if (open == std::string::npos) return -1;
  std::int64_t n = 0;
  std::size_t i = open + 1;
  if (i >= type.size() || type[i] < '0' || type[i] > '9') return -1;
  while (i < type.size() && type[i] >= '0' && type[i] <= '9' && n < (1LL << 40)) n = n * 10 + (type[i++] - '0');
  return i < type.size() && (type[i] == ')' || type[i] == ',') ? n : -1;
}

dbr_value nullable_int(std::int64_t v) { return v < 0 ? sdk::make_null() : sdk::make_int64(v); }

}  // namespace

std::unique_ptr<sdk::cursor> sqlite_connection::list(std::uint32_t what, const char* schema, const char* table) {
  auto cur = std::make_unique<sdk::table_cursor>();
  sdk::table_cursor& c = *cur;
  switch (what) {
    case DBR_META_DATABASES:
    case DBR_META_SCHEMAS: {
      c.add_column("name", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      if (what == DBR_META_DATABASES) c.add_column("size_bytes", DBR_TYPE_INT64, "INTEGER", DBR_NULLABLE_YES);
      c.add_column("file", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_YES);
      each_row(db_, "PRAGMA database_list", {}, [&](sqlite3_stmt* st) {
        std::string name = col_string(st, 1);
        if (schema != nullptr && name != schema) return;
        const char* file = col_text(st, 2);
        dbr_value file_v = file != nullptr && *file != '\0' ? c.text(file) : sdk::make_null();
        if (what == DBR_META_SCHEMAS) {
          c.add_row({c.text(name), file_v});
          return;
        }
        std::int64_t pages = -1, page_size = -1;
        each_row(db_, "PRAGMA " + quote_ident(name) + ".page_count", {},
                 [&](sqlite3_stmt* s) { pages = sqlite3_column_int64(s, 0); });
        each_row(db_, "PRAGMA " + quote_ident(name) + ".page_size", {},
                 [&](sqlite3_stmt* s) { page_size = sqlite3_column_int64(s, 0); });
        c.add_row({c.text(name), nullable_int(pages >= 0 && page_size >= 0 ? pages * page_size : -1), file_v});
      });
      break;
    }
    case DBR_META_TABLES: {
      c.add_column("schema", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("name", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("type", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("size_bytes", DBR_TYPE_INT64, "INTEGER", DBR_NULLABLE_YES);
      c.add_column("row_estimate", DBR_TYPE_INT64, "INTEGER", DBR_NULLABLE_YES);
      std::vector<std::string> types;
      auto found = tables(db_, schema, table, &types);
      for (std::size_t i = 0; i < found.size(); ++i)
        c.add_row({c.text(found[i].first), c.text(found[i].second), c.text(types[i]), sdk::make_null(),
                   sdk::make_null()});
      break;
    }
    case DBR_META_COLUMNS: {
      c.add_column("schema", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("table", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("name", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("ordinal", DBR_TYPE_INT64, "INTEGER", DBR_NULLABLE_NO);
      c.add_column("type", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("nullable", DBR_TYPE_BOOL, "BOOLEAN", DBR_NULLABLE_NO);
      c.add_column("default", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_YES);
      c.add_column("max_length", DBR_TYPE_INT64, "INTEGER", DBR_NULLABLE_YES);
      c.add_column("primary_key", DBR_TYPE_BOOL, "BOOLEAN", DBR_NULLABLE_NO);
      for (const auto& entry : tables(db_, schema, table)) {
        const std::string& s = entry.first;  // clang 14 cannot capture structured bindings
        const std::string& t = entry.second;
        each_row(db_, "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1, ?2)",
                 {t.c_str(), s.c_str()}, [&](sqlite3_stmt* st) {
                   std::string type = col_string(st, 2);
                   c.add_row({c.text(s), c.text(t), c.text(col_string(st, 1)),
                              sdk::make_int64(sqlite3_column_int64(st, 0) + 1), c.text(type),
                              sdk::make_bool(sqlite3_column_int64(st, 3) == 0), c.text_or_null(col_text(st, 4)),
                              nullable_int(declared_length(type)), sdk::make_bool(sqlite3_column_int64(st, 5) > 0)});
                 });
      }
      break;
    }
    case DBR_META_INDEXES: {
      c.add_column("schema", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("table", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("name", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("columns", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("unique", DBR_TYPE_BOOL, "BOOLEAN", DBR_NULLABLE_NO);
      c.add_column("primary", DBR_TYPE_BOOL, "BOOLEAN", DBR_NULLABLE_NO);
      for (const auto& entry : tables(db_, schema, table)) {
        const std::string& s = entry.first;  // clang 14 cannot capture structured bindings
        const std::string& t = entry.second;
        struct index_row {
          std::string name, origin;
          bool unique;
        };
        std::vector<index_row> idx;
        each_row(db_, "SELECT name, \"unique\", origin FROM pragma_index_list(?1, ?2) ORDER BY name",
                 {t.c_str(), s.c_str()}, [&](sqlite3_stmt* st) {
                   idx.push_back({col_string(st, 0), col_string(st, 2), sqlite3_column_int64(st, 1) != 0});
                 });
        for (const auto& ix : idx) {
          std::vector<std::string> cols;
          each_row(db_, "SELECT name FROM pragma_index_info(?1, ?2) ORDER BY seqno", {ix.name.c_str(), s.c_str()},
                   [&](sqlite3_stmt* st) { cols.push_back(col_string(st, 0)); });
          c.add_row({c.text(s), c.text(t), c.text(ix.name), c.text(join(cols)), sdk::make_bool(ix.unique),
                     sdk::make_bool(ix.origin == "pk")});
        }
      }
      break;
    }
    case DBR_META_FOREIGN_KEYS: {
      c.add_column("schema", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("table", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("name", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("columns", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("ref_schema", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("ref_table", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("ref_columns", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("on_update", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("on_delete", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      for (const auto& entry : tables(db_, schema, table)) {
        const std::string& s = entry.first;  // clang 14 cannot capture structured bindings
        const std::string& t = entry.second;
        struct fk {
          std::int64_t id;
          std::string ref_table, on_update, on_delete;
          std::vector<std::string> from, to;
        };
        std::vector<fk> fks;
        each_row(db_,
                 "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1, ?2) "
                 "ORDER BY id, seq",
                 {t.c_str(), s.c_str()}, [&](sqlite3_stmt* st) {
                   const std::int64_t id = sqlite3_column_int64(st, 0);
                   if (fks.empty() || fks.back().id != id)
                     fks.push_back({id, col_string(st, 1), col_string(st, 4), col_string(st, 5), {}, {}});
                   fks.back().from.push_back(col_string(st, 2));
                   fks.back().to.push_back(col_string(st, 3));
                 });
        for (auto& f : fks) {
          // REFERENCES t without columns means t's primary key.
          bool implicit = false;
          for (const auto& col : f.to) implicit = implicit || col.empty();
          if (implicit) {
            f.to.clear();
            each_row(db_, "SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 ORDER BY pk",
                     {f.ref_table.c_str(), s.c_str()}, [&](sqlite3_stmt* st) { f.to.push_back(col_string(st, 0)); });
          }
          // SQLite keeps no constraint names here; make a stable one.
          const std::string name = "fk_" + t + "_" + std::to_string(f.id);
          c.add_row({c.text(s), c.text(t), c.text(name), c.text(join(f.from)), c.text(s), c.text(f.ref_table),
                     c.text(join(f.to)), c.text(f.on_update), c.text(f.on_delete)});
        }
      }
      break;
    }
    case DBR_META_PRIMARY_KEYS: {
      c.add_column("schema", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("table", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      c.add_column("name", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_YES);
      c.add_column("columns", DBR_TYPE_TEXT, "TEXT", DBR_NULLABLE_NO);
      for (const auto& entry : tables(db_, schema, table)) {
        const std::string& s = entry.first;  // clang 14 cannot capture structured bindings
        const std::string& t = entry.second;
        std::vector<std::string> cols;
        each_row(db_, "SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 ORDER BY pk", {t.c_str(), s.c_str()},
                 [&](sqlite3_stmt* st) { cols.push_back(col_string(st, 0)); });
        if (cols.empty()) continue;
        std::string index_name;
        each_row(db_, "SELECT name FROM pragma_index_list(?1, ?2) WHERE origin = 'pk'", {t.c_str(), s.c_str()},
                 [&](sqlite3_stmt* st) { index_name = col_string(st, 0); });
        c.add_row({c.text(s), c.text(t), index_name.empty() ? sdk::make_null() : c.text(index_name),
                   c.text(join(cols))});
      }
      break;
    }
    default:
      throw sdk::error(DBR_CAT_UNSUPPORTED, "sqlite: introspection kind " + std::to_string(what) +
                                                " is not supported (sqlite lists databases, schemas, tables, "
                                                "columns, indexes, foreign keys and primary keys)");
  }
  return cur;
}

}  // namespace dbridge_sqlite
