// SPDX-License-Identifier: Apache-2.0
// connect(): the scheme picks the driver, the driver opens the connection,
// the registry lists it.
#include <dbridge/abi.h>

#include <cstring>

#include "connection_impl.hpp"
#include "connection_secrets.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/registry.hpp"
#include "dbridge/url.hpp"
#include "plugin/plugin_url.hpp"
#include "plugin/url_rules.hpp"

namespace dbridge::inline v1 {

connection connect(std::string_view text, const connect_options& opts) {
  detail::driver_url resolved = detail::resolve_driver_url(text);  // url_rules.cpp: the manifest's URL rules
  url& u = resolved.parsed;
  std::shared_ptr<detail::plugin_record> rec = resolved.driver;
  const std::string redacted = redact_secrets(u.redacted(), resolved.secrets);
  if (rec->kind_code != DBR_KIND_DRIVER || rec->conn.connect == nullptr || rec->conn.close == nullptr) {
    throw_error(errc::incompatible, "plugin '" + rec->id + "' claims scheme '" + u.scheme +
                                        "' but is not a usable driver (no connect/close); reinstall or "
                                        "remove it (see `dbridge doctor " + u.scheme + "`)");
  }

  const detail::plugin_url du(u);

  auto impl = std::make_unique<detail::connection_impl>(opts.statement_cache_size);
  impl->rec = rec;
  impl->serial = rec->threading == DBR_THREADING_GLOBAL_SERIAL;
  impl->plugin_reports_session = rec->negotiated_minor >= 1;

  detail::abi_error err;
  dbr_conn* handle = nullptr;
  int32_t rc;
  {
    std::unique_lock lock(rec->serial_mutex, std::defer_lock);
    if (impl->serial) lock.lock();
    rc = rec->conn.connect(rec->instance, du.get(), &handle, err);
  }
  std::vector<std::string> secrets = detail::secrets_of(u);
  secrets.insert(secrets.end(), resolved.secrets.begin(), resolved.secrets.end());
  if (rc < 0) {
    error_info info = err.to_info(rc, rec->id);
    detail::scrub(info, secrets);
    info.message = "cannot connect to " + redacted + ": " + info.message;
    throw_error(std::move(info));
  }
  if (handle == nullptr) {
    throw_error(errc::internal, "driver '" + rec->id + "' reported success but returned no connection for " + redacted);
  }
  impl->conn = handle;
  impl->scheme = u.scheme;
  impl->redacted_url = redacted;
  impl->database = u.database;
  if (impl->database.empty() && rec->conn.get_info != nullptr) {
    // URLs like memkv://name or redis://host carry no path: ask the driver.
    dbr_value v;
    std::memset(&v, 0, sizeof v);
    detail::abi_error info_err;
    if (rec->conn.get_info(handle, "database", &v, info_err) >= 0 && v.type == DBR_TYPE_TEXT && v.u.str.ptr)
      impl->database.assign(v.u.str.ptr, v.u.str.len);
  }
  impl->secrets = std::move(secrets);

  connection_entry e;
  e.scheme = u.scheme;
  e.driver = rec->id;
  e.driver_version = rec->version;
  e.redacted_url = redacted;
  e.database = impl->database;
  e.state = connection_state::idle;
  e.opened_by = opts.opened_by;
  try {
    impl->slot = detail::registry_attach(std::move(e));
    detail::registry_set_owner(*impl->slot, impl.get(), [](const void* c) noexcept {
      return static_cast<const detail::connection_impl*>(c)->registry_state();
    });
  } catch (...) {
    // An entry that made it in must not outlive the connection (nor point at it).
    if (impl->slot) registry::global().remove(impl->slot->entry.id);
    rec->conn.close(handle);
    impl->conn = nullptr;
    throw;
  }
  return connection(std::move(impl));
}

}  // namespace dbridge
