// SPDX-License-Identifier: Apache-2.0
// The C API's result handle: the C++ result, its current row, and the column
// arrays of the last batch.
#pragma once

#include "capi_internal.hpp"

/// One column of a fetched batch (see dbridge_result_batch_column). The
/// arrays only grow: a batch writes its cells by index into them (no
/// per-cell push_back on five vectors) and callers read nrows entries.
struct capi_batch_column {
  std::vector<std::uint8_t> tags;
  std::vector<std::int64_t> values;  ///< 8 bytes per cell, read per tag
  std::vector<std::int64_t> aux;
  std::vector<std::uint8_t> flags;
  std::vector<std::uint64_t> offsets;  ///< one more entry than rows
  std::vector<std::uint8_t> data;      ///< the first `used` bytes are this batch's
  std::uint64_t used = 0;
  /// aux or flags may hold a non-zero entry: cleared before the next batch,
  /// so the common cells (ints, doubles, text) need not write their zeros.
  bool extra = false;
  std::vector<std::pair<std::uint64_t, dbridge::value>> arrays;  ///< (row, value) of ARRAY cells
};

struct dbridge_result : capi_child {
  std::optional<dbridge::result> res;  ///< empty once closed
  const dbridge::row* row = nullptr;   ///< the current row, if any
  std::string scratch;                 ///< get_as_text's answer
  std::vector<capi_batch_column> batch;
  std::uint64_t batch_rows = 0;
  std::uint64_t batch_room = 0;  ///< rows every column's arrays can hold
};

namespace dbridge::inline v1::capi {
/// A result handle, a child of c, taken from c's spare when there is one.
/// A new, not yet live result handle.
dbridge_result* new_result_handle();
/// c's spare result handle (kept by dbridge_result_free), else a new one.
/// Inline: every query runs it.
inline dbridge_result* result_handle(dbridge_conn* c) {
  if (dbridge_result* h = c->spare_result) [[likely]] {
    c->spare_result = nullptr;
    h->batch_rows = 0;
    return h;
  }
  return new_result_handle();
}

/// Closes r and deletes its handle.
void delete_result(dbridge_result* r) noexcept;
/// dbridge_result_free of a live or closed result handle: kept as its
/// connection's spare when there is none (left in the connection's
/// children, see dbridge_conn), else deleted. Inline: every query's free
/// runs it.
inline void free_result(dbridge_result* r) noexcept {
  dbridge_conn* owner = r->parent;
  r->magic = dead;
  if (owner != nullptr && owner->spare_result == nullptr) [[likely]] {
    owner->spare_result = r;
    r->row = nullptr;
    r->res.reset();  // last, so the destructor is a tail call
    return;
  }
  delete_result(r);
}

/// Converts to the result make() returns, so optional::emplace builds it in
/// place: no move into the handle and no destruction of a moved-from temporary.
template <class F>
struct result_maker {
  F make;
  operator dbridge::result() { return make(); }
};

/// A handle for the result of make(), a child of c. Always inlined: it is
/// the query path, and small.
template <class F>
[[gnu::always_inline]] inline dbridge_result* new_result(dbridge_conn* c, F&& make) {
  dbridge_result* h = result_handle(c);
  try {
    h->res.emplace(result_maker<F&>{make});
  } catch (...) {
    if (c->spare_result == nullptr) {
      c->spare_result = h;
    } else {
      disown(h);
      delete h;
    }
    throw;
  }
  h->magic = result_magic;
  // The newest child must come first (see dbridge_conn::children); the spare
  // usually is already, being the last handle made and freed.
  if (c->children != h) [[unlikely]] {
    disown(h);
    adopt(c, h);
  }
  return h;
}
}  // namespace dbridge::capi
