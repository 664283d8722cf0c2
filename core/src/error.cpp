// SPDX-License-Identifier: Apache-2.0
// Maps error categories to exception classes in one place.
#include "dbridge/error.hpp"

#include <utility>

namespace dbridge::inline v1 {

namespace {
std::string what_text(const error_info& info) {
  std::string s;
  if (!info.driver.empty()) {
    s += info.driver;
    s += ": ";
  }
  s += info.message;
  if (!info.sqlstate.empty()) {
    s += " [SQLSTATE ";
    s += info.sqlstate;
    s += "]";
  }
  // Said here, once, whichever driver or call lost the reply.
  if (info.retry == retry_class::unknown_outcome)
    s += " -- the connection was lost after the request was sent: the write may or may not have been applied; "
         "check before running it again (with_retry re-runs it only with retry_policy::idempotent)";
  return s;
}
}  // namespace

error::error(error_info info)
    : std::runtime_error(what_text(info)), info_(std::make_shared<const error_info>(std::move(info))) {}

void throw_error(error_info info) {
  switch (info.category) {
    case errc::connection: throw connection_error(std::move(info));
    case errc::auth: throw auth_error(std::move(info));
    case errc::syntax: throw syntax_error(std::move(info));
    case errc::constraint: throw constraint_violation(std::move(info));
    case errc::txn_conflict: throw transaction_conflict(std::move(info));
    case errc::timeout: throw timeout_error(std::move(info));
    case errc::cancelled: throw cancelled_error(std::move(info));
    case errc::unsupported: throw unsupported_error(std::move(info));
    case errc::invalid_argument: throw invalid_argument_error(std::move(info));
    case errc::incompatible: throw incompatible_error(std::move(info));
    case errc::resource: throw resource_error(std::move(info));
    case errc::not_found: throw not_found_error(std::move(info));
    case errc::data: throw data_error(std::move(info));
    case errc::invalid_state: throw invalid_state_error(std::move(info));
    case errc::backend: throw backend_error(std::move(info));
    case errc::internal: break;
  }
  info.category = errc::internal;
  throw internal_error(std::move(info));
}

void throw_error(errc category, std::string message) {
  error_info info;
  info.category = category;
  info.native_domain = "dbridge";
  info.message = std::move(message);
  throw_error(std::move(info));
}

std::string_view to_string(errc category) noexcept {
  switch (category) {
    case errc::connection: return "connection";
    case errc::auth: return "auth";
    case errc::syntax: return "syntax";
    case errc::constraint: return "constraint";
    case errc::txn_conflict: return "txn_conflict";
    case errc::timeout: return "timeout";
    case errc::cancelled: return "cancelled";
    case errc::unsupported: return "unsupported";
    case errc::invalid_argument: return "invalid_argument";
    case errc::incompatible: return "incompatible";
    case errc::resource: return "resource";
    case errc::internal: return "internal";
    case errc::not_found: return "not_found";
    case errc::data: return "data";
    case errc::invalid_state: return "invalid_state";
    case errc::backend: return "backend";
  }
  return "internal";
}

std::string_view to_string(retry_class retry) noexcept {
  switch (retry) {
    case retry_class::none: return "none";
    case retry_class::same_connection: return "same_connection";
    case retry_class::new_connection: return "new_connection";
    case retry_class::unknown_outcome: return "unknown_outcome";
  }
  return "none";
}

}  // namespace dbridge
