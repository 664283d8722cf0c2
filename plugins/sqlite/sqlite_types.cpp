// SPDX-License-Identifier: Apache-2.0
// Declared column types -> dbridge value types.
#include <string_view>

#include "sqlite_plugin.hpp"

namespace dbridge_sqlite {

std::uint32_t type_from_declared(std::string_view decl) noexcept {
  if (decl.empty()) return DBR_TYPE_NULL;  // expression or untyped: each cell says
  char up[64];
  std::size_t n = decl.size() < sizeof up - 1 ? decl.size() : sizeof up - 1;
  for (std::size_t i = 0; i < n; ++i) {
    char c = decl[i];
    up[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
  }
  up[n] = '\0';
  std::string_view u(up, n);
  auto starts = [&](std::string_view p) { return u.substr(0, p.size()) == p; };
  // dbridge's richer types first, by the names people declare...
  if (starts("BOOL")) return DBR_TYPE_BOOL;
  if (starts("TIMESTAMPTZ") || starts("TIMESTAMP WITH TIME ZONE") || starts("DATETIMETZ"))
    return DBR_TYPE_TIMESTAMPTZ;
  if (starts("DATETIME") || starts("TIMESTAMP")) return DBR_TYPE_TIMESTAMP;
  if (starts("DATE")) return DBR_TYPE_DATE;
  if (starts("TIME")) return DBR_TYPE_TIME;
  if (starts("JSON")) return DBR_TYPE_JSON;
  if (starts("DECIMAL") || starts("NUMERIC")) return DBR_TYPE_DECIMAL;
  // ...then SQLite's own affinity rules (datatype3.html, section 3.1).
  if (contains(u, "INT")) return DBR_TYPE_INT64;
  if (contains(u, "CHAR") || contains(u, "CLOB") || contains(u, "TEXT")) return DBR_TYPE_TEXT;
  if (contains(u, "BLOB")) return DBR_TYPE_BYTES;
  if (contains(u, "REAL") || contains(u, "FLOA") || contains(u, "DOUB")) return DBR_TYPE_DOUBLE;
  return DBR_TYPE_NULL;  // NUMERIC affinity under another name: values vary per cell
}

}  // namespace dbridge_sqlite
