// SPDX-License-Identifier: Apache-2.0
// The MySQL / MariaDB plugin end to end against the real server named by
// DBRIDGE_TEST_MYSQL_URL (scripts/servers starts one).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "driver_suite.hpp"
#include "test_server.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "dbridge/error.hpp"
#include "dbridge/url.hpp"

using namespace dbridge;

namespace {

std::string server_url() { return dbridge::test::env_or_empty("DBRIDGE_TEST_MYSQL_URL"); }

#define REQUIRE_SERVER() DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_MYSQL_URL")

/// The URL with extra query options appended.
std::string url_with(const std::string& options) {
  const std::string u = server_url();
  return u + (u.find('?') == std::string::npos ? "?" : "&") + options;
}

/// Table names unique to this process, dropped by the guard.
struct table_guard {
  connection& db;
  std::string name;
  table_guard(connection& c, const std::string& base, const std::string& columns)
      : db(c), name("dbr_mytest_" + base + "_" + std::to_string(::getpid())) {
    db.execute("DROP TABLE IF EXISTS " + name);
    db.execute("CREATE TABLE " + name + " (" + columns + ") ENGINE=InnoDB");
  }
  ~table_guard() {
    try {
      if (db.is_open()) db.execute("DROP TABLE IF EXISTS " + name);
    } catch (...) {
    }
  }
};

std::int64_t thread_id(connection& c) { return c.query_one("SELECT CONNECTION_ID()").get<std::int64_t>(0); }

/// Polls the server (bounded) until thread id is in the given state.
bool wait_for_state(connection& watcher, std::int64_t id, const std::string& like) {
  for (int i = 0; i < 20000; ++i)
    if (watcher
            .query_one("SELECT count(*) FROM information_schema.processlist WHERE id = $1 AND state LIKE $2",
                       {id, like})
            .get<std::int64_t>(0) > 0)
      return true;
  return false;
}

constexpr std::int64_t day_us = 86'400'000'000LL;

}  // namespace

class Mysql : public dbridge::test::connected_test {
 protected:
  Mysql() : connected_test("DBRIDGE_TEST_MYSQL_URL") {}
};

// ------------------------------------------------------------ connecting
TEST_F(Mysql, ConnectsWithOptionsAndRejectsUnknownOnes) {
  auto d = connect(url_with("charset=utf8mb4&connect_timeout=5&read_timeout=30&write_timeout=30&ssl_mode=disabled"
                            "&init_command=SET%20%40dbr_init%20%3D%2042"));
  EXPECT_EQ(d.query_one("SELECT @dbr_init").get<std::int64_t>(0), 42);
  EXPECT_EQ(d.query_one("SELECT @@character_set_client").get<std::string>(0), "utf8mb4");
  EXPECT_EQ(d.query_one("SELECT @@time_zone").get<std::string>(0), "+00:00");
  EXPECT_EQ(d.plugin_id(), "mysql");
  EXPECT_THROW(connect(url_with("no_such_option=1")), invalid_argument_error);
  EXPECT_THROW(connect(url_with("ssl_mode=sometimes")), invalid_argument_error);
  EXPECT_THROW(connect(url_with("connect_timeout=soon")), invalid_argument_error);
  if (const char* sock = std::getenv("DBRIDGE_TEST_MYSQL_SOCKET")) {
    // The socket account is the OS user's; over the socket the TCP user is
    // refused, which still proves the path was used: the error is not "can't connect".
    try {
      auto s = connect(url_with(std::string("socket=") + sock));
      EXPECT_TRUE(s.ping());
    } catch (const auth_error& e) {
      EXPECT_EQ(e.native_code(), 1045);
    }
  }
}

TEST_F(Mysql, BadPasswordIsAnAuthErrorWithoutThePassword) {
  std::string u = server_url();
  const std::string secret = "dbridge-my-secret";
  const auto at = u.find(secret);
  ASSERT_NE(at, std::string::npos) << "the test expects scripts/servers' password in the URL";
  u.replace(at, secret.size(), "wrong-Pa55word");
  try {
    (void)connect(u);
    FAIL() << "connected with a wrong password";
  } catch (const auth_error& e) {
    EXPECT_EQ(e.native_code(), 1045);
    EXPECT_EQ(e.info().native_domain, "mariadb");
    EXPECT_EQ(std::string(e.what()).find("wrong-Pa55word"), std::string::npos) << e.what();
  }
}

TEST_F(Mysql, UnreachableServerIsARetryableConnectionError) {
  try {
    (void)connect("mysql://u:secret-pw@127.0.0.1:1/db?connect_timeout=2");
    FAIL() << "connected to port 1";
  } catch (const connection_error& e) {
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(std::string(e.what()).find("secret-pw"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------ types
TEST_F(Mysql, IntegersRoundTripAtTheirLimitsSignedAndUnsigned) {
  table_guard t(c(), "ints",
                "ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT "
                "UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED");
  c().execute("INSERT INTO " + t.name + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
              {-128, 255, -32768, 65535, -8388608, 16777215, INT32_MIN, std::int64_t{4294967295},
               std::int64_t{INT64_MIN}, std::uint64_t{UINT64_MAX}});
  c().execute("INSERT INTO " + t.name + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
              {127, 0, 32767, 0, 8388607, 0, INT32_MAX, 0, std::int64_t{INT64_MAX}, std::uint64_t{0}});
  auto rows = c().query("SELECT * FROM " + t.name + " ORDER BY ti");
  EXPECT_EQ(rows.columns()[9].type, value_type::uint64);
  EXPECT_EQ(rows.columns()[9].native_type, "BIGINT UNSIGNED");
  EXPECT_EQ(rows.columns()[8].type, value_type::int64);
  auto all = rows.to_vector();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0][0], value(-128));
  EXPECT_EQ(all[0][1], value(255));
  EXPECT_EQ(all[0][2], value(-32768));
  EXPECT_EQ(all[0][3], value(65535));
  EXPECT_EQ(all[0][4], value(-8388608));
  EXPECT_EQ(all[0][5], value(16777215));
  EXPECT_EQ(all[0][6], value(INT32_MIN));
  EXPECT_EQ(all[0][7], value(std::int64_t{4294967295}));
  EXPECT_EQ(all[0][8], value(std::int64_t{INT64_MIN}));
  EXPECT_EQ(all[0][9], value(std::uint64_t{UINT64_MAX}));
  EXPECT_EQ(all[1][8], value(std::int64_t{INT64_MAX}));
  EXPECT_EQ(all[1][9], value(std::uint64_t{0}));
  // Bound as a parameter, the full unsigned range comes back as is.
  EXPECT_EQ(c().query_one("SELECT bu FROM " + t.name + " WHERE bu = $1", {std::uint64_t{UINT64_MAX}})[0],
            value(std::uint64_t{UINT64_MAX}));
  EXPECT_THROW(c().execute("INSERT INTO " + t.name + " (ti) VALUES ($1)", {1000}), data_error);
}

TEST_F(Mysql, DecimalIsExactAndFloatsKeepTheirValue) {
  table_guard t(c(), "dec", "d DECIMAL(65,30), small DECIMAL(5,2), f FLOAT, g DOUBLE");
  const std::string big = "12345678901234567890123456789012345.123456789012345678901234567890";
  c().execute("INSERT INTO " + t.name + " VALUES ($1, $2, $3, $4)", {decimal{big}, decimal{"-1.5"}, 1.5, 1.0 / 3});
  c().execute("INSERT INTO " + t.name + " VALUES ($1, $2, $3, $4)",
              {decimal{"-0.000000000000000000000000000001"}, decimal{"999.99"}, -0.25, -1e300});
  auto rows = c().query("SELECT d, small, f, g FROM " + t.name + " ORDER BY g DESC");
  EXPECT_EQ(rows.columns()[0].type, value_type::decimal);
  EXPECT_EQ(rows.columns()[2].type, value_type::float64);
  auto all = rows.to_vector();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0][0], value(decimal{big}));
  EXPECT_EQ(all[0][1], value(decimal{"-1.50"}));
  EXPECT_EQ(all[0][2], value(1.5));
  EXPECT_EQ(all[0][3], value(1.0 / 3));
  EXPECT_EQ(all[1][0], value(decimal{"-0.000000000000000000000000000001"}));
  EXPECT_EQ(all[1][2], value(-0.25));
  EXPECT_EQ(all[1][3], value(-1e300));
}

TEST_F(Mysql, BitColumnsReadAsUnsignedNumbers) {
  table_guard t(c(), "bits", "b1 BIT(1), b64 BIT(64), b12 BIT(12)");
  c().execute("INSERT INTO " + t.name + " VALUES (b'1', b'1111111111111111111111111111111111111111111111111111111111111111', "
              "b'101000000001')");
  c().execute("INSERT INTO " + t.name + " VALUES ($1, $2, $3)", {std::uint64_t{0}, std::uint64_t{1} << 63, 5});
  auto all = c().query("SELECT b1, b64, b12 FROM " + t.name + " ORDER BY b1 DESC").to_vector();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0][0], value(std::uint64_t{1}));
  EXPECT_EQ(all[0][1], value(std::uint64_t{UINT64_MAX}));
  EXPECT_EQ(all[0][2], value(std::uint64_t{0xA01}));
  EXPECT_EQ(all[1][0], value(std::uint64_t{0}));
  EXPECT_EQ(all[1][1], value(std::uint64_t{1} << 63));
  EXPECT_EQ(all[1][2], value(std::uint64_t{5}));
}

TEST_F(Mysql, TextKeepsFourByteCharactersAndBinaryIsBytes) {
  table_guard t(c(), "text",
                "c CHAR(10), v VARCHAR(100), tx TEXT, lt LONGTEXT, bn BINARY(4), vb VARBINARY(10), bl MEDIUMBLOB, "
                "e ENUM('small','large'), s SET('a','b','c')");
  const std::string emoji = "gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80 \xF0\x9F\x8C\x8D \xE2\x9C\x93";
  const std::string longer(200000, 'x');
  const bytes raw{0x00, 0xFF, 0x10, 0x80};
  c().execute("INSERT INTO " + t.name + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
              {"abc", emoji, emoji + emoji, longer + emoji, raw, bytes{0x01, 0x00}, bytes(70000, 0xAB), "large", "a,c"});
  auto rows = c().query("SELECT * FROM " + t.name);
  const auto& cols = rows.columns();
  EXPECT_EQ(cols[1].type, value_type::text);
  EXPECT_EQ(cols[2].native_type, "TEXT");
  EXPECT_EQ(cols[4].type, value_type::bytes);
  EXPECT_EQ(cols[4].native_type, "BINARY");
  EXPECT_EQ(cols[5].native_type, "VARBINARY");
  EXPECT_EQ(cols[6].type, value_type::bytes);
  EXPECT_EQ(cols[7].native_type, "ENUM");
  EXPECT_EQ(cols[8].native_type, "SET");
  auto all = rows.to_vector();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0][0], value("abc"));
  EXPECT_EQ(all[0][1], value(emoji));
  EXPECT_EQ(all[0][2], value(emoji + emoji));
  EXPECT_EQ(all[0][3], value(longer + emoji));
  EXPECT_EQ(all[0][4], value(raw));
  EXPECT_EQ(all[0][5], value(bytes{0x01, 0x00}));
  EXPECT_EQ(all[0][6], value(bytes(70000, 0xAB)));
  EXPECT_EQ(all[0][7], value("large"));
  EXPECT_EQ(all[0][8], value("a,c"));
  EXPECT_EQ(c().query_one("SELECT CHAR_LENGTH(v) FROM " + t.name).get<std::int64_t>(0), 10);
}

TEST_F(Mysql, DatesTimesAndTimestampsRoundTripWithMicroseconds) {
  table_guard t(c(), "temporal", "id INT, d DATE, tm TIME(6), dt DATETIME(6), ts TIMESTAMP(6) NULL, y YEAR");
  const date d{static_cast<std::int32_t>(days_from_civil(1000, 1, 1))};
  const time_of_day neg{-(838LL * 3600 + 59 * 60 + 59) * 1'000'000, std::nullopt};
  const timestamp dt{days_from_civil(2038, 1, 19) * day_us + ((3 * 60 + 14) * 60 + 8) * 1'000'000LL + 123456};
  const timestamptz ts{days_from_civil(2024, 2, 29) * day_us + 12 * 3600 * 1'000'000LL + 1, 0};
  c().execute("INSERT INTO " + t.name + " VALUES ($1, $2, $3, $4, $5, $6)", {1, d, neg, dt, ts, 2155});
  const time_of_day pos{(838LL * 3600 + 59 * 60 + 59) * 1'000'000 + 999999, std::nullopt};
  const time_of_day small{-(12LL * 3600) * 1'000'000 - 500000, std::nullopt};
  c().execute("INSERT INTO " + t.name + " (id, tm) VALUES (2, $1), (3, $2)", {pos, small});
  auto rows = c().query("SELECT d, tm, dt, ts, y FROM " + t.name + " ORDER BY id");
  const auto& cols = rows.columns();
  EXPECT_EQ(cols[0].type, value_type::date);
  EXPECT_EQ(cols[1].type, value_type::time);
  EXPECT_EQ(cols[2].type, value_type::timestamp);
  EXPECT_EQ(cols[3].type, value_type::timestamptz);
  EXPECT_EQ(cols[4].type, value_type::int64);
  auto all = rows.to_vector();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0][0], value(d));
  EXPECT_EQ(all[0][1], value(neg));
  EXPECT_EQ(all[0][2], value(dt));
  EXPECT_EQ(all[0][3], value(ts));
  EXPECT_EQ(all[0][4], value(2155));
  EXPECT_EQ(all[1][1], value(pos));
  EXPECT_EQ(all[2][1], value(small));
  // Literals read back the same way, the session being UTC.
  EXPECT_EQ(c().query_one("SELECT TIME'-838:59:59'")[0], value(neg));
  EXPECT_EQ(c().query_one("SELECT CAST('2038-01-19 03:14:08.123456' AS DATETIME(6))")[0], value(dt));
  EXPECT_EQ(c().query_one("SELECT UNIX_TIMESTAMP(ts) FROM " + t.name + " WHERE id = 1").get<std::string>(0),
            std::to_string((ts.micros - 1) / 1'000'000) + ".000001");
}

TEST_F(Mysql, TimestampIsTheSameInstantInAnySessionTimeZone) {
  table_guard t(c(), "tz", "id INT PRIMARY KEY, ts TIMESTAMP(6) NULL");
  const timestamptz midnight{days_from_civil(2024, 1, 1) * day_us, 0};
  auto wall = [&](int id) {
    return c().query_one("SELECT DATE_FORMAT(ts, '%Y-%m-%d %H:%i') FROM " + t.name + " WHERE id = $1", {id})
        .get<std::string>(0);
  };
  auto read = [&](int id) { return c().query_one("SELECT ts FROM " + t.name + " WHERE id = $1", {id})[0]; };
  c().execute("INSERT INTO " + t.name + " VALUES (1, $1)", {midnight});
  c().execute("SET time_zone = '+05:30'");
  EXPECT_EQ(wall(1), "2024-01-01 05:30");  // the server's own view of the session
  EXPECT_EQ(read(1), value(midnight));
  c().execute("INSERT INTO " + t.name + " VALUES (2, $1)", {midnight});
  EXPECT_EQ(read(2), value(midnight));
  c().execute_script("SET time_zone = '-08:00'");  // the text protocol is followed too
  EXPECT_EQ(wall(2), "2023-12-31 16:00");
  EXPECT_EQ(read(1), value(midnight));
  EXPECT_EQ(read(2), value(midnight));
  c().execute("SET time_zone = '+00:00'");
  EXPECT_EQ(wall(2), "2024-01-01 00:00");
  // A named zone has no one offset (DST): refused rather than guessed.
  c().execute("SET time_zone = 'SYSTEM'");
  EXPECT_THROW(read(1), data_error);
  EXPECT_THROW(c().execute("INSERT INTO " + t.name + " VALUES (3, $1)", {midnight}), data_error);
  // An init_command that sets time_zone runs before tracking can see it: read at connect.
  auto plus_one = connect(url_with("init_command=SET%20time_zone%3D%27%2B01%3A00%27"));
  EXPECT_EQ(plus_one.query_one("SELECT ts FROM " + t.name + " WHERE id = 1")[0], value(midnight));
  EXPECT_EQ(plus_one.query_one("SELECT DATE_FORMAT(ts, '%H:%i') FROM " + t.name + " WHERE id = 1").get<std::string>(0),
            "01:00");
}

TEST_F(Mysql, ZeroDatesAreADataErrorUnlessTheUrlSaysNullOrText) {
  table_guard t(c(), "zero", "id INT PRIMARY KEY, d DATE, dt DATETIME(6), part DATE");
  c().execute("SET SESSION sql_mode = ''");
  c().execute("INSERT INTO " + t.name +
              " VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '2024-02-00'),"
              " (2, '2024-01-02', '2024-02-00 10:20:30.5', '2024-00-10')");
  // By default no value is made up: the error names the column and the option.
  for (const char* column : {"d", "dt", "part"}) {
    try {
      (void)c().query("SELECT " + std::string(column) + " FROM " + t.name + " ORDER BY id").to_vector();
      ADD_FAILURE() << column << ": a zero date was read";
    } catch (const data_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("'" + std::string(column) + "'"), std::string::npos) << what;
      EXPECT_NE(what.find("zero_date"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(c().query_one("SELECT d FROM " + t.name + " WHERE id = 2")[0], value(date{19724}));  // still usable

  auto as_null = connect(url_with("zero_date=null"));
  auto n = as_null.query("SELECT d, dt, part FROM " + t.name + " ORDER BY id").to_vector();
  ASSERT_EQ(n.size(), 2u);
  EXPECT_TRUE(n[0][0].is_null());
  EXPECT_TRUE(n[0][1].is_null());
  EXPECT_TRUE(n[0][2].is_null());
  EXPECT_EQ(n[1][0], value(date{19724}));
  EXPECT_TRUE(n[1][1].is_null());
  EXPECT_TRUE(n[1][2].is_null());

  auto as_text = connect(url_with("zero_date=text"));
  auto x = as_text.query("SELECT d, dt, part FROM " + t.name + " ORDER BY id").to_vector();
  ASSERT_EQ(x.size(), 2u);
  EXPECT_EQ(x[0][0], value("0000-00-00"));
  EXPECT_EQ(x[0][1], value("0000-00-00 00:00:00"));
  EXPECT_EQ(x[0][2], value("2024-02-00"));
  EXPECT_EQ(x[1][1], value("2024-02-00 10:20:30.500000"));
  EXPECT_EQ(x[1][2], value("2024-00-10"));

  EXPECT_THROW(connect(url_with("zero_date=maybe")), invalid_argument_error);
}

TEST_F(Mysql, JsonColumnsAreJson) {
  table_guard t(c(), "json", "doc JSON");
  c().execute("INSERT INTO " + t.name + " VALUES ($1)", {json{"{\"a\": [1, 2, \"\xF0\x9F\x98\x80\"]}"}});
  auto rows = c().query("SELECT doc FROM " + t.name);
  EXPECT_EQ(rows.columns()[0].type, value_type::json);
  EXPECT_EQ(rows.columns()[0].native_type, "JSON");
  auto all = rows.to_vector();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0][0], value(json{"{\"a\": [1, 2, \"\xF0\x9F\x98\x80\"]}"}));
}

TEST_F(Mysql, NullsOfEveryKindBindAndRead) {
  auto r = c().query_one("SELECT $1, $2 IS NULL, CAST(NULL AS SIGNED), CAST(NULL AS DATE)", {nullptr, nullptr});
  EXPECT_TRUE(r[0].is_null());
  EXPECT_EQ(r.get<std::int64_t>(1), 1);
  EXPECT_TRUE(r[2].is_null());
  EXPECT_TRUE(r[3].is_null());
}

// ------------------------------------------------------------ placeholders
TEST_F(Mysql, PlaceholdersInsideLiteralsAndCommentsAreLeftAlone) {
  auto r = c().query_one(
      "SELECT '?', \"$1\", '$2 it''s ?', $1 /* ? $3 */, $1 + 1 -- $9 ?\n , 'a\\'$1' # trailing $4\n", {41});
  EXPECT_EQ(r.get<std::string>(0), "?");
  EXPECT_EQ(r.get<std::string>(1), "$1");
  EXPECT_EQ(r.get<std::string>(2), "$2 it's ?");
  EXPECT_EQ(r.get<std::int64_t>(3), 41);
  EXPECT_EQ(r.get<std::int64_t>(4), 42);
  EXPECT_EQ(r.get<std::string>(5), "a'$1");
  // Native ? binds in order.
  auto q = c().query_one("SELECT ? - ?, '?'", {10, 3});
  EXPECT_EQ(q.get<std::int64_t>(0), 7);
  EXPECT_EQ(q.get<std::string>(1), "?");
  // $2 before $1, and $1 twice.
  auto o = c().query_one("SELECT CONCAT($2, '-', $1, '-', $1)", {"a", "b"});
  EXPECT_EQ(o.get<std::string>(0), "b-a-a");
  EXPECT_THROW(c().query("SELECT ? + $1", {1}), syntax_error);
  // :name is a placeholder, := an assignment.
  EXPECT_EQ(c().query_one("SELECT @dbr_v := :v, @dbr_v + :v", {5}).get<std::int64_t>(1), 10);
  EXPECT_THROW(c().query("SELECT $1 + $2", {1}), invalid_argument_error);
  table_guard t(c(), "ident", "`a$1` INT, `we?ird` INT");
  c().execute("INSERT INTO " + t.name + " (`a$1`, `we?ird`) VALUES ($1, $2)", {5, 6});
  EXPECT_EQ(c().query_one("SELECT a$1 + `we?ird` FROM " + t.name).get<std::int64_t>(0), 11);
}

TEST_F(Mysql, InjectionStringsStayData) {
  table_guard t(c(), "inject", "id INT PRIMARY KEY, name VARCHAR(200)");
  const std::string evil[] = {"'; DROP TABLE " + t.name + "; --", "\\'; SELECT 1; #", "\" OR \"1\"=\"1", "x' OR '1'='1",
                              std::string("nul\0byte", 8)};
  int id = 0;
  for (const auto& s : evil) c().execute("INSERT INTO " + t.name + " VALUES ($1, $2)", {++id, s});
  id = 0;
  for (const auto& s : evil) EXPECT_EQ(c().query_one("SELECT name FROM " + t.name + " WHERE id = $1", {++id})[0], value(s));
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name + " WHERE name = $1", {"x' OR '1'='1"}).get<std::int64_t>(0), 1);
}

// ------------------------------------------------------------ execution
TEST_F(Mysql, ExecuteReportsAffectedRowsAndLastInsertId) {
  table_guard t(c(), "auto", "id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT");
  auto r1 = c().execute("INSERT INTO " + t.name + " (v) VALUES ($1)", {10});
  EXPECT_EQ(r1.affected_rows, 1);
  ASSERT_TRUE(r1.last_insert_id.has_value());
  auto r2 = c().execute("INSERT INTO " + t.name + " (v) VALUES ($1), ($2), ($3)", {11, 12, 13});
  EXPECT_EQ(r2.affected_rows, 3);
  ASSERT_TRUE(r2.last_insert_id.has_value());
  EXPECT_EQ(*r2.last_insert_id, *r1.last_insert_id + 1);  // MySQL reports the first id of a multi-row insert
  EXPECT_EQ(c().execute("UPDATE " + t.name + " SET v = v + 1 WHERE v >= $1", {12}).affected_rows, 2);
  EXPECT_EQ(c().execute("DELETE FROM " + t.name).affected_rows, 4);
}

TEST_F(Mysql, UnsignedInsertIdPastInt64MaxIsNotWrapped) {
  table_guard t(c(), "uid", "id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT");
  c().execute("ALTER TABLE " + t.name + " AUTO_INCREMENT = 18446744073709551610");
  auto r = c().execute("INSERT INTO " + t.name + " (v) VALUES ($1)", {1});
  ASSERT_TRUE(r.last_insert_id_u64.has_value());
  EXPECT_EQ(*r.last_insert_id_u64, 18446744073709551610ULL);
  EXPECT_FALSE(r.last_insert_id.has_value()) << *r.last_insert_id;  // never the wrapped -6
  auto q = c().query("INSERT INTO " + t.name + " (v) VALUES (2)");
  EXPECT_EQ(q.last_insert_id_u64(), std::optional<std::uint64_t>(18446744073709551611ULL));
  EXPECT_FALSE(q.last_insert_id().has_value());
  // An id that fits reads both ways.
  table_guard small(c(), "uid_small", "id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT");
  auto s = c().execute("INSERT INTO " + small.name + " (v) VALUES (1)");
  EXPECT_EQ(s.last_insert_id, std::optional<std::int64_t>(1));
  EXPECT_EQ(s.last_insert_id_u64, std::optional<std::uint64_t>(1));
}

TEST_F(Mysql, ScriptsRunEveryStatement) {
  table_guard t(c(), "script", "v INT");
  c().execute_script("INSERT INTO " + t.name + " VALUES (1); INSERT INTO " + t.name + " VALUES (2); SELECT 1; "
                     "UPDATE " + t.name + " SET v = v * 10");
  EXPECT_EQ(c().query_one("SELECT CAST(SUM(v) AS SIGNED) FROM " + t.name).get<std::int64_t>(0), 30);
  EXPECT_THROW(c().execute_script("INSERT INTO " + t.name + " VALUES (3); SELEC oops"), syntax_error);
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 3);
}

TEST_F(Mysql, StreamingResultStaysReadableWhileAnotherStatementRuns) {
  // 50000 numbered rows from a cross join of digits (no table, no server-side limit).
  const std::string d = "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
                        "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
  const std::string seq = "WITH s AS (SELECT 1 + a.k + 10 * b.k + 100 * c.k + 1000 * d.k + 10000 * e.k AS n FROM " + d +
                          " a, " + d + " b, " + d + " c, " + d + " d, " + d + " e WHERE e.k < 5) ";
  auto big = c().query(seq + "SELECT n, CONCAT('row ', n) FROM s ORDER BY n");
  std::int64_t seen = 0;
  for (int i = 0; i < 10; ++i) {
    const row* r = big.next();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->get<std::int64_t>(0), ++seen);
  }
  // A second statement needs the wire: the first result is buffered, not lost.
  EXPECT_EQ(c().query_one("SELECT 40 + $1", {2}).get<std::int64_t>(0), 42);
  auto other = c().query(seq + "SELECT n FROM s WHERE n <= 3");
  EXPECT_EQ(other.to_vector().size(), 3u);
  while (const row* r = big.next()) {
    EXPECT_EQ(r->get<std::int64_t>(0), ++seen);
    EXPECT_EQ(r->get<std::string>(1), "row " + std::to_string(seen));
  }
  EXPECT_EQ(seen, 50000);
}

TEST_F(Mysql, ProcedureYieldsEveryResultSetInOrder) {
  c().execute("DROP PROCEDURE IF EXISTS dbr_mytest_multi");
  c().execute(
      "CREATE PROCEDURE dbr_mytest_multi(IN k INT) BEGIN "
      "SELECT k AS a, 'first' AS b; "
      "SELECT k * 2 AS c UNION ALL SELECT k * 3; "
      "SELECT CAST(1.5 AS DECIMAL(4,2)) AS d, NOW(6) IS NOT NULL AS e, 'x' AS f; END");
  for (int pass = 0; pass < 2; ++pass) {  // the second pass runs the cached statement again
    auto r = c().query("CALL dbr_mytest_multi($1)", {7});
    ASSERT_EQ(r.columns().size(), 2u);
    EXPECT_EQ(r.columns()[1].name, "b");
    auto first = r.to_vector();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0][0], value(7));
    EXPECT_EQ(first[0][1], value("first"));
    ASSERT_TRUE(r.next_result());
    EXPECT_EQ(r.columns()[0].name, "c");
    auto second = r.to_vector();
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(second[1][0], value(21));
    ASSERT_TRUE(r.next_result());
    ASSERT_EQ(r.columns().size(), 3u);
    auto third = r.to_vector();
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0][0], value(decimal{"1.50"}));
    EXPECT_FALSE(r.next_result());
  }
  // Results still pending when another statement runs are kept in memory.
  auto r = c().query("CALL dbr_mytest_multi($1)", {2});
  EXPECT_EQ(c().query_one("SELECT 5").get<std::int64_t>(0), 5);
  EXPECT_EQ(r.to_vector()[0][0], value(2));
  ASSERT_TRUE(r.next_result());
  EXPECT_EQ(r.to_vector().size(), 2u);
  ASSERT_TRUE(r.next_result());
  EXPECT_EQ(r.to_vector().size(), 1u);
  EXPECT_FALSE(r.next_result());
  c().execute("DROP PROCEDURE dbr_mytest_multi");
}

// ------------------------------------------------------------ errors
TEST_F(Mysql, ErrorsCarryTheNumberSqlstateAndCategory) {
  table_guard parent(c(), "parent", "id INT PRIMARY KEY");
  table_guard child(c(), "child",
                    "id INT PRIMARY KEY, pid INT NOT NULL, qty INT CHECK (qty > 0), FOREIGN KEY (pid) REFERENCES " +
                        std::string("dbr_mytest_parent_") + std::to_string(::getpid()) + "(id)");
  c().execute("INSERT INTO " + parent.name + " VALUES (1)");
  c().execute("INSERT INTO " + child.name + " VALUES (1, 1, 1)");
  // The SQLSTATE is MariaDB's own (a PostgreSQL code would mislead); the
  // portable meaning is in the category and subcategory.
  auto expect = [&](const std::string& sql, errc cat, suberrc sub, std::int64_t code, const char* state) {
    try {
      c().execute(sql);
      ADD_FAILURE() << "accepted: " << sql;
    } catch (const error& e) {
      EXPECT_EQ(e.category(), cat) << sql << ": " << e.what();
      EXPECT_EQ(e.subcategory(), sub) << sql;
      EXPECT_EQ(e.native_code(), code) << sql;
      EXPECT_EQ(e.sqlstate(), state) << sql;
      EXPECT_EQ(e.info().native_domain, "mariadb");
    }
  };
  expect("INSERT INTO " + child.name + " VALUES (1, 1, 1)", errc::constraint, suberrc::unique_violation, 1062, "23000");
  expect("INSERT INTO " + child.name + " VALUES (2, 99, 1)", errc::constraint, suberrc::foreign_key_violation, 1452,
         "23000");
  expect("DELETE FROM " + parent.name, errc::constraint, suberrc::foreign_key_violation, 1451, "23000");
  expect("INSERT INTO " + child.name + " VALUES (3, NULL, 1)", errc::constraint, suberrc::not_null_violation, 1048,
         "23000");
  expect("INSERT INTO " + child.name + " VALUES (4, 1, -5)", errc::constraint, suberrc::check_violation, 4025, "23000");
  expect("SELEC 1", errc::syntax, suberrc::none, 1064, "42000");
  expect("SELECT * FROM dbr_mytest_no_such_table", errc::not_found, suberrc::undefined_table, 1146, "42S02");
  expect("SELECT no_such_column FROM " + parent.name, errc::not_found, suberrc::undefined_column, 1054, "42S22");
  EXPECT_TRUE(c().ping());
}

TEST_F(Mysql, LockWaitTimeoutIsARetryableConflict) {
  table_guard t(c(), "locks", "id INT PRIMARY KEY, v INT");
  c().execute("INSERT INTO " + t.name + " VALUES (1, 0)");
  auto other = connect(server_url());
  auto holder = c().begin();
  holder.execute("UPDATE " + t.name + " SET v = 1 WHERE id = 1");
  other.execute("SET SESSION innodb_lock_wait_timeout = 1");
  try {
    other.execute("UPDATE " + t.name + " SET v = 2 WHERE id = 1");
    ADD_FAILURE() << "the row lock was not held";
  } catch (const transaction_conflict& e) {
    EXPECT_EQ(e.native_code(), 1205);
    EXPECT_EQ(e.subcategory(), suberrc::lock_timeout);
    EXPECT_EQ(e.info().retry, retry_class::same_connection);
    EXPECT_FALSE(e.connection_broken());
  }
  holder.rollback();
  EXPECT_TRUE(other.ping());
}

TEST_F(Mysql, KilledConnectionIsARetryableConnectionError) {
  auto victim = connect(server_url());
  const std::int64_t id = thread_id(victim);
  c().execute("KILL " + std::to_string(id));
  try {
    (void)victim.query_one("SELECT 1");
    FAIL() << "a killed connection answered";
  } catch (const connection_error& e) {
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.info().retry, retry_class::new_connection);
    EXPECT_TRUE(e.connection_broken());
  }
}

TEST_F(Mysql, CancelInterruptsABlockedQuery) {
  table_guard t(c(), "cancel", "id INT PRIMARY KEY, v INT");
  c().execute("INSERT INTO " + t.name + " VALUES (1, 0)");
  auto victim = connect(server_url());
  const std::int64_t id = thread_id(victim);
  auto holder = c().begin();
  holder.execute("UPDATE " + t.name + " SET v = 1 WHERE id = 1");
  std::atomic<int> outcome{0};  // 1 cancelled, 2 other error, 3 no error
  std::thread runner([&] {
    try {
      victim.execute("UPDATE " + t.name + " SET v = 2 WHERE id = 1");
      outcome = 3;
    } catch (const cancelled_error&) {
      outcome = 1;
    } catch (const error&) {
      outcome = 2;
    }
  });
  auto watcher = connect(server_url());
  const bool blocked = wait_for_state(watcher, id, "%lock%") || wait_for_state(watcher, id, "Updating");
  victim.cancel();
  runner.join();
  holder.rollback();
  EXPECT_TRUE(blocked);
  EXPECT_EQ(outcome.load(), 1);
  EXPECT_EQ(victim.query_one("SELECT 1").get<std::int64_t>(0), 1);  // the connection survives
}

TEST_F(Mysql, StatementTimeoutIsATimeoutError) {
  c().set_option("statement_timeout_ms", value(std::int64_t{200}));
  EXPECT_THROW(c().query_one("SELECT SLEEP(5) FROM (SELECT 1 UNION ALL SELECT 2) x"), timeout_error);
  c().set_option("statement_timeout_ms", value(std::int64_t{0}));
  EXPECT_EQ(c().query_one("SELECT 1").get<std::int64_t>(0), 1);
  EXPECT_THROW(c().set_option("no_such_option", value(1)), invalid_argument_error);
}

// ------------------------------------------------------------ transactions
TEST_F(Mysql, TransactionsCommitRollBackAndNestSavepoints) {
  table_guard t(c(), "txn", "id INT");
  EXPECT_FALSE(c().in_transaction());
  {
    auto tx = c().begin();
    EXPECT_TRUE(c().in_transaction());
    tx.execute("INSERT INTO " + t.name + " VALUES (1)");
    tx.rollback();
  }
  EXPECT_FALSE(c().in_transaction());
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 0);
  c().transaction([&](transaction& tx) {
    tx.execute("INSERT INTO " + t.name + " VALUES (1)");
    EXPECT_THROW(tx.transaction([&](transaction& sp) {
      sp.execute("INSERT INTO " + t.name + " VALUES (2)");
      throw std::runtime_error("undo");
    }),
                 std::runtime_error);
    tx.transaction([&](transaction& sp) { sp.execute("INSERT INTO " + t.name + " VALUES (3)"); });
  });
  EXPECT_EQ(c().query_one("SELECT GROUP_CONCAT(id ORDER BY id) FROM " + t.name).get<std::string>(0), "1,3");
  // Isolation and read-only reach the server.
  {
    auto tx = c().begin({.isolation = isolation_level::serializable, .read_only = true});
    EXPECT_THROW(tx.execute("INSERT INTO " + t.name + " VALUES (9)"), error);
    tx.rollback();
  }
  auto tx = c().begin({.isolation = isolation_level::read_committed});
  EXPECT_EQ(tx.query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 2);
  tx.commit();
  EXPECT_FALSE(c().in_transaction());
}

// ------------------------------------------------------------ bulk
TEST_F(Mysql, BulkInsertOf100kRowsArrivesIntact) {
  table_guard t(c(), "bulk", "id BIGINT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2), at DATETIME(6), note TEXT");
  {
    copy_in in(c(), t.name, {"id", "name", "amount", "at", "note"});
    for (std::int64_t i = 1; i <= 100000; ++i)
      in.write_row({i, "name " + std::to_string(i), decimal{std::to_string(i) + ".25"}, timestamp{i * 1'000'001},
                    i % 10 == 0 ? value(nullptr) : value("n\xF0\x9F\x98\x80" + std::to_string(i))});
    EXPECT_EQ(in.finish(), 100000);
  }
  auto r = c().query_one("SELECT count(*), SUM(id), SUM(amount), count(note), MAX(at) FROM " + t.name);
  EXPECT_EQ(r.get<std::int64_t>(0), 100000);
  EXPECT_EQ(r.get<decimal>(1).text, "5000050000");
  EXPECT_EQ(r.get<decimal>(2).text, "5000075000.00");
  EXPECT_EQ(r.get<std::int64_t>(3), 90000);
  EXPECT_EQ(r[4], value(timestamp{100000 * 1'000'001LL}));
  EXPECT_EQ(c().query_one("SELECT note FROM " + t.name + " WHERE id = 77777")[0], value("n\xF0\x9F\x98\x80" "77777"));
}

TEST_F(Mysql, BulkInsertFallsBackToMultiRowInsertsAndAbortStoresNothing) {
  auto multi = connect(url_with("bulk=multirow"));
  table_guard t(multi, "bulkm", "id INT PRIMARY KEY, v DOUBLE, b BLOB");
  {
    copy_in in(multi, t.name);  // every column, in table order
    for (int i = 1; i <= 1234; ++i) in.write_row({i, i % 3 == 0 ? value(nullptr) : value(i * 0.5), bytes{1, 2}});
    EXPECT_EQ(in.finish(), 1234);
  }
  EXPECT_EQ(multi.query_one("SELECT count(*), count(v), SUM(LENGTH(b)) FROM " + t.name).get<std::int64_t>(1), 823);
  {
    copy_in in(multi, t.name);
    in.write_row({5000, 1.0, bytes{}});
    in.abort();
  }
  EXPECT_EQ(multi.query_one("SELECT count(*) FROM " + t.name + " WHERE id = 5000").get<std::int64_t>(0), 0);
  // A failing batch (duplicate key) stores none of the load.
  EXPECT_THROW(
      {
        copy_in in(c(), t.name, {"id"});
        in.write_row({6000});
        in.write_row({1});
        in.finish();
      },
      constraint_violation);
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name + " WHERE id = 6000").get<std::int64_t>(0), 0);
  EXPECT_FALSE(c().in_transaction());
}

// A load without a column list covers every column: a short or long row is
// refused by the core before any plugin reads past it, and nothing is stored.
TEST_F(Mysql, BulkRowOfTheWrongWidthIsRefusedWhenNoColumnsAreNamed) {
  table_guard t(c(), "bulkw", "id INT PRIMARY KEY, v DOUBLE, note TEXT");
  {
    copy_in in(c(), t.name);
    in.write_row({1, 0.5, "ok"});
    EXPECT_THROW(in.write_row({2, 1.5}), invalid_argument_error);
    EXPECT_THROW(in.write_row({3, 2.5, "x", "extra"}), invalid_argument_error);
    in.abort();
  }
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 0);
  EXPECT_THROW(copy_in(c(), "dbr_test_no_such_table"), not_found_error);
}

// information_schema does not list TEMPORARY tables: their columns come
// from a zero-row SELECT's metadata.
TEST_F(Mysql, BulkIntoATemporaryTableWithoutAColumnList) {
  const std::string name = "dbr_mytest_tmp_" + std::to_string(::getpid());
  c().execute("CREATE TEMPORARY TABLE " + name + " (id INT NOT NULL PRIMARY KEY, note VARCHAR(20), v DOUBLE)");
  {
    copy_in in(c(), name);
    in.write_row({1, "one", 0.5});
    in.write_row({2, nullptr, 1.5});
    EXPECT_THROW(in.write_row({3, "short"}), invalid_argument_error);
    EXPECT_EQ(in.finish(), 2);
  }
  EXPECT_EQ(c().query_one("SELECT SUM(v) FROM " + name).get<double>(0), 2.0);
  std::vector<std::string> cols;
  for (const auto& r : c().columns(name)) {
    cols.push_back(r.get<std::string>("name"));
    if (r.get<std::string>("name") == "id") {
      EXPECT_FALSE(r.get<bool>("nullable"));
    }
  }
  EXPECT_EQ(cols, (std::vector<std::string>{"id", "note", "v"}));
  c().execute("DROP TEMPORARY TABLE " + name);
  EXPECT_EQ(c().columns(name).next(), nullptr);  // gone: no rows, no error
}

// ------------------------------------------------------------ introspection
TEST_F(Mysql, IntrospectionListsTablesColumnsIndexesAndKeys) {
  table_guard parent(c(), "mparent", "id INT PRIMARY KEY, code VARCHAR(10) NOT NULL DEFAULT 'x', UNIQUE KEY uq_code (code)");
  table_guard child(c(), "mchild",
                    "id INT, pid INT, PRIMARY KEY (id, pid), CONSTRAINT fk_mparent FOREIGN KEY (pid) REFERENCES " +
                        parent.name + "(id)");
  bool db_found = false;
  for (const auto& r : c().databases())
    if (r.get<std::string>("name") == "dbridge_test") db_found = r.get<std::optional<std::int64_t>>("size_bytes").value_or(0) > 0;
  EXPECT_TRUE(db_found);
  bool table_found = false;
  for (const auto& r : c().tables())
    if (r.get<std::string>("name") == parent.name) {
      table_found = true;
      EXPECT_EQ(r.get<std::string>("type"), "table");
      EXPECT_GT(r.get<std::int64_t>("size_bytes"), 0);
    }
  EXPECT_TRUE(table_found);
  auto cols = c().columns(parent.name).to_vector();
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1][2], value("code"));
  EXPECT_EQ(cols[1][4], value("varchar(10)"));
  EXPECT_EQ(cols[1][5], value(false));
  EXPECT_EQ(cols[1][6], value("'x'"));
  EXPECT_EQ(cols[1][7], value(10));
  EXPECT_EQ(cols[0][8], value(true));
  std::vector<std::string> idx;
  for (const auto& r : c().indexes(parent.name))
    idx.push_back(r.get<std::string>("name") + ":" + r.get<std::string>("columns") + ":" +
                  (r.get<bool>("unique") ? "u" : "-") + (r.get<bool>("primary") ? "p" : "-"));
  EXPECT_EQ(idx, (std::vector<std::string>{"PRIMARY:id:up", "uq_code:code:u-"}));
  auto fks = c().foreign_keys(child.name).to_vector();
  ASSERT_EQ(fks.size(), 1u);
  EXPECT_EQ(fks[0][2], value("fk_mparent"));
  EXPECT_EQ(fks[0][3], value("pid"));
  EXPECT_EQ(fks[0][5], value(parent.name));
  EXPECT_EQ(fks[0][6], value("id"));
  auto pks = c().primary_keys(child.name).to_vector();
  ASSERT_EQ(pks.size(), 1u);
  EXPECT_EQ(pks[0][3], value("id,pid"));
}

// ---------------------------------------------------------------- issue 10

// MariaDB's client refuses SQL with a NUL byte itself; the core now refuses
// it first, for every driver, with the same data error.
TEST_F(Mysql, NulInSqlIsRefused) {
  try {
    c().execute(std::string("SELECT 1\0 WHERE 0", 17));
    FAIL() << "a NUL byte was sent";
  } catch (const data_error& e) {
    EXPECT_EQ(e.subcategory(), suberrc::nul_byte) << e.what();
    EXPECT_NE(std::string(e.what()).find("offset 8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c().query_one("SELECT 1").get<std::int64_t>(0), 1);
}

// Length-carrying binds: a NUL inside a parameter is data.
TEST_F(Mysql, NulInsideATextParameterIsStoredWhole) {
  const std::string v("a\0b", 3);
  EXPECT_EQ(c().query_one("SELECT LENGTH(?)", {value(v)}).get<std::int64_t>(0), 3);
}

TEST_F(Mysql, ParameterOverMaxAllowedPacketSaysSoWithoutSending) {
  const auto limit = c().query_one("SELECT @@max_allowed_packet").get<std::int64_t>(0);
  ASSERT_GT(limit, 0);
  const std::string big(static_cast<std::size_t>(limit) + 1, 'x');
  try {
    (void)c().query_one("SELECT LENGTH(?)", {value(big)});
    FAIL() << "a parameter over max_allowed_packet was sent";
  } catch (const invalid_argument_error& e) {
    const std::string what = e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_FALSE(e.connection_broken());
    EXPECT_NE(what.find("max_allowed_packet"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(limit)), std::string::npos) << what;
  }
  // Nothing was sent: the connection is still there.
  EXPECT_EQ(c().query_one("SELECT 2").get<std::int64_t>(0), 2);
  const std::string fits(1 << 20, 'y');
  EXPECT_EQ(c().query_one("SELECT LENGTH(?)", {value(fits)}).get<std::int64_t>(0), 1 << 20);
}

TEST_F(Mysql, FailedLoginWithAShortPasswordKeepsTheMessage) {
  // mysql://u:p@... used to print "***acket" and "using ***assword".
  const std::string u = server_url();
  const std::string pw = parse_url(u).password.value_or("");
  const auto at = u.find(":" + pw + "@");
  ASSERT_NE(at, std::string::npos);
  for (const std::string& written : {std::string("p"), std::string("<Pw\"'`\\;>@x")}) {
    try {
      (void)connect(u.substr(0, at + 1) + written + u.substr(at + 1 + pw.size()));
      FAIL() << "connected with a wrong password";
    } catch (const auth_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("using password: YES"), std::string::npos) << what;
      EXPECT_NE(what.find(":***@"), std::string::npos) << what;
      if (written.size() > 1) {
        EXPECT_EQ(what.find("Pw\""), std::string::npos) << what;
      }
    }
  }
}

// Issue 11: what() names the driver once ("mysql: mysql: prepare: ..." before).
TEST_F(Mysql, ErrorsNameTheDriverOnce) {
  dbridge::test::expect_errors_name_the_driver_once(c(), "mysql", "mysql://nobody:pw@127.0.0.1:1/x?connect_timeout=2");
}

// Issue 11: a cached statement whose table changed shape failed with 2057,
// and every statement after it with 2014 (commands out of sync).
using dbridge::test::select_star_columns;

TEST_F(Mysql, CachedSelectSurvivesAlterOnTheSameConnection) {
  table_guard t(c(), "stale_same", "a INT");
  c().execute("INSERT INTO " + t.name + " VALUES (1)");
  EXPECT_EQ(select_star_columns(c(), t.name), 1u);
  c().execute("ALTER TABLE " + t.name + " ADD COLUMN b INT");
  EXPECT_EQ(select_star_columns(c(), t.name), 2u);
  c().execute("DROP TABLE " + t.name);
  c().execute("CREATE TABLE " + t.name + " (x TEXT, y TEXT, z TEXT)");
  EXPECT_EQ(select_star_columns(c(), t.name), 3u);
}

TEST_F(Mysql, CachedSelectIsPreparedAgainAfterAnotherConnectionChangesTheTable) {
  table_guard t(c(), "stale_other", "a INT");
  connection other = connect(server_url());
  c().execute("INSERT INTO " + t.name + " VALUES (1)");
  EXPECT_EQ(select_star_columns(c(), t.name), 1u);
  other.execute("ALTER TABLE " + t.name + " ADD COLUMN b INT DEFAULT 7");
  auto row = c().query_one("SELECT * FROM " + t.name);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row.get<std::int64_t>(1), 7);
  other.execute("DROP TABLE " + t.name);
  other.execute("CREATE TABLE " + t.name + " (x TEXT, y TEXT, z TEXT)");
  EXPECT_EQ(select_star_columns(c(), t.name), 3u);
  // The connection stayed in sync: other statements and ping work.
  EXPECT_EQ(c().query_one("SELECT 41 + 1").get<std::int64_t>(0), 42);
  EXPECT_TRUE(c().ping());
}

TEST_F(Mysql, StaleSelectInsideATransactionRunsAgainAndTheTransactionGoesOn) {
  table_guard t(c(), "stale_tx", "a INT");
  connection other = connect(server_url());
  c().execute("INSERT INTO " + t.name + " VALUES (1)");
  EXPECT_EQ(select_star_columns(c(), t.name), 1u);
  other.execute("ALTER TABLE " + t.name + " ADD COLUMN b INT");
  auto tx = c().begin();
  tx.execute("INSERT INTO " + t.name + " VALUES (2, 2)");
  EXPECT_EQ(tx.query("SELECT * FROM " + t.name).to_vector().size(), 2u);
  tx.commit();
  EXPECT_EQ(c().query_one("SELECT COUNT(*) FROM " + t.name).get<std::int64_t>(0), 2);
}

// A cached statement keeps its column count across runs but not always its
// types. The plan bound for the first run converted every later value into
// the first run's types: SELECT ? read 1.5 as 1, 'x' as 0 and 2^63 as -2^63.
TEST_F(Mysql, CachedSelectOfAParameterReadsEachRunInItsOwnType) {
  const std::vector<value> runs = {value(std::int64_t{1}),
                                   value(1.5),
                                   value(std::string("x")),
                                   value(std::uint64_t{1} << 63),
                                   value(bytes{0, 'a'}),
                                   value(decimal{"1180591620717411303424.5"}),
                                   value(date{18263}),
                                   value(std::int64_t{-7})};
  for (const value& v : runs) {
    auto rows = c().query("SELECT $1", {v});
    ASSERT_EQ(rows.columns().size(), 1u);
    EXPECT_EQ(rows.columns()[0].type, v.type()) << v.to_string();
    EXPECT_EQ(rows.to_vector().at(0)[0], v) << v.to_string();
  }
}

TEST_F(Mysql, CachedSelectFollowsAColumnRetypedOrRenamedByAnotherConnection) {
  table_guard t(c(), "retyped", "a INT, b INT");
  connection other = connect(server_url());
  c().execute("INSERT INTO " + t.name + " VALUES (1, 2)");
  const std::string sql = "SELECT * FROM " + t.name;
  EXPECT_EQ(c().query_one(sql).get<std::int64_t>(1), 2);
  other.execute("ALTER TABLE " + t.name + " MODIFY b DOUBLE");
  other.execute("UPDATE " + t.name + " SET b = 2.75");
  auto rows = c().query(sql);
  EXPECT_EQ(rows.columns()[1].type, value_type::float64);
  EXPECT_EQ(rows.to_vector().at(0)[1], value(2.75));
  other.execute("ALTER TABLE " + t.name + " RENAME COLUMN b TO renamed");
  auto again = c().query(sql);
  EXPECT_EQ(again.columns()[1].name, "renamed");
  EXPECT_EQ(again.to_vector().at(0)[1], value(2.75));
}
