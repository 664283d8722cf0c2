// SPDX-License-Identifier: Apache-2.0
// Borrowing conversions between dbridge::value and the ABI's dbr_value.
// Scalars and strings point into the value itself (no allocation); arrays need
// item storage, which the caller's scratch holds for the duration of the call.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dbridge/value.hpp"

namespace dbridge::inline v1::detail {

inline std::int8_t infinity_of(std::uint32_t flags) noexcept {
  if (flags & DBR_VF_POS_INFINITY) return 1;
  if (flags & DBR_VF_NEG_INFINITY) return -1;
  return 0;
}

/// Storage for array parameters; reused across calls so hot loops that bind
/// arrays still settle into no allocation.
struct abi_scratch {
  struct slot {
    std::vector<dbr_value> items;
    dbr_array arr;
  };
  // unique_ptr keeps each slot in place while nested arrays add more; an
  // empty vector allocates nothing, so scalar-only calls stay allocation-free.
  std::vector<std::unique_ptr<slot>> slots;
  std::size_t used = 0;
  void reset() noexcept { used = 0; }
};

/// Fills out with a view of v (valid while v and scratch live).
void to_abi(const value& v, dbr_value& out, abi_scratch& scratch);

/// The common parameter types inline (hot loops bind these), the rest out of line.
inline void to_abi_fast(const value& v, dbr_value& out, abi_scratch& scratch) {
  const auto& s = v.get_storage();
  if (const auto* i = std::get_if<std::int64_t>(&s)) {
    out.type = DBR_TYPE_INT64;
    out.flags = 0;
    out.u.i64 = *i;
  } else if (const auto* d = std::get_if<double>(&s)) {
    out.type = DBR_TYPE_DOUBLE;
    out.flags = 0;
    out.u.f64 = *d;
  } else if (const auto* t = std::get_if<std::string>(&s)) {
    out.type = DBR_TYPE_TEXT;
    out.flags = 0;
    out.u.str.ptr = t->data();
    out.u.str.len = t->size();
  } else {
    to_abi(v, out, scratch);
  }
}

/// Converts params into a caller-provided buffer (n entries).
inline void to_abi(std::span<const value> in, dbr_value* out, abi_scratch& scratch) {
  for (std::size_t i = 0; i < in.size(); ++i) to_abi_fast(in[i], out[i], scratch);
}

}  // namespace dbridge::detail
