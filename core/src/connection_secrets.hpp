// SPDX-License-Identifier: Apache-2.0
// Keeping a connection URL's secrets out of the errors made from plugin
// messages.
#pragma once

#include <string>
#include <vector>

#include "dbridge/error.hpp"
#include "dbridge/url.hpp"

namespace dbridge::inline v1::detail {

/// Second line of defence: plugins are told never to echo secrets, but if one
/// does, a URL's password or a secret must still not reach an exception
/// message. Only whole URLs, key=value secrets and whole words are hidden
/// (redact_secrets), so the rest of the message reads as the plugin wrote it.
void scrub(error_info& info, const std::vector<std::string>& secrets);

/// The password and the values of secret options (?sslpassword=...).
std::vector<std::string> secrets_of(const url& u);

}  // namespace dbridge::detail
