// SPDX-License-Identifier: Apache-2.0
// The C API's results: rows one at a time through typed getters, or whole
// batches as column arrays (one call per batch and column, for FFI callers
// to whom a call per cell is expensive), and value trees for arrays.
#include <algorithm>
#include <cstring>
#include <memory>

#include "capi_result.hpp"
#include "cell_abi.hpp"
#include "connection_impl.hpp"

using namespace dbridge;
using namespace dbridge::capi;

namespace dbridge::inline v1::capi {

dbridge_result* new_result_handle() {
  auto* h = new dbridge_result;
  h->magic = dead;
  h->detach = [](capi_child* self) noexcept {
    auto* r = static_cast<dbridge_result*>(self);
    r->row = nullptr;
    r->res.reset();
  };
  return h;
}

}  // namespace dbridge::capi

namespace {

constexpr std::uint8_t flag_pos_infinity = 0x1, flag_neg_infinity = 0x2, flag_has_offset = 0x4;

[[gnu::cold, gnu::noinline]] int32_t result_refused(const dbridge_result* r, dbridge_error** err) noexcept {
  if (r == nullptr || r->magic != result_magic) return bad_argument(err, "not a result handle");
  return closed(err, "the result");
}
inline int32_t check_result(const dbridge_result* r, dbridge_error** err) noexcept {
  if (r != nullptr && r->magic == result_magic && r->res) [[likely]] return 0;
  return result_refused(r, err);
}

/// The cell's type when r has a current row and col is in range.
int32_t check_cell(const dbridge_result* r, uint32_t col, value_type& type, dbridge_error** err) noexcept {
  if (int32_t st = check_result(r, err)) return st;
  if (r->row == nullptr) return fail(err, errc::invalid_state, "no current row (call dbridge_result_next first)");
  if (col >= r->row->size())
    return bad_argument(err, "column " + std::to_string(col) + " is out of range (the row has " +
                                 std::to_string(r->row->size()) + ")");
  return guard(err, [&] {
    type = r->row->type(col);
    return DBRIDGE_OK;
  });
}

std::uint8_t infinity_flags(std::int8_t inf) noexcept {
  return inf > 0 ? flag_pos_infinity : inf < 0 ? flag_neg_infinity : 0;
}
int32_t infinity_of(std::int8_t inf) noexcept {
  return inf > 0 ? DBRIDGE_INFINITY_POS : inf < 0 ? DBRIDGE_INFINITY_NEG : DBRIDGE_INFINITY_NONE;
}
std::int64_t interval_aux(const interval& iv) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(static_cast<std::uint32_t>(iv.months)) << 32 |
                                   static_cast<std::uint32_t>(iv.days));
}

/// A cell in the batch encoding: fixed part, and the bytes of variable ones.
struct encoded {
  std::int64_t value = 0;
  std::int64_t aux = 0;
  std::uint8_t flags = 0;
};

/// Encodes a non-NULL value of a fixed-size type; false for the others.
bool encode_fixed(const value& v, encoded& e) {
  const auto& s = v.get_storage();
  if (const auto* b = std::get_if<bool>(&s)) e.value = *b ? 1 : 0;
  else if (const auto* i = std::get_if<std::int64_t>(&s)) e.value = *i;
  else if (const auto* u = std::get_if<std::uint64_t>(&s)) std::memcpy(&e.value, u, 8);
  else if (const auto* d = std::get_if<double>(&s)) std::memcpy(&e.value, d, 8);
  else if (const auto* dt = std::get_if<date>(&s)) e.value = dt->days, e.flags = infinity_flags(dt->infinity);
  else if (const auto* t = std::get_if<time_of_day>(&s)) {
    e.value = t->micros;
    if (t->offset_s) e.aux = *t->offset_s, e.flags = flag_has_offset;
  } else if (const auto* ts = std::get_if<timestamp>(&s)) e.value = ts->micros, e.flags = infinity_flags(ts->infinity);
  else if (const auto* tz = std::get_if<timestamptz>(&s)) {
    e.value = tz->micros, e.aux = tz->offset_s, e.flags = infinity_flags(tz->infinity);
  } else if (const auto* iv = std::get_if<interval>(&s)) e.value = iv->micros, e.aux = interval_aux(*iv);
  else return false;
  return true;
}

/// Makes room for rows cells in every column of r's batch.
void grow_batch(dbridge_result* r, std::uint64_t rows) {
  for (auto& b : r->batch) {
    b.tags.resize(rows);
    b.values.resize(rows);
    b.aux.resize(rows);
    b.flags.resize(rows);
    b.offsets.resize(rows + 1);
  }
  r->batch_room = rows;
}

/// Appends bytes to b's data.
inline void put_bytes(capi_batch_column& b, const void* p, std::size_t n) {
  if (n == 0) return;
  if (b.used + n > b.data.size()) b.data.resize(std::max<std::size_t>(b.used + n, b.data.size() * 2));
  std::memcpy(b.data.data() + b.used, p, n);
  b.used += n;
}

/// A cell whose aux and flags are zero (the batch starts them so).
inline void put_plain(capi_batch_column& b, std::uint64_t at, std::uint8_t tag, std::int64_t value) {
  b.tags[at] = tag;
  b.values[at] = value;
  b.offsets[at + 1] = b.used;
}

inline void put_fixed(capi_batch_column& b, std::uint64_t at, std::uint8_t tag, const encoded& e) {
  put_plain(b, at, tag, e.value);
  if (e.aux != 0 || e.flags != 0) {
    b.aux[at] = e.aux;
    b.flags[at] = e.flags;
    b.extra = true;
  }
}

/// One column's write position in the batch loop, held in locals: through
/// the vectors, every one-byte tag store would make the compiler reload
/// each array pointer (a uint8_t store may alias anything).
struct column_sink {
  std::uint8_t* tags;
  std::int64_t* values;
  std::uint64_t* offsets;
  std::uint8_t* data;
  std::uint64_t used;
  std::uint64_t room;  ///< data's size
};

inline void load_sink(column_sink& s, capi_batch_column& b) noexcept {
  s.tags = b.tags.data();
  s.values = b.values.data();
  s.offsets = b.offsets.data();
  s.data = b.data.data();
  s.used = b.used;
  s.room = b.data.size();
}

/// Makes room for n more bytes of b's data past used; the new data pointer.
[[gnu::noinline]] std::uint8_t* grow_data(capi_batch_column& b, std::uint64_t used, std::uint64_t n) {
  b.data.resize(std::max<std::size_t>(used + n, b.data.size() * 2));
  return b.data.data();
}

/// Copies n bytes; short strings (names, codes) without a call into memcpy.
inline void copy_bytes(std::uint8_t* to, const char* from, std::uint64_t n) noexcept {
  if (n >= 8 && n <= 16) {
    // Two overlapping 8-byte moves cover 8..16 bytes.
    std::memcpy(to, from, 8);
    std::memcpy(to + n - 8, from + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(to, from, 4);
    std::memcpy(to + n - 4, from + n - 4, 4);
  } else {
    std::memcpy(to, from, n);
  }
}

/// A cell the batch loop does not write itself, through the typed getters.
void put_typed_cell(capi_batch_column& b, const row& rw, std::uint32_t col, std::uint64_t at) {
  value_type t = rw.type(col);
  encoded e;
  switch (t) {
    case value_type::null: break;
    case value_type::int64: e.value = rw.get<std::int64_t>(col); break;
    case value_type::float64: {
      double d = rw.get<double>(col);
      std::memcpy(&e.value, &d, 8);
      break;
    }
    case value_type::text:
    case value_type::decimal:
    case value_type::json:
    case value_type::bytes: {
      auto sv = rw.get<std::string_view>(col);
      put_bytes(b, sv.data(), sv.size());
      break;
    }
    case value_type::uuid: {
      auto u = rw.get<uuid>(col);
      put_bytes(b, u.octets.data(), u.octets.size());
      break;
    }
    case value_type::array: {
      value v = rw.get_value(col);
      std::string s = v.to_string();
      put_bytes(b, s.data(), s.size());
      b.arrays.emplace_back(at, std::move(v));
      break;
    }
    default: encode_fixed(rw.get_value(col), e); break;
  }
  put_fixed(b, at, static_cast<std::uint8_t>(t), e);
}

}  // namespace

namespace {
/// Closes a live result (dbridge_result_close's work, inlined into free).
inline void close_live(dbridge_result* r) noexcept {
  disown(r);
  r->row = nullptr;
  r->res.reset();
}
}  // namespace

namespace dbridge::inline v1::capi {
void delete_result(dbridge_result* r) noexcept {
  close_live(r);
  delete r;
}
}  // namespace dbridge::capi

void dbridge_result_close(dbridge_result* r) {
  if (r == nullptr || r->magic != result_magic) return;
  close_live(r);
}
DBRIDGE_CAPI_HOT void dbridge_result_free(dbridge_result* r) {
  if (r == nullptr || r->magic != result_magic) return;
  free_result(r);
}

namespace {
/// dbridge_result_next past the rows fetched so far (out of line, so the
/// next row of the current batch needs no frame for the handler).
[[gnu::noinline]] int32_t next_fetching(dbridge_result* r, dbridge_error** err) noexcept {
  try {  // guard's work, with the row cleared only when reading fails
    r->row = r->res->next();
    return r->row != nullptr ? DBRIDGE_OK : DBRIDGE_DONE;
  } catch (...) {
    r->row = nullptr;
    return fail_current(err);
  }
}
}  // namespace

DBRIDGE_CAPI_HOT int32_t dbridge_result_next(dbridge_result* r, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (r == nullptr || r->magic != result_magic || !r->res) [[unlikely]]
    return check_result(r, err);
  if (const row* next = detail::connection_access::next_buffered(*r->res)) [[likely]] {
    r->row = next;
    return DBRIDGE_OK;
  }
  return next_fetching(r, err);
}

int32_t dbridge_result_next_result(dbridge_result* r, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_result(r, err)) return st;
  return guard(err, [&] {
    r->row = nullptr;
    return r->res->next_result() ? DBRIDGE_OK : DBRIDGE_DONE;
  });
}

int32_t dbridge_result_column_count(const dbridge_result* r, uint32_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_result(r, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  return guard(err, [&] {
    *out = static_cast<uint32_t>(r->res->column_count());
    return DBRIDGE_OK;
  });
}

namespace {
template <class F>
int32_t on_column(const dbridge_result* r, uint32_t col, dbridge_error** err, F&& f) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_result(r, err)) return st;
  return guard(err, [&] {
    const auto& cols = r->res->columns();
    if (col >= cols.size())
      return bad_argument(err, "column " + std::to_string(col) + " is out of range (the result has " +
                                   std::to_string(cols.size()) + ")");
    f(cols[col]);
    return DBRIDGE_OK;
  });
}
}  // namespace

int32_t dbridge_result_column_name(const dbridge_result* r, uint32_t col, const char** ptr, uint64_t* len,
                                   dbridge_error** err) {
  return on_column(r, col, err, [&](const column_info& c) { put_text(c.name, ptr, len); });
}
int32_t dbridge_result_column_native_type(const dbridge_result* r, uint32_t col, const char** ptr, uint64_t* len,
                                          dbridge_error** err) {
  return on_column(r, col, err, [&](const column_info& c) { put_text(c.native_type, ptr, len); });
}
int32_t dbridge_result_column_type(const dbridge_result* r, uint32_t col, uint32_t* out, dbridge_error** err) {
  if (out == nullptr) return bad_argument(err, "out is NULL");
  return on_column(r, col, err, [&](const column_info& c) { *out = static_cast<uint32_t>(c.type); });
}

int32_t dbridge_result_affected_rows(const dbridge_result* r, int64_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_result(r, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = r->res->affected_rows();
  return DBRIDGE_OK;
}
int32_t dbridge_result_last_insert_id(const dbridge_result* r, int64_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_result(r, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  auto id = r->res->last_insert_id();
  *out = id.value_or(0);
  return id ? DBRIDGE_OK : DBRIDGE_NULL;
}

int32_t dbridge_result_cell_type(const dbridge_result* r, uint32_t col, uint32_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  value_type t{};
  if (int32_t st = check_cell(r, col, t, err)) return st;
  *out = static_cast<uint32_t>(t);
  return DBRIDGE_OK;
}

namespace {
/// The cell a getter reads when every check passes cheaply (a live result
/// with a current row, col in range, out given); nullptr sends the getter
/// down its full path, which reports what is wrong.
/// (A flag and an out-parameter rather than a nullable pointer: the getter
/// then needs no second test of the pointer.)
inline bool plain_cell(const dbridge_result* r, uint32_t col, bool out_ok, const dbr_value*& v) noexcept {
  if (r == nullptr || r->magic != result_magic || r->row == nullptr || !out_ok || col >= r->row->size()) return false;
  v = detail::abi_cells(&r->row->raw(col));  // in range: cannot throw
  return true;
}

/// The getters' frame: checks, NULL, then read(row) inside the firewall.
template <class F>
int32_t get_cell(const dbridge_result* r, uint32_t col, bool out_ok, dbridge_error** err, F&& read) {
  if (err != nullptr) *err = nullptr;
  if (!out_ok) return bad_argument(err, "out is NULL");
  value_type t{};
  if (int32_t st = check_cell(r, col, t, err)) return st;
  if (t == value_type::null) return DBRIDGE_NULL;
  return guard(err, [&] {
    read(*r->row);
    return DBRIDGE_OK;
  });
}
}  // namespace

namespace {
// The getters' full paths (checks, NULL, conversions), out of line so the
// fast path of the typed getters below stays a leaf-like function.
[[gnu::noinline]] int32_t int64_full(const dbridge_result* r, uint32_t col, int64_t* out, dbridge_error** err) {
  if (out != nullptr) *out = 0;
  return get_cell(r, col, out != nullptr, err, [&](const row& rw) { *out = rw.get<std::int64_t>(col); });
}
[[gnu::noinline]] int32_t double_full(const dbridge_result* r, uint32_t col, double* out, dbridge_error** err) {
  if (out != nullptr) *out = 0;
  return get_cell(r, col, out != nullptr, err, [&](const row& rw) { *out = rw.get<double>(col); });
}
[[gnu::noinline]] int32_t text_full(const dbridge_result* r, uint32_t col, const char** ptr, uint64_t* len,
                                    dbridge_error** err) {
  put_text("", ptr, len);
  return get_cell(r, col, ptr != nullptr, err, [&](const row& rw) { put_text(rw.get<std::string_view>(col), ptr, len); });
}
}  // namespace

int32_t dbridge_result_get_bool(const dbridge_result* r, uint32_t col, int32_t* out, dbridge_error** err) {
  if (out != nullptr) *out = 0;
  return get_cell(r, col, out != nullptr, err, [&](const row& rw) { *out = rw.get<bool>(col) ? 1 : 0; });
}
DBRIDGE_CAPI_HOT int32_t dbridge_result_get_int64(const dbridge_result* r, uint32_t col, int64_t* out,
                                                  dbridge_error** err) {
  if (const dbr_value* v = nullptr; plain_cell(r, col, out != nullptr, v) && v->type == DBR_TYPE_INT64) [[likely]] {
    if (err != nullptr) *err = nullptr;
    *out = v->u.i64;
    return DBRIDGE_OK;
  }
  return int64_full(r, col, out, err);
}
int32_t dbridge_result_get_uint64(const dbridge_result* r, uint32_t col, uint64_t* out, dbridge_error** err) {
  if (out != nullptr) *out = 0;
  return get_cell(r, col, out != nullptr, err, [&](const row& rw) { *out = rw.get<std::uint64_t>(col); });
}
DBRIDGE_CAPI_HOT int32_t dbridge_result_get_double(const dbridge_result* r, uint32_t col, double* out,
                                                   dbridge_error** err) {
  if (const dbr_value* v = nullptr; plain_cell(r, col, out != nullptr, v) && v->type == DBR_TYPE_DOUBLE) [[likely]] {
    if (err != nullptr) *err = nullptr;
    *out = v->u.f64;
    return DBRIDGE_OK;
  }
  return double_full(r, col, out, err);
}
DBRIDGE_CAPI_HOT int32_t dbridge_result_get_text(const dbridge_result* r, uint32_t col, const char** ptr, uint64_t* len,
                                                 dbridge_error** err) {
  if (const dbr_value* v = nullptr; plain_cell(r, col, ptr != nullptr, v) && v->u.str.ptr != nullptr &&
      (v->type == DBR_TYPE_TEXT || v->type == DBR_TYPE_DECIMAL || v->type == DBR_TYPE_JSON)) [[likely]] {
    if (err != nullptr) *err = nullptr;
    *ptr = v->u.str.ptr;
    if (len != nullptr) *len = v->u.str.len;
    return DBRIDGE_OK;
  }
  return text_full(r, col, ptr, len, err);
}
int32_t dbridge_result_get_bytes(const dbridge_result* r, uint32_t col, const uint8_t** ptr, uint64_t* len,
                                 dbridge_error** err) {
  if (ptr != nullptr) *ptr = nullptr;
  if (len != nullptr) *len = 0;
  return get_cell(r, col, ptr != nullptr, err, [&](const row& rw) {
    auto sv = rw.get<std::string_view>(col);
    *ptr = reinterpret_cast<const uint8_t*>(sv.data());
    if (len != nullptr) *len = sv.size();
  });
}
int32_t dbridge_result_get_date(const dbridge_result* r, uint32_t col, int32_t* days, int32_t* infinity,
                                dbridge_error** err) {
  if (days != nullptr) *days = 0;
  if (infinity != nullptr) *infinity = 0;
  return get_cell(r, col, days != nullptr, err, [&](const row& rw) {
    auto d = rw.get<date>(col);
    *days = d.days;
    if (infinity != nullptr) *infinity = infinity_of(d.infinity);
  });
}
int32_t dbridge_result_get_time(const dbridge_result* r, uint32_t col, int64_t* micros, int32_t* has_offset,
                                int32_t* offset_s, dbridge_error** err) {
  if (micros != nullptr) *micros = 0;
  if (has_offset != nullptr) *has_offset = 0;
  if (offset_s != nullptr) *offset_s = 0;
  return get_cell(r, col, micros != nullptr, err, [&](const row& rw) {
    auto t = rw.get<time_of_day>(col);
    *micros = t.micros;
    if (has_offset != nullptr) *has_offset = t.offset_s ? 1 : 0;
    if (offset_s != nullptr) *offset_s = t.offset_s.value_or(0);
  });
}
int32_t dbridge_result_get_timestamp(const dbridge_result* r, uint32_t col, int64_t* micros, int32_t* infinity,
                                     dbridge_error** err) {
  if (micros != nullptr) *micros = 0;
  if (infinity != nullptr) *infinity = 0;
  return get_cell(r, col, micros != nullptr, err, [&](const row& rw) {
    auto t = rw.get<timestamp>(col);
    *micros = t.micros;
    if (infinity != nullptr) *infinity = infinity_of(t.infinity);
  });
}
int32_t dbridge_result_get_timestamptz(const dbridge_result* r, uint32_t col, int64_t* micros, int32_t* offset_s,
                                       int32_t* infinity, dbridge_error** err) {
  if (micros != nullptr) *micros = 0;
  if (offset_s != nullptr) *offset_s = 0;
  if (infinity != nullptr) *infinity = 0;
  return get_cell(r, col, micros != nullptr, err, [&](const row& rw) {
    auto t = rw.get<timestamptz>(col);
    *micros = t.micros;
    if (offset_s != nullptr) *offset_s = t.offset_s;
    if (infinity != nullptr) *infinity = infinity_of(t.infinity);
  });
}
int32_t dbridge_result_get_interval(const dbridge_result* r, uint32_t col, int32_t* months, int32_t* days,
                                    int64_t* micros, dbridge_error** err) {
  if (months != nullptr) *months = 0;
  if (days != nullptr) *days = 0;
  if (micros != nullptr) *micros = 0;
  return get_cell(r, col, months != nullptr && days != nullptr && micros != nullptr, err, [&](const row& rw) {
    auto iv = rw.get<interval>(col);
    *months = iv.months, *days = iv.days, *micros = iv.micros;
  });
}
int32_t dbridge_result_get_uuid(const dbridge_result* r, uint32_t col, uint8_t* octets16, dbridge_error** err) {
  if (octets16 != nullptr) std::memset(octets16, 0, 16);
  return get_cell(r, col, octets16 != nullptr, err, [&](const row& rw) {
    auto u = rw.get<uuid>(col);
    std::memcpy(octets16, u.octets.data(), 16);
  });
}
int32_t dbridge_result_get_array(const dbridge_result* r, uint32_t col, dbridge_value** out, dbridge_error** err) {
  if (out != nullptr) *out = nullptr;
  return get_cell(r, col, out != nullptr, err, [&](const row& rw) { *out = new_value_tree(rw.get_value(col)); });
}
int32_t dbridge_result_get_as_text(dbridge_result* r, uint32_t col, const char** ptr, uint64_t* len,
                                   dbridge_error** err) {
  put_text("", ptr, len);
  return get_cell(r, col, ptr != nullptr, err, [&](const row& rw) {
    r->scratch = rw.get_value(col).to_string();
    put_text(r->scratch, ptr, len);
  });
}

namespace {
/// Reads up to max_rows rows of r into its batch columns (room for the
/// first rows made, every column's used at 0); the number read. Its own
/// function so the loop's state stays in registers, not in a closure.
std::uint64_t fill_rows(dbridge_result* r, std::size_t ncols, std::uint64_t max_rows) {
  // The sinks live on the stack (on the heap past 16 columns) and never
  // escape, so the compiler knows the array stores cannot change them.
  column_sink local[16];
  std::unique_ptr<column_sink[]> wide;
  column_sink* sinks = ncols <= 16 ? local : (wide = std::make_unique<column_sink[]>(ncols)).get();
  for (std::size_t c = 0; c < ncols; ++c) load_sink(sinks[c], r->batch[c]);
  std::uint64_t n = 0;
  result& res = *r->res;
  // Cells are read column by column within a row: the row is only valid
  // until the next one is fetched.
  while (n < max_rows) {
    const row* rw = res.next();
    if (rw == nullptr) break;
    if (n == r->batch_room) {
      for (std::size_t c = 0; c < ncols; ++c) r->batch[c].used = sinks[c].used;
      grow_batch(r, std::min<std::uint64_t>(max_rows, 2 * n));
      for (std::size_t c = 0; c < ncols; ++c) load_sink(sinks[c], r->batch[c]);
    }
    const dbr_value* cells = ncols > 0 ? detail::abi_cells(&rw->raw(0)) : nullptr;
    column_sink* s_end = sinks + ncols;
    const dbr_value* cell = cells;
    for (column_sink* sp = sinks; sp != s_end; ++sp, ++cell) {
      // The common cells straight from the borrowed ABI value; the rest
      // through the row's typed getters, which write the column itself.
      const dbr_value& v = *cell;
      column_sink& s = *sp;
      if (v.type == DBR_TYPE_INT64 || v.type == DBR_TYPE_DOUBLE) {
        s.values[n] = v.u.i64;  // a double's bits, as the batch encoding keeps them
      } else if ((v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_BYTES) && (v.u.str.ptr != nullptr || v.u.str.len == 0)) {
        const std::uint64_t len = v.u.str.len;
        if (s.used + len > s.room) {
          capi_batch_column& b = r->batch[static_cast<std::size_t>(cell - cells)];
          s.data = grow_data(b, s.used, len);
          s.room = b.data.size();
        }
        copy_bytes(s.data + s.used, v.u.str.ptr, len);
        s.used += len;
      } else {
        const auto c = static_cast<std::uint32_t>(cell - cells);
        capi_batch_column& b = r->batch[c];
        b.used = s.used;
        put_typed_cell(b, *rw, c, n);
        load_sink(s, b);
        continue;
      }
      s.offsets[n + 1] = s.used;
      s.tags[n] = static_cast<std::uint8_t>(v.type);
    }
    ++n;
  }
  for (std::size_t c = 0; c < ncols; ++c) r->batch[c].used = sinks[c].used;
  return n;
}
}  // namespace

int32_t dbridge_result_fetch_batch(dbridge_result* r, uint64_t max_rows, uint64_t* nrows, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (nrows != nullptr) *nrows = 0;
  if (int32_t st = check_result(r, err)) return st;
  if (nrows == nullptr) return bad_argument(err, "nrows is NULL");
  if (max_rows == 0) return bad_argument(err, "max_rows is 0");
  return guard(err, [&] {
    r->row = nullptr;
    r->batch_rows = 0;
    const std::size_t ncols = r->res->column_count();
    if (r->batch.size() != ncols) {
      r->batch.resize(ncols);
      r->batch_room = 0;
    }
    if (r->batch_room == 0) grow_batch(r, std::min<std::uint64_t>(max_rows, 256));
    for (auto& b : r->batch) {
      b.used = 0;
      b.arrays.clear();
      b.offsets[0] = 0;
      if (b.extra) {
        std::fill(b.aux.begin(), b.aux.end(), 0);
        std::fill(b.flags.begin(), b.flags.end(), 0);
        b.extra = false;
      }
    }
    const std::uint64_t n = fill_rows(r, ncols, max_rows);
    r->batch_rows = n;
    *nrows = n;
    return n > 0 ? DBRIDGE_OK : DBRIDGE_DONE;
  });
}

int32_t dbridge_result_batch_column(const dbridge_result* r, uint32_t col, const uint8_t** tags, const void** values,
                                    const int64_t** aux, const uint8_t** flags, const uint64_t** offsets,
                                    const uint8_t** data, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_result(r, err)) return st;
  if (col >= r->batch.size())
    return bad_argument(err, "column " + std::to_string(col) + " is not in the batch (fetch one first)");
  const capi_batch_column& b = r->batch[col];
  if (tags != nullptr) *tags = b.tags.data();
  if (values != nullptr) *values = b.values.data();
  if (aux != nullptr) *aux = b.aux.data();
  if (flags != nullptr) *flags = b.flags.data();
  if (offsets != nullptr) *offsets = b.offsets.data();
  if (data != nullptr) *data = b.data.data();
  return DBRIDGE_OK;
}

int32_t dbridge_result_batch_array(const dbridge_result* r, uint64_t row, uint32_t col, dbridge_value** out,
                                   dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check_result(r, err)) return st;
  if (col >= r->batch.size() || row >= r->batch_rows) return bad_argument(err, "no such cell in the batch");
  return guard(err, [&] {
    for (const auto& [at, v] : r->batch[col].arrays)
      if (at == row) {
        *out = new_value_tree(v);
        return DBRIDGE_OK;
      }
    return DBRIDGE_NULL;
  });
}

void dbridge_value_free(dbridge_value* v) {
  if (v == nullptr || v->magic != value_magic || !v->root) return;
  v->magic = dead;
  delete v;
}
uint32_t dbridge_value_type(const dbridge_value* v) {
  return v != nullptr && v->magic == value_magic ? static_cast<uint32_t>(v->v.type()) : DBRIDGE_TYPE_NULL;
}
uint64_t dbridge_value_array_size(const dbridge_value* v) {
  return v != nullptr && v->magic == value_magic ? v->items.size() : 0;
}
const dbridge_value* dbridge_value_array_item(const dbridge_value* v, uint64_t i) {
  if (v == nullptr || v->magic != value_magic || i >= v->items.size()) return nullptr;
  return &v->items[i];
}

namespace {
template <class F>
int32_t read_value(const dbridge_value* v, bool out_ok, dbridge_error** err, F&& read) {
  if (err != nullptr) *err = nullptr;
  if (v == nullptr || v->magic != value_magic) return bad_argument(err, "not a value handle");
  if (!out_ok) return bad_argument(err, "out is NULL");
  if (v->v.is_null()) return DBRIDGE_NULL;
  return guard(err, [&] {
    read(v->v);
    return DBRIDGE_OK;
  });
}
}  // namespace

int32_t dbridge_value_get_int64(const dbridge_value* v, int64_t* out, dbridge_error** err) {
  if (out != nullptr) *out = 0;
  return read_value(v, out != nullptr, err, [&](const value& x) { *out = x.as<std::int64_t>(); });
}
int32_t dbridge_value_get_double(const dbridge_value* v, double* out, dbridge_error** err) {
  if (out != nullptr) *out = 0;
  return read_value(v, out != nullptr, err, [&](const value& x) { *out = x.as<double>(); });
}
int32_t dbridge_value_get_fixed(const dbridge_value* v, void* value8, int64_t* aux, uint8_t* flags,
                                dbridge_error** err) {
  if (value8 != nullptr) std::memset(value8, 0, 8);
  if (aux != nullptr) *aux = 0;
  if (flags != nullptr) *flags = 0;
  return read_value(v, true, err, [&](const value& x) {
    encoded e;
    if (!encode_fixed(x, e)) return;
    if (value8 != nullptr) std::memcpy(value8, &e.value, 8);
    if (aux != nullptr) *aux = e.aux;
    if (flags != nullptr) *flags = e.flags;
  });
}
int32_t dbridge_value_get_text(const dbridge_value* v, const char** ptr, uint64_t* len, dbridge_error** err) {
  put_text("", ptr, len);
  return read_value(v, ptr != nullptr, err, [&](const value& x) {
    const auto& s = x.get_storage();
    if (const auto* t = std::get_if<std::string>(&s)) put_text(*t, ptr, len);
    else if (const auto* d = std::get_if<decimal>(&s)) put_text(d->text, ptr, len);
    else if (const auto* j = std::get_if<json>(&s)) put_text(j->text, ptr, len);
    else if (const auto* b = std::get_if<bytes>(&s))
      put_text(std::string_view(reinterpret_cast<const char*>(b->data()), b->size()), ptr, len);
    else if (const auto* u = std::get_if<uuid>(&s))
      put_text(std::string_view(reinterpret_cast<const char*>(u->octets.data()), 16), ptr, len);
    else throw_error(errc::data, "cannot read a " + std::string(to_string(x.type())) + " value as text (use dbridge_value_to_text)");
  });
}
int32_t dbridge_value_to_text(const dbridge_value* v, char** out, uint64_t* len, dbridge_error** err) {
  if (out != nullptr) *out = nullptr;
  if (len != nullptr) *len = 0;
  if (err != nullptr) *err = nullptr;
  if (v == nullptr || v->magic != value_magic) return bad_argument(err, "not a value handle");
  if (out == nullptr) return bad_argument(err, "out is NULL");
  return guard(err, [&] {
    *out = owned_copy(v->v.to_string(), len);
    return DBRIDGE_OK;
  });
}

