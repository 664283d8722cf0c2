// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL plugin end to end against the real server named by
// DBRIDGE_TEST_POSTGRES_URL (scripts/servers starts one).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>

#include "driver_suite.hpp"
#include "test_server.hpp"
#include "dbridge/batch.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "dbridge/error.hpp"
#include "dbridge/notify.hpp"
#include "dbridge/url.hpp"
#include "generated_passwords.hpp"

using namespace dbridge;
using namespace std::chrono_literals;

namespace {

std::string server_url() { return dbridge::test::env_or_empty("DBRIDGE_TEST_POSTGRES_URL"); }

#define REQUIRE_SERVER() DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_URL")

/// Table names unique to this process, dropped by the guard.
struct table_guard {
  connection& db;
  std::string name;
  table_guard(connection& c, const std::string& base)
      : db(c), name("dbr_pgtest_" + base + "_" + std::to_string(::getpid())) {
    db.execute("DROP TABLE IF EXISTS " + name + " CASCADE");
  }
  ~table_guard() {
    try {
      if (db.is_open()) db.execute("DROP TABLE IF EXISTS " + name + " CASCADE");
    } catch (...) {
    }
  }
};

std::int64_t backend_pid(connection& c) { return c.query_one("SELECT pg_backend_pid()").get<std::int64_t>(0); }

/// Waits (by polling the server, bounded) until pid runs a query matching pattern, or is gone.
bool poll_activity(connection& watcher, std::int64_t pid, const char* condition) {
  const std::string sql = std::string("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND ") + condition;
  for (int i = 0; i < 20000; ++i)
    if (watcher.query_one(sql, {pid}).get<std::int64_t>(0) > 0) return true;
  return false;
}

value round_trip(connection& db, const std::string& type, const value& v) {
  return db.query_one("SELECT $1::" + type, {v})[0];
}

}  // namespace

class Client : public dbridge::test::connected_test {
 protected:
  Client() : connected_test("DBRIDGE_TEST_POSTGRES_URL") {}
};

TEST_F(Client, IntegersAndBooleansRoundTripAtTheirLimits) {
  EXPECT_EQ(round_trip(c(), "bool", true), value(true));
  EXPECT_EQ(round_trip(c(), "bool", false), value(false));
  EXPECT_EQ(round_trip(c(), "int2", -32768), value(-32768));
  EXPECT_EQ(round_trip(c(), "int2", 32767), value(32767));
  EXPECT_EQ(round_trip(c(), "int4", INT32_MIN), value(INT32_MIN));
  EXPECT_EQ(round_trip(c(), "int4", INT32_MAX), value(INT32_MAX));
  EXPECT_EQ(round_trip(c(), "int8", INT64_MIN), value(std::int64_t{INT64_MIN}));
  EXPECT_EQ(round_trip(c(), "int8", INT64_MAX), value(std::int64_t{INT64_MAX}));
  EXPECT_THROW(round_trip(c(), "int2", 40000), data_error);
  auto r = c().query("SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c");
  EXPECT_EQ(r.columns()[0].native_type, "int2");
  EXPECT_EQ(r.columns()[2].native_type, "int8");
  EXPECT_EQ(r.columns()[1].type, value_type::int64);
}

TEST_F(Client, FloatsKeepInfinityAndNaN) {
  EXPECT_EQ(round_trip(c(), "float4", 1.5), value(1.5));
  EXPECT_EQ(round_trip(c(), "float8", 1.0 / 3), value(1.0 / 3));
  EXPECT_EQ(round_trip(c(), "float8", HUGE_VAL), value(HUGE_VAL));
  EXPECT_EQ(round_trip(c(), "float8", -HUGE_VAL), value(-HUGE_VAL));
  EXPECT_TRUE(std::isnan(round_trip(c(), "float8", std::nan("")).as<double>()));
  EXPECT_EQ(c().query_one("SELECT 'Infinity'::float4").get<double>(0), HUGE_VAL);
}

TEST_F(Client, NumericIsExact) {
  for (const char* n : {"-123456789012345678901234567890.123456789", "0.000001", "100000000", "0", "-0.5",
                        "12345678901234567890123456789012345678", "1.10", "NaN", "Infinity", "-Infinity"}) {
    EXPECT_EQ(round_trip(c(), "numeric", decimal{n}), value(decimal{n})) << n;
  }
  EXPECT_EQ(c().query_one("SELECT 1.5::numeric(10,3)")[0], value(decimal{"1.500"}));
  EXPECT_EQ(c().query_one("SELECT 99999999999999999999.99999::numeric * 10")[0],
            value(decimal{"999999999999999999999.99990"}));
}

TEST_F(Client, TextTypesRoundTripNonAscii) {
  const std::string s = "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC";
  EXPECT_EQ(round_trip(c(), "text", s), value(s));
  EXPECT_EQ(round_trip(c(), "varchar(40)", s), value(s));
  EXPECT_EQ(round_trip(c(), "char(5)", "ab"), value("ab   "));
  EXPECT_EQ(round_trip(c(), "name", "relname"), value("relname"));
  const bytes blob{0x00, 0x01, 0x7F, 0x80, 0xFF, '\\', 'x'};
  EXPECT_EQ(round_trip(c(), "bytea", blob), value(blob));
  EXPECT_EQ(round_trip(c(), "bytea", bytes{}), value(bytes{}));
}

TEST_F(Client, DatesAndTimesRoundTripBefore1970AndAfter2038) {
  const date d1{days_from_civil(1960, 2, 29)};
  const date d2{days_from_civil(2100, 1, 1)};
  EXPECT_EQ(round_trip(c(), "date", d1), value(d1));
  EXPECT_EQ(round_trip(c(), "date", d2), value(d2));
  EXPECT_EQ(c().query_one("SELECT '1960-02-29'::date")[0], value(d1));
  EXPECT_EQ(round_trip(c(), "date", date{0, 1}), value(date{0, 1}));
  EXPECT_EQ(c().query_one("SELECT '-infinity'::date")[0], value(date{0, -1}));

  const std::int64_t day = 86'400'000'000LL;
  const timestamp t1{days_from_civil(1901, 12, 13) * day + 3'723'000'001LL};
  const timestamp t2{days_from_civil(2040, 6, 1) * day + 86'399'999'999LL};
  EXPECT_EQ(round_trip(c(), "timestamp", t1), value(t1));
  EXPECT_EQ(round_trip(c(), "timestamp", t2), value(t2));
  EXPECT_EQ(c().query_one("SELECT '1901-12-13 01:02:03.000001'::timestamp")[0], value(t1));
  EXPECT_EQ(c().query_one("SELECT 'infinity'::timestamp")[0], value(timestamp{0, 1}));

  const timestamptz z{days_from_civil(2050, 1, 2) * day + 5'000'000, 0, 0};
  EXPECT_EQ(round_trip(c(), "timestamptz", z), value(z));
  EXPECT_EQ(c().query_one("SELECT '2050-01-02 05:30:05+05:30'::timestamptz")[0], value(z));
  EXPECT_EQ(c().query_one("SELECT '-infinity'::timestamptz")[0], value(timestamptz{0, 0, -1}));

  const time_of_day t{(13 * 3600 + 14 * 60 + 15) * 1'000'000LL + 16, std::nullopt};
  EXPECT_EQ(round_trip(c(), "time", t), value(t));
  const time_of_day tz{t.micros, 19800};
  EXPECT_EQ(round_trip(c(), "timetz", tz), value(tz));
  EXPECT_EQ(c().query_one("SELECT '13:14:15.000016+05:30'::timetz")[0], value(tz));

  const interval iv{14, -3, 3'000'004};
  EXPECT_EQ(round_trip(c(), "interval", iv), value(iv));
  EXPECT_EQ(c().query_one("SELECT '1 year 2 mons -3 days 3.000004 seconds'::interval")[0], value(iv));
}

TEST_F(Client, UuidJsonInetAndOtherTypes) {
  const uuid u = uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(round_trip(c(), "uuid", u), value(u));
  EXPECT_EQ(round_trip(c(), "json", json{"{\"a\":[1,2], \"b\":null}"}), value(json{"{\"a\":[1,2], \"b\":null}"}));
  EXPECT_EQ(round_trip(c(), "jsonb", json{"{\"b\":null, \"a\":[1,2]}"}), value(json{"{\"a\": [1, 2], \"b\": null}"}));
  EXPECT_EQ(round_trip(c(), "inet", "192.168.0.1"), value("192.168.0.1"));
  EXPECT_EQ(round_trip(c(), "inet", "10.1.2.3/8"), value("10.1.2.3/8"));
  EXPECT_EQ(round_trip(c(), "cidr", "10.0.0.0/8"), value("10.0.0.0/8"));
  EXPECT_EQ(round_trip(c(), "inet", "2001:db8::1"), value("2001:db8::1"));
  // A type without a codec arrives as text, named.
  auto r = c().query("SELECT point(1, 2) AS p, 7 AS n");
  EXPECT_EQ(r.columns()[0].type, value_type::text);
  EXPECT_EQ(r.columns()[0].native_type, "point");
  const row* row = r.next();
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->get<std::string>(0), "(1,2)");
  EXPECT_EQ(row->get<std::int64_t>(1), 7);
}

TEST_F(Client, ArraysKeepNullElements) {
  const array ints{value(1), value(), value(-3)};
  EXPECT_EQ(round_trip(c(), "int4[]", ints), value(ints));
  const array texts{value("a \"quoted\" one"), value(), value("b,c"), value("NULL")};
  EXPECT_EQ(round_trip(c(), "text[]", texts), value(texts));
  EXPECT_EQ(round_trip(c(), "numeric[]", array{value(decimal{"1.25"}), value()}),
            value(array{value(decimal{"1.25"}), value()}));
  EXPECT_EQ(round_trip(c(), "int8[]", array{}), value(array{}));
  EXPECT_EQ(c().query_one("SELECT ARRAY['2020-01-02'::date, NULL]")[0],
            value(array{value(date{days_from_civil(2020, 1, 2)}), value()}));
}

TEST_F(Client, EveryTypeRoundTripsThroughATable) {
  table_guard t(c(), "types");
  c().execute("CREATE TABLE " + t.name +
              " (b bool, i2 int2, i8 int8, f8 float8, n numeric, s text, by bytea, d date, ts timestamp, "
              "tz timestamptz, iv interval, u uuid, j jsonb, a int4[])");
  const std::vector<value> row_in{true, 12, std::int64_t{-5}, 2.5, decimal{"3.14159265358979323846264338327950"},
                                  "x", bytes{1, 2}, date{-1}, timestamp{-1}, timestamptz{1, 0, 0},
                                  interval{1, 2, 3}, uuid::parse("00000000-0000-0000-0000-000000000001"),
                                  json{"[1]"}, array{value(1), value()}};
  c().execute("INSERT INTO " + t.name + " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)", row_in);
  c().execute("INSERT INTO " + t.name + " DEFAULT VALUES");
  auto r = c().query("SELECT * FROM " + t.name + " ORDER BY b NULLS LAST");
  const row* a = r.next();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->to_values(), row_in);
  const row* nulls = r.next();
  ASSERT_NE(nulls, nullptr);
  for (std::size_t i = 0; i < nulls->size(); ++i) EXPECT_TRUE(nulls->is_null(i)) << i;
  EXPECT_EQ(r.next(), nullptr);
}

TEST_F(Client, InjectionStringsStayData) {
  table_guard t(c(), "inject");
  c().execute("CREATE TABLE " + t.name + " (id serial PRIMARY KEY, name text)");
  const std::string evil = "x'); DROP TABLE " + t.name + "; --";
  EXPECT_EQ(c().execute("INSERT INTO " + t.name + "(name) VALUES ($1)", {evil}).affected_rows, 1);
  EXPECT_EQ(c().query_one("SELECT name FROM " + t.name + " WHERE name = $1", {evil}).get<std::string>(0), evil);
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name + " WHERE name = $1", {"' OR '1'='1"})
                .get<std::int64_t>(0),
            0);
}

TEST_F(Client, AffectedRowsAndStreamingManyRows) {
  table_guard t(c(), "affected");
  c().execute("CREATE TABLE " + t.name + " AS SELECT g AS id FROM generate_series(1, 10) g");
  EXPECT_EQ(c().execute("UPDATE " + t.name + " SET id = id + 1 WHERE id > $1", {5}).affected_rows, 5);
  auto r = c().query("SELECT g, g::text FROM generate_series(1, 300000) g");
  std::int64_t n = 0, sum = 0;
  for (const row& row : r) {
    ++n;
    sum += row.get<std::int64_t>(0);
  }
  EXPECT_EQ(n, 300000);
  EXPECT_EQ(sum, 300000LL * 300001 / 2);
}

TEST_F(Client, AnotherQueryWhileAResultStreamsKeepsBothIntact) {
  auto big = c().query("SELECT g FROM generate_series(1, 5000) g");
  const row* first = big.next();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->get<std::int64_t>(0), 1);
  EXPECT_EQ(c().query_one("SELECT 42").get<std::int64_t>(0), 42);
  std::int64_t last = 1, n = 1;
  while (const row* r = big.next()) last = r->get<std::int64_t>(0), ++n;
  EXPECT_EQ(n, 5000);
  EXPECT_EQ(last, 5000);
}

TEST_F(Client, ConstraintErrorsCarryTheirFields) {
  table_guard parent(c(), "parent");
  table_guard child(c(), "child");
  c().execute("CREATE TABLE " + parent.name + " (id int PRIMARY KEY, email text UNIQUE, age int CHECK (age >= 0))");
  c().execute("CREATE TABLE " + child.name + " (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES " +
              parent.name + ")");
  c().execute("INSERT INTO " + parent.name + " VALUES (1, 'a@x', 1)");
  auto expect = [&](const std::string& sql, suberrc sub, const char* state) {
    try {
      c().execute(sql);
      ADD_FAILURE() << "no error from " << sql;
    } catch (const constraint_violation& e) {
      EXPECT_EQ(e.subcategory(), sub) << sql;
      EXPECT_EQ(e.sqlstate(), state);
      EXPECT_EQ(e.info().table.empty(), false);
      EXPECT_EQ(e.info().schema, "public");
      EXPECT_EQ(e.info().native_domain, "libpq");
      EXPECT_FALSE(e.info().severity.empty());
      return e.info();
    }
    return error_info{};
  };
  error_info u = expect("INSERT INTO " + parent.name + " VALUES (2, 'a@x', 1)", suberrc::unique_violation, "23505");
  EXPECT_EQ(u.constraint, parent.name + "_email_key");
  EXPECT_NE(u.detail.find("a@x"), std::string::npos);
  expect("INSERT INTO " + child.name + " VALUES (1, 99)", suberrc::foreign_key_violation, "23503");
  error_info nn = expect("INSERT INTO " + child.name + " VALUES (1, NULL)", suberrc::not_null_violation, "23502");
  EXPECT_EQ(nn.column, "parent_id");
  expect("INSERT INTO " + parent.name + " VALUES (3, 'b@x', -1)", suberrc::check_violation, "23514");
}

TEST_F(Client, SyntaxAndUndefinedObjectErrors) {
  try {
    (void)c().query("SELEC 1");
    FAIL();
  } catch (const syntax_error& e) {
    EXPECT_EQ(e.sqlstate(), "42601");
  }
  try {
    (void)c().query("SELECT * FROM dbr_no_such_table");
    FAIL();
  } catch (const not_found_error& e) {
    EXPECT_EQ(e.subcategory(), suberrc::undefined_table);
    EXPECT_EQ(e.sqlstate(), "42P01");
  }
  try {
    (void)c().query("SELECT no_such_column FROM pg_class");
    FAIL();
  } catch (const not_found_error& e) {
    EXPECT_EQ(e.subcategory(), suberrc::undefined_column);
  }
  try {
    (void)c().query_one("SELECT 1 / $1::int", {0});
    FAIL();
  } catch (const data_error& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  EXPECT_EQ(c().query_one("SELECT 1").get<std::int64_t>(0), 1);  // still usable
}

TEST_F(Client, SerializationFailuresAndDeadlocksAreRetryable) {
  for (const char* state : {"40001", "40P01"}) {
    try {
      c().execute_script(std::string("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '") + state +
                         "'; END $$");
      FAIL();
    } catch (const transaction_conflict& e) {
      EXPECT_TRUE(e.retryable());
      EXPECT_EQ(e.info().retry, retry_class::same_connection);
      EXPECT_EQ(e.sqlstate(), state);
    }
  }
}

TEST_F(Client, TransactionsSavepointsAndIsolation) {
  table_guard t(c(), "txn");
  c().execute("CREATE TABLE " + t.name + " (id int)");
  EXPECT_THROW(c().transaction([&](transaction& tx) {
    tx.execute("INSERT INTO " + t.name + " VALUES (1)");
    EXPECT_TRUE(c().in_transaction());
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_FALSE(c().in_transaction());
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 0);

  c().transaction([&](transaction& tx) {
    tx.execute("INSERT INTO " + t.name + " VALUES (1)");
    try {
      tx.transaction([&](transaction& sp) {
        sp.execute("INSERT INTO " + t.name + " VALUES (2)");
        sp.execute("INSERT INTO " + t.name + " VALUES ('not a number')");
      });
    } catch (const data_error&) {
    }
    tx.execute("INSERT INTO " + t.name + " VALUES (3)");
  });
  EXPECT_EQ(c().query_one("SELECT string_agg(id::text, ',' ORDER BY id) FROM " + t.name).get<std::string>(0), "1,3");

  transaction_options ro;
  ro.isolation = isolation_level::serializable;
  ro.read_only = true;
  ro.deferrable = true;
  auto tx = c().begin(ro);
  EXPECT_EQ(tx.query_one("SHOW transaction_isolation").get<std::string>(0), "serializable");
  EXPECT_THROW(tx.execute("INSERT INTO " + t.name + " VALUES (4)"), error);
  tx.rollback();
}

TEST_F(Client, QueryTimesOutAndTheConnectionStaysUsable) {
  c().set_option("statement_timeout_ms", 150);
  try {
    (void)c().query("SELECT pg_sleep(10)");
    FAIL();
  } catch (const timeout_error& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
  }
  EXPECT_EQ(c().query_one("SELECT 7").get<std::int64_t>(0), 7);
  c().set_option("statement_timeout_ms", 0);
  EXPECT_THROW(c().set_option("no_such_option", 1), invalid_argument_error);
}

TEST_F(Client, TimeoutFromTheUrl) {
  auto db = connect(server_url() + (server_url().find('?') == std::string::npos ? "?" : "&") +
                    "statement_timeout=100&application_name=dbridge_test");
  EXPECT_THROW(db.query("SELECT pg_sleep(10)"), timeout_error);
  EXPECT_EQ(db.query_one("SHOW application_name").get<std::string>(0), "dbridge_test");
}

TEST_F(Client, CancelFromAnotherThread) {
  auto watcher = connect(server_url());
  const std::int64_t pid = backend_pid(c());
  std::atomic<int> outcome{0};
  std::thread runner([&] {
    try {
      (void)c().query("SELECT pg_sleep(30)");
      outcome = 1;
    } catch (const cancelled_error&) {
      outcome = 2;
    } catch (...) {
      outcome = 3;
    }
  });
  ASSERT_TRUE(poll_activity(watcher, pid, "state = 'active' AND query LIKE '%pg_sleep(30)%'"));
  c().cancel();
  runner.join();
  EXPECT_EQ(outcome.load(), 2);
  EXPECT_EQ(c().query_one("SELECT 8").get<std::int64_t>(0), 8);
}

TEST_F(Client, KilledBackendIsARetryableConnectionError) {
  auto killer = connect(server_url());
  const std::int64_t pid = backend_pid(c());
  EXPECT_TRUE(killer.query_one("SELECT pg_terminate_backend($1::int)", {pid}).get<bool>(0));
  // pg_terminate_backend only signals: wait until the backend is gone.
  bool gone = false;
  for (int i = 0; i < 20000 && !gone; ++i)
    gone = killer.query_one("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", {pid}).get<std::int64_t>(0) == 0;
  ASSERT_TRUE(gone);
  try {
    (void)c().query("SELECT 1");
    FAIL() << "the killed connection still answered";
  } catch (const connection_error& e) {
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.info().retry, retry_class::new_connection);
    EXPECT_TRUE(e.connection_broken());
  }
}

TEST_F(Client, NotificationFromASecondConnection) {
  auto sender = connect(server_url());
  const std::string channel = "dbr chan " + std::to_string(::getpid());  // needs quoting
  listener l(c());
  l.listen(channel);
  EXPECT_FALSE(l.wait(20ms).has_value());
  notify(sender, channel, "h\xC3\xA9llo");
  auto n = l.wait(10s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, channel);
  EXPECT_EQ(n->payload, "h\xC3\xA9llo");
  EXPECT_EQ(n->sender_pid, backend_pid(sender));
  l.unlisten(channel);
  notify(sender, channel, "ignored");
  EXPECT_FALSE(l.wait(50ms).has_value());
}

TEST_F(Client, CopyOf100kRowsArrivesIntact) {
  table_guard t(c(), "copy");
  c().execute("CREATE TABLE " + t.name +
              " (id int8 PRIMARY KEY, name text, amount numeric(12,2), at timestamptz, tags text[], ok bool)");
  const std::int64_t n = 100000;
  {
    copy_in in(c(), t.name);
    for (std::int64_t i = 1; i <= n; ++i) {
      value tags = i % 10 == 0 ? value() : value(array{value("t" + std::to_string(i % 7)), value()});
      in.write_row({i, "name \xE2\x9C\x93 " + std::to_string(i), decimal{std::to_string(i) + ".25"},
                    timestamptz{i * 1'000'000, 0, 0}, tags, i % 2 == 0});
    }
    EXPECT_EQ(in.finish(), n);
  }
  auto agg = c().query_one("SELECT count(*), sum(id), sum(amount), count(tags), min(at), max(name) FROM " + t.name);
  EXPECT_EQ(agg.get<std::int64_t>(0), n);
  EXPECT_EQ(agg.get<decimal>(1).text, std::to_string(n * (n + 1) / 2));
  EXPECT_EQ(agg.get<decimal>(2).text, std::to_string(n * (n + 1) / 2 + n / 4) + ".00");  // each row adds .25
  EXPECT_EQ(agg.get<std::int64_t>(3), n - n / 10);
  auto row = c().query_one("SELECT * FROM " + t.name + " WHERE id = 77777");
  EXPECT_EQ(row[1], value("name \xE2\x9C\x93 77777"));
  EXPECT_EQ(row[2], value(decimal{"77777.25"}));
  EXPECT_EQ(row[3], value(timestamptz{77777'000'000LL, 0, 0}));
  EXPECT_EQ(row[4], value(array{value("t" + std::to_string(77777 % 7)), value()}));

  // An abandoned load stores nothing.
  {
    copy_in in(c(), t.name, {"id"});
    in.write_row({n + 1});
  }
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), n);

  std::size_t lines = 0, bytes_out = 0;
  {
    copy_out out(c(), "COPY (SELECT id, name FROM " + t.name + " ORDER BY id) TO STDOUT (FORMAT csv)");
    while (auto chunk = out.next()) {
      for (char ch : *chunk) lines += ch == '\n';
      bytes_out += chunk->size();
    }
  }
  EXPECT_EQ(lines, static_cast<std::size_t>(n));
  EXPECT_GT(bytes_out, static_cast<std::size_t>(n) * 10);
  EXPECT_EQ(c().query_one("SELECT 9").get<std::int64_t>(0), 9);
}

TEST_F(Client, PipelineReportsErrorsPerStatement) {
  table_guard t(c(), "pipe");
  c().execute("CREATE TABLE " + t.name + " (id int PRIMARY KEY, name text)");
  std::vector<batch_item> items;
  {
    batch b(c());
    b.add("INSERT INTO " + t.name + " VALUES ($1, $2)", {1, "one"});
    b.add("INSERT INTO " + t.name + " VALUES ($1, $2)", {1, "dup"});
    b.add("INSERT INTO " + t.name + " VALUES ($1, $2)", {2, "two"});
    b.add("SELECT id, name FROM " + t.name + " WHERE id >= $1 ORDER BY id", {1});
    items = b.execute();
  }
  ASSERT_EQ(items.size(), 4u);
  EXPECT_TRUE(items[0].ok());
  EXPECT_EQ(items[0].affected_rows, 1);
  ASSERT_FALSE(items[1].ok());
  EXPECT_EQ(items[1].error->sqlstate, "23505");
  EXPECT_EQ(items[1].error->category, errc::constraint);
  EXPECT_TRUE(items[2].ok());
  ASSERT_TRUE(items[3].ok());
  ASSERT_EQ(items[3].rows.size(), 2u);
  EXPECT_EQ(items[3].rows[1][1], value("two"));
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 2);
}

// All or nothing: a batch inside a transaction. After a failure PostgreSQL
// refuses every later item of the transaction, and the rollback keeps none.
TEST_F(Client, PipelineInsideATransactionStopsAtTheFirstFailure) {
  table_guard t(c(), "pipetx");
  c().execute("CREATE TABLE " + t.name + " (id int PRIMARY KEY)");
  std::vector<batch_item> items;
  {
    auto tx = c().begin();
    {
      batch b(c());
      b.add("INSERT INTO " + t.name + " VALUES ($1)", {1});
      b.add("INSERT INTO " + t.name + " VALUES ($1)", {1});
      b.add("INSERT INTO " + t.name + " VALUES ($1)", {2});
      items = b.execute();
    }
    tx.rollback();
  }
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0].ok());
  ASSERT_FALSE(items[1].ok());
  EXPECT_EQ(items[1].error->sqlstate, "23505");
  ASSERT_FALSE(items[2].ok());
  EXPECT_EQ(items[2].error->sqlstate, "25P02");  // in failed transaction
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 0);
}

TEST_F(Client, PlaceholderStylesKeepCastsAndJsonbOperators) {
  // A batch takes the same styles.
  std::vector<batch_item> items;
  {
    batch b(c());
    b.add("SELECT :x::int + :x::int", {"20"});
    items = b.execute();
  }
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(items[0].ok()) << items[0].error->message;
  EXPECT_EQ(items[0].rows.at(0).at(0).as<std::int64_t>(), 40);
  EXPECT_EQ(c().query_one("SELECT ?::int + 1", {"41"}).get<std::int64_t>(0), 42);
  EXPECT_EQ(c().query_one("SELECT :v::int * :v::int", {"7"}).get<std::int64_t>(0), 49);
  // With $n present, ? is jsonb's key-exists operator; ?| and ?& always are.
  auto r = c().query_one("SELECT '{\"a\":1}'::jsonb ? $1, '{\"a\":1}'::jsonb ?| array['b'], "
                         "'{\"a\":1}'::jsonb ?& array['a']", {"a"});
  EXPECT_TRUE(r.get<bool>(0));
  EXPECT_FALSE(r.get<bool>(1));
  EXPECT_TRUE(r.get<bool>(2));
  // Dollar-quoted bodies, E'' escapes and nested comments hide placeholders.
  auto q = c().query_one("SELECT $$ ? :a $$, $tag$?1$tag$, E'\\' ?', ?::int /* ? /* :b */ ?2 */", {5});
  EXPECT_EQ(q.get<std::string>(0), " ? :a ");
  EXPECT_EQ(q.get<std::string>(1), "?1");
  EXPECT_EQ(q.get<std::string>(2), "' ?");
  EXPECT_EQ(q.get<std::int64_t>(3), 5);
}

TEST_F(Client, IntrospectionListsTheSchema) {
  table_guard parent(c(), "meta_parent");
  table_guard child(c(), "meta_child");
  c().execute("CREATE TABLE " + parent.name + " (id int PRIMARY KEY, code varchar(12) NOT NULL DEFAULT 'x')");
  c().execute("CREATE TABLE " + child.name + " (id int, parent_id int REFERENCES " + parent.name +
              ", PRIMARY KEY (id, parent_id))");
  c().execute("CREATE INDEX " + child.name + "_pidx ON " + child.name + " (parent_id)");

  bool found_db = false;
  for (const row& r : c().databases())
    if (r.get<std::string>("name") == "dbridge_test") found_db = r.get<std::int64_t>("size_bytes") > 0;
  EXPECT_TRUE(found_db);

  bool found_table = false;
  for (const row& r : c().tables("public"))
    if (r.get<std::string>("name") == parent.name) found_table = r.get<std::string>("type") == "table";
  EXPECT_TRUE(found_table);

  auto cols = c().columns(parent.name).to_vector();
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1][2], value("code"));
  EXPECT_EQ(cols[1][4], value("character varying(12)"));
  EXPECT_EQ(cols[1][5], value(false));
  EXPECT_EQ(cols[1][6], value("'x'::character varying"));
  EXPECT_EQ(cols[1][7], value(12));
  EXPECT_EQ(cols[0][8], value(true));

  auto pk = c().primary_keys(child.name).to_vector();
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(pk[0][3], value("id,parent_id"));
  auto fk = c().foreign_keys(child.name).to_vector();
  ASSERT_EQ(fk.size(), 1u);
  EXPECT_EQ(fk[0][3], value("parent_id"));
  EXPECT_EQ(fk[0][5], value(parent.name));
  EXPECT_EQ(fk[0][6], value("id"));
  auto idx = c().indexes(child.name).to_vector();
  ASSERT_EQ(idx.size(), 2u);
  // Sorted by name: "<child>_pidx" comes before "<child>_pkey".
  EXPECT_EQ(idx[0][2], value(child.name + "_pidx"));
  EXPECT_EQ(idx[0][3], value("parent_id"));
  EXPECT_EQ(idx[0][4], value(false));
  EXPECT_EQ(idx[1][3], value("id,parent_id"));
  EXPECT_EQ(idx[1][5], value(true));
}

TEST(Connect, BadPasswordIsAnAuthErrorWithoutThePassword) {
  REQUIRE_SERVER();
  std::string url = server_url();
  const std::string good = "dbridge-pg-secret";
  const auto at = url.find(good);
  if (at == std::string::npos) GTEST_SKIP() << "the test URL does not carry the scripts/servers password";
  url.replace(at, good.size(), "Wr0ng-S3cret");
  try {
    (void)connect(url);
    FAIL();
  } catch (const auth_error& e) {
    EXPECT_EQ(std::string(e.what()).find("Wr0ng-S3cret"), std::string::npos);
    EXPECT_EQ(e.info().message.find("Wr0ng-S3cret"), std::string::npos);
  }
}

TEST(Connect, UnreachableServerAndUnknownOptions) {
  REQUIRE_SERVER();
  EXPECT_THROW(connect("postgresql://nobody:pw@127.0.0.1:1/x?connect_timeout=2"), connection_error);
  EXPECT_THROW(connect(server_url() + (server_url().find('?') == std::string::npos ? "?" : "&") + "bogus_opt=1"),
               invalid_argument_error);
}

// Rows stream in batches, the first one read with execute. A failure inside
// the first batch or far beyond it is a typed error, never a truncated result
// that looks complete, and the connection and statement go on working.
TEST_F(Client, ErrorsMidStreamAreTypedWhereverTheyFall) {
  for (const int bad : {2, 300}) {
    const std::string sql =
        "SELECT CASE WHEN x = $1 THEN 1 / (x - $1) ELSE x END FROM generate_series(1, 500) AS x";
    auto st = c().prepare(sql);
    for (int round = 0; round < 2; ++round) {
      std::int64_t rows = 0;
      try {
        auto r = st.query({bad});
        while (const row* rw = r.next()) {
          EXPECT_EQ(rw->get<std::int64_t>(0), rows + 1);
          ++rows;
        }
        FAIL() << "the division by zero on row " << bad << " was not reported";
      } catch (const data_error& e) {
        EXPECT_EQ(e.sqlstate(), "22012");
      }
      EXPECT_LT(rows, bad);  // nothing past the failing row was handed out
    }
    EXPECT_EQ(c().query_one("SELECT 7").get<std::int64_t>(0), 7);
    auto ok = st.query({1000});  // no row fails: all 500 arrive
    std::int64_t n = 0;
    while (ok.next()) ++n;
    EXPECT_EQ(n, 500);
  }
}

// ---------------------------------------------------------------- issue 10

namespace {

// The server URL with its password replaced by `written` (as in a URL).
std::string with_password(const std::string& url, const std::string& written) {
  const std::string pw = parse_url(url).password.value_or("");
  const auto at = url.find(":" + pw + "@");
  if (pw.empty() || at == std::string::npos) throw std::runtime_error("test bug: no password in the server URL");
  return url.substr(0, at + 1) + written + url.substr(at + 1 + pw.size());
}

template <typename F>
void expect_nul_refused(F&& run, const std::string& names) {
  try {
    run();
    ADD_FAILURE() << "a NUL byte was sent";
  } catch (const data_error& e) {
    EXPECT_EQ(e.subcategory(), suberrc::nul_byte) << e.what();
    EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
  }
}

}  // namespace

// libpq sends SQL and text parameters as C strings: "DELETE FROM t\0 WHERE
// id = 1" deleted every row, and "a\0b" was stored as "a".
TEST_F(Client, NulInSqlIsRefusedAndNothingIsDeleted) {
  table_guard t(c(), "nulsql");
  c().execute("CREATE TABLE " + t.name + " (id int PRIMARY KEY, v text)");
  c().execute("INSERT INTO " + t.name + " SELECT g, 'x' FROM generate_series(1, 3) g");
  const std::string head = "DELETE FROM " + t.name;
  const std::string sql = head + std::string("\0 WHERE id = 1", 14);
  expect_nul_refused([&] { c().execute(sql); }, "offset " + std::to_string(head.size()));
  expect_nul_refused([&] { c().execute_script(sql); }, "offset " + std::to_string(head.size()));
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 3);
}

TEST_F(Client, NulInsideATextParameterIsRefusedNamingIt) {
  table_guard t(c(), "nulparam");
  c().execute("CREATE TABLE " + t.name + " (a text, b varchar(10), c bytea)");
  const std::string nul("a\0b", 3);
  const std::string insert = "INSERT INTO " + t.name + " VALUES ($1, $2, $3)";
  const bytes raw{'a', 0, 'b'};
  expect_nul_refused([&] { c().execute(insert, {value(nul), value("ok"), value(raw)}); }, "parameter $1");
  expect_nul_refused([&] { c().execute(insert, {value("ok"), value(nul), value(raw)}); }, "parameter $2");
  // Bytes bound to a text column go as text too.
  expect_nul_refused([&] { c().execute(insert, {value(raw), value("ok"), value(raw)}); }, "parameter $1");
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 0);
  // bytea takes any byte.
  c().execute(insert, {value("a"), value("b"), value(raw)});
  EXPECT_EQ(c().query_one("SELECT length(c) FROM " + t.name).get<std::int64_t>(0), 3);
}

// libpq passes channel names and payloads as C strings: notify("a\0secret")
// went to channel "a", and a listener on "b\0c" heard "b".
TEST_F(Client, NulInAChannelOrPayloadIsRefusedBeforeSending) {
  auto sender = connect(server_url());
  const std::string channel = "dbr_nulchan_" + std::to_string(::getpid());
  const std::string cut = channel + "_b";
  listener l(c());
  l.listen(channel);
  expect_nul_refused([&] { notify(sender, channel + std::string("\0secret", 7), "p1"); },
                     "offset " + std::to_string(channel.size()));
  expect_nul_refused([&] { notify(sender, channel, std::string("x\0y", 3)); }, "payload");
  expect_nul_refused([&] { l.listen(cut + std::string("\0c", 2)); }, "offset " + std::to_string(cut.size()));
  // Neither refused notification was sent, and the listener is not on `cut`:
  // the first notification to arrive is the marker sent after them.
  notify(sender, cut, "to-b");
  notify(sender, channel, "marker");
  auto n = l.wait(10s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, channel);
  EXPECT_EQ(n->payload, "marker");
}

// Table and column names reach the driver as C strings: copy_in into
// "t\0x" loaded table "t", and columns("t\0x") listed t's columns.
TEST_F(Client, NulInATableOrColumnNameIsRefusedBeforeReachingTheDriver) {
  table_guard t(c(), "nulname");
  c().execute("CREATE TABLE " + t.name + " (a int)");
  const std::string cut = t.name + std::string("\0x", 2);
  const std::string at = "offset " + std::to_string(t.name.size());
  expect_nul_refused([&] { copy_in in(c(), cut, {"a"}); }, at);
  expect_nul_refused([&] { copy_in in(c(), t.name, {std::string("a\0b", 3)}); }, "offset 1");
  expect_nul_refused([&] { (void)c().columns(cut); }, at);
  expect_nul_refused([&] { (void)c().indexes(t.name, std::string("public\0x", 8)); }, "offset 6");
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 0);
}

// More parameters than libpq can read the description of (7498) used to
// drop the connection as "lost synchronization" and come back retryable;
// 65536 overflowed the protocol's 16-bit count.
TEST_F(Client, TooManyParametersAreRefusedBeforeSending) {
  auto in_list = [](std::size_t n) {
    std::string sql = "SELECT count(*) FROM (VALUES (1)) v(x) WHERE x IN (";
    for (std::size_t i = 1; i <= n; ++i) sql += (i > 1 ? ",$" : "$") + std::to_string(i) + "::int";
    return sql + ")";
  };
  for (const std::size_t n : {std::size_t{65536}, std::size_t{7499}}) {
    const std::vector<value> params(n, value(std::int64_t{1}));
    try {
      (void)c().query(in_list(n), params);
      FAIL() << n << " parameters were sent";
    } catch (const invalid_argument_error& e) {
      EXPECT_FALSE(e.retryable());
      EXPECT_FALSE(e.connection_broken());
      EXPECT_NE(std::string(e.what()).find("at most 7498 parameters"), std::string::npos) << e.what();
    }
    // The connection never lost its place.
    EXPECT_EQ(c().query_one("SELECT 7").get<std::int64_t>(0), 7);
  }
  const std::vector<value> params(7498, value(std::int64_t{1}));
  EXPECT_EQ(c().query_one(in_list(7498), params).get<std::int64_t>(0), 1);

  // A batch sends without a description: there the protocol's 65535 is the limit.
  const std::vector<value> many(65536, value(std::int64_t{1}));
  try {
    batch b(c());
    b.add(in_list(65536), many);
    b.end();
    FAIL() << "65536 parameters were sent";
  } catch (const invalid_argument_error& e) {
    EXPECT_NE(std::string(e.what()).find("at most 65535"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c().query_one("SELECT 8").get<std::int64_t>(0), 8);
}

TEST_F(Client, PlaceholdersInLiteralsDoNotCountTowardsTheLimit) {
  EXPECT_EQ(c().query_one("SELECT '$70000' || $1::text -- $80000\n/* $90000 /* $1 */ */", {value("x")}).get<std::string>(0),
            "$70000x");
  EXPECT_EQ(c().query_one("SELECT $q$ $70000 $q$ || $$ $99999 $$ || E'\\' $70000' || \"x$1\" FROM (SELECT 1 AS \"x$1\") s")
                .get<std::string>(0),
            " $70000  $99999 ' $700001");
}

TEST_F(Client, FailedLoginNeverShowsThePasswordAndKeepsTheMessage) {
  // A one-letter password used to blank every 'p' of the message.
  try {
    (void)connect(with_password(server_url(), "p"));
    FAIL() << "connected with a wrong password";
  } catch (const auth_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("password authentication failed"), std::string::npos) << what;
    EXPECT_NE(what.find(":***@"), std::string::npos) << what;
  }
  for (const auto& p : dbridge::test::printable_passwords(true)) {
    try {
      (void)connect(with_password(server_url(), p.minimal));
      ADD_FAILURE() << "connected with a wrong password";
    } catch (const error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.category(), errc::auth) << what;
      EXPECT_EQ(what.find(p.plain), std::string::npos) << what;
      EXPECT_EQ(what.find(p.minimal), std::string::npos) << what;
    }
  }
}

// Issue 11: COPY to or from the client through execute()/query() used to spin
// forever in the statement's wire loop. It fails at once, names the copy API,
// and the connection (and the server's side of it) is usable afterwards.
TEST_F(Client, CopyThroughExecuteOrQueryFailsAtOnceAndLeavesTheConnectionUsable) {
  table_guard t(c(), "copy_refused");
  c().execute("CREATE TABLE " + t.name + " (id int4)");
  c().execute("INSERT INTO " + t.name + " VALUES (1), (2)");
  const auto started = std::chrono::steady_clock::now();
  auto expect_refused = [&](const std::string& sql, bool as_query, const char* api) {
    try {
      if (as_query)
        (void)c().query(sql).to_vector();
      else
        c().execute(sql);
      ADD_FAILURE() << "no error for " << sql;
    } catch (const invalid_argument_error& e) {
      EXPECT_NE(std::string(e.what()).find(api), std::string::npos) << e.what();
    }
    // The server left the COPY: the same connection answers at once.
    EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t.name).get<std::int64_t>(0), 2) << sql;
  };
  for (bool as_query : {false, true}) {
    expect_refused("COPY " + t.name + " FROM STDIN", as_query, "copy_in");
    expect_refused("COPY (SELECT 1) TO STDOUT", as_query, "copy_out");
    expect_refused("COPY " + t.name + " TO STDOUT (FORMAT csv)", as_query, "copy_out");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_FALSE(c().in_transaction());
  EXPECT_EQ(c().query_one("SELECT 41 + 1").get<std::int64_t>(0), 42);
}

// Issue 11: the count in the message was read after the statement was released.
TEST_F(Client, WrongParameterCountNamesTheStatementsCount) {
  for (bool as_query : {false, true}) {
    try {
      if (as_query)
        (void)c().query("SELECT $1::int AS a, $2::int AS b", {1});
      else
        c().execute("SELECT $1::int AS a, $2::int AS b", {1});
      ADD_FAILURE() << "no error";
    } catch (const invalid_argument_error& e) {
      EXPECT_NE(std::string(e.what()).find("expects 2 parameters but 1 was given"), std::string::npos) << e.what();
    }
  }
}

// Issue 11: what() names the driver once ("postgres: postgres: ..." before).
TEST_F(Client, ErrorsNameTheDriverOnce) {
  dbridge::test::expect_errors_name_the_driver_once(c(), "postgres",
                                                    "postgresql://nobody:pw@127.0.0.1:1/x?connect_timeout=2");
}

// Issue 11: a cached statement whose table changed shape failed with 0A000
// "cached plan must not change result type" on every retry.
using dbridge::test::select_star_columns;

TEST_F(Client, CachedSelectSurvivesAlterOnTheSameConnection) {
  table_guard t(c(), "stale_same");
  c().execute("CREATE TABLE " + t.name + " (a int4)");
  c().execute("INSERT INTO " + t.name + " VALUES (1)");
  EXPECT_EQ(select_star_columns(c(), t.name), 1u);
  c().execute("ALTER TABLE " + t.name + " ADD COLUMN b int4");
  EXPECT_EQ(select_star_columns(c(), t.name), 2u);
  c().execute("DROP TABLE " + t.name);
  c().execute("CREATE TABLE " + t.name + " (x text, y text, z text)");
  EXPECT_EQ(select_star_columns(c(), t.name), 3u);
}

TEST_F(Client, CachedSelectIsPreparedAgainAfterAnotherConnectionChangesTheTable) {
  table_guard t(c(), "stale_other");
  connection other = connect(server_url());
  c().execute("CREATE TABLE " + t.name + " (a int4)");
  c().execute("INSERT INTO " + t.name + " VALUES (1)");
  EXPECT_EQ(select_star_columns(c(), t.name), 1u);
  other.execute("ALTER TABLE " + t.name + " ADD COLUMN b int4 DEFAULT 7");
  auto row = c().query_one("SELECT * FROM " + t.name);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row.get<std::int64_t>(1), 7);
  other.execute("DROP TABLE " + t.name);
  other.execute("CREATE TABLE " + t.name + " (x text, y text, z text)");
  EXPECT_EQ(select_star_columns(c(), t.name), 3u);
  EXPECT_EQ(select_star_columns(c(), t.name), 3u);
}

TEST_F(Client, StaleStatementInsideATransactionSaysSoAndWorksAfterRollback) {
  table_guard t(c(), "stale_tx");
  connection other = connect(server_url());
  c().execute("CREATE TABLE " + t.name + " (a int4)");
  EXPECT_EQ(select_star_columns(c(), t.name), 1u);
  other.execute("ALTER TABLE " + t.name + " ADD COLUMN b int4");
  {
    auto tx = c().begin();
    try {
      (void)tx.query("SELECT * FROM " + t.name).to_vector();
      ADD_FAILURE() << "no error";
    } catch (const transaction_conflict& e) {
      EXPECT_NE(std::string(e.what()).find("roll it back"), std::string::npos) << e.what();
      EXPECT_EQ(e.info().sqlstate, "0A000");
    }
    tx.rollback();
  }
  EXPECT_EQ(select_star_columns(c(), t.name), 2u);
  EXPECT_EQ(c().query_one("SELECT 1").get<std::int64_t>(0), 1);
}
