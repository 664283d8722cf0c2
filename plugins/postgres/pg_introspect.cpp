// SPDX-License-Identifier: Apache-2.0
// Introspection from the system catalogs, in the column layout of abi.h's
// DBR_META_*. Filters travel as parameters; a NULL schema means every user
// schema (system schemas excluded).
#include <cstdlib>
#include <cstring>
#include <string>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

namespace {

// $1 = schema filter, $2 = table filter (both may be NULL).
constexpr const char* schema_filter =
    "(($1::text IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE "
    "'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%') OR n.nspname = $1)";


std::string sql_for(std::uint32_t what) {
  const std::string sf = schema_filter;
  switch (what) {
    case DBR_META_DATABASES:
      return "SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT') THEN pg_database_size(datname) "
             "END FROM pg_database WHERE NOT datistemplate AND ($1::text IS NULL OR $1 IS NOT NULL) AND ($2::text "
             "IS NULL OR datname = $2) ORDER BY 1";
    case DBR_META_SCHEMAS:
      return "SELECT n.nspname FROM pg_namespace n WHERE " + sf + " AND ($2::text IS NULL OR $2 IS NOT NULL) ORDER BY 1";
    case DBR_META_TABLES:
      return "SELECT n.nspname, c.relname, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END, "
             "CASE WHEN c.relkind = 'v' THEN NULL ELSE pg_total_relation_size(c.oid) END, "
             "CASE WHEN c.relkind = 'v' OR c.reltuples < 0 THEN NULL ELSE c.reltuples::int8 END "
             "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND " + sf +
             " AND ($2::text IS NULL OR c.relname = $2) ORDER BY 1, 2";
    case DBR_META_COLUMNS:
      return "SELECT n.nspname, c.relname, a.attname, a.attnum::int8, format_type(a.atttypid, a.atttypmod), "
             "NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), "
             "CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod > 4 THEN (a.atttypmod - 4)::int8 END, "
             "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = "
             "ANY(i.indkey)) "
             "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = "
             "c.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
             "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND " + sf +
             " AND ($2::text IS NULL OR c.relname = $2) ORDER BY 1, 2, 4";
    case DBR_META_INDEXES:
      return "SELECT n.nspname, t.relname, ic.relname, "
             "(SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), ',' ORDER BY k) FROM "
             "generate_series(1, i.indnkeyatts) k), i.indisunique, i.indisprimary "
             "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
             "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE " + sf +
             " AND ($2::text IS NULL OR t.relname = $2) ORDER BY 1, 2, 3";
    case DBR_META_FOREIGN_KEYS:
      return "SELECT n.nspname, t.relname, k.conname, "
             "(SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) "
             "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num), "
             "rn.nspname, rt.relname, "
             "(SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(k.confkey) WITH ORDINALITY u(num, ord) "
             "JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num) "
             "FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = "
             "t.relnamespace JOIN pg_class rt ON rt.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = "
             "rt.relnamespace WHERE k.contype = 'f' AND " + sf +
             " AND ($2::text IS NULL OR t.relname = $2) ORDER BY 1, 2, 3";
    case DBR_META_PRIMARY_KEYS:
      return "SELECT n.nspname, t.relname, k.conname, "
             "(SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) "
             "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num) "
             "FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = "
             "t.relnamespace WHERE k.contype = 'p' AND " + sf +
             " AND ($2::text IS NULL OR t.relname = $2) ORDER BY 1, 2";
    default:
      return {};
  }
}


}  // namespace

std::unique_ptr<sdk::cursor> pg_connection::list(std::uint32_t what, const char* schema, const char* table) {
  const std::string sql = sql_for(what);
  if (sql.empty())
    throw sdk::error(DBR_CAT_UNSUPPORTED, "postgres: introspection kind " + std::to_string(what) +
                                              " is not available (PostgreSQL has databases, schemas, tables, "
                                              "columns, indexes, foreign keys and primary keys)");
  const char* params[] = {schema, table};
  result_ptr r = exec(sql.c_str(), params);
  const std::span<const sdk::meta_column> cols = sdk::meta_columns(what);
  auto cur = std::make_unique<sdk::table_cursor>();
  for (const sdk::meta_column& c : cols) cur->add_column(c.name, c.type, c.type == DBR_TYPE_TEXT ? "text" : c.type == DBR_TYPE_BOOL ? "bool" : "int8");
  std::vector<dbr_value> row(cols.size());
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const int f = static_cast<int>(k);
      if (PQgetisnull(r.get(), i, f)) {
        row[k] = sdk::make_null();
        continue;
      }
      const char* v = PQgetvalue(r.get(), i, f);
      switch (cols[k].type) {
        case DBR_TYPE_INT64: row[k] = sdk::make_int64(std::strtoll(v, nullptr, 10)); break;
        case DBR_TYPE_BOOL: row[k] = sdk::make_bool(v[0] == 't'); break;
        default: row[k] = cur->text(v); break;
      }
    }
    cur->add_row(row);
  }
  return cur;
}

}  // namespace dbridge_postgres
