// SPDX-License-Identifier: Apache-2.0
// Introspection from information_schema, in the column layout of abi.h's
// DBR_META_*. In MySQL a schema is a database: a NULL schema filter means
// the connection's current database (every database for DBR_META_DATABASES).
#include <cstdlib>
#include <string>

#include <mysqld_error.h>

#include "my_plugin.hpp"

namespace dbridge_mysql {

my_connection::text_rows my_connection::described_columns(const char* schema, std::string_view table) {
  std::string target = schema != nullptr ? quote_ident(schema) + "." : std::string();
  target += quote_ident(table);
  const std::string probe = "SELECT * FROM " + target + " LIMIT 0";
  settle();
  text_rows out;
  if (mysql_real_query(mysql_, probe.data(), probe.size()) != 0) {
    const unsigned code = mysql_errno(mysql_);
    if (code == ER_NO_SUCH_TABLE || code == ER_BAD_DB_ERROR) return out;
    raise("introspection");
  }
  MYSQL_RES* r = mysql_store_result(mysql_);
  if (r == nullptr) raise("introspection");
  out.ncols = 9;
  const unsigned n = mysql_num_fields(r);
  const MYSQL_FIELD* f = mysql_fetch_fields(r);
  auto cell = [&](std::string v, bool present = true) {
    out.cells.push_back(std::move(v));
    out.present.push_back(present ? 1 : 0);
  };
  for (unsigned i = 0; i < n; ++i) {
    cell(std::string(f[i].db, f[i].db_length));
    cell(std::string(f[i].org_table, f[i].org_table_length));
    cell(std::string(f[i].org_name, f[i].org_name_length));
    cell(std::to_string(i + 1));
    cell(native_name(f[i]));
    cell((f[i].flags & NOT_NULL_FLAG) != 0 ? "0" : "1");
    cell({}, false);  // the default is not in the metadata
    cell({}, false);
    cell((f[i].flags & PRI_KEY_FLAG) != 0 ? "1" : "0");
    ++out.nrows;
  }
  mysql_free_result(r);
  return out;
}

std::unique_ptr<sdk::cursor> my_connection::list(std::uint32_t what, const char* schema, const char* table) {
  const std::string sch = schema != nullptr ? quote(schema) : "DATABASE()";
  const std::string tf = table != nullptr ? quote(table) : std::string();
  auto table_is = [&](const char* column) { return tf.empty() ? std::string() : std::string(" AND ") + column + " = " + tf; };
  std::string sql;
  switch (what) {
    case DBR_META_DATABASES:
      sql = "SELECT s.schema_name, (SELECT CAST(SUM(t.data_length + t.index_length) AS SIGNED) FROM "
            "information_schema.tables t WHERE t.table_schema = s.schema_name) FROM information_schema.schemata s";
      if (schema != nullptr) sql += " WHERE s.schema_name = " + sch;
      sql += " ORDER BY 1";
      break;
    case DBR_META_SCHEMAS:
      sql = "SELECT schema_name FROM information_schema.schemata";
      if (schema != nullptr) sql += " WHERE schema_name = " + sch;
      sql += " ORDER BY 1";
      break;
    case DBR_META_TABLES:
      sql = "SELECT table_schema, table_name, IF(table_type = 'VIEW', 'view', 'table'), "
            "IF(table_type = 'VIEW', NULL, CAST(data_length + index_length AS SIGNED)), "
            "IF(table_type = 'VIEW', NULL, CAST(table_rows AS SIGNED)) FROM information_schema.tables "
            "WHERE table_schema = " + sch + table_is("table_name") + " ORDER BY 1, 2";
      break;
    case DBR_META_COLUMNS:
      sql = "SELECT table_schema, table_name, column_name, CAST(ordinal_position AS SIGNED), column_type, "
            "is_nullable = 'YES', NULLIF(column_default, 'NULL'), CAST(character_maximum_length AS SIGNED), column_key = 'PRI' "
            "FROM information_schema.columns WHERE table_schema = " + sch + table_is("table_name") +
            " ORDER BY 1, 2, 4";
      break;
    case DBR_META_INDEXES:
      sql = "SELECT table_schema, table_name, index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index SEPARATOR ','), "
            "MIN(non_unique) = 0, index_name = 'PRIMARY' FROM information_schema.statistics "
            "WHERE table_schema = " + sch + table_is("table_name") +
            " GROUP BY table_schema, table_name, index_name ORDER BY 1, 2, 3";
      break;
    case DBR_META_FOREIGN_KEYS:
      sql = "SELECT table_schema, table_name, constraint_name, "
            "GROUP_CONCAT(column_name ORDER BY ordinal_position SEPARATOR ','), referenced_table_schema, "
            "referenced_table_name, GROUP_CONCAT(referenced_column_name ORDER BY ordinal_position SEPARATOR ',') "
            "FROM information_schema.key_column_usage WHERE referenced_table_name IS NOT NULL AND table_schema = " +
            sch + table_is("table_name") +
            " GROUP BY table_schema, table_name, constraint_name, referenced_table_schema, referenced_table_name "
            "ORDER BY 1, 2, 3";
      break;
    case DBR_META_PRIMARY_KEYS:
      sql = "SELECT table_schema, table_name, constraint_name, "
            "GROUP_CONCAT(column_name ORDER BY ordinal_position SEPARATOR ',') "
            "FROM information_schema.key_column_usage WHERE constraint_name = 'PRIMARY' AND table_schema = " +
            sch + table_is("table_name") + " GROUP BY table_schema, table_name, constraint_name ORDER BY 1, 2";
      break;
    default:
      throw sdk::error(DBR_CAT_UNSUPPORTED, "mysql: introspection kind " + std::to_string(what) +
                                                " is not available (MySQL has databases, schemas, tables, columns, "
                                                "indexes, foreign keys and primary keys)");
  }
  text_rows rows = query_text(sql);
  if (what == DBR_META_COLUMNS && table != nullptr && rows.nrows == 0) rows = described_columns(schema, table);
  const std::span<const sdk::meta_column> cols = sdk::meta_columns(what);
  if (rows.ncols != 0 && rows.ncols != cols.size())
    throw sdk::error(DBR_CAT_INTERNAL, "mysql: introspection query returned an unexpected width");
  auto cur = std::make_unique<sdk::table_cursor>();
  for (const sdk::meta_column& c : cols)
    cur->add_column(c.name, c.type, c.type == DBR_TYPE_TEXT ? "VARCHAR" : c.type == DBR_TYPE_BOOL ? "BOOL" : "BIGINT");
  std::vector<dbr_value> row(cols.size());
  for (std::size_t r = 0; r < rows.nrows; ++r) {
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const std::size_t at = r * rows.ncols + k;
      if (!rows.present[at]) {
        row[k] = sdk::make_null();
        continue;
      }
      const std::string& v = rows.cells[at];
      switch (cols[k].type) {
        case DBR_TYPE_INT64: row[k] = sdk::make_int64(std::strtoll(v.c_str(), nullptr, 10)); break;
        case DBR_TYPE_BOOL: row[k] = sdk::make_bool(v == "1"); break;
        default: row[k] = cur->text(v); break;
      }
    }
    cur->add_row(row);
  }
  return cur;
}

}  // namespace dbridge_mysql
