// SPDX-License-Identifier: Apache-2.0
// The client API of the "bulk" capability.
#include "dbridge/copy.hpp"

#include <dbridge/abi.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connection_impl.hpp"

namespace dbridge::inline v1 {

namespace {

detail::connection_impl& bulk_impl(connection& conn) {
  detail::connection_impl& c = detail::impl_of(conn);
  c.require(DBR_CAP_BULK, reinterpret_cast<const void*>(c.rec->bulk.copy_in_begin), "bulk");
  return c;
}

std::vector<std::string> table_columns(connection& conn, std::string_view table) {
  if (!conn.has_capability("introspect"))
    throw_error(errc::invalid_argument, "copy into '" + std::string(table) + "': driver '" + conn.plugin_id() +
                                            "' cannot list the table's columns; name the columns to load");
  std::string_view schema, name = table;
  if (const auto dot = table.rfind('.'); dot != std::string_view::npos) {
    schema = table.substr(0, dot);
    name = table.substr(dot + 1);
  }
  std::vector<std::pair<std::int64_t, std::string>> found;
  for (auto& row : conn.columns(name, schema))
    found.emplace_back(row.get<std::optional<std::int64_t>>("ordinal").value_or(0), row.get<std::string>("name"));
  if (found.empty())
    throw_error(errc::not_found, "copy into '" + std::string(table) + "': no such table, or it has no columns");
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> cols;
  cols.reserve(found.size());
  for (auto& f : found) cols.push_back(std::move(f.second));
  return cols;
}

}  // namespace

copy_in::copy_in(connection& conn, std::string_view table, std::vector<std::string> columns) : conn_(&conn) {
  if (table.empty()) throw_error(errc::invalid_argument, "copy_in needs a table name");
  detail::connection_impl& c = bulk_impl(conn);
  detail::refuse_nul_in_name(table, "the table name");
  for (const auto& col : columns) detail::refuse_nul_in_name(col, "the column name");
  const std::string t(table);
  // Every row must be exactly as wide as what the plugin will read, and a
  // plugin given no column list reads the table's full width: so the core
  // always names the columns, asking the schema when the caller did not.
  if (columns.empty()) columns = table_columns(conn, table);
  std::vector<const char*> names;
  for (const auto& col : columns) names.push_back(col.c_str());
  detail::call_guard g(c);
  c.slot->touch();
  const int32_t rc = c.rec->bulk.copy_in_begin(c.conn, t.c_str(), names.data(), static_cast<uint32_t>(names.size()),
                                               nullptr, 0, &bulk_, c.err);
  if (rc < 0) c.fail(rc, c.err, "copy into " + t);
  ncols_ = columns.size();
}

copy_in::~copy_in() { abort(); }

void copy_in::write_row(params row) {
  if (bulk_ == nullptr) throw_error(errc::invalid_state, "this copy_in has already finished or been aborted");
  if (row.size() != ncols_)
    throw_error(errc::invalid_argument, "copy_in row has " + std::to_string(row.size()) + " values for " +
                                            std::to_string(ncols_) + " columns");
  detail::connection_impl& c = detail::impl_of(*conn_);
  detail::call_guard g(c);
  dbr_value stack[32];
  const dbr_value* cells = c.bind(row, stack, 32);
  const int32_t rc = c.rec->bulk.copy_in_rows(bulk_, cells, 1, c.err);
  if (rc < 0) c.fail(rc, c.err, "copy_in row " + std::to_string(written_ + 1));
  ++written_;
}

void copy_in::write_rows_raw(const dbr_value* cells, std::uint64_t nrows) {
  if (bulk_ == nullptr) throw_error(errc::invalid_state, "this copy_in has already finished or been aborted");
  if (nrows == 0) return;
  if (cells == nullptr)
    throw_error(errc::invalid_argument, "copy_in write_rows_raw: no cells for " + std::to_string(nrows) + " rows");
  detail::connection_impl& c = detail::impl_of(*conn_);
  detail::call_guard g(c);
  const int32_t rc = c.rec->bulk.copy_in_rows(bulk_, cells, nrows, c.err);
  if (rc < 0)
    c.fail(rc, c.err, "copy_in rows " + std::to_string(written_ + 1) + " to " +
                          std::to_string(written_ + static_cast<std::int64_t>(nrows)));
  written_ += static_cast<std::int64_t>(nrows);
}

std::int64_t copy_in::finish() {
  if (bulk_ == nullptr) throw_error(errc::invalid_state, "this copy_in has already finished or been aborted");
  detail::connection_impl& c = detail::impl_of(*conn_);
  detail::call_guard g(c);
  dbr_bulk* b = bulk_;
  bulk_ = nullptr;  // copy_in_end frees it whatever the outcome
  int64_t rows = 0;
  const int32_t rc = c.rec->bulk.copy_in_end(b, &rows, c.err);
  if (rc < 0) c.fail(rc, c.err, "copy_in finish");
  return rows;
}

void copy_in::abort() noexcept {
  if (bulk_ == nullptr) return;
  detail::connection_impl& c = detail::impl_of(*conn_);
  if (c.conn != nullptr && c.try_enter()) {
    c.rec->bulk.copy_in_abort(bulk_);
    c.leave();
  }
  bulk_ = nullptr;
}

copy_out::copy_out(connection& conn, std::string_view sql) : conn_(&conn) {
  detail::connection_impl& c = bulk_impl(conn);
  if (c.rec->bulk.copy_out_begin == nullptr) c.unsupported("bulk");
  detail::call_guard g(c);
  c.slot->touch();
  const int32_t rc = c.rec->bulk.copy_out_begin(c.conn, sql.data(), sql.size(), &bulk_, c.err);
  if (rc < 0) c.fail(rc, c.err, sql);
}

copy_out::~copy_out() {
  if (bulk_ == nullptr) return;
  detail::connection_impl& c = detail::impl_of(*conn_);
  if (c.conn != nullptr && c.try_enter()) {
    c.rec->bulk.copy_out_end(bulk_);
    c.leave();
  }
}

std::optional<std::string_view> copy_out::next() {
  if (bulk_ == nullptr) return std::nullopt;
  detail::connection_impl& c = detail::impl_of(*conn_);
  detail::call_guard g(c);
  const char* data = nullptr;
  uint64_t len = 0;
  const int32_t rc = c.rec->bulk.copy_out_next(bulk_, &data, &len, c.err);
  if (rc < 0) c.fail(rc, c.err, "copy_out");
  if (rc == DBR_DONE) {
    c.rec->bulk.copy_out_end(bulk_);
    bulk_ = nullptr;
    return std::nullopt;
  }
  return std::string_view(data, static_cast<std::size_t>(len));
}

}  // namespace dbridge
