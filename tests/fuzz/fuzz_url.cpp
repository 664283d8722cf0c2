// SPDX-License-Identifier: Apache-2.0
// Fuzz target: URL parsing and password redaction (core/src/url.cpp).
// Besides crashes and undefined behaviour it checks that a password that
// parse_url finds in a URL never survives redact_url or url::redacted().
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dbridge/error.hpp"
#include "dbridge/url.hpp"

namespace {

// The password as written in the URL, found the way parse_url finds it:
// userinfo ends at the authority's last '@', the password after its first ':'.
std::string_view written_password(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view body = text.substr(sep + 3);
  body = body.substr(0, body.find('?'));
  const std::string_view authority = body.substr(0, body.find('/'));
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  const std::string_view userinfo = authority.substr(0, at);
  const std::size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
}

bool occurs_once(std::string_view hay, std::string_view needle) {
  const std::size_t first = hay.find(needle);
  return first != std::string_view::npos && hay.find(needle, first + 1) == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string redacted_text = dbridge::redact_url(text);
  dbridge::url u;
  try {
    u = dbridge::parse_url(text);
  } catch (const dbridge::error&) {
    return 0;
  }
  const std::string redacted = u.redacted();
  // Long, unique passwords only: a short one may be part of the host too.
  const std::string_view written = written_password(text);
  if (u.password && written.size() >= 8 && occurs_once(text, written) &&
      redacted_text.find(written) != std::string::npos)
    std::abort();  // redact_url left a password in place
  if (u.password && u.password->size() >= 8 && occurs_once(text, *u.password) &&
      redacted.find(*u.password) != std::string::npos) {
    // url::redacted() re-encodes the other parts: the password may only show
    // up again when it is also part of one of them.
    std::string others = u.scheme + (u.user ? *u.user : std::string()) + u.database;
    for (const auto& h : u.hosts) others += h.host;
    for (const auto& [k, v] : u.options) others += k + v;
    if (others.find(*u.password) == std::string::npos) std::abort();
  }
  return 0;
}
