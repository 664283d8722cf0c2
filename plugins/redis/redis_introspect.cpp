// SPDX-License-Identifier: Apache-2.0
// Introspection: databases and the keyspace (INFO keyspace).
#include <string>

#include "redis_plugin.hpp"

namespace dbridge_redis {

std::unique_ptr<sdk::cursor> redis_connection::list(std::uint32_t what, const char*, const char*) {
  if (what != DBR_META_DATABASES && what != DBR_META_KEYSPACE)
    throw sdk::error(DBR_CAT_UNSUPPORTED,
                     "redis has no schemas, tables or columns; list databases or the keyspace (keys per database), "
                     "or iterate keys with SCAN");
  check_usable("introspect");
  reply_ptr r = round_trip({"INFO", "keyspace"}, "INFO keyspace");
  if (r->type != REDIS_REPLY_STRING) throw backend_error(str_of(r.get()), "INFO keyspace: ");
  auto cur = std::make_unique<sdk::table_cursor>();
  cur->add_column("name", DBR_TYPE_TEXT, "db", DBR_NULLABLE_NO);
  if (what == DBR_META_DATABASES) {
    cur->add_column("size_bytes", DBR_TYPE_INT64, "integer", DBR_NULLABLE_YES);
  } else {
    cur->add_column("keys", DBR_TYPE_INT64, "integer", DBR_NULLABLE_NO);
    cur->add_column("expires", DBR_TYPE_INT64, "integer", DBR_NULLABLE_NO);
    cur->add_column("avg_ttl_ms", DBR_TYPE_INT64, "integer", DBR_NULLABLE_NO);
  }
  // Lines look like "db0:keys=12,expires=0,avg_ttl=0". The selected
  // database is listed even while empty (INFO omits empty ones).
  const std::string current = "db" + std::to_string(settings_.db);
  bool saw_current = false;
  const std::string_view text = str_of(r.get());
  std::size_t pos = 0;
  auto field = [](std::string_view line, std::string_view key) -> std::int64_t {
    const std::size_t at = line.find(key);
    if (at == std::string_view::npos) return 0;
    return std::strtoll(std::string(line.substr(at + key.size())).c_str(), nullptr, 10);
  };
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 2) != "db") continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    if (name == current) saw_current = true;
    if (what == DBR_META_DATABASES)
      cur->add_row({cur->text(name), sdk::make_null()});
    else
      cur->add_row({cur->text(name), sdk::make_int64(field(line, "keys=")), sdk::make_int64(field(line, "expires=")),
                    sdk::make_int64(field(line, "avg_ttl="))});
  }
  if (!saw_current) {
    if (what == DBR_META_DATABASES)
      cur->add_row({cur->text(current), sdk::make_null()});
    else
      cur->add_row({cur->text(current), sdk::make_int64(0), sdk::make_int64(0), sdk::make_int64(0)});
  }
  return cur;
}

}  // namespace dbridge_redis
