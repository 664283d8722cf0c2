// SPDX-License-Identifier: Apache-2.0
// dbridge::value without any plugin: conversions, ABI copies, rendering.
#include <dbridge/abi.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "dbridge/error.hpp"
#include "dbridge/value.hpp"

using namespace dbridge;

namespace {
dbr_value abi_int(std::int64_t v) {
  dbr_value x;
  std::memset(&x, 0, sizeof x);
  x.type = DBR_TYPE_INT64;
  x.u.i64 = v;
  return x;
}
dbr_value abi_text(const char* s, std::uint32_t type = DBR_TYPE_TEXT) {
  dbr_value x;
  std::memset(&x, 0, sizeof x);
  x.type = type;
  x.u.str.ptr = s;
  x.u.str.len = std::strlen(s);
  return x;
}
}  // namespace

TEST(Value, TypeTagsMatchTheAbi) {
  EXPECT_EQ(value().type(), value_type::null);
  EXPECT_EQ(value(true).type(), value_type::boolean);
  EXPECT_EQ(value(42).type(), value_type::int64);
  EXPECT_EQ(value(42ull).type(), value_type::uint64);
  EXPECT_EQ(value(1.5).type(), value_type::float64);
  EXPECT_EQ(value("x").type(), value_type::text);
  EXPECT_EQ(value(json{"{}"}).type(), value_type::json);
  EXPECT_EQ(value(array{1, 2}).type(), value_type::array);
  EXPECT_EQ(static_cast<std::uint32_t>(value_type::uuid), std::uint32_t{DBR_TYPE_UUID});
  EXPECT_EQ(static_cast<std::uint32_t>(value_type::array), std::uint32_t{DBR_TYPE_ARRAY});
}

TEST(Value, IntegerConversionsCheckRange) {
  EXPECT_EQ(value(7).as<std::int32_t>(), 7);
  EXPECT_EQ(value(std::int64_t{-2147483648LL}).as<std::int32_t>(), std::numeric_limits<std::int32_t>::min());
  EXPECT_THROW((void)value(5'000'000'000LL).as<std::int32_t>(), data_error);
  EXPECT_THROW((void)value(-1).as<std::uint64_t>(), data_error);
  EXPECT_THROW((void)value(std::numeric_limits<std::uint64_t>::max()).as<std::int64_t>(), data_error);
  EXPECT_EQ(value(3.0).as<std::int64_t>(), 3);
  EXPECT_THROW((void)value(3.5).as<std::int64_t>(), data_error);
  EXPECT_THROW((void)value(9.3e18).as<std::int64_t>(), data_error);
  EXPECT_EQ(value(true).as<std::int64_t>(), 1);
  try {
    (void)value(5'000'000'000LL).as<std::int32_t>();
    FAIL() << "no exception";
  } catch (const data_error& e) {
    EXPECT_EQ(e.category(), errc::data);
    EXPECT_NE(std::string(e.what()).find("5000000000"), std::string::npos) << e.what();
  }
}

TEST(Value, TextConversionsAreStrict) {
  EXPECT_THROW((void)value("12").as<std::int64_t>(), data_error);
  EXPECT_THROW(value(12).as<std::string>(), data_error);
  EXPECT_EQ(value("abc").as<std::string>(), "abc");
  EXPECT_EQ(value(decimal{"1.50"}).as<std::string>(), "1.50");
  EXPECT_EQ(value("{\"a\": [1, 2]}").as<json>().text, "{\"a\": [1, 2]}");
  EXPECT_THROW(value("not json").as<json>(), data_error);
  EXPECT_THROW((void)value(json{"1"}).as<std::int64_t>(), data_error);
  EXPECT_EQ(value(0).as<bool>(), false);
  EXPECT_THROW((void)value(2).as<bool>(), data_error);
  EXPECT_DOUBLE_EQ(value(decimal{"2.25"}).as<double>(), 2.25);
  EXPECT_THROW((void)value(decimal{"abc"}).as<double>(), data_error);
  EXPECT_THROW((void)value(date{1}).as<timestamp>(), data_error);
  EXPECT_THROW((void)value().as<std::int64_t>(), data_error);
}

TEST(Value, CivilDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  for (std::int32_t d : {-800000, -719468, -1, 0, 1, 59, 60, 11016, 19782, 2932896}) {
    int y;
    unsigned m, dd;
    civil_from_days(d, y, m, dd);
    EXPECT_EQ(days_from_civil(y, m, dd), d) << d;
  }
  int y;
  unsigned m, d;
  civil_from_days(days_from_civil(2024, 2, 29), y, m, d);
  EXPECT_EQ(y, 2024);
  EXPECT_EQ(m, 2u);
  EXPECT_EQ(d, 29u);
}

TEST(Value, Iso8601Rendering) {
  EXPECT_EQ(value(date{days_from_civil(2024, 2, 29)}).to_string(), "2024-02-29");
  EXPECT_EQ(value(date{0, 1}).to_string(), "infinity");
  const std::int64_t day_us = 86'400'000'000LL;
  const std::int64_t t = std::int64_t{days_from_civil(2001, 9, 9)} * day_us + ((1 * 60 + 46) * 60 + 40) * 1'000'000LL;
  EXPECT_EQ(value(timestamp{t}).to_string(), "2001-09-09T01:46:40");
  EXPECT_EQ(value(timestamp{t + 250'000}).to_string(), "2001-09-09T01:46:40.25");
  // Before the epoch the division must floor, not truncate.
  EXPECT_EQ(value(timestamp{-1'000'000}).to_string(), "1969-12-31T23:59:59");
  EXPECT_EQ(value(timestamptz{t, 0}).to_string(), "2001-09-09T01:46:40Z");
  EXPECT_EQ(value(timestamptz{t, 2 * 3600}).to_string(), "2001-09-09T03:46:40+02:00");
  EXPECT_EQ(value(timestamptz{t, -(5 * 3600 + 30 * 60)}).to_string(), "2001-09-08T20:16:40-05:30");
  EXPECT_EQ(value(time_of_day{(13 * 3600 + 5 * 60 + 7) * 1'000'000LL, std::nullopt}).to_string(), "13:05:07");
  EXPECT_EQ(value(time_of_day{-(838LL * 3600 + 59 * 60 + 59) * 1'000'000LL, std::nullopt}).to_string(), "-838:59:59");
  EXPECT_EQ(value(time_of_day{0, 3600}).to_string(), "00:00:00+01:00");
  EXPECT_EQ(value(interval{14, 3, 3'723'500'000LL}).to_string(), "P1Y2M3DT1H2M3.5S");
  EXPECT_EQ(value(interval{}).to_string(), "PT0S");
  EXPECT_EQ(value(bytes{0x00, 0xAB, 0xFF}).to_string(), "\\x00abff");
  EXPECT_EQ(value(true).to_string(), "true");
  EXPECT_EQ(value(1.5).to_string(), "1.5");
  EXPECT_EQ(value().to_string(), "NULL");
  EXPECT_EQ(value(array{1, "a", nullptr}).to_string(), "[1,\"a\",null]");
  // Items holding separators, quotes or the word NULL stay apart.
  EXPECT_EQ(value(array{"a, b", "NULL", "q\"", array{1.5, bytes{0xAB}}}).to_string(),
            R"(["a, b","NULL","q\"",[1.5,"\\xab"]])");
}

TEST(Value, UuidParseAndFormat) {
  const uuid u = uuid::parse("123E4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(u.octets[0], 0x12);
  EXPECT_EQ(u.octets[15], 0x00);
  EXPECT_EQ(u.to_string(), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(uuid::parse("123e4567e89b12d3a456426614174000"), u);
  EXPECT_EQ(uuid::parse("{123e4567-e89b-12d3-a456-426614174000}"), u);
  EXPECT_THROW((void)uuid::parse("123e4567-e89b-12d3-a456-42661417400"), invalid_argument_error);
  EXPECT_THROW((void)uuid::parse("123e4567+e89b-12d3-a456-426614174000"), invalid_argument_error);
  EXPECT_THROW((void)uuid::parse("g23e4567-e89b-12d3-a456-426614174000"), invalid_argument_error);
  EXPECT_EQ(value("123e4567-e89b-12d3-a456-426614174000").as<uuid>(), u);
  EXPECT_EQ(value(u).to_string(), "123e4567-e89b-12d3-a456-426614174000");
}

TEST(Value, FromAbiDeepCopies) {
  char buf[] = "hello";
  value v = value::from_abi(abi_text(buf));
  buf[0] = 'j';  // the copy must not see later changes to borrowed memory
  EXPECT_EQ(v.as<std::string>(), "hello");

  dbr_value items[3] = {abi_int(1), abi_text("two"), {}};
  items[2].type = DBR_TYPE_NULL;
  dbr_array arr;
  std::memset(&arr, 0, sizeof arr);
  arr.struct_size = sizeof arr;
  arr.elem_type = DBR_TYPE_INT64;
  arr.count = 3;
  arr.items = items;
  dbr_value a;
  std::memset(&a, 0, sizeof a);
  a.type = DBR_TYPE_ARRAY;
  a.u.arr = &arr;
  const value copy = value::from_abi(a);
  ASSERT_EQ(copy.type(), value_type::array);
  const array& got = std::get<array>(copy.get_storage());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].as<std::int64_t>(), 1);
  EXPECT_EQ(got[1].as<std::string>(), "two");
  EXPECT_TRUE(got[2].is_null());

  dbr_value ts;
  std::memset(&ts, 0, sizeof ts);
  ts.type = DBR_TYPE_TIMESTAMPTZ;
  ts.flags = DBR_VF_NEG_INFINITY;
  EXPECT_EQ(value::from_abi(ts).as<timestamptz>().infinity, -1);

  EXPECT_EQ(value::from_abi(abi_text("3.14", DBR_TYPE_DECIMAL)).as<decimal>().text, "3.14");

  dbr_value bad;
  std::memset(&bad, 0, sizeof bad);
  bad.type = 999;
  EXPECT_THROW(value::from_abi(bad), data_error);
}

TEST(Value, OptionalAndNullConstruction) {
  std::optional<int> none;
  std::optional<int> some = 4;
  EXPECT_TRUE(value(none).is_null());
  EXPECT_EQ(value(some).as<std::int64_t>(), 4);
  EXPECT_TRUE(value(nullptr).is_null());
  EXPECT_EQ(value(std::string_view("sv")).as<std::string>(), "sv");
}
