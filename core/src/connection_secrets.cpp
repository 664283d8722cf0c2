// SPDX-License-Identifier: Apache-2.0
// Keeping a connection URL's secrets out of the errors made from plugin
// messages.
#include "connection_secrets.hpp"

namespace dbridge::inline v1::detail {

void scrub(error_info& info, const std::vector<std::string>& secrets) {
  for (std::string* f : {&info.message, &info.detail, &info.hint, &info.query}) *f = redact_secrets(*f, secrets);
}

std::vector<std::string> secrets_of(const url& u) {
  std::vector<std::string> out;
  if (u.password && !u.password->empty()) out.push_back(*u.password);
  for (const auto& [k, v] : u.options)
    if (!v.empty() && is_secret_option(k)) out.push_back(v);
  return out;
}

}  // namespace dbridge::detail
