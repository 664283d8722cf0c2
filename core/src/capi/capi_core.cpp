// SPDX-License-Identifier: Apache-2.0
// The C API's error objects, owned strings, versions, parameter lists and
// value trees.
#include <cstdlib>
#include <memory>

#include <dbridge/abi.h>

#include "capi_internal.hpp"
#include "plugin/manifest.hpp"

using namespace dbridge;
using namespace dbridge::capi;

static_assert(DBRIDGE_TYPE_ARRAY == DBR_TYPE_ARRAY && DBRIDGE_TYPE_JSON == DBR_TYPE_JSON);
static_assert(DBRIDGE_CAT_BACKEND == DBR_CAT_BACKEND && DBRIDGE_SUB_NUL_BYTE == DBR_SUB_NUL_BYTE);
static_assert(DBRIDGE_RETRY_UNKNOWN_OUTCOME == DBR_RETRY_UNKNOWN_OUTCOME);
static_assert(DBRIDGE_REPLY_BIGNUM == DBR_REPLY_BIGNUM);
static_assert(DBRIDGE_ERRF_BACKEND_CODE == DBR_ERRF_BACKEND_CODE);
static_assert(DBRIDGE_DONE == DBR_DONE && DBRIDGE_EMPTY == DBR_EMPTY);

namespace {
// Handed out when the error object itself cannot be allocated; never freed.
dbridge_error out_of_memory_error = [] {
  dbridge_error e;
  e.info.category = errc::resource;
  e.info.native_domain = "dbridge";
  e.info.message = "out of memory";
  return e;
}();

bool is_error(const dbridge_error* e) noexcept { return e != nullptr && e->magic == error_magic; }
}  // namespace

namespace dbridge::inline v1::capi {

int32_t fail(dbridge_error** err, const error_info& info) noexcept {
  auto status = -static_cast<int32_t>(info.category);
  if (err == nullptr) return status;
  try {
    *err = new dbridge_error{error_magic, info};
  } catch (...) {
    *err = &out_of_memory_error;
  }
  return status;
}

int32_t fail_current(dbridge_error** err) noexcept {
  try {
    throw;
  } catch (const dbridge::error& e) {
    return fail(err, e.info());
  } catch (const std::bad_alloc&) {
    return fail(err, errc::resource, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, errc::internal, e.what());
  } catch (...) {
    return fail(err, errc::internal, "unknown exception");
  }
}

int32_t fail(dbridge_error** err, errc category, std::string_view message) noexcept {
  auto status = -static_cast<int32_t>(category);
  if (err == nullptr) return status;
  try {
    error_info info;
    info.category = category;
    info.native_domain = "dbridge";
    info.message = std::string(message);
    return fail(err, info);
  } catch (...) {
    *err = &out_of_memory_error;
  }
  return status;
}

char* owned_copy(std::string_view s, std::uint64_t* len) {
  auto* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  if (len != nullptr) *len = s.size();
  return out;
}

int32_t params_refused(const dbridge_params* p, dbridge_error** err) noexcept {
  if (p->magic != params_magic) return bad_argument(err, "not a parameter list handle");
  return fail(err, errc::invalid_state, "a parameter array is still open (dbridge_params_end_array)");
}

namespace {
void mirror(dbridge_value& node) {
  if (const auto* a = std::get_if<array>(&node.v.get_storage())) {
    node.items.resize(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      node.items[i].root = false;
      node.items[i].v = (*a)[i];
      mirror(node.items[i]);
    }
  }
}
}  // namespace

dbridge_value* new_value_tree(value v) {
  auto* out = new dbridge_value;
  out->v = std::move(v);
  mirror(*out);
  return out;
}

}  // namespace dbridge::capi

const char* dbridge_version(void) { return detail::core_version().data(); }
uint32_t dbridge_c_api_version(void) { return DBRIDGE_C_API_VERSION; }
void dbridge_abi_version(uint32_t* major, uint32_t* minor) {
  if (major != nullptr) *major = DBR_ABI_MAJOR;
  if (minor != nullptr) *minor = DBR_ABI_MINOR;
}

void dbridge_string_free(char* s) { std::free(s); }

void dbridge_error_free(dbridge_error* e) {
  if (!is_error(e) || e == &out_of_memory_error) return;
  e->magic = dead;
  delete e;
}
int32_t dbridge_error_status(const dbridge_error* e) {
  return is_error(e) ? -static_cast<int32_t>(e->info.category) : DBRIDGE_E_INVALID_ARGUMENT;
}
uint32_t dbridge_error_category(const dbridge_error* e) {
  return is_error(e) ? static_cast<uint32_t>(e->info.category) : 0;
}
uint32_t dbridge_error_subcategory(const dbridge_error* e) {
  return is_error(e) ? static_cast<uint32_t>(e->info.subcategory) : 0;
}
const char* dbridge_error_sqlstate(const dbridge_error* e) { return is_error(e) ? e->info.sqlstate.c_str() : ""; }
int64_t dbridge_error_native_code(const dbridge_error* e) { return is_error(e) ? e->info.native_code : 0; }
uint32_t dbridge_error_retry(const dbridge_error* e) { return is_error(e) ? static_cast<uint32_t>(e->info.retry) : 0; }
int32_t dbridge_error_connection_broken(const dbridge_error* e) {
  return is_error(e) && e->info.connection_broken ? 1 : 0;
}
const char* dbridge_error_message(const dbridge_error* e, uint64_t* len) {
  const char* p = "";
  std::uint64_t n = 0;
  if (is_error(e)) p = e->info.message.c_str(), n = e->info.message.size();
  if (len != nullptr) *len = n;
  return p;
}
const char* dbridge_error_field(const dbridge_error* e, uint32_t field, uint64_t* len) {
  const std::string* s = nullptr;
  if (is_error(e)) {
    const error_info& i = e->info;
    switch (field) {
      case DBRIDGE_ERRF_DETAIL: s = &i.detail; break;
      case DBRIDGE_ERRF_HINT: s = &i.hint; break;
      case DBRIDGE_ERRF_SEVERITY: s = &i.severity; break;
      case DBRIDGE_ERRF_CONSTRAINT: s = &i.constraint; break;
      case DBRIDGE_ERRF_TABLE: s = &i.table; break;
      case DBRIDGE_ERRF_COLUMN: s = &i.column; break;
      case DBRIDGE_ERRF_SCHEMA: s = &i.schema; break;
      case DBRIDGE_ERRF_BACKEND_CODE: s = &i.backend_code; break;
      case DBRIDGE_ERRF_NATIVE_DOMAIN: s = &i.native_domain; break;
      case DBRIDGE_ERRF_DRIVER: s = &i.driver; break;
      case DBRIDGE_ERRF_QUERY: s = &i.query; break;
      default: break;
    }
  }
  if (len != nullptr) *len = s != nullptr ? s->size() : 0;
  return s != nullptr ? s->c_str() : "";
}
const char* dbridge_category_name(uint32_t category) {
  if (category < DBRIDGE_CAT_CONNECTION || category > DBRIDGE_CAT_BACKEND) return "unknown";
  // to_string(errc) returns views of string literals, so NUL-terminated.
  return to_string(static_cast<errc>(category)).data();
}

int32_t dbridge_params_new(dbridge_params** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  return guard(err, [&] {
    *out = new dbridge_params;
    return DBRIDGE_OK;
  });
}
void dbridge_params_free(dbridge_params* p) {
  if (p == nullptr || p->magic != params_magic) return;
  p->magic = dead;
  delete p;
}

namespace {
/// Converts to the value make() returns, so emplace_back builds it in place
/// (no temporary to move from and destroy).
template <class F>
struct made {
  F& make;
  operator value() { return make(); }
};

/// Appends make() to the list or to an array when the fast path cannot (out
/// of line: the kept-slot path stays short).
template <class F>
[[gnu::noinline]] void grow(array& to, F& make) {
  to.emplace_back(made<F>{make});
}

/// Appends make() to the list, built in place in a kept slot when there is
/// one. Owning: make() may return text, bytes, decimal, JSON or an array.
template <bool Owning, class F>
void append(dbridge_params* p, F&& make) {
  if (p->count < p->values.size()) [[likely]] {
    // A kept slot holds a scalar, whose destructor does nothing, so the new
    // value is built over it without running it ([basic.life]/5).
    value* slot = p->values.data() + p->count;
    try {
      std::construct_at(slot, made<F>{make});
    } catch (...) {
      std::construct_at(slot);  // the slot must hold a value when the vector frees it
      throw;
    }
  } else {
    grow(p->values, make);
  }
  ++p->count;
  if constexpr (Owning) p->scalars_only = false;
}

/// add_to's general path (out of line: the refill of a kept scalar slot
/// stays a leaf with no frame).
template <bool Owning, class F>
[[gnu::noinline]] int32_t add_general(dbridge_params* p, dbridge_error** err, F make) noexcept {
  return guard(err, [&] {
    if (p->open.empty()) [[likely]]
      append<Owning>(p, make);
    else
      grow(p->open.back(), make);
    return DBRIDGE_OK;
  });
}

/// Appends make() to the innermost open array, or the list itself.
template <bool Owning = false, class F>
int32_t add_to(dbridge_params* p, dbridge_error** err, F&& make) noexcept {
  if (err != nullptr) *err = nullptr;
  if (p == nullptr || p->magic != params_magic) [[unlikely]]
    return bad_argument(err, "not a parameter list handle");
  if constexpr (!Owning) {
    // A scalar (make() allocates nothing, so cannot throw) into a kept slot,
    // which holds a scalar too (see append): the prepared point-query path.
    value* slot = p->values.data() + p->count;
    if (slot != std::to_address(p->values.end()) && p->open.empty()) [[likely]] {
      ::new (static_cast<void*>(slot)) value(make());
      ++p->count;
      return DBRIDGE_OK;
    }
  }
  return add_general<Owning>(p, err, make);
}

/// Empties p and frees what its values own (out of line: the kept-slots
/// clear of a scalar list stays a few instructions).
[[gnu::cold, gnu::noinline]] void free_values(dbridge_params* p) noexcept {
  p->values.clear();
  p->open.clear();
  p->count = 0;
  p->scalars_only = true;
  p->width = 0;
}
std::int8_t infinity_of(int32_t i) noexcept { return i > 0 ? 1 : i < 0 ? -1 : 0; }
}  // namespace

DBRIDGE_CAPI_HOT int32_t dbridge_params_clear(dbridge_params* p, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (p == nullptr || p->magic != params_magic) [[unlikely]]
    return bad_argument(err, "not a parameter list handle");
  if (!p->scalars_only || !p->open.empty()) [[unlikely]] {
    free_values(p);
    return DBRIDGE_OK;
  }
  p->count = 0;
  p->width = 0;
  return DBRIDGE_OK;
}
int32_t dbridge_params_count(const dbridge_params* p, uint64_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (p == nullptr || p->magic != params_magic) return bad_argument(err, "not a parameter list handle");
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = p->count;
  return DBRIDGE_OK;
}
int32_t dbridge_params_add_null(dbridge_params* p, dbridge_error** err) {
  return add_to(p, err, [] { return value(); });
}
int32_t dbridge_params_add_bool(dbridge_params* p, int32_t v, dbridge_error** err) {
  return add_to(p, err, [=] { return value(v != 0); });
}
DBRIDGE_CAPI_HOT int32_t dbridge_params_add_int64(dbridge_params* p, int64_t v, dbridge_error** err) {
  return add_to(p, err, [=] { return value(std::int64_t{v}); });
}
int32_t dbridge_params_add_uint64(dbridge_params* p, uint64_t v, dbridge_error** err) {
  return add_to(p, err, [=] { return value(std::uint64_t{v}); });
}
DBRIDGE_CAPI_HOT int32_t dbridge_params_add_double(dbridge_params* p, double v, dbridge_error** err) {
  return add_to(p, err, [=] { return value(v); });
}
int32_t dbridge_params_add_text(dbridge_params* p, const char* s, uint64_t len, dbridge_error** err) {
  if (!text_ok(s, len)) return bad_argument(err, "text is NULL");
  return add_to<true>(p, err, [&] { return value(std::string(text(s, len))); });
}
int32_t dbridge_params_add_bytes(dbridge_params* p, const uint8_t* ptr, uint64_t len, dbridge_error** err) {
  if (ptr == nullptr && len != 0) return bad_argument(err, "bytes are NULL");
  return add_to<true>(p, err, [&] { return value(bytes(ptr, ptr + len)); });
}
int32_t dbridge_params_add_decimal(dbridge_params* p, const char* s, uint64_t len, dbridge_error** err) {
  if (!text_ok(s, len)) return bad_argument(err, "decimal text is NULL");
  return add_to<true>(p, err, [&] { return value(decimal{std::string(text(s, len))}); });
}
int32_t dbridge_params_add_json(dbridge_params* p, const char* s, uint64_t len, dbridge_error** err) {
  if (!text_ok(s, len)) return bad_argument(err, "JSON text is NULL");
  return add_to<true>(p, err, [&] { return value(json{std::string(text(s, len))}); });
}
int32_t dbridge_params_add_date(dbridge_params* p, int32_t days, int32_t infinity, dbridge_error** err) {
  return add_to(p, err, [=] { return value(date{days, infinity_of(infinity)}); });
}
int32_t dbridge_params_add_time(dbridge_params* p, int64_t micros, int32_t has_offset, int32_t offset_s,
                                dbridge_error** err) {
  return add_to(p, err, [=] {
    time_of_day t{micros, std::nullopt};
    if (has_offset != 0) t.offset_s = offset_s;
    return value(t);
  });
}
int32_t dbridge_params_add_timestamp(dbridge_params* p, int64_t micros, int32_t infinity, dbridge_error** err) {
  return add_to(p, err, [=] { return value(timestamp{micros, infinity_of(infinity)}); });
}
int32_t dbridge_params_add_timestamptz(dbridge_params* p, int64_t micros, int32_t offset_s, int32_t infinity,
                                       dbridge_error** err) {
  return add_to(p, err, [=] { return value(timestamptz{micros, offset_s, infinity_of(infinity)}); });
}
int32_t dbridge_params_add_interval(dbridge_params* p, int32_t months, int32_t days, int64_t micros,
                                    dbridge_error** err) {
  return add_to(p, err, [=] { return value(interval{months, days, micros}); });
}
int32_t dbridge_params_add_uuid(dbridge_params* p, const uint8_t* octets16, dbridge_error** err) {
  if (octets16 == nullptr) return bad_argument(err, "uuid octets are NULL");
  return add_to(p, err, [=] {
    uuid u;
    std::memcpy(u.octets.data(), octets16, 16);
    return value(u);
  });
}
int32_t dbridge_params_begin_array(dbridge_params* p, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (p == nullptr || p->magic != params_magic) return bad_argument(err, "not a parameter list handle");
  return guard(err, [&] {
    p->open.emplace_back();
    return DBRIDGE_OK;
  });
}
int32_t dbridge_params_end_array(dbridge_params* p, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (p == nullptr || p->magic != params_magic) return bad_argument(err, "not a parameter list handle");
  if (p->open.empty()) return fail(err, errc::invalid_state, "no parameter array is open");
  return guard(err, [&] {
    array done = std::move(p->open.back());
    p->open.pop_back();
    auto make = [&] { return value(std::move(done)); };
    if (p->open.empty())
      append<true>(p, make);
    else
      grow(p->open.back(), make);
    return DBRIDGE_OK;
  });
}


// ---- Row batches (dbridge_stmt_execute_many) ----

namespace {
/// Fills column col of every row of a shaped list: cell(i) makes row i's value.
template <class F>
int32_t fill_column(dbridge_params* p, uint32_t col, const uint8_t* nulls, dbridge_error** err, F&& cell) noexcept {
  if (err != nullptr) *err = nullptr;
  if (p == nullptr || p->magic != params_magic) return bad_argument(err, "not a parameter list handle");
  if (p->width == 0 || p->count % p->width != 0)
    return fail(err, errc::invalid_state, "the parameter list is not shaped into rows (dbridge_params_set_rows)");
  if (col >= p->width)
    return bad_argument(err, "column " + std::to_string(col) + " is out of range (rows have " +
                                 std::to_string(p->width) + " values)");
  return guard(err, [&] {
    const std::size_t rows = p->count / p->width;
    value* v = p->values.data() + col;
    for (std::size_t i = 0; i < rows; ++i, v += p->width) *v = nulls != nullptr && nulls[i] != 0 ? value() : cell(i);
    return DBRIDGE_OK;
  });
}
/// Row i's slice [begin, end) of a column's data must exist.
void check_span(bool have_data, uint64_t begin, uint64_t end, std::size_t i) {
  if (end < begin) throw_error(errc::invalid_argument, "ends must not decrease (row " + std::to_string(i) + ")");
  if (!have_data && end != 0) throw_error(errc::invalid_argument, "data is NULL but ends are not 0");
}
}  // namespace

int32_t dbridge_params_set_rows(dbridge_params* p, uint64_t rows, uint32_t width, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (p == nullptr || p->magic != params_magic) return bad_argument(err, "not a parameter list handle");
  if (width == 0) return bad_argument(err, "a row needs at least one value");
  return guard(err, [&] {
    p->open.clear();
    p->values.clear();
    p->count = 0;
    p->values.resize(static_cast<std::size_t>(rows) * width);
    p->count = p->values.size();
    p->scalars_only = false;  // columns may be filled with text
    p->width = width;
    return DBRIDGE_OK;
  });
}
int32_t dbridge_params_column_int64(dbridge_params* p, uint32_t col, const int64_t* values, const uint8_t* nulls,
                                    dbridge_error** err) {
  if (values == nullptr) return bad_argument(err, "values is NULL");
  return fill_column(p, col, nulls, err, [&](std::size_t i) { return value(std::int64_t{values[i]}); });
}
int32_t dbridge_params_column_double(dbridge_params* p, uint32_t col, const double* values, const uint8_t* nulls,
                                     dbridge_error** err) {
  if (values == nullptr) return bad_argument(err, "values is NULL");
  return fill_column(p, col, nulls, err, [&](std::size_t i) { return value(values[i]); });
}
int32_t dbridge_params_column_text(dbridge_params* p, uint32_t col, const char* data, const uint64_t* ends,
                                   const uint8_t* nulls, dbridge_error** err) {
  if (ends == nullptr) return bad_argument(err, "ends is NULL");
  return fill_column(p, col, nulls, err, [&](std::size_t i) {
    const uint64_t begin = i == 0 ? 0 : ends[i - 1];
    check_span(data != nullptr, begin, ends[i], i);
    return value(std::string(data + begin, static_cast<std::size_t>(ends[i] - begin)));
  });
}
int32_t dbridge_params_column_bytes(dbridge_params* p, uint32_t col, const uint8_t* data, const uint64_t* ends,
                                    const uint8_t* nulls, dbridge_error** err) {
  if (ends == nullptr) return bad_argument(err, "ends is NULL");
  return fill_column(p, col, nulls, err, [&](std::size_t i) {
    const uint64_t begin = i == 0 ? 0 : ends[i - 1];
    check_span(data != nullptr, begin, ends[i], i);
    return value(bytes(data + begin, data + ends[i]));
  });
}
