// SPDX-License-Identifier: Apache-2.0
// Connection URLs: parsing for every scheme, and redaction of passwords.
#pragma once

#include "dbridge/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbridge::inline v1 {

/// One host of a URL's authority (PostgreSQL allows several).
struct url_host {
  std::string host;       ///< percent-decoded; IPv6 without brackets
  std::uint16_t port = 0; ///< 0 = default for the scheme
};

/// A parsed connection URL. Every part is percent-decoded.
///
/// Forms: scheme://[user[:password]@]host[:port][,host[:port]...][/database][?k=v&...]
/// and, for file databases, sqlite:///abs/path.db, sqlite://relative.db,
/// sqlite://:memory:, where `database` holds the path. redis://:pass@host:port/0
/// gives an empty user and database "0".
struct DBRIDGE_API url {
  std::string scheme;     ///< lowercase
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::vector<url_host> hosts;  ///< empty for file URLs / no authority
  std::string database;
  std::vector<std::pair<std::string, std::string>> options;  ///< query, in order
  /// The body is one file path (sqlite:///abs/path.db, or a driver whose
  /// manifest says url_style = "path"): no authority, `database` holds it.
  bool path_style = false;
  std::string raw;        ///< as given (holds the password: never print it)

  /// The first value of option `key`, if present.
  std::optional<std::string> option(std::string_view key) const;

  /// The URL with the password replaced by "***" (and `password=` style
  /// options such as ?password=… redacted too). Safe to print and log.
  std::string redacted() const;
};

/// Parses a URL. Throws invalid_argument_error naming what is wrong (missing
/// scheme, bad port, bad percent-escape, unterminated IPv6 bracket, control
/// characters...) without echoing the password.
DBRIDGE_API url parse_url(std::string_view text);

/// Redacts any URL-shaped text, even one parse_url rejects: the password of
/// every scheme://user:password@host in it and the value of every secret
/// key=value option (see is_secret_option). Nothing else changes. Never throws.
DBRIDGE_API std::string redact_url(std::string_view text) noexcept;

/// True when the option `name` holds a secret (case-insensitive: password,
/// sslpassword, passwd, pwd, secret, token, api_key, auth, ...). The one list
/// every redaction in dbridge and its CLI uses.
DBRIDGE_API bool is_secret_option(std::string_view name) noexcept;

/// redact_url(text), then every occurrence of one of `secrets` that stands as
/// a whole word (no letter, digit or '_' right before or after it) replaced by
/// "***". Never a substring of another word: the password "p" leaves "packet"
/// alone. For messages that may quote a connection's secrets. Never throws.
DBRIDGE_API std::string redact_secrets(std::string_view text, const std::vector<std::string>& secrets) noexcept;

}  // namespace dbridge
