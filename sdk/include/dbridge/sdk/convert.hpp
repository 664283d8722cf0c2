// SPDX-License-Identifier: Apache-2.0
// UUID text conversions for drivers whose backends keep UUIDs as text
// (SQLite, Redis); dates and times are datetime_text.hpp's, included here.
// Allocation-free: callers pass buffers, so they can run once per cell on
// the hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "datetime_text.hpp"

namespace dbridge::sdk {

/// Writes the canonical 36-character UUID text (37 bytes with the NUL).
inline std::size_t format_uuid(const std::uint8_t* octets, char* buf) noexcept {
  static const char hex[] = "0123456789abcdef";
  std::size_t n = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[n++] = '-';
    buf[n++] = hex[octets[i] >> 4];
    buf[n++] = hex[octets[i] & 0xF];
  }
  buf[n] = '\0';
  return n;
}

/// A qualified name ("schema.table") with each dot-separated part quoted by
/// quote_part(std::string_view). A part that itself holds a dot cannot be
/// told apart and must be quoted by the caller.
template <class Quote>
std::string quote_qualified(std::string_view name, Quote&& quote_part) {
  std::string out;
  for (std::size_t start = 0;;) {
    const std::size_t dot = name.find('.', start);
    if (!out.empty()) out += '.';
    out += quote_part(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace dbridge::sdk
