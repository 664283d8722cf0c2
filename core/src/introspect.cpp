// SPDX-License-Identifier: Apache-2.0
// Schema introspection (capability "introspect"): the connection's catalog
// listings, as results with the standard DBR_META_* columns.
#include <dbridge/abi.h>

#include "connection_impl.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

using detail::live;

namespace {
result introspect(detail::connection_impl& c, std::uint32_t what, std::string_view schema, std::string_view table) {
  c.require(DBR_CAP_INTROSPECT, reinterpret_cast<const void*>(c.rec->introspect.list), "introspect");
  detail::refuse_nul_in_name(schema, "the schema name");
  detail::refuse_nul_in_name(table, "the table name");
  const std::string s(schema), t(table);
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  dbr_cursor* cur = nullptr;
  const int32_t rc =
      c.rec->introspect.list(c.conn, what, s.empty() ? nullptr : s.c_str(), t.empty() ? nullptr : t.c_str(), &cur, err);
  if (rc < 0) c.fail(rc, err);
  if (cur == nullptr) return detail::connection_impl::make_result(nullptr, -1);
  return c.open_result(cur, {}, nullptr);
}
}  // namespace

result connection::databases() { return introspect(live(impl_), DBR_META_DATABASES, {}, {}); }
result connection::schemas() { return introspect(live(impl_), DBR_META_SCHEMAS, {}, {}); }
result connection::tables(std::string_view schema) { return introspect(live(impl_), DBR_META_TABLES, schema, {}); }
result connection::columns(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_COLUMNS, schema, table);
}
result connection::indexes(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_INDEXES, schema, table);
}
result connection::foreign_keys(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_FOREIGN_KEYS, schema, table);
}
result connection::primary_keys(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_PRIMARY_KEYS, schema, table);
}
result connection::keyspace() { return introspect(live(impl_), DBR_META_KEYSPACE, {}, {}); }

}  // namespace dbridge
