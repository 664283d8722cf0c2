// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the CSV reader of `dbridge copy` (cli/src/csv_reader.cpp).
// The first byte picks the delimiter, the rest is the file.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "csv_reader.hpp"
#include "dbridge/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;  // fmemopen refuses an empty buffer
  const char delimiter = static_cast<char>(data[0]);
  std::FILE* f = ::fmemopen(const_cast<std::uint8_t*>(data + 1), size - 1, "r");
  if (f == nullptr) return 0;
  try {
    dbridge::cli::csv_reader reader(f, delimiter, "fuzz.csv");
    dbridge::cli::csv_record rec;
    std::uint64_t last_line = 0;
    while (reader.next(rec)) {
      if (rec.count > rec.fields.size() || rec.line < last_line) std::abort();
      last_line = rec.line;
    }
    if (reader.bytes_read() > size - 1) std::abort();
  } catch (const dbridge::error&) {
    // Malformed CSV is reported as a data error: that is the expected outcome.
  }
  std::fclose(f);
  return 0;
}
