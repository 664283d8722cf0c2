// SPDX-License-Identifier: Apache-2.0
// Text and byte cells a cursor hands out from fetch(): the ABI lets them
// borrow memory only until the cursor's next call, so a driver needs a store
// that lives one batch. Call next_batch() first thing in fetch(), then make
// each cell with text()/bytes()/text_of(); nothing is freed, the memory is
// reused by the next batch (sdk::arena underneath).
//
//   std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) override {
//     strings_.next_batch();
//     ...
//     cells_.push_back(strings_.text(row.name));      // a copy, valid until the next fetch
//     cells_.push_back(strings_.text_of(row.id));     // the number as text, no std::string made
#pragma once

#include <dbridge/abi.h>

#include <charconv>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "dbridge/sdk/arena.hpp"
#include "dbridge/sdk/value.hpp"

namespace dbridge::sdk {

class row_strings {
 public:
  /// Starts a batch: every string made for the previous one becomes invalid.
  void next_batch() noexcept { arena_.reset(); }

  /// A copy of s that lives until next_batch().
  std::string_view keep(std::string_view s) { return arena_.keep(s); }
  /// A TEXT cell holding a copy of s.
  dbr_value text(std::string_view s) { return make_text(arena_.keep(s)); }
  /// A BYTES cell holding a copy of n bytes at p.
  dbr_value bytes(const void* p, std::size_t n) {
    const std::string_view copy = arena_.keep({static_cast<const char*>(p), n});
    return make_bytes(copy.data(), copy.size());
  }
  /// A TEXT cell spelling an integer in decimal.
  template <class Int>
    requires std::is_integral_v<Int>
  dbr_value text_of(Int n) {
    char buf[24];  // any 64-bit integer with its sign
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    return text({buf, static_cast<std::size_t>(r.ptr - buf)});
  }

 private:
  arena arena_;
};

}  // namespace dbridge::sdk
