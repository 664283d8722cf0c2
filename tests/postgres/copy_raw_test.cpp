// SPDX-License-Identifier: Apache-2.0
// copy_in::write_rows_raw against the real PostgreSQL server: borrowed ABI
// cells go into the binary COPY stream as they are (the graph mappers'
// insert_rows path). Every value type reads back as the same cell written
// through write_row (the value path) does, and text PostgreSQL cannot hold
// fails with a typed error, leaving the connection usable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <dbridge/sdk/value.hpp>

#include "driver_suite.hpp"
#include "test_server.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "dbridge/error.hpp"

using namespace dbridge;
namespace sdk = dbridge::sdk;

namespace {

class CopyRaw : public dbridge::test::connected_test {
 protected:
  CopyRaw() : connected_test("DBRIDGE_TEST_POSTGRES_URL") {}
  void SetUp() override {
    connected_test::SetUp();
    for (const std::string& t : {raw, by_value}) c().execute("DROP TABLE IF EXISTS " + t);
  }
  void TearDown() override {
    if (db && db->is_open())
      for (const std::string& t : {raw, by_value}) c().execute("DROP TABLE IF EXISTS " + t);
  }
  void create(const std::string& table, const std::string& columns) {
    c().execute("CREATE TABLE " + table + " (" + columns + ")");
  }
  std::int64_t count(const std::string& table) {
    return c().query_one("SELECT count(*) FROM " + table).get<std::int64_t>(0);
  }
  const std::string raw = "dbr_pgtest_copy_raw_" + std::to_string(::getpid());
  const std::string by_value = "dbr_pgtest_copy_value_" + std::to_string(::getpid());
};

// One column per (column type, value type) pair the encoder takes: the fast
// forms (text, varchar, bpchar, json, jsonb, int8, float8) and the general
// encoder's, including the pairs a fast column hands on to it (a uint64 or a
// bool into int8, an int64 into float8, an int64 into text).
const char* const columns =
    "k int4, i8 int8, i8_from_u64 int8, i8_from_bool int8, i4 int4, i2 int2, b bool, f8 float8, f8_from_int float8, "
    "f4 float4, t text, t_empty text, t_from_int text, vc varchar(20), bc char(4), js json, jb jsonb, "
    "jb_from_text jsonb, by bytea, num numeric(20,6), id uuid, d date, tm time, tz timetz, ts timestamp, "
    "tstz timestamptz, iv interval, arr int8[], tarr text[]";

}  // namespace

TEST_F(CopyRaw, EveryValueTypeReadsBackAsThroughTheValuePath) {
  create(raw, columns);
  create(by_value, columns);
  const std::string unicode = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80";
  const char bytes[] = {'\0', '\x01', '\xff', 'a', '\0'};
  const std::uint8_t octets[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                   0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  const dbr_value ints[] = {sdk::make_int64(INT64_MIN), sdk::make_null(), sdk::make_int64(7)};
  const dbr_value texts[] = {sdk::make_text("a"), sdk::make_text(unicode)};
  dbr_array int_array{sizeof(dbr_array), DBR_TYPE_INT64, 3, ints, nullptr};
  dbr_array text_array{sizeof(dbr_array), DBR_TYPE_TEXT, 2, texts, nullptr};
  dbr_value arr = sdk::make_null(), tarr = sdk::make_null();
  arr.type = tarr.type = DBR_TYPE_ARRAY;
  arr.u.arr = &int_array;
  tarr.u.arr = &text_array;
  dbr_value interval = sdk::make_null();
  interval.type = DBR_TYPE_INTERVAL;
  interval.u.iv = {14, 3, 5'000'001};
  const dbr_value full[] = {
      sdk::make_int64(1),
      sdk::make_int64(INT64_MIN),
      sdk::make_uint64(9'000'000'000'000'000'000ULL),
      sdk::make_bool(true),
      sdk::make_int64(INT32_MAX),
      sdk::make_int64(-300),
      sdk::make_bool(true),
      sdk::make_double(-1.5e300),
      sdk::make_int64(1LL << 52),
      sdk::make_double(0.25),
      sdk::make_text(unicode),
      sdk::make_text(""),
      sdk::make_int64(-42),
      sdk::make_text("varchar"),
      sdk::make_text("ab"),
      sdk::make_json("{\"b\" :  [1, 2]}"),
      sdk::make_json("{\"a\": {\"x\": null}, \"u\": \"\\u00e9\"}"),
      sdk::make_text("[true, 1.5, \"s\"]"),
      sdk::make_bytes(bytes, sizeof bytes),
      sdk::make_decimal("-12345678901234.123456"),
      sdk::make_uuid(octets),
      sdk::make_temporal(DBR_TYPE_DATE, -719162),  // 0001-01-01
      sdk::make_temporal(DBR_TYPE_TIME, 86'399'999'999),
      [] {
        dbr_value v = sdk::make_temporal(DBR_TYPE_TIME, 3'600'000'000, -5 * 3600);
        v.flags |= DBR_VF_HAS_OFFSET;
        return v;
      }(),
      sdk::make_temporal(DBR_TYPE_TIMESTAMP, 1'700'000'000'123'456),
      sdk::make_temporal(DBR_TYPE_TIMESTAMPTZ, -1'000'000'000'000'001),
      interval,
      arr,
      tarr,
  };
  constexpr std::size_t width = sizeof full / sizeof full[0];
  // Row 2: NULL in every column but the key; row 3: the first again, so one call carries several rows.
  std::vector<dbr_value> cells(full, full + width);
  cells.push_back(sdk::make_int64(2));
  for (std::size_t i = 1; i < width; ++i) cells.push_back(sdk::make_null());
  cells.insert(cells.end(), full, full + width);
  cells[2 * width] = sdk::make_int64(3);
  const std::uint64_t nrows = cells.size() / width;

  {
    copy_in in(c(), raw);
    in.write_rows_raw(cells.data(), nrows);
    EXPECT_EQ(in.rows_written(), 3);
    EXPECT_EQ(in.finish(), 3);
  }
  {
    copy_in in(c(), by_value);
    std::vector<value> row(width);
    for (std::uint64_t r = 0; r < nrows; ++r) {
      for (std::size_t i = 0; i < width; ++i) row[i] = value::from_abi(cells[r * width + i]);
      in.write_row(row);
    }
    EXPECT_EQ(in.finish(), 3);
  }

  auto got = c().query("SELECT * FROM " + raw + " ORDER BY k").to_vector();
  auto want = c().query("SELECT * FROM " + by_value + " ORDER BY k").to_vector();
  ASSERT_EQ(got.size(), 3u);
  ASSERT_EQ(want.size(), 3u);
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t i = 0; i < width; ++i)
      EXPECT_EQ(got[r][i], want[r][i]) << "row " << r + 1 << ", column " << i << ": " << got[r][i].to_string()
                                       << " vs " << want[r][i].to_string();
  // And the values themselves, where the column keeps them exactly.
  const auto& row = got[0];
  EXPECT_EQ(row[1], value(std::int64_t{INT64_MIN}));
  EXPECT_EQ(row[2], value(std::int64_t{9'000'000'000'000'000'000LL}));
  EXPECT_EQ(row[3], value(std::int64_t{1}));
  EXPECT_EQ(row[7], value(-1.5e300));
  EXPECT_EQ(row[8], value(static_cast<double>(1LL << 52)));
  EXPECT_EQ(row[10], value(unicode));
  EXPECT_EQ(row[11], value(std::string()));
  EXPECT_EQ(row[12], value("-42"));
  EXPECT_EQ(row[14], value("ab  "));
  EXPECT_EQ(row[18], value(dbridge::bytes(reinterpret_cast<const std::uint8_t*>(bytes),
                                          reinterpret_cast<const std::uint8_t*>(bytes) + sizeof bytes)));
  EXPECT_EQ(row[19], value(decimal{"-12345678901234.123456"}));
  auto text_of = c().query_one("SELECT js::text, jb = '{\"a\": {\"x\": null}, \"u\": \"\\u00e9\"}'::jsonb, "
                                "jb_from_text = '[true, 1.5, \"s\"]'::jsonb, id::text, tz::text, arr::text, "
                                "iv::text FROM " + raw + " WHERE k = 1");
  EXPECT_EQ(text_of[0], value("{\"b\" :  [1, 2]}"));
  EXPECT_EQ(text_of[1], value(true));
  EXPECT_EQ(text_of[2], value(true));
  EXPECT_EQ(text_of[3], value("12345678-9abc-def0-0123-456789abcdef"));
  EXPECT_EQ(text_of[4], value("01:00:00-05"));
  EXPECT_EQ(text_of[5], value("{-9223372036854775808,NULL,7}"));
  EXPECT_EQ(text_of[6], value("1 year 2 mons 3 days 00:00:05.000001"));
  for (std::size_t i = 1; i < width; ++i) EXPECT_TRUE(got[1][i].is_null()) << "column " << i;
}

TEST_F(CopyRaw, NulInTextIsRefusedWithATypedErrorAndNothingIsStored) {
  create(raw, "k int4, t text, jb jsonb, by bytea");
  const char nul_text[] = {'a', '\0', 'b'};
  const char bytes[] = {'\0', '\0'};
  for (const char* column : {"t", "jb"}) {
    const bool in_text = std::string(column) == "t";
    const dbr_value good[] = {sdk::make_int64(1), sdk::make_text("ok"), sdk::make_json("{}"),
                              sdk::make_bytes(bytes, sizeof bytes)};
    const dbr_value bad[] = {sdk::make_int64(2), in_text ? sdk::make_text({nul_text, 3}) : sdk::make_text("ok"),
                             in_text ? sdk::make_json("{}") : sdk::make_json({nul_text, 3}),
                             sdk::make_bytes(bytes, sizeof bytes)};
    {
      copy_in in(c(), raw);
      in.write_rows_raw(good, 1);
      try {
        in.write_rows_raw(bad, 1);
        ADD_FAILURE() << "a NUL byte in column " << column << " was sent";
      } catch (const data_error& e) {
        EXPECT_EQ(e.subcategory(), suberrc::nul_byte) << e.what();
        const std::string msg = e.what();
        EXPECT_NE(msg.find(std::string("column \"") + column + "\""), std::string::npos) << msg;
        EXPECT_NE(msg.find("row 2"), std::string::npos) << msg;
        EXPECT_NE(msg.find("offset 1"), std::string::npos) << msg;
      }
      EXPECT_EQ(in.rows_written(), 1);
    }  // abandoned: nothing is stored
    EXPECT_EQ(count(raw), 0) << column;
  }
}

TEST_F(CopyRaw, InvalidUtf8IsRefusedByTheServerWithATypedErrorAndTheConnectionStaysUsable) {
  create(raw, "k int4, t varchar(10)");
  const dbr_value rows[] = {sdk::make_int64(1), sdk::make_text("fine"), sdk::make_int64(2),
                            sdk::make_text("\xC3\x28 bad")};
  try {
    copy_in in(c(), raw);
    in.write_rows_raw(rows, 2);
    (void)in.finish();
    ADD_FAILURE() << "invalid UTF-8 was stored";
  } catch (const data_error& e) {
    EXPECT_EQ(e.info().sqlstate, "22021") << e.what();
  }
  EXPECT_EQ(count(raw), 0);
  // A cell the column cannot take is refused naming its row and column,
  // and nothing is stored.
  auto refused = [&](std::span<const dbr_value> cells, std::uint64_t nrows, const std::string& names) {
    try {
      copy_in in(c(), raw);
      in.write_rows_raw(cells.data(), nrows);
      ADD_FAILURE() << "COPY took cells it should refuse with: " << names;
    } catch (const data_error& e) {
      EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
    }
  };
  const dbr_value wrong[] = {sdk::make_double(1.5), sdk::make_text("x")};
  refused(wrong, 1, "row 1, column \"k\"");
  // An integer beyond int4 takes the general encoder (int4's own fast form
  // takes only what fits), whose error names the type.
  const dbr_value wide[] = {sdk::make_int64(-2147483648LL), sdk::make_text("min"), sdk::make_int64(2147483648LL),
                            sdk::make_text("x")};
  refused(wide, 2, "row 2, column \"k\" (int4) cannot take the int64 value given");
  EXPECT_EQ(count(raw), 0);
  // What fits goes through int4's fast form, sign and all.
  {
    copy_in in(c(), raw);
    in.write_rows_raw(wide, 1);
    EXPECT_EQ(in.finish(), 1);
  }
  EXPECT_EQ(c().query_one("SELECT k FROM " + raw + " WHERE t = 'min'").get<std::int64_t>(0), -2147483648LL);
  c().execute("DELETE FROM " + raw);
  EXPECT_EQ(c().query_one("SELECT 1 + 1").get<std::int64_t>(0), 2);
}

TEST_F(CopyRaw, WritingAfterTheEndOrWithoutCellsIsAnError) {
  create(raw, "k int4");
  copy_in in(c(), raw, {"k"});
  EXPECT_THROW(in.write_rows_raw(nullptr, 1), invalid_argument_error);
  in.write_rows_raw(nullptr, 0);  // no rows: nothing to read
  const dbr_value one = sdk::make_int64(5);
  in.write_rows_raw(&one, 1);
  EXPECT_EQ(in.finish(), 1);
  EXPECT_THROW(in.write_rows_raw(&one, 1), invalid_state_error);
  EXPECT_EQ(count(raw), 1);
}
