// SPDX-License-Identifier: Apache-2.0
// The implicit per-connection cache of prepared statements: a bounded LRU
// keyed by SQL text. Lookups hash the caller's string_view directly, so a hit
// constructs no std::string and allocates nothing.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dbridge::inline v1::detail {

struct cached_stmt {
  std::string sql;
  dbr_stmt* stmt = nullptr;
  std::uint32_t nparams = 0;
  bool in_use = false;  ///< a live result is reading from it
  cached_stmt* prev = nullptr;  ///< towards most recently used
  cached_stmt* next = nullptr;  ///< towards least recently used
};

class statement_cache {
 public:
  explicit statement_cache(std::size_t capacity) : capacity_(capacity) {}
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;

  /// The entry for sql, marked most recently used; nullptr on a miss.
  cached_stmt* find(std::string_view sql) noexcept {
    auto it = map_.find(sql);
    if (it == map_.end()) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    cached_stmt* e = it->second.get();
    if (e != head_) {
      unlink(e);
      push_front(e);
    }
    return e;
  }

  /// Adds a freshly prepared statement. Entries evicted to make room are
  /// appended to `evicted` for the caller to finalize. Returns nullptr when
  /// nothing can be cached (capacity 0, or every entry is in use).
  cached_stmt* insert(std::string_view sql, dbr_stmt* stmt, std::uint32_t nparams,
                      std::vector<dbr_stmt*>& evicted);

  /// Removes every entry, handing their statements to `evicted`.
  void clear(std::vector<dbr_stmt*>& evicted);
  /// Removes the entries no live result reads (after a schema change).
  void drop_idle(std::vector<dbr_stmt*>& evicted);

  std::size_t size() const noexcept { return map_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  std::uint64_t hits() const noexcept { return hits_; }
  std::uint64_t misses() const noexcept { return misses_; }

 private:
  void unlink(cached_stmt* e) noexcept;
  void push_front(cached_stmt* e) noexcept;

  std::size_t capacity_;
  // Keys view the entry's own sql string, which never moves (entries are heap nodes).
  std::unordered_map<std::string_view, std::unique_ptr<cached_stmt>> map_;
  cached_stmt* head_ = nullptr;
  cached_stmt* tail_ = nullptr;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace dbridge::detail
