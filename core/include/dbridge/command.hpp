// SPDX-License-Identifier: Apache-2.0
// Command-shaped backends (Redis and alike): argv in, an owned reply tree out.
//
//   auto r = db.command({"SET", "k", "v"});        // r.type == reply_type::status
//   auto n = db.command({"INCR", "counter"}).integer;
#pragma once

#include "dbridge/export.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

/// The ABI reply types (DBR_REPLY_*), same numbers.
enum class reply_type : std::uint32_t {
  nil = 0, integer = 1, status = 2, error = 3, string = 4, array = 5, float64 = 6, boolean = 7,
  map = 8, set = 9, push = 10, verbatim = 11, bignum = 12,
};
DBRIDGE_API std::string_view to_string(reply_type t) noexcept;

/// An owned copy of a reply. An error reply never reaches callers: it is
/// raised as backend_error. An error inside an array (a queued command that
/// failed, in EXEC's answer) stays an element of type error.
struct DBRIDGE_API reply {
  reply_type type = reply_type::nil;
  std::int64_t integer = 0;   ///< integer; boolean (0/1)
  double number = 0;          ///< float64
  std::string str;            ///< status, string, verbatim, bignum (binary-safe)
  std::vector<reply> elements;  ///< array, set, push; map as key, value, key, value...

  [[nodiscard]] bool is_nil() const noexcept { return type == reply_type::nil; }
  /// The text of a string-like reply; throws data_error for other types.
  [[nodiscard]] const std::string& as_string() const;
  /// An integer reply (or a string holding a decimal integer); else data_error.
  [[nodiscard]] std::int64_t as_integer() const;
  bool operator==(const reply&) const = default;
};

}  // namespace dbridge
