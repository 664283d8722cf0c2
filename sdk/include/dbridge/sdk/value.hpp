// SPDX-License-Identifier: Apache-2.0
// Building dbr_value cells and reading parameters and options. Every maker
// returns a value that BORROWS the memory it is given: keep that memory alive
// until the next call that invalidates the cell (abi.h ownership rule 2).
#pragma once

#include <dbridge/abi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "dbridge/sdk/error.hpp"

namespace dbridge::sdk {

inline dbr_value make_null() noexcept {
  dbr_value v;
  std::memset(&v, 0, sizeof v);
  return v;
}
inline dbr_value make_bool(bool b) noexcept {
  dbr_value v = make_null();
  v.type = DBR_TYPE_BOOL;
  v.u.i64 = b ? 1 : 0;
  return v;
}
inline dbr_value make_int64(std::int64_t i) noexcept {
  dbr_value v = make_null();
  v.type = DBR_TYPE_INT64;
  v.u.i64 = i;
  return v;
}
inline dbr_value make_uint64(std::uint64_t u) noexcept {
  dbr_value v = make_null();
  v.type = DBR_TYPE_UINT64;
  v.u.u64 = u;
  return v;
}
inline dbr_value make_double(double d) noexcept {
  dbr_value v = make_null();
  v.type = DBR_TYPE_DOUBLE;
  v.u.f64 = d;
  return v;
}
/// TEXT, DECIMAL and JSON share the string layout.
inline dbr_value make_string(std::uint32_t tag, const char* p, std::size_t n) noexcept {
  dbr_value v = make_null();
  v.type = tag;
  v.u.str.ptr = p;
  v.u.str.len = n;
  return v;
}
inline dbr_value make_text(std::string_view s) noexcept { return make_string(DBR_TYPE_TEXT, s.data(), s.size()); }
inline dbr_value make_decimal(std::string_view s) noexcept { return make_string(DBR_TYPE_DECIMAL, s.data(), s.size()); }
inline dbr_value make_json(std::string_view s) noexcept { return make_string(DBR_TYPE_JSON, s.data(), s.size()); }
inline dbr_value make_bytes(const void* p, std::size_t n) noexcept {
  dbr_value v = make_null();
  v.type = DBR_TYPE_BYTES;
  v.u.bin.ptr = static_cast<const std::uint8_t*>(p);
  v.u.bin.len = n;
  return v;
}
/// DATE: days since 1970-01-01; TIME: micros since midnight; TIMESTAMP: local micros.
inline dbr_value make_temporal(std::uint32_t tag, std::int64_t micros_or_days, std::int32_t offset_s = 0) noexcept {
  dbr_value v = make_null();
  v.type = tag;
  v.u.ts.micros = micros_or_days;
  v.u.ts.offset_s = offset_s;
  return v;
}
inline dbr_value make_uuid(const std::uint8_t (&octets)[16]) noexcept {
  dbr_value v = make_null();
  v.type = DBR_TYPE_UUID;
  std::memcpy(v.u.uuid, octets, 16);
  return v;
}

/// The lowercase name of a type tag, for messages.
inline const char* type_name(std::uint32_t tag) noexcept {
  static const char* const names[] = {"null", "bool", "int64", "uint64", "double", "text", "bytes", "decimal",
                                      "date", "time", "timestamp", "timestamptz", "interval", "uuid", "json",
                                      "array"};
  return tag < DBR_TYPE_COUNT_1_0 ? names[tag] : "unknown";
}

/// The bytes of a TEXT / DECIMAL / JSON / BYTES value; throws DBR_CAT_DATA otherwise.
inline std::string_view string_of(const dbr_value& v) {
  switch (v.type) {
    case DBR_TYPE_TEXT:
    case DBR_TYPE_DECIMAL:
    case DBR_TYPE_JSON:
      return {v.u.str.ptr, static_cast<std::size_t>(v.u.str.len)};
    case DBR_TYPE_BYTES:
      return {reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len)};
    default:
      throw error(DBR_CAT_DATA, std::string("expected a text value, got ") + type_name(v.type));
  }
}

/// A borrowed view of a dbr_param array (plugin init options, URL options).
class param_list {
 public:
  param_list() = default;
  param_list(const dbr_param* p, std::uint32_t n) noexcept : p_(p), n_(p != nullptr ? n : 0) {}
  const dbr_param* begin() const noexcept { return p_; }
  const dbr_param* end() const noexcept { return p_ + n_; }
  std::uint32_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  /// The last value given for key (later options override earlier ones), or nullptr.
  const dbr_value* find(std::string_view key) const noexcept {
    const dbr_value* found = nullptr;
    for (const auto& p : *this)
      if (p.key != nullptr && key == p.key) found = &p.value;
    return found;
  }

 private:
  const dbr_param* p_ = nullptr;
  std::uint32_t n_ = 0;
};

/// Command arguments (binary-safe), as the "command" capability receives them.
class argv_view {
 public:
  argv_view(std::uint32_t argc, const char* const* argv, const std::uint64_t* len) noexcept
      : argc_(argc), argv_(argv), len_(len) {}
  std::uint32_t size() const noexcept { return argc_; }
  bool empty() const noexcept { return argc_ == 0; }
  std::string_view operator[](std::uint32_t i) const noexcept {
    return {argv_[i], static_cast<std::size_t>(len_[i])};
  }

 private:
  std::uint32_t argc_;
  const char* const* argv_;
  const std::uint64_t* len_;
};

}  // namespace dbridge::sdk
