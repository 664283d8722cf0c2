// SPDX-License-Identifier: Apache-2.0
// Streamed results: rows are views of the plugin's borrowed cells; numeric
// getters read the cells directly, so iterating allocates nothing.
#include <dbridge/abi.h>

#include <cstring>

#include "connection_impl.hpp"
#include "cursor_impl.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

namespace detail {

namespace {
bool iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
}  // namespace

void cursor_impl::describe() {
  if (described) return;
  if (conn == nullptr || cur == nullptr) {
    throw_error(errc::invalid_state, std::string("the result's columns are no longer available: ") +
                                         (invalid_reason ? invalid_reason : "it was closed"));
  }
  call_guard g(*conn);
  std::uint32_t n = 0;
  const dbr_column* cols = nullptr;
  abi_error err;
  const int32_t rc = conn->rec->cursor.describe(cur, &n, &cols, err);
  if (rc < 0) conn->fail(rc, err);
  columns.clear();
  columns.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    column_info ci;
    // Copy through a zero-extended view: a plugin built for a newer minor
    // may hand us a longer struct (struct_size), never a shorter one.
    const dbr_column& c = cols[i];
    if (c.name) ci.name = c.name;
    ci.type = c.type < DBR_TYPE_COUNT_1_0 ? static_cast<value_type>(c.type) : value_type::null;
    if (c.native_type) ci.native_type = c.native_type;
    if (c.nullable == DBR_NULLABLE_NO) ci.nullable = false;
    else if (c.nullable == DBR_NULLABLE_YES) ci.nullable = true;
    columns.push_back(std::move(ci));
  }
  described = true;
}

std::size_t cursor_impl::index_of(std::string_view name) {
  describe();
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return i;
  // SQL folds unquoted identifiers, so a differently-cased name is still meant.
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (iequal(columns[i].name, name)) return i;
  std::string known;
  for (const auto& c : columns) {
    if (!known.empty()) known += ", ";
    known += c.name;
  }
  throw_error(errc::invalid_argument,
              "no column named '" + std::string(name) + "' in this result (columns: " + known + ")");
}

}  // namespace detail

namespace {

template <class T>
struct tag {};

[[noreturn]] void bad_index(std::size_t i, std::size_t n) {
  throw_error(errc::invalid_argument, "column index " + std::to_string(i) + " is out of range: the row has " +
                                          std::to_string(n) + " columns");
}

std::string column_label(const detail::cursor_impl* cur, std::size_t i) {
  std::string s = "column " + std::to_string(i);
  if (cur != nullptr && cur->described && i < cur->columns.size()) s += " ('" + cur->columns[i].name + "')";
  return s;
}

template <class T>
T slow(const dbr_value& v, const detail::cursor_impl* cur, std::size_t i) {
  try {
    return value::from_abi(v).as<T>();
  } catch (const error& e) {
    error_info info = e.info();
    info.message += " (" + column_label(cur, i) + ")";
    throw_error(std::move(info));
  }
}

template <class T>
T cell_as(const dbr_value& v, tag<T>, const detail::cursor_impl* cur, std::size_t i) {
  return slow<T>(v, cur, i);
}

std::int64_t cell_as(const dbr_value& v, tag<std::int64_t>, const detail::cursor_impl* cur, std::size_t i) {
  if (v.type == DBR_TYPE_INT64) return v.u.i64;
  if (v.type == DBR_TYPE_UINT64 && v.u.u64 <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.u.u64);
  return slow<std::int64_t>(v, cur, i);
}
std::int32_t cell_as(const dbr_value& v, tag<std::int32_t>, const detail::cursor_impl* cur, std::size_t i) {
  if (v.type == DBR_TYPE_INT64 && std::in_range<std::int32_t>(v.u.i64)) return static_cast<std::int32_t>(v.u.i64);
  return slow<std::int32_t>(v, cur, i);
}
std::uint64_t cell_as(const dbr_value& v, tag<std::uint64_t>, const detail::cursor_impl* cur, std::size_t i) {
  if (v.type == DBR_TYPE_UINT64) return v.u.u64;
  if (v.type == DBR_TYPE_INT64 && v.u.i64 >= 0) return static_cast<std::uint64_t>(v.u.i64);
  return slow<std::uint64_t>(v, cur, i);
}
bool cell_as(const dbr_value& v, tag<bool>, const detail::cursor_impl* cur, std::size_t i) {
  if (v.type == DBR_TYPE_BOOL) return v.u.i64 != 0;
  return slow<bool>(v, cur, i);
}
double cell_as(const dbr_value& v, tag<double>, const detail::cursor_impl* cur, std::size_t i) {
  if (v.type == DBR_TYPE_DOUBLE) return v.u.f64;
  if (v.type == DBR_TYPE_INT64) return static_cast<double>(v.u.i64);
  return slow<double>(v, cur, i);
}
std::string cell_as(const dbr_value& v, tag<std::string>, const detail::cursor_impl* cur, std::size_t i) {
  if (v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_DECIMAL || v.type == DBR_TYPE_JSON)
    return std::string(v.u.str.ptr ? v.u.str.ptr : "", v.u.str.len);
  return slow<std::string>(v, cur, i);
}
std::string_view cell_as(const dbr_value& v, tag<std::string_view>, const detail::cursor_impl* cur, std::size_t i) {
  if (v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_DECIMAL || v.type == DBR_TYPE_JSON)
    return std::string_view(v.u.str.ptr ? v.u.str.ptr : "", v.u.str.len);
  if (v.type == DBR_TYPE_BYTES)
    return std::string_view(v.u.bin.ptr ? reinterpret_cast<const char*>(v.u.bin.ptr) : "", v.u.bin.len);
  throw_error(errc::data, "cannot read a " + std::string(to_string(static_cast<value_type>(v.type))) +
                              " value as std::string_view (" + column_label(cur, i) +
                              "); only text, bytes, decimal and json are borrowable");
}
value cell_as(const dbr_value& v, tag<value>, const detail::cursor_impl*, std::size_t) { return value::from_abi(v); }

}  // namespace

void row::out_of_range(std::size_t i) const { bad_index(i, ncols_); }

bool row::is_null(std::size_t i) const { return raw(i).type == value_type::null; }
bool row::is_null(std::string_view column) const { return is_null(index_of(column)); }

value_type row::type(std::size_t i) const {
  const auto t = static_cast<std::uint32_t>(raw(i).type);
  return t < DBR_TYPE_COUNT_1_0 ? static_cast<value_type>(t) : value_type::null;
}

std::size_t row::index_of(std::string_view column) const {
  if (cur_ == nullptr) throw_error(errc::invalid_state, "this row has no result behind it");
  return const_cast<detail::cursor_impl*>(cur_)->index_of(column);
}

value row::get_value(std::size_t i) const { return value::from_abi(detail::abi_cell(raw(i))); }

std::vector<value> row::to_values() const {
  std::vector<value> out;
  out.reserve(ncols_);
  for (std::size_t i = 0; i < ncols_; ++i) out.push_back(value::from_abi(detail::abi_cell(cells_[i])));
  return out;
}

template <class T>
T row::get_plain(std::size_t i) const {
  const dbr_value& v = detail::abi_cell(raw(i));
  if (v.type == DBR_TYPE_NULL) {
    throw_error(errc::data, column_label(cur_, i) + " is NULL; read it as std::optional<T> or check is_null() first");
  }
  return cell_as(v, tag<T>{}, cur_, i);
}

template bool row::get_plain<bool>(std::size_t) const;
template std::int32_t row::get_plain<std::int32_t>(std::size_t) const;
template std::int64_t row::get_plain<std::int64_t>(std::size_t) const;
template std::uint64_t row::get_plain<std::uint64_t>(std::size_t) const;
template double row::get_plain<double>(std::size_t) const;
template std::string row::get_plain<std::string>(std::size_t) const;
template std::string_view row::get_plain<std::string_view>(std::size_t) const;
template bytes row::get_plain<bytes>(std::size_t) const;
template decimal row::get_plain<decimal>(std::size_t) const;
template date row::get_plain<date>(std::size_t) const;
template time_of_day row::get_plain<time_of_day>(std::size_t) const;
template timestamp row::get_plain<timestamp>(std::size_t) const;
template timestamptz row::get_plain<timestamptz>(std::size_t) const;
template interval row::get_plain<interval>(std::size_t) const;
template uuid row::get_plain<uuid>(std::size_t) const;
template json row::get_plain<json>(std::size_t) const;
template array row::get_plain<array>(std::size_t) const;
template value row::get_plain<value>(std::size_t) const;

// ---------------------------------------------------------------- result

result::result(result&& o) noexcept
    : cur_(o.cur_), affected_(o.affected_), last_id_(o.last_id_) {
  o.cur_ = nullptr;
}

result& result::operator=(result&& o) noexcept {
  if (this != &o) {
    detail::release_cursor(impl());
    cur_ = o.cur_;
    affected_ = o.affected_;
    last_id_ = o.last_id_;
    o.cur_ = nullptr;
  }
  return *this;
}

detail::cursor_impl* result::impl() const noexcept { return static_cast<detail::cursor_impl*>(cur_); }

result::~result() { detail::release_cursor(impl()); }

const std::vector<column_info>& result::columns() const {
  static const std::vector<column_info> none;
  if (cur_ == nullptr) return none;
  impl()->describe();
  return impl()->columns;
}

std::size_t result::column_count() const { return columns().size(); }

const row* result::next_batch() {
  detail::cursor_impl* c = impl();
  if (c == nullptr) return nullptr;
  if (c->pos < c->batch.nrows) {  // next() read this batch inline; kept for completeness
    c->current.cells_ = c->batch.cells + c->pos * c->batch.ncols;
    ++c->pos;
    return &c->current;
  }
  if (c->invalid_reason != nullptr) {
    throw_error(errc::invalid_state, std::string("cannot read further rows: ") + c->invalid_reason);
  }
  if (c->done) return nullptr;
  detail::connection_impl& conn = *c->conn;
  {
    detail::call_guard g(conn);
    conn.fetch_into(c);
  }
  if (c->done) return nullptr;
  c->current.cells_ = c->batch.cells;
  c->pos = 1;
  return &c->current;
}

bool result::next_result() {
  detail::cursor_impl* c = impl();
  if (c == nullptr || c->conn == nullptr || c->cur == nullptr) return false;
  detail::connection_impl& conn = *c->conn;
  if (conn.rec->cursor.next_result == nullptr) return false;
  detail::call_guard g(conn);
  detail::abi_error err;
  const int32_t rc = conn.rec->cursor.next_result(c->cur, err);
  if (rc < 0) conn.fail(rc, err);
  if (rc == DBR_DONE) return false;
  c->batch = detail::cell_batch{};
  c->pos = 0;
  c->done = false;
  c->described = false;
  return true;
}

std::vector<std::vector<value>> result::to_vector() {
  std::vector<std::vector<value>> out;
  while (const row* r = next()) out.push_back(r->to_values());
  return out;
}

// ---------------------------------------------------------------- record

std::size_t record::index_of(std::string_view column) const {
  for (std::size_t i = 0; i < cols_.size(); ++i)
    if (cols_[i].name == column) return i;
  std::string known;
  for (const auto& c : cols_) {
    if (!known.empty()) known += ", ";
    known += c.name;
  }
  throw_error(errc::invalid_argument,
              "no column named '" + std::string(column) + "' in this row (columns: " + known + ")");
}

const value& record::operator[](std::size_t i) const {
  if (i >= vals_.size()) bad_index(i, vals_.size());
  return vals_[i];
}

const value& record::operator[](std::string_view column) const { return (*this)[index_of(column)]; }

}  // namespace dbridge
