// SPDX-License-Identifier: Apache-2.0
// The reply view: a hiredis redisReply tree exposed as dbr_reply nodes.
#include <cstddef>

#include "redis_plugin.hpp"

namespace dbridge_redis {

void reply_view::count(const redisReply* r, std::size_t& nodes, std::size_t& slots) noexcept {
  ++nodes;
  if (r->type == REDIS_REPLY_ARRAY) {
    slots += r->elements;
    for (std::size_t i = 0; i < r->elements; ++i) count(r->element[i], nodes, slots);
  }
}

const dbr_reply* reply_view::build(const redisReply* r, bool session_changed) {
  std::size_t nodes = 0, slots = 0;
  count(r, nodes, slots);
  nodes_.clear();
  slots_.clear();
  // Reserved up front so the pointers handed out never move.
  nodes_.reserve(nodes);
  slots_.reserve(slots);
  const dbr_reply* top = fill(r);
  nodes_.front().session_changed = session_changed ? 1 : 0;
  return top;
}

const dbr_reply* reply_view::fill(const redisReply* r) noexcept {
  dbr_reply& d = nodes_.emplace_back();
  std::memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  switch (r->type) {
    case REDIS_REPLY_STRING: d.type = DBR_REPLY_STRING; break;
    case REDIS_REPLY_STATUS: d.type = DBR_REPLY_STATUS; break;
    case REDIS_REPLY_ERROR: d.type = DBR_REPLY_ERROR; break;
    case REDIS_REPLY_INTEGER: d.type = DBR_REPLY_INTEGER; break;
    case REDIS_REPLY_ARRAY: d.type = DBR_REPLY_ARRAY; break;
    default: d.type = DBR_REPLY_NIL; break;
  }
  if (r->type == REDIS_REPLY_INTEGER) d.integer = r->integer;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
    d.str = r->str;
    d.len = r->len;
  }
  if (r->type == REDIS_REPLY_ARRAY) {
    const std::size_t base = slots_.size();
    slots_.resize(base + r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) slots_[base + i] = fill(r->element[i]);
    d.elements = r->elements;
    d.element = slots_.data() + base;
  }
  return &d;
}

}  // namespace dbridge_redis
