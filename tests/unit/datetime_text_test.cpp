// SPDX-License-Identifier: Apache-2.0
// The one date/time text codec (sdk/datetime_text.hpp): what it writes, that
// what it writes reads back, and the edges (years 0001 and 9999, before
// 1970, negative times and intervals).
#include <dbridge/sdk/datetime_text.hpp>
#include <dbridge/value.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

using namespace dbridge::sdk;

namespace {

template <class F>
std::string text(F&& f) {
  std::string s;
  append_datetime(s, f);
  return s;
}
constexpr std::int64_t us_per_day = 86400000000LL;

}  // namespace

TEST(DatetimeText, FractionsHaveNoTrailingZeros) {
  EXPECT_EQ(text([](char* b) { return format_time(36000500000LL, b); }), "10:00:00.5");
  EXPECT_EQ(text([](char* b) { return format_time(36000000001LL, b); }), "10:00:00.000001");
  EXPECT_EQ(text([](char* b) { return format_time(36000000000LL, b); }), "10:00:00");
  EXPECT_EQ(text([](char* b) { return format_time(-(90 * 60 * 1000000LL + 250000), b); }), "-01:30:00.25");
  EXPECT_EQ(text([](char* b) { return format_time(838LL * 3600 * 1000000, b); }), "838:00:00");  // MySQL TIME max
  // What value::to_string() prints is the codec's text.
  EXPECT_EQ(dbridge::value(dbridge::time_of_day{36000500000LL, std::nullopt}).to_string(), "10:00:00.5");
  EXPECT_EQ(dbridge::value(dbridge::timestamp{-500000}).to_string(), "1969-12-31T23:59:59.5");
}

TEST(DatetimeText, DatesAtTheBoundsRoundTrip) {
  for (const char* d : {"0001-01-01", "9999-12-31", "1969-12-31", "1970-01-01", "2000-02-29", "1900-03-01"}) {
    std::int64_t days = 0;
    ASSERT_TRUE(parse_date(d, days)) << d;
    EXPECT_EQ(text([&](char* b) { return format_date(days, b); }), d);
  }
  std::int64_t days = 0;
  EXPECT_FALSE(parse_date("1900-02-29", days));
  EXPECT_FALSE(parse_date("2024-13-01", days));
  EXPECT_EQ(text([](char* b) { return format_date(days_from_civil(10000, 1, 1), b); }), "+10000-01-01");
  EXPECT_EQ(text([](char* b) { return format_date(days_from_civil(-1, 12, 31), b); }), "-0001-12-31");
}

TEST(DatetimeText, TimestampsRoundTrip) {
  for (const char* ts : {"0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "1969-12-31 23:59:59.5",
                         "1960-06-15 12:00:00.000001", "2024-02-29 10:00:00.25"}) {
    std::int64_t us = 0;
    ASSERT_TRUE(parse_timestamp(ts, us)) << ts;
    EXPECT_EQ(text([&](char* b) { return format_timestamp(us, b); }), ts);
  }
  std::int64_t us = 0;
  ASSERT_TRUE(parse_timestamp("1970-01-01T00:00:00.5Z", us));
  EXPECT_EQ(us, 500000);
  EXPECT_EQ(text([&](char* b) { return format_timestamp(us, b, 'T'); }), "1970-01-01T00:00:00.5");
  std::int64_t t = 0;
  ASSERT_TRUE(parse_time("23:59:59.999999", t));
  EXPECT_EQ(t, us_per_day - 1);
}

TEST(DatetimeText, OffsetsAndTemporalCells) {
  EXPECT_EQ(text([](char* b) { return format_offset(0, b); }), "+00:00");
  EXPECT_EQ(text([](char* b) { return format_offset(0, b, true); }), "Z");
  EXPECT_EQ(text([](char* b) { return format_offset(-(5 * 3600 + 30 * 60), b); }), "-05:30");
  EXPECT_EQ(text([](char* b) { return format_offset(3600 + 15, b); }), "+01:00:15");
  dbr_value v{};
  v.type = DBR_TYPE_TIMESTAMPTZ;
  v.u.ts.micros = 0;
  v.u.ts.offset_s = 3600;
  EXPECT_EQ(text([&](char* b) { return format_temporal(v, b); }), "1970-01-01 01:00:00+01:00");
  v.flags = DBR_VF_NEG_INFINITY;
  EXPECT_EQ(text([&](char* b) { return format_temporal(v, b); }), "-infinity");
  v = dbr_value{};
  v.type = DBR_TYPE_TIME;
  v.u.ts.micros = 36000500000LL;
  v.flags = DBR_VF_HAS_OFFSET;
  v.u.ts.offset_s = -7200;
  EXPECT_EQ(text([&](char* b) { return format_temporal(v, b); }), "10:00:00.5-02:00");
  v.type = DBR_TYPE_TEXT;
  EXPECT_EQ(format_temporal(v, nullptr), 0u);
}

TEST(DatetimeText, IntervalsKeepEachPartsSign) {
  EXPECT_EQ(text([](char* b) { return format_interval(0, 0, 0, b); }), "PT0S");
  EXPECT_EQ(text([](char* b) { return format_interval(14, 3, 4 * 3600000000LL + 5 * 60000000LL + 6500000, b); }),
            "P1Y2M3DT4H5M6.5S");
  EXPECT_EQ(text([](char* b) { return format_interval(0, -1, 2 * 3600000000LL, b); }), "P-1DT2H");
  EXPECT_EQ(text([](char* b) { return format_interval(-14, 0, -(3600000000LL + 500000), b); }), "P-1Y-2MT-1H-0.5S");
  EXPECT_EQ(text([](char* b) { return format_interval(0, 0, 1, b); }), "PT0.000001S");
  // The extremes fit the buffer.
  EXPECT_LE(format_interval(INT32_MIN, INT32_MIN, INT64_MIN, std::string(datetime_text_max, '\0').data()),
            datetime_text_max);
  EXPECT_EQ(dbridge::value(dbridge::interval{0, -1, 2 * 3600000000LL}).to_string(), "P-1DT2H");
}
