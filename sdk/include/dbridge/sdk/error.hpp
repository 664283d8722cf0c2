// SPDX-License-Identifier: Apache-2.0
// The exception plugin authors throw to report a real error. The SDK's
// boundary thunks catch it and turn it into the ABI's dbr_error through the
// host table, so the message memory belongs to the core (abi.h rule 4).
#pragma once

#include <dbridge/abi.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbridge::sdk {

/// A typed plugin error: category (DBR_CAT_*), SQLSTATE, native code and
/// domain, retry class, connection-broken flag, subcategory and text fields.
/// The setters chain: `throw error(DBR_CAT_SYNTAX, msg).sqlstate("42601");`
class error : public std::exception {
 public:
  error(std::uint32_t category, std::string message) : category_(category), message_(std::move(message)) {}

  error& sqlstate(std::string_view s) noexcept {
    std::size_t n = s.size() < 5 ? s.size() : 5;
    for (std::size_t i = 0; i < 6; ++i) sqlstate_[i] = i < n ? s[i] : '\0';
    return *this;
  }
  error& subcategory(std::uint32_t sub) noexcept { subcategory_ = sub; return *this; }
  /// domain must be a static string ("sqlite", "libpq"...): the core keeps the pointer.
  error& native(std::int64_t code, const char* domain) noexcept {
    native_code_ = code;
    domain_ = domain;
    return *this;
  }
  error& retry(std::uint8_t retry_class) noexcept { retry_ = retry_class; return *this; }
  /// Replaces the text, e.g. to add what the driver knows beyond the server's words.
  error& message(std::string text) {
    message_ = std::move(text);
    return *this;
  }
  error& connection_broken(bool broken = true) noexcept { broken_ = broken ? 1 : 0; return *this; }
  /// A DBR_ERRF_* text (detail, hint, table, column, constraint...).
  error& field(std::uint32_t which, std::string text) {
    fields_.emplace_back(which, std::move(text));
    return *this;
  }

  const char* what() const noexcept override { return message_.c_str(); }
  std::uint32_t category() const noexcept { return category_; }
  std::int32_t status() const noexcept { return -static_cast<std::int32_t>(category_); }

  /// Writes this error into err through the host; returns the negative status.
  std::int32_t fill(const dbr_host* host, dbr_error* err) const noexcept {
    if (host == nullptr || err == nullptr) return status();
    std::int32_t st = host->error_set(err, category_, sqlstate_[0] != '\0' ? sqlstate_ : nullptr,
                                      message_.data(), message_.size());
    // Scalar fields are written directly (abi.h), but only those the
    // caller's record is large enough to hold.
    const std::size_t size = err->struct_size;
    auto fits = [size](std::size_t off, std::size_t len) { return off + len <= size; };
    if (fits(offsetof(dbr_error, subcategory), sizeof err->subcategory)) err->subcategory = subcategory_;
    if (fits(offsetof(dbr_error, retry), 1)) err->retry = retry_;
    if (fits(offsetof(dbr_error, conn_broken), 1)) err->conn_broken = broken_;
    if (fits(offsetof(dbr_error, native_code), sizeof err->native_code)) err->native_code = native_code_;
    if (fits(offsetof(dbr_error, native_domain), sizeof err->native_domain) && domain_ != nullptr)
      err->native_domain = domain_;
    for (const auto& f : fields_) host->error_set_field(err, f.first, f.second.data(), f.second.size());
    return st;
  }

 private:
  std::uint32_t category_;
  std::uint32_t subcategory_ = DBR_SUB_NONE;
  char sqlstate_[6] = {};
  std::uint8_t retry_ = DBR_RETRY_NONE;
  std::uint8_t broken_ = 0;
  std::int64_t native_code_ = 0;
  const char* domain_ = nullptr;
  std::string message_;
  std::vector<std::pair<std::uint32_t, std::string>> fields_;
};

/// Shorthands for the errors every driver raises.
[[noreturn]] inline void fail(std::uint32_t category, std::string message) {
  throw error(category, std::move(message));
}
[[noreturn]] inline void unsupported(std::string_view driver_id, std::string_view what) {
  throw error(DBR_CAT_UNSUPPORTED, "driver '" + std::string(driver_id) + "' does not support " + std::string(what));
}

}  // namespace dbridge::sdk
