// SPDX-License-Identifier: Apache-2.0
// The owning C++ value: query parameters, function arguments and copied cells.
// It mirrors the ABI's dbr_value tags one for one.
#pragma once

#include "dbridge/export.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

struct dbr_value;

namespace dbridge::inline v1 {

/// The ABI type tags (DBR_TYPE_*), same numbers.
enum class value_type : std::uint32_t {
  null = 0, boolean = 1, int64 = 2, uint64 = 3, float64 = 4, text = 5, bytes = 6, decimal = 7,
  date = 8, time = 9, timestamp = 10, timestamptz = 11, interval = 12, uuid = 13, json = 14, array = 15,
};
[[nodiscard]] DBRIDGE_API std::string_view to_string(value_type t) noexcept;

using bytes = std::vector<std::uint8_t>;

/// Exact decimal number in text form ("-12.50", "NaN"); never a double.
struct decimal { std::string text; bool operator==(const decimal&) const = default; };
/// JSON document text.
struct json { std::string text; bool operator==(const json&) const = default; };
/// Days since 1970-01-01 (proleptic Gregorian); infinity flags as in the ABI.
struct date {
  std::int32_t days = 0;
  std::int8_t infinity = 0;  ///< +1 / -1 for PostgreSQL 'infinity' / '-infinity'
  bool operator==(const date&) const = default;
};
/// Time of day in microseconds (may be negative or past 24h for MySQL TIME),
/// with an optional zone offset in seconds (timetz).
struct time_of_day {
  std::int64_t micros = 0;
  std::optional<std::int32_t> offset_s;
  bool operator==(const time_of_day&) const = default;
};
/// Local date-time without zone: microseconds since 1970-01-01T00:00.
struct timestamp {
  std::int64_t micros = 0;
  std::int8_t infinity = 0;
  bool operator==(const timestamp&) const = default;
};
/// An instant: microseconds since the epoch in UTC, plus the offset it was shown in.
struct timestamptz {
  std::int64_t micros = 0;
  std::int32_t offset_s = 0;
  std::int8_t infinity = 0;
  bool operator==(const timestamptz&) const = default;
};
struct interval {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t micros = 0;
  bool operator==(const interval&) const = default;
};
struct DBRIDGE_API uuid {
  std::array<std::uint8_t, 16> octets{};
  bool operator==(const uuid&) const = default;
  /// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; parse throws invalid_argument_error.
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] static uuid parse(std::string_view text);
};

class value;
using array = std::vector<value>;

/// An owning, typed value. Implicit from the C++ types that map to a tag, so
/// `db.query(sql, {42, "text", 1.5, nullptr})` just works.
class DBRIDGE_API value {
 public:
  using storage = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, bytes,
                               decimal, date, time_of_day, timestamp, timestamptz, interval, uuid, json, array>;

  value() = default;
  value(std::nullptr_t) {}
  value(std::nullopt_t) {}
  value(bool v) : v_(v) {}
  value(int v) : v_(std::int64_t{v}) {}
  value(long v) : v_(std::int64_t{v}) {}
  value(long long v) : v_(std::int64_t{v}) {}
  value(unsigned v) : v_(std::int64_t{v}) {}
  value(unsigned long v) : v_(std::uint64_t{v}) {}
  value(unsigned long long v) : v_(std::uint64_t{v}) {}
  value(double v) : v_(v) {}
  value(float v) : v_(double{v}) {}
  value(const char* v) : v_(std::string(v)) {}
  value(std::string v) : v_(std::move(v)) {}
  value(std::string_view v) : v_(std::string(v)) {}
  value(bytes v) : v_(std::move(v)) {}
  value(decimal v) : v_(std::move(v)) {}
  value(date v) : v_(v) {}
  value(time_of_day v) : v_(v) {}
  value(timestamp v) : v_(v) {}
  value(timestamptz v) : v_(v) {}
  value(interval v) : v_(v) {}
  value(uuid v) : v_(v) {}
  value(json v) : v_(std::move(v)) {}
  value(array v) : v_(std::move(v)) {}
  template <class T>
  value(const std::optional<T>& v) {
    if (v) *this = value(*v);
  }

  [[nodiscard]] value_type type() const noexcept;
  [[nodiscard]] bool is_null() const noexcept { return v_.index() == 0; }
  [[nodiscard]] const storage& get_storage() const noexcept { return v_; }

  /// Converting accessors; throw data_error naming both types when the value
  /// cannot be represented (e.g. text -> int64, int64 overflow into int32).
  template <class T>
  [[nodiscard]] T as() const;

  /// A deep copy of a borrowed ABI value (arrays included). Throws data_error
  /// for an unknown tag.
  [[nodiscard]] static value from_abi(const dbr_value& v);

  /// Text rendering for humans and CSV (dates/times ISO-8601, bytes as \x hex).
  [[nodiscard]] std::string to_string() const;

  bool operator==(const value&) const = default;

 private:
  storage v_;
};

// Supported as<T>() / row::get<T>() targets; instantiated in value.cpp.
extern template bool value::as<bool>() const;
extern template std::int32_t value::as<std::int32_t>() const;
extern template std::int64_t value::as<std::int64_t>() const;
extern template std::uint64_t value::as<std::uint64_t>() const;
extern template double value::as<double>() const;
extern template std::string value::as<std::string>() const;
extern template bytes value::as<bytes>() const;
extern template decimal value::as<decimal>() const;
extern template date value::as<date>() const;
extern template time_of_day value::as<time_of_day>() const;
extern template timestamp value::as<timestamp>() const;
extern template timestamptz value::as<timestamptz>() const;
extern template interval value::as<interval>() const;
extern template uuid value::as<uuid>() const;
extern template json value::as<json>() const;
extern template array value::as<array>() const;

/// Civil-date helpers (proleptic Gregorian, no time zones involved).
DBRIDGE_API std::int32_t days_from_civil(int y, unsigned m, unsigned d) noexcept;
DBRIDGE_API void civil_from_days(std::int32_t days, int& y, unsigned& m, unsigned& d) noexcept;

}  // namespace dbridge
