// SPDX-License-Identifier: Apache-2.0
// A bump allocator for the memory that cells borrow (copied text, arrays,
// column names): what a driver hands out from fetch must stay valid until
// its next call, and reset() before each batch makes that free. Blocks never
// move, so pointers stay valid until reset(); a warm arena allocates nothing.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace dbridge::sdk {

class arena {
 public:
  /// n bytes aligned to `align` (a power of two, at most max_align_t's).
  void* alloc(std::size_t n, std::size_t align = alignof(std::max_align_t)) {
    if (n == 0) n = 1;
    for (;;) {
      if (block_ < blocks_.size()) {
        block& b = blocks_[block_];
        const std::size_t at = (used_ + align - 1) & ~(align - 1);
        if (at + n <= b.size) {
          used_ = at + n;
          return b.mem.get() + at;
        }
        ++block_;
        used_ = 0;
        continue;
      }
      // new char[] is aligned for max_align_t, so offset 0 suits any align.
      const std::size_t size = n > block_size ? n : block_size;
      blocks_.push_back(block{std::unique_ptr<char[]>(new char[size]), size});
    }
  }
  /// Unaligned bytes, the fast path inline (every text cell of a row lands here).
  char* chars(std::size_t n) {
    if (block_ < blocks_.size() && n != 0 && used_ + n <= blocks_[block_].size) {
      char* p = blocks_[block_].mem.get() + used_;
      used_ += n;
      return p;
    }
    return static_cast<char*>(alloc(n, 1));
  }
  /// A copy of s that lives until reset().
  std::string_view keep(std::string_view s) {
    char* p = chars(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  /// Frees nothing: the blocks are reused from the start.
  void reset() noexcept {
    block_ = 0;
    used_ = 0;
  }

 private:
  static constexpr std::size_t block_size = 64 * 1024;
  struct block {
    std::unique_ptr<char[]> mem;
    std::size_t size;
  };
  std::vector<block> blocks_;
  std::size_t block_ = 0, used_ = 0;
};

}  // namespace dbridge::sdk
