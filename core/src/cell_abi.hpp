// SPDX-License-Identifier: Apache-2.0
// The public cell (dbridge/cell.hpp) is the ABI's dbr_value seen by
// applications, and cell_batch its dbr_rows: drivers write the ABI types and
// the core hands the same bytes to row::get. These checks keep the two alike.
#pragma once

#include <dbridge/abi.h>

#include <cstddef>

#include "dbridge/cell.hpp"

namespace dbridge::inline v1::detail {

static_assert(sizeof(cell) == sizeof(dbr_value) && alignof(cell) == alignof(dbr_value));
static_assert(sizeof(cell::type) == sizeof(dbr_value::type) && offsetof(cell, type) == offsetof(dbr_value, type));
static_assert(offsetof(cell, flags) == offsetof(dbr_value, flags));
static_assert(offsetof(cell, u) == offsetof(dbr_value, u) && sizeof(cell::u) == sizeof(dbr_value::u));
static_assert(offsetof(cell, u.str.ptr) == offsetof(dbr_value, u.str.ptr) &&
              offsetof(cell, u.str.len) == offsetof(dbr_value, u.str.len));
static_assert(offsetof(cell, u.bin.len) == offsetof(dbr_value, u.bin.len));
static_assert(offsetof(cell, u.ts.offset_s) == offsetof(dbr_value, u.ts.offset_s));
static_assert(offsetof(cell, u.iv.days) == offsetof(dbr_value, u.iv.days) &&
              offsetof(cell, u.iv.micros) == offsetof(dbr_value, u.iv.micros));
static_assert(sizeof(cell_batch) == sizeof(dbr_rows) && alignof(cell_batch) == alignof(dbr_rows));
static_assert(offsetof(cell_batch, ncols) == offsetof(dbr_rows, ncols) &&
              offsetof(cell_batch, nrows) == offsetof(dbr_rows, nrows) &&
              offsetof(cell_batch, cells) == offsetof(dbr_rows, cells));

inline const dbr_value* abi_cells(const cell* c) noexcept { return reinterpret_cast<const dbr_value*>(c); }
inline const dbr_value& abi_cell(const cell& c) noexcept { return *abi_cells(&c); }
inline const cell* public_cells(const dbr_value* v) noexcept { return reinterpret_cast<const cell*>(v); }
/// What a driver's fetch writes into (the cursor's own batch).
inline dbr_rows* abi_rows(cell_batch& b) noexcept { return reinterpret_cast<dbr_rows*>(&b); }

}  // namespace dbridge::detail
