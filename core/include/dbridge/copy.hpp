// SPDX-License-Identifier: Apache-2.0
// Bulk transfer (capability "bulk"): typed rows into a table through the
// backend's fastest ingest path (PostgreSQL: binary COPY FROM STDIN), and a
// COPY-style export streamed out in chunks.
//
//   dbridge::copy_in in(conn, "items", {"id", "name"});
//   for (...) in.write_row({id, name});
//   std::int64_t n = in.finish();
//
//   dbridge::copy_out out(conn, "COPY items TO STDOUT (FORMAT csv)");
//   while (auto chunk = out.next()) fwrite(chunk->data(), 1, chunk->size(), f);
//
// While a transfer is open the connection serves only it.
#pragma once

#include "dbridge/export.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/connection.hpp"
#include "dbridge/value.hpp"

struct dbr_bulk;

namespace dbridge::inline v1 {

/// Loads rows into table(columns); every row has one value per column (all
/// the table's columns, in order, when columns is empty). The destructor
/// abandons an unfinished load: nothing is stored.
class DBRIDGE_API copy_in {
 public:
  copy_in(connection& conn, std::string_view table, std::vector<std::string> columns = {});
  copy_in(const copy_in&) = delete;
  copy_in& operator=(const copy_in&) = delete;
  ~copy_in();

  void write_row(params row);
  void write_row(std::initializer_list<value> row) { write_row(params(row.begin(), row.size())); }
  /// Writes nrows rows of borrowed ABI values (row-major, one per column) in
  /// one call, as they are: for callers that already hold dbr_value cells (a
  /// mapper's insert_rows), which would otherwise copy every cell into a value.
  void write_rows_raw(const dbr_value* cells, std::uint64_t nrows);
  /// Rows written so far.
  std::int64_t rows_written() const noexcept { return written_; }
  /// Commits the load; returns the rows stored.
  std::int64_t finish();
  /// Abandons the load now. Idempotent.
  void abort() noexcept;

 private:
  connection* conn_;
  dbr_bulk* bulk_ = nullptr;
  std::size_t ncols_ = 0;
  std::int64_t written_ = 0;
};

/// Streams the output of an export statement (COPY ... TO STDOUT). The
/// destructor drains what is left.
class DBRIDGE_API copy_out {
 public:
  copy_out(connection& conn, std::string_view sql);
  copy_out(const copy_out&) = delete;
  copy_out& operator=(const copy_out&) = delete;
  ~copy_out();
  /// The next chunk (valid until the next call), or nullopt at the end.
  std::optional<std::string_view> next();

 private:
  connection* conn_;
  dbr_bulk* bulk_ = nullptr;
};

}  // namespace dbridge
