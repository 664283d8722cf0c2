// SPDX-License-Identifier: Apache-2.0
// The exception family of the C++ client API, one class per error category of
// the ABI, so callers catch what they can act on and read the ABI record.
#pragma once

#include "dbridge/export.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace dbridge::inline v1 {

/// The ABI error categories (DBR_CAT_*), same numbers.
enum class errc : std::uint32_t {
  connection = 1,
  auth = 2,
  syntax = 3,
  constraint = 4,
  txn_conflict = 5,
  timeout = 6,
  cancelled = 7,
  unsupported = 8,
  invalid_argument = 9,
  incompatible = 10,
  resource = 11,
  internal = 12,
  not_found = 13,
  data = 14,
  invalid_state = 15,
  backend = 16,
};

/// The ABI retry classes (DBR_RETRY_*): what running the failed work again
/// would do.
///  - none: it would fail the same way (a syntax error, a constraint...).
///  - same_connection: the server rolled the transaction back (serialization
///    failure, deadlock); run the whole transaction again.
///  - new_connection: the connection is gone and nothing it was doing took
///    effect: the request never reached the server, or it only read, or it
///    ran inside a transaction the server rolled back; run the work again on
///    a new connection (the whole transaction, when there was one).
///  - unknown_outcome: the connection was lost after a write was sent (an
///    autocommit INSERT, a COMMIT, a Redis INCR or EXEC): the server may or
///    may not have applied it. Running it again may apply it twice; check
///    first, or retry only work that is idempotent.
enum class retry_class : std::uint8_t { none = 0, same_connection = 1, new_connection = 2, unknown_outcome = 3 };

/// The ABI subcategories (DBR_SUB_*), same numbers.
enum class suberrc : std::uint32_t {
  none = 0,
  unique_violation = 1,
  foreign_key_violation = 2,
  not_null_violation = 3,
  check_violation = 4,
  serialization_failure = 5,
  deadlock = 6,
  lock_timeout = 7,
  undefined_table = 8,
  undefined_column = 9,
  admin_shutdown = 10,
  pool_exhausted = 11,
  invalid_utf8 = 12,
  wrong_type = 13,
  nul_byte = 14,  ///< 1.1: refused before sending, the text would have been cut there
};

/// Everything known about one failure: the ABI record plus where it happened.
/// Never holds a password: URLs in messages are redacted before they get here.
struct error_info {
  errc category = errc::internal;
  suberrc subcategory = suberrc::none;
  std::string sqlstate;       ///< 5 chars or empty
  std::int64_t native_code = 0;
  std::string native_domain;  ///< "sqlite", "libpq", "mariadb", "hiredis", "dbridge"
  std::string message;
  retry_class retry = retry_class::none;
  bool connection_broken = false;
  std::string detail, hint, severity, constraint, table, column, schema, backend_code;
  std::string driver;         ///< plugin id, empty for core errors
  std::string query;          ///< the SQL or command at fault, when known
};

/// Root of every exception dbridge throws. Copies share one immutable
/// error_info, so copying never allocates and never throws (errors travel
/// through std::exception_ptr and with_retry).
class DBRIDGE_API error : public std::runtime_error {
 public:
  explicit error(error_info info);
  // Declared so no move constructor is: a moved-from error would hold no info.
  error(const error&) noexcept = default;
  error& operator=(const error&) noexcept = default;
  ~error() override = default;
  const error_info& info() const noexcept { return *info_; }
  errc category() const noexcept { return info_->category; }
  suberrc subcategory() const noexcept { return info_->subcategory; }
  std::string_view sqlstate() const noexcept { return info_->sqlstate; }
  std::int64_t native_code() const noexcept { return info_->native_code; }
  std::string_view driver() const noexcept { return info_->driver; }
  std::string_view query() const noexcept { return info_->query; }
  /// True when running the same work again may succeed and cannot apply
  /// anything twice (same_connection or new_connection). False for
  /// unknown_outcome: see outcome_unknown().
  bool retryable() const noexcept {
    return info_->retry == retry_class::same_connection || info_->retry == retry_class::new_connection;
  }
  /// True when a write may or may not have been applied (retry_class::
  /// unknown_outcome). Only idempotent work may run again blindly
  /// (retry_policy::idempotent); what() says so.
  bool outcome_unknown() const noexcept { return info_->retry == retry_class::unknown_outcome; }
  bool connection_broken() const noexcept { return info_->connection_broken; }

 private:
  std::shared_ptr<const error_info> info_;  ///< never null
};
static_assert(std::is_nothrow_copy_constructible_v<error> && std::is_nothrow_copy_assignable_v<error>);

class DBRIDGE_API connection_error : public error { using error::error; };
class DBRIDGE_API auth_error : public error { using error::error; };
class DBRIDGE_API syntax_error : public error { using error::error; };
class DBRIDGE_API constraint_violation : public error { using error::error; };
class DBRIDGE_API transaction_conflict : public error { using error::error; };
class DBRIDGE_API timeout_error : public error { using error::error; };
class DBRIDGE_API cancelled_error : public error { using error::error; };
class DBRIDGE_API unsupported_error : public error { using error::error; };
class DBRIDGE_API invalid_argument_error : public error { using error::error; };
class DBRIDGE_API incompatible_error : public error { using error::error; };
class DBRIDGE_API resource_error : public error { using error::error; };
class DBRIDGE_API internal_error : public error { using error::error; };
class DBRIDGE_API not_found_error : public error { using error::error; };
class DBRIDGE_API data_error : public error { using error::error; };
class DBRIDGE_API invalid_state_error : public error { using error::error; };
class DBRIDGE_API backend_error : public error { using error::error; };

/// Throws the subclass that matches info.category.
[[noreturn]] DBRIDGE_API void throw_error(error_info info);

/// Shorthand for core-side errors (native_domain "dbridge").
[[noreturn]] DBRIDGE_API void throw_error(errc category, std::string message);

/// The lowercase name of a category ("connection", "txn_conflict", ...).
DBRIDGE_API std::string_view to_string(errc category) noexcept;
DBRIDGE_API std::string_view to_string(retry_class retry) noexcept;

}  // namespace dbridge
