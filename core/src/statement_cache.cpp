// SPDX-License-Identifier: Apache-2.0
#include "statement_cache.hpp"

namespace dbridge::inline v1::detail {

void statement_cache::unlink(cached_stmt* e) noexcept {
  if (e->prev) e->prev->next = e->next; else head_ = e->next;
  if (e->next) e->next->prev = e->prev; else tail_ = e->prev;
  e->prev = e->next = nullptr;
}

void statement_cache::push_front(cached_stmt* e) noexcept {
  e->prev = nullptr;
  e->next = head_;
  if (head_) head_->prev = e;
  head_ = e;
  if (!tail_) tail_ = e;
}

cached_stmt* statement_cache::insert(std::string_view sql, dbr_stmt* stmt, std::uint32_t nparams,
                                     std::vector<dbr_stmt*>& evicted) {
  if (capacity_ == 0) return nullptr;
  // Evict from the cold end, skipping statements a live result still reads.
  for (cached_stmt* e = tail_; e != nullptr && map_.size() >= capacity_;) {
    cached_stmt* prev = e->prev;
    if (!e->in_use) {
      unlink(e);
      evicted.push_back(e->stmt);
      map_.erase(std::string_view(e->sql));
    }
    e = prev;
  }
  if (map_.size() >= capacity_) return nullptr;
  auto node = std::make_unique<cached_stmt>();
  node->sql.assign(sql);
  node->stmt = stmt;
  node->nparams = nparams;
  cached_stmt* e = node.get();
  map_.emplace(std::string_view(e->sql), std::move(node));
  push_front(e);
  return e;
}

void statement_cache::clear(std::vector<dbr_stmt*>& evicted) {
  for (cached_stmt* e = head_; e != nullptr; e = e->next) evicted.push_back(e->stmt);
  head_ = tail_ = nullptr;
  map_.clear();
}

void statement_cache::drop_idle(std::vector<dbr_stmt*>& evicted) {
  for (cached_stmt* e = head_; e != nullptr;) {
    cached_stmt* next = e->next;
    if (!e->in_use) {
      unlink(e);
      evicted.push_back(e->stmt);
      map_.erase(std::string_view(e->sql));
    }
    e = next;
  }
}

}  // namespace dbridge::detail
