// SPDX-License-Identifier: Apache-2.0
// PostgreSQL values that used to depend on their neighbours or fail: extra
// types next to typed columns (in binary and in the text fallback),
// multi-dimensional arrays, timestamptz in the session's zone, edge values.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "driver_suite.hpp"
#include "test_server.hpp"
#include "dbridge/batch.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"

using namespace dbridge;

namespace {

constexpr std::int64_t day_us = 86'400'000'000LL;

class Values : public dbridge::test::connected_test {
 protected:
  Values() : connected_test("DBRIDGE_TEST_POSTGRES_URL") {}
  /// What psql prints for expr: the server's own text output.
  std::string server_text(const std::string& expr) { return c().query_one("SELECT (" + expr + ")::text").get<std::string>(0); }
};

// The typed neighbours every extra-type column is read next to.
const char* const neighbours =
    "'2020-01-02'::date, '1969-07-20 20:17:40.5'::timestamp, ARRAY[1, NULL, 3]::int4[], "
    "'1 year 2 mons -3 days 04:05:06.5'::interval, '10:00:00.5'::time, ARRAY[['a','b'],['c','d']]";

void expect_typed_neighbours(const row& r, std::size_t first, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(r.get<date>(first), (date{days_from_civil(2020, 1, 2)}));
  EXPECT_EQ(r.get<timestamp>(first + 1).micros, days_from_civil(1969, 7, 20) * day_us + 73'060'500'000LL);
  EXPECT_EQ(r.get_value(first + 2), value(array{value(1), value(), value(3)}));
  EXPECT_EQ(r.get_value(first + 3), value(interval{14, -3, 14'706'500'000LL}));
  EXPECT_EQ(r.get_value(first + 4), value(time_of_day{36'000'500'000LL, std::nullopt}));
  EXPECT_EQ(r.get_value(first + 5), value(array{value(array{value("a"), value("b")}), value(array{value("c"), value("d")})}));
}

}  // namespace

TEST_F(Values, ExtraTypesReadAsPsqlTextAndLeaveTheirNeighboursTyped) {
  c().execute("DROP TYPE IF EXISTS dbr_pgvalues_mood");
  c().execute("CREATE TYPE dbr_pgvalues_mood AS ENUM ('ok', 'sad one')");
  const std::vector<std::string> extras = {
      "point(1.5, -2)", "'(0.0001,1e20)'::point", "'08:00:2b:01:02:03'::macaddr",
      "'08:00:2b:01:02:03:04:05'::macaddr8", "B'0101'", "'10101'::varbit", "B''::varbit", "'[1,5]'::int4range",
      "'empty'::int4range", "int4range(NULL, 3)", "int8range(-9223372036854775807, 0)", "numrange(1.5, 2.25, '[]')",
      "daterange('2020-01-01', 'infinity')", "tsrange('2020-01-01 10:00', '2020-01-01 11:00:00.5')",
      "tsrange('0044-03-15 BC', NULL)", "'10.1.2.3/8'::inet", "'2001:db8::/32'::cidr", "12345.5::money",
      "'a fat:2 cat'::tsvector", "'<a>x</a>'::xml", "tstzrange('2020-01-01', '2020-02-01')",
      "'sad one'::dbr_pgvalues_mood", "ARRAY[point(1,2), NULL]", "ARRAY['[1,2)'::int4range]",
      "ARRAY[12.5::money]", "'<(1,2),3>'::circle", "'((0,0),(1,1))'::box"};
  for (const std::string& e : extras) {
    const std::string psql = server_text(e);
    auto r = c().query("SELECT " + std::string(neighbours) + ", " + e);
    const row* row = r.next();
    ASSERT_NE(row, nullptr) << e;
    expect_typed_neighbours(*row, 0, e);
    if (row->get_value(6).type() == value_type::array)
      EXPECT_EQ(row->get_value(6).template as<array>().at(0).to_string(), server_text("(" + e + ")[1]")) << e;
    else
      EXPECT_EQ(row->get<std::string>(6), psql) << e;
    EXPECT_EQ(r.columns()[6].native_type.empty(), false) << e;
  }
  c().execute("DROP TYPE dbr_pgvalues_mood");
}

TEST_F(Values, ExtraTypesHaveTheTextPsqlPrints) {
  // Spelled out once, so a wrong server-side expectation cannot hide a bug.
  const std::pair<const char*, const char*> cases[] = {
      {"'(0.0001,1e20)'::point", "(0.0001,1e+20)"},
      {"'[1,5]'::int4range", "[1,6)"},
      {"tsrange('2020-01-01 10:00', '2020-01-01 11:00:00.5')", "[\"2020-01-01 10:00:00\",\"2020-01-01 11:00:00.5\")"},
      {"tsrange('0044-03-15 BC', '9999-12-31')", "[\"0044-03-15 00:00:00 BC\",\"9999-12-31 00:00:00\")"},
      {"'08:00:2b:01:02:03'::macaddr", "08:00:2b:01:02:03"},
      {"B'0101'", "0101"},
      {"12345.5::money", "$12,345.50"},
  };
  for (const auto& [expr, text] : cases) {
    auto r = c().query_one(std::string("SELECT '2020-01-02'::date, ") + expr);
    EXPECT_EQ(r.get<std::string>(1), text) << expr;
    EXPECT_EQ(r.get<date>(0), (date{days_from_civil(2020, 1, 2)})) << expr;
  }
}

TEST_F(Values, TextFallbackParsesEveryTypedColumn) {
  // money has no binary decoder here, so this statement's results come in
  // text: each typed column must read exactly as in binary.
  const std::string cols =
      "'2020-01-02'::date, '0044-03-15 BC'::date, 'infinity'::date, '-infinity'::timestamp, "
      "'1969-12-31 23:59:59.999999'::timestamp, '2024-03-10 12:00:00+05:30'::timestamptz, '10:00:00.5'::time, "
      "'10:00:00.5-03:30'::timetz, '-1 years -2 mons +3 days -04:05:06.000001'::interval, '00:00:00'::interval, "
      "ARRAY[['a,b','c\"d'],[NULL,'NULL']], ARRAY['2020-01-02'::date, NULL], '{}'::int[], ARRAY[1.5, NULL]::numeric[], "
      "ARRAY[true, false], '\\x00ff'::bytea, ARRAY[[[1]],[[2]]]";
  const record binary = c().query_one("SELECT " + cols);
  auto r = c().query("SELECT " + cols + ", 1::money");
  const row* text = r.next();
  ASSERT_NE(text, nullptr);
  for (std::size_t i = 0; i < binary.size(); ++i) {
    EXPECT_EQ(text->get_value(i), binary[i]) << "column " << i << ": " << text->get_value(i).to_string() << " vs " << binary[i].to_string();
    EXPECT_EQ(r.columns()[i].type, binary[i].type()) << "column " << i;
  }
  EXPECT_EQ(text->get<std::string>(binary.size()), "$1.00");
}

TEST_F(Values, MultiDimensionalArraysReadAsNestedArrays) {
  EXPECT_EQ(c().query_one("SELECT ARRAY[[1,2],[3,4]]")[0],
            value(array{value(array{value(1), value(2)}), value(array{value(3), value(4)})}));
  EXPECT_EQ(c().query_one("SELECT ARRAY[[[1],[NULL]],[[3],[4]]]::int8[]")[0],
            value(array{value(array{value(array{value(1)}), value(array{value()})}),
                        value(array{value(array{value(3)}), value(array{value(4)})})}));
  EXPECT_EQ(c().query_one("SELECT ARRAY[['x','y']]")[0], value(array{value(array{value("x"), value("y")})}));
}

TEST_F(Values, MultiDimensionalArrayParametersRoundTrip) {
  const value m(array{value(array{value(1), value()}), value(array{value(3), value(4)})});
  EXPECT_EQ(c().query_one("SELECT $1::int4[]", {m})[0], m);
  auto r = c().query_one("SELECT $1::int8[], array_dims($1::int8[]), ($1::int8[])[2][1]", {m});
  EXPECT_EQ(r[0], m);
  EXPECT_EQ(r.get<std::string>(1), "[1:2][1:2]");
  EXPECT_EQ(r.get<std::int64_t>(2), 3);
  const value texts(array{value(array{value("a \"b\""), value("c,d")}), value(array{value("{}"), value()})});
  EXPECT_EQ(c().query_one("SELECT $1::text[]", {texts})[0], texts);
  // Inferred type (no cast): the server sees a two-dimensional bigint array.
  EXPECT_EQ(c().query_one("SELECT array_ndims($1::int8[])", {m}).get<std::int64_t>(0), 2);
}

TEST_F(Values, RaggedNestedParametersAreADataError) {
  const value ragged(array{value(array{value(1), value(2)}), value(array{value(3)})});
  try {
    (void)c().query_one("SELECT $1::int4[]", {ragged});
    FAIL() << "a ragged array was sent";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("ragged"), std::string::npos) << e.what();
  }
  const value mixed(array{value(array{value(1)}), value(2)});
  EXPECT_THROW(c().query_one("SELECT $1::int4[]", {mixed}), data_error);
  EXPECT_EQ(c().query_one("SELECT 1").get<std::int64_t>(0), 1);  // the connection is fine
}

TEST_F(Values, ArraysNotStartingAtOneAreRefusedClearly) {
  for (const char* sql : {"SELECT '[0:1]={1,2}'::int[]", "SELECT '[0:1]={1,2}'::int[], 1::money"}) {
    try {
      (void)c().query_one(sql);
      FAIL() << sql;
    } catch (const data_error& e) {
      EXPECT_NE(std::string(e.what()).find("[0:1]"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(c().query_one("SELECT array(SELECT unnest('[0:1]={1,2}'::int[]))")[0], value(array{value(1), value(2)}));
}

TEST_F(Values, EdgeDatesTimestampsAndNumerics) {
  for (const char* extra : {"", ", 1::money"}) {  // binary, then the text fallback
    SCOPED_TRACE(extra);
    auto r = c().query_one(
        std::string("SELECT '0001-01-01'::date, '9999-12-31'::date, '0001-01-01 00:00:00'::timestamp, "
                    "'9999-12-31 23:59:59.999999'::timestamp, '1900-01-01 00:00:00.000001'::timestamp, "
                    "'infinity'::date, '-infinity'::date, 'infinity'::timestamp, '-infinity'::timestamptz, "
                    "'1234567890123456789012345678901234567890'::numeric, 'NaN'::numeric, "
                    "'-0.000000000000000000000000000000000000001'::numeric, '0044-03-15 BC'::date") +
        extra);
    EXPECT_EQ(r[0], value(date{days_from_civil(1, 1, 1)}));
    EXPECT_EQ(r[1], value(date{days_from_civil(9999, 12, 31)}));
    EXPECT_EQ(r[2], value(timestamp{days_from_civil(1, 1, 1) * day_us}));
    EXPECT_EQ(r[3], value(timestamp{days_from_civil(9999, 12, 31) * day_us + day_us - 1}));
    EXPECT_EQ(r[4], value(timestamp{days_from_civil(1900, 1, 1) * day_us + 1}));
    EXPECT_EQ(r[5], value(date{0, 1}));
    EXPECT_EQ(r[6], value(date{0, -1}));
    EXPECT_EQ(r[7], value(timestamp{0, 1}));
    EXPECT_EQ(r[8].as<timestamptz>().infinity, -1);
    EXPECT_EQ(r[9], value(decimal{"1234567890123456789012345678901234567890"}));
    EXPECT_EQ(r[10], value(decimal{"NaN"}));
    EXPECT_EQ(r[11], value(decimal{"-0.000000000000000000000000000000000000001"}));
    EXPECT_EQ(r[12], value(date{days_from_civil(-43, 3, 15)}));  // 44 BC is astronomical year -43
  }
  // And back: parameters of the same values arrive as the server's own text.
  auto r = c().query_one("SELECT $1::date::text, $2::timestamp::text, $3::numeric::text, $4::date::text",
                         {date{days_from_civil(1, 1, 1)}, timestamp{days_from_civil(9999, 12, 31) * day_us + day_us - 1},
                          decimal{"1234567890123456789012345678901234567890"}, date{days_from_civil(-43, 3, 15)}});
  EXPECT_EQ(r.get<std::string>(0), "0001-01-01");
  EXPECT_EQ(r.get<std::string>(1), "9999-12-31 23:59:59.999999");
  EXPECT_EQ(r.get<std::string>(2), "1234567890123456789012345678901234567890");
  EXPECT_EQ(r.get<std::string>(3), "0044-03-15 BC");
}

TEST_F(Values, TimestamptzCarriesTheSessionZoneOffset) {
  const std::int64_t new_year = days_from_civil(2024, 1, 1) * day_us;     // 2024-01-01T00:00Z
  const std::int64_t midsummer = days_from_civil(2024, 7, 1) * day_us;    // 2024-07-01T00:00Z
  const std::string sql =
      "SELECT '2024-01-01 00:00:00Z'::timestamptz, '2024-07-01 00:00:00Z'::timestamptz, "
      "ARRAY['2024-07-01 00:00:00Z'::timestamptz], ('2024-01-01 00:00:00Z'::timestamptz)::text";
  const struct {
    const char* set;
    std::int32_t winter, summer;
  } zones[] = {{"SET TimeZone = 'Asia/Kolkata'", 19800, 19800},
               {"SET TimeZone = 'America/New_York'", -18000, -14400},
               {"SET TIME ZONE INTERVAL '+05:45' HOUR TO MINUTE", 20700, 20700},
               {"SET TimeZone = 'UTC'", 0, 0}};
  for (const auto& z : zones) {
    SCOPED_TRACE(z.set);
    c().execute(z.set);
    for (const char* extra : {"", ", 1::money"}) {  // binary, then the text fallback
      SCOPED_TRACE(extra);
      const record r = c().query_one(sql + extra);
      EXPECT_EQ(r[0], value(timestamptz{new_year, z.winter, 0}));
      EXPECT_EQ(r[1], value(timestamptz{midsummer, z.summer, 0}));
      EXPECT_EQ(r[2], value(array{value(timestamptz{midsummer, z.summer, 0})}));
      // The wall time psql shows (to_string's separator and offset spelling are its own).
      const std::string shown = r.get<std::string>(3), ours = r[0].to_string();
      EXPECT_EQ(ours.substr(0, 10), shown.substr(0, 10));
      EXPECT_EQ(ours.substr(11, 8), shown.substr(11, 8));
    }
    // A parameter is the same instant whatever offset it carries.
    const record back = c().query_one("SELECT $1::timestamptz = '2024-01-01 00:00:00Z'::timestamptz",
                                      {timestamptz{new_year, -12345, 0}});
    EXPECT_TRUE(back.get<bool>(0));
  }
  c().execute("RESET TimeZone");
}

TEST_F(Values, PipelinesReadAndBindTheSameValues) {
  c().execute("SET TimeZone = 'Asia/Kolkata'");
  const value m(array{value(array{value(1), value(2)}), value(array{value(3), value()})});
  std::vector<batch_item> items;
  {
    batch b(c());
    // No cast: the parameter's type comes from the value (a 2-D bigint array).
    b.add("SELECT $1, array_ndims($1)", {m});
    b.add("SELECT '2020-01-02'::date, point(1, 2), '[1,5]'::int4range, '2024-01-01 00:00:00Z'::timestamptz");
    items = b.execute();
  }
  ASSERT_EQ(items.size(), 2u);
  ASSERT_TRUE(items[0].ok()) << items[0].error->message;
  EXPECT_EQ(items[0].rows.at(0)[0], m);
  EXPECT_EQ(items[0].rows.at(0)[1], value(2));
  ASSERT_TRUE(items[1].ok()) << items[1].error->message;
  const auto& r = items[1].rows.at(0);
  EXPECT_EQ(r[0], value(date{days_from_civil(2020, 1, 2)}));
  EXPECT_EQ(r[1], value("(1,2)"));
  EXPECT_EQ(r[2], value("[1,6)"));
  EXPECT_EQ(r[3], value(timestamptz{days_from_civil(2024, 1, 1) * day_us, 19800, 0}));
  c().execute("RESET TimeZone");
}

// PostgreSQL's timestamps run ~30 years past where int64 microseconds since
// 1970 end (294247-01-10): shifting them from PostgreSQL's 2000-based count
// overflowed, and '294247-06-01' read as "-290307-05-12T15:58:10".
TEST_F(Values, TimestampsPastDbridgesRangeAreADataErrorNotAWrappedValue) {
  const std::int64_t last = std::numeric_limits<std::int64_t>::max();
  for (const char* extra : {"", ", 1::money"}) {  // binary, then the text fallback
    SCOPED_TRACE(extra);
    for (const char* v : {"'294247-06-01'::timestamp", "'294276-12-31 23:59:59.999999'::timestamp",
                          "'294276-12-31 00:00:00+00'::timestamptz"}) {
      SCOPED_TRACE(v);
      try {
        const record r = c().query_one(std::string("SELECT ") + v + extra);
        ADD_FAILURE() << "read as " << r[0].to_string();
      } catch (const data_error& e) {
        EXPECT_EQ(e.sqlstate(), "22008") << e.what();
        EXPECT_NE(std::string(e.what()).find(std::string(v).substr(1, 10)), std::string::npos) << e.what();
      }
    }
    // The last microsecond dbridge holds still reads exactly.
    const record r = c().query_one(std::string("SELECT '294247-01-10 04:00:54.775807'::timestamp") + extra);
    EXPECT_EQ(r[0], value(timestamp{last}));
  }
  // And back: a parameter before PostgreSQL's first timestamp (4714-11-24 BC)
  // must be refused, not wrapped round into 294247 or sent as -infinity.
  const std::int64_t pg_epoch = days_from_civil(2000, 1, 1) * day_us;
  for (const std::int64_t us : {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::min() + pg_epoch,
                                std::numeric_limits<std::int64_t>::min() + pg_epoch - 1}) {
    SCOPED_TRACE(us);
    try {
      const record r = c().query_one("SELECT $1::timestamp::text", {timestamp{us}});
      ADD_FAILURE() << "stored as " << r.get<std::string>(0);
    } catch (const data_error& e) {
      EXPECT_EQ(e.sqlstate(), "22008") << e.what();
    }
  }
  EXPECT_EQ(c().query_one("SELECT $1::timestamp::text", {timestamp{last}}).get<std::string>(0),
            "294247-01-10 04:00:54.775807");
}
