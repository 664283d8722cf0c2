// SPDX-License-Identifier: Apache-2.0
// A streaming RFC 4180 CSV reader for `dbridge copy`: quoted fields, doubled
// quotes, delimiters and line breaks inside quotes, CRLF or LF line ends. It
// reads in fixed-size chunks so a file of any size is never held in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace dbridge::cli {

/// One record. Field strings are reused between records (no allocation per
/// row once warmed up): only the first `count` entries are meaningful.
struct csv_record {
  std::vector<std::string> fields;
  std::vector<bool> quoted;   ///< the field was written in quotes ("" is empty text, not NULL)
  std::size_t count = 0;
  std::uint64_t line = 0;     ///< 1-based line on which the record starts
};

class csv_reader {
 public:
  /// Reads from f (not owned). name is used in error messages.
  csv_reader(std::FILE* f, char delimiter, std::string name);

  /// The next record, skipping empty lines; false at the end of the input.
  /// Malformed input throws data_error naming the file and line.
  bool next(csv_record& rec);
  /// Bytes consumed so far (for progress reporting).
  std::uint64_t bytes_read() const noexcept { return consumed_ + pos_; }

 private:
  int peek();
  int get() {
    const int c = peek();
    if (c >= 0) ++pos_;
    return c;
  }
  bool refill();
  [[noreturn]] void fail(std::uint64_t line, const std::string& what, const std::string& fix) const;

  std::FILE* f_;
  int delim_;  ///< as an unsigned byte, like get(): a char >= 0x80 compares negative, and would equal EOF
  std::string name_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, len_ = 0;
  std::uint64_t consumed_ = 0;  ///< bytes of earlier chunks
  std::uint64_t line_ = 1;
  bool eof_ = false;
  bool started_ = false;
};

}  // namespace dbridge::cli
