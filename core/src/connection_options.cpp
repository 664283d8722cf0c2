// SPDX-License-Identifier: Apache-2.0
// connection::set_option: driver options at run time (dbr_conn_vtable.set_option).
#include <dbridge/abi.h>

#include "connection_impl.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

void connection::set_option(std::string_view key, const value& v) {
  detail::connection_impl& c = *impl_;
  if (c.conn == nullptr) c.closed();
  if (c.rec->conn.set_option == nullptr)
    throw_error(errc::unsupported, "driver '" + c.driver() + "' has no run-time options (asked for '" +
                                       std::string(key) + "')");
  const std::string k(key);
  detail::call_guard g(c);
  c.scratch.reset();
  dbr_value abi{};
  detail::to_abi(v, abi, c.scratch);
  c.session_dirty = true;  // an option set at run time outlives the caller's lease
  const int32_t rc = c.rec->conn.set_option(c.conn, k.c_str(), &abi, c.err);
  if (rc < 0) c.fail(rc, c.err, "set_option " + k);
}

}  // namespace dbridge
