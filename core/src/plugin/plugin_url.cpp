// SPDX-License-Identifier: Apache-2.0
// A parsed URL as the plugin ABI's dbr_url.
#include "plugin_url.hpp"

#include <cstring>

namespace dbridge::inline v1::detail {

plugin_url::plugin_url(const url& u) {
  options_.reserve(u.options.size());
  for (const auto& [k, v] : u.options) {
    dbr_param p;
    std::memset(&p, 0, sizeof p);
    p.key = k.c_str();
    p.value.type = DBR_TYPE_TEXT;
    p.value.u.str.ptr = v.data();
    p.value.u.str.len = v.size();
    options_.push_back(p);
  }
  for (const auto& h : u.hosts) {
    hosts_.push_back(h.host.c_str());
    ports_.push_back(h.port);
  }
  std::memset(&du_, 0, sizeof du_);
  du_.struct_size = sizeof du_;
  du_.port = ports_.empty() ? 0 : ports_[0];
  du_.scheme = u.scheme.c_str();
  du_.user = u.user ? u.user->c_str() : nullptr;
  du_.password = u.password ? u.password->c_str() : nullptr;
  du_.host = hosts_.empty() ? nullptr : hosts_[0];
  du_.database = u.database.empty() ? nullptr : u.database.c_str();
  du_.raw = u.raw.c_str();
  du_.options = options_.empty() ? nullptr : options_.data();
  du_.noptions = static_cast<std::uint32_t>(options_.size());
  du_.nhosts = static_cast<std::uint32_t>(hosts_.size());
  du_.hosts = hosts_.empty() ? nullptr : hosts_.data();
  du_.ports = ports_.empty() ? nullptr : ports_.data();
}

}  // namespace dbridge::detail
