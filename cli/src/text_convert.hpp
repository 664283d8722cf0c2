// SPDX-License-Identifier: Apache-2.0
// Text fields (CSV) to typed values for a column, chosen from the column's
// type name as introspection reports it ("integer", "numeric(10,2)",
// "timestamp(3) with time zone", "text[]", MySQL's "int(11) unsigned"...).
// Binary COPY needs each value in the column's own type, so the text is
// converted here, with errors that say what is wrong with the value.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dbridge/value.hpp"

namespace dbridge::cli {

enum class column_kind {
  text, boolean, int16, int32, int64, uint64, float32, float64, numeric, date, time, timetz,
  timestamp, timestamptz, interval, uuid, json, bytes,
};

struct column_spec {
  std::string name;
  std::string type_name;                ///< as introspection reports it, for messages
  column_kind kind = column_kind::text;
  bool is_array = false;                ///< one-dimensional array of `kind`
  bool nullable = true;
  std::optional<std::int64_t> max_chars;  ///< char(n) / varchar(n)
};

/// Classifies a type name; anything unknown is text (the driver decides).
column_spec describe_column(std::string name, std::string type_name);

/// A value that cannot be converted; what() says why, without the line
/// number (the caller knows it).
class conversion_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The typed value of `text` for column c (an empty unquoted CSV field is
/// NULL and never reaches here). Throws conversion_error.
dbridge::value convert_field(const column_spec& c, std::string_view text);

/// The text shown in messages: at most ~40 characters, control bytes escaped.
std::string quote_for_message(std::string_view text);

}  // namespace dbridge::cli
