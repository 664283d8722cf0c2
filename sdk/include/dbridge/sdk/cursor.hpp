// SPDX-License-Identifier: Apache-2.0
// Cursors stream rows out of a plugin. One dbr_cursor_vtable serves every
// cursor of a driver (statement results, introspection, batch results), so
// cursors are polymorphic C++ objects behind the opaque handle.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/sdk/error.hpp"
#include "dbridge/sdk/value.hpp"

namespace dbridge::sdk {

namespace detail {
template <class D>
struct driver_glue;
}  // namespace detail

class cursor {
 public:
  virtual ~cursor() = default;
  /// Column descriptions; borrowed until the next call on the cursor.
  virtual std::span<const dbr_column> columns() = 0;
  /// Up to max_rows (>= 1) rows into out (row-major cells, borrowed until the
  /// next call). Returns DBR_OK with at least one row, or DBR_DONE with none.
  virtual std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) = 0;
  /// Next result set (stored procedures); false when there is none.
  virtual bool next_result() { return false; }
  /// The caller is done with the cursor: a statement's cursor hands itself
  /// back here (reset, keep prepared). Never delete this: a standalone cursor
  /// (introspection) is freed by the SDK after close(), even when it throws,
  /// and a statement's cursor belongs to its statement.
  virtual void close() {}

 private:
  template <class D>
  friend struct detail::driver_glue;
  /// Set by the SDK for a cursor whose unique_ptr it took over (list()).
  bool owned_by_sdk_ = false;
  /// Set by the SDK when the cursor is the driver's statement_type object
  /// itself (a statement that is its own cursor): fetch and close call it
  /// directly.
  bool is_exact_statement_ = false;
};

/// Makes a dbr_column (name/native_type borrowed).
inline dbr_column make_column(const char* name, std::uint32_t type, const char* native_type,
                              std::uint32_t nullable = DBR_NULLABLE_UNKNOWN) noexcept {
  dbr_column c{};
  c.struct_size = sizeof(dbr_column);
  c.type = type;
  c.name = name;
  c.native_type = native_type;
  c.nullable = nullable;
  c.precision = -1;
  c.scale = -1;
  c.max_length = -1;
  return c;
}

/// One column of an introspection result as abi.h fixes it.
struct meta_column {
  const char* name;
  std::uint32_t type;
};

/// The columns abi.h gives each DBR_META_* kind, in order (empty for a kind
/// it does not define). Every SQL driver's introspection returns these.
inline std::span<const meta_column> meta_columns(std::uint32_t what) noexcept {
  static constexpr meta_column databases[] = {{"name", DBR_TYPE_TEXT}, {"size_bytes", DBR_TYPE_INT64}};
  static constexpr meta_column schemas[] = {{"name", DBR_TYPE_TEXT}};
  static constexpr meta_column tables[] = {{"schema", DBR_TYPE_TEXT},
                                           {"name", DBR_TYPE_TEXT},
                                           {"type", DBR_TYPE_TEXT},
                                           {"size_bytes", DBR_TYPE_INT64},
                                           {"row_estimate", DBR_TYPE_INT64}};
  static constexpr meta_column columns[] = {
      {"schema", DBR_TYPE_TEXT},   {"table", DBR_TYPE_TEXT},       {"name", DBR_TYPE_TEXT},
      {"ordinal", DBR_TYPE_INT64}, {"type", DBR_TYPE_TEXT},        {"nullable", DBR_TYPE_BOOL},
      {"default", DBR_TYPE_TEXT},  {"max_length", DBR_TYPE_INT64}, {"primary_key", DBR_TYPE_BOOL}};
  static constexpr meta_column indexes[] = {{"schema", DBR_TYPE_TEXT},  {"table", DBR_TYPE_TEXT},
                                            {"name", DBR_TYPE_TEXT},    {"columns", DBR_TYPE_TEXT},
                                            {"unique", DBR_TYPE_BOOL},  {"primary", DBR_TYPE_BOOL}};
  static constexpr meta_column foreign_keys[] = {{"schema", DBR_TYPE_TEXT},     {"table", DBR_TYPE_TEXT},
                                                 {"name", DBR_TYPE_TEXT},       {"columns", DBR_TYPE_TEXT},
                                                 {"ref_schema", DBR_TYPE_TEXT}, {"ref_table", DBR_TYPE_TEXT},
                                                 {"ref_columns", DBR_TYPE_TEXT}};
  static constexpr meta_column primary_keys[] = {
      {"schema", DBR_TYPE_TEXT}, {"table", DBR_TYPE_TEXT}, {"name", DBR_TYPE_TEXT}, {"columns", DBR_TYPE_TEXT}};
  static constexpr meta_column keyspace[] = {{"name", DBR_TYPE_TEXT}, {"keys", DBR_TYPE_INT64}};
  switch (what) {
    case DBR_META_DATABASES: return databases;
    case DBR_META_SCHEMAS: return schemas;
    case DBR_META_TABLES: return tables;
    case DBR_META_COLUMNS: return columns;
    case DBR_META_INDEXES: return indexes;
    case DBR_META_FOREIGN_KEYS: return foreign_keys;
    case DBR_META_PRIMARY_KEYS: return primary_keys;
    case DBR_META_KEYSPACE: return keyspace;
    default: return {};
  }
}

/// A standalone cursor over rows built in memory: the natural result of
/// introspection and of small synthetic queries. Strings are copied into an
/// arena that lives as long as the cursor.
class table_cursor final : public cursor {
 public:
  void add_column(std::string_view name, std::uint32_t type, std::string_view native_type,
                  std::uint32_t nullable = DBR_NULLABLE_UNKNOWN) {
    const char* n = keep(name).data();
    const char* t = keep(native_type).data();
    cols_.push_back(make_column(n, type, t, nullable));
  }
  /// A TEXT cell whose bytes the cursor keeps.
  dbr_value text(std::string_view s) { return make_text(keep(s)); }
  /// TEXT, or NULL when p is nullptr.
  dbr_value text_or_null(const char* p) { return p != nullptr ? text(p) : make_null(); }
  dbr_value bytes(std::string_view s) {
    std::string_view k = keep(s);
    return make_bytes(k.data(), k.size());
  }
  void add_row(std::initializer_list<dbr_value> cells) { add_row(std::span<const dbr_value>(cells.begin(), cells.size())); }
  /// A row whose width is only known at run time (one cell per column).
  void add_row(std::span<const dbr_value> cells) {
    if (cells.size() != cols_.size())
      throw error(DBR_CAT_INTERNAL, "table_cursor: row has " + std::to_string(cells.size()) + " cells for " +
                                        std::to_string(cols_.size()) + " columns");
    cells_.insert(cells_.end(), cells.begin(), cells.end());
  }
  std::uint64_t row_count() const noexcept { return cols_.empty() ? 0 : cells_.size() / cols_.size(); }

  std::span<const dbr_column> columns() override { return cols_; }
  std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) override {
    const std::uint64_t total = row_count();
    if (next_ >= total) return DBR_DONE;
    std::uint64_t n = total - next_;
    if (max_rows != 0 && n > max_rows) n = max_rows;
    out.ncols = static_cast<std::uint32_t>(cols_.size());
    out.nrows = n;
    out.cells = cells_.data() + next_ * cols_.size();
    next_ += n;
    return DBR_OK;
  }

 private:
  std::string_view keep(std::string_view s) {
    // deque never moves its elements, so every pointer handed out stays valid.
    return arena_.emplace_back(s);
  }
  std::deque<std::string> arena_;
  std::vector<dbr_column> cols_;
  std::vector<dbr_value> cells_;
  std::uint64_t next_ = 0;
};

}  // namespace dbridge::sdk
