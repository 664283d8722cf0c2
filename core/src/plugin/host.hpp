// SPDX-License-Identifier: Apache-2.0
// The host-services table the core hands to every plugin, and an owning
// wrapper of dbr_error that turns a failed ABI call into a C++ exception.
#pragma once

#include <dbridge/abi.h>

#include <cstring>
#include <string>
#include <string_view>

#include "dbridge/error.hpp"

namespace dbridge::inline v1::detail {

/// The one host table (static storage, valid until exit).
const dbr_host* host_table() noexcept;

/// Owns a dbr_error and everything the host functions attached to it.
class abi_error {
 public:
  // Inline and cheap when nothing was attached: one is made for most calls
  // into a plugin, and almost all of them succeed.
  abi_error() noexcept { reset_fields(); }
  ~abi_error() {
    if (err_.message != nullptr || err_.host_private != nullptr) release();
  }
  abi_error(const abi_error&) = delete;
  abi_error& operator=(const abi_error&) = delete;

  dbr_error* get() noexcept { return &err_; }
  operator dbr_error*() noexcept { return &err_; }
  const dbr_error& raw() const noexcept { return err_; }

  /// Frees attached memory and zero-fills again.
  void clear() noexcept {
    if (err_.message != nullptr || err_.host_private != nullptr) release();
    else reset_fields();
  }

  /// Copies the record into an error_info. status is what the call returned;
  /// a plugin that failed without filling err still yields a useful message.
  error_info to_info(int32_t status, std::string_view driver, std::string_view query = {}) const;

  /// Throws the matching dbridge exception.
  [[noreturn]] void raise(int32_t status, std::string_view driver, std::string_view query = {}) const;

 private:
  void reset_fields() noexcept {
    std::memset(&err_, 0, sizeof err_);
    err_.struct_size = sizeof err_;
  }
  /// Frees message and fields, then zero-fills.
  void release() noexcept;

  dbr_error err_;
};

/// Replaces invalid UTF-8 sequences with U+FFFD.
std::string sanitize_utf8(std::string_view in);

/// True if s is valid UTF-8.
bool valid_utf8(std::string_view s) noexcept;

}  // namespace dbridge::detail
