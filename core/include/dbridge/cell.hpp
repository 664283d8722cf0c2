// SPDX-License-Identifier: Apache-2.0
// One borrowed cell of a streamed row, read in place: the driver's own bytes,
// no copy and no conversion. Applications see this type, never the plugin
// ABI's; the core checks at compile time that both are laid out alike, which
// is what lets row::get answer the common types inline.
#pragma once

#include <cstdint>
#include <string_view>

#include "dbridge/value.hpp"

namespace dbridge::inline v1 {

/// A cell as a driver handed it over, valid until its result advances. Which
/// member of `u` holds the value follows `type` (see value_type); text-like
/// cells (text, decimal, json) are `str`, bytes are `bin`. Copy what you keep
/// (row::get_value()).
struct cell {
  value_type type;
  std::uint32_t flags;  ///< infinity marks for dates and timestamps
  union {
    std::int64_t i64;
    std::uint64_t u64;
    double f64;
    struct { const char* ptr; std::uint64_t len; } str;
    struct { const std::uint8_t* ptr; std::uint64_t len; } bin;
    /// micros: days for a date, microseconds for a time or timestamp.
    struct { std::int64_t micros; std::int32_t offset_s; std::int32_t reserved; } ts;
    struct { std::int32_t months; std::int32_t days; std::int64_t micros; } iv;
    std::uint8_t uuid[16];
    const void* arr;  ///< read arrays through row::get<array>()
  } u;

  bool is_null() const noexcept { return type == value_type::null; }
  /// The text of a text, decimal or json cell; empty for any other type.
  std::string_view text() const noexcept {
    if ((type == value_type::text || type == value_type::decimal || type == value_type::json) && u.str.ptr != nullptr)
      return std::string_view(u.str.ptr, static_cast<std::size_t>(u.str.len));
    return {};
  }
};

namespace detail {
/// One fetched batch of cells, row after row; laid out like the ABI's rows
/// so the driver fills it in place.
struct cell_batch {
  std::uint32_t struct_size = 0;
  std::uint32_t ncols = 0;
  std::uint64_t nrows = 0;
  const cell* cells = nullptr;
};
}  // namespace detail

}  // namespace dbridge
