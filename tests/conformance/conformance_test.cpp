// SPDX-License-Identifier: Apache-2.0
// The conformance suite: ONE set of tests run through the C++ client API
// against every driver, gated by the capabilities the driver declares.
//
// Driver URLs come from the environment:
//   DBRIDGE_TEST_SQLITE_URL    (default sqlite://:memory:)
//   DBRIDGE_TEST_MEMKV_URL     (default memkv://conformance, the reference driver)
//   DBRIDGE_TEST_POSTGRES_URL, DBRIDGE_TEST_MYSQL_URL, DBRIDGE_TEST_REDIS_URL
//   DBRIDGE_CONFORMANCE_URL    (a third-party driver under test)
// An unset server URL skips its tests with a message when run by hand and
// fails them when CI=true (the third-party slot only ever skips).
#include "conformance.hpp"

#include <stdexcept>

namespace dbridge_conformance {
namespace {

// ------------------------------------------------------------------ basics
TEST_P(conformance, connects_and_pings) {
  EXPECT_TRUE(db().ping());
  EXPECT_TRUE(db().is_open());
  EXPECT_FALSE(db().scheme().empty());
  EXPECT_FALSE(db().plugin_id().empty());
  EXPECT_FALSE(db().redacted_url().empty());
}

// ---------------------------------------------------------------- sql
TEST_P(conformance, sql_types_round_trip) {
  REQUIRE_CAPABILITY("sql");
  const dialect& d = dialect_;
  REQUIRE_FEATURE("write");
  auto t = table("types", "i BIGINT, f DOUBLE PRECISION, s " + d.text + ", b " + d.bytes + ", flag " + d.boolean +
                              ", day DATE, ts " + d.timestamp + ", doc " + d.json + ", amount DECIMAL(10,2)");
  const dbridge::bytes blob{0, 1, 2, 255};
  const dbridge::date day{dbridge::days_from_civil(2024, 2, 29)};
  const dbridge::timestamp ts{(static_cast<std::int64_t>(day.days) * 86400 + 13 * 3600 + 5) * 1000000 + 250000};
  auto r = db().execute("INSERT INTO " + t + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        {std::int64_t{-9007199254740993}, 1.5, "héllo ✓ 'quoted'", blob, true, day, ts,
                         dbridge::json{"{\"a\": [1, 2]}"}, dbridge::decimal{"12.34"}});
  EXPECT_EQ(r.affected_rows, 1);
  auto row = db().query_one("SELECT i, f, s, b, flag, day, ts, doc, amount FROM " + t);
  EXPECT_EQ(row.get<std::int64_t>(0), -9007199254740993);
  EXPECT_EQ(row.get<double>(1), 1.5);
  EXPECT_EQ(row.get<std::string>(2), "héllo ✓ 'quoted'");
  EXPECT_EQ(row.get<dbridge::bytes>(3), blob);
  EXPECT_EQ(row.get<bool>(4), true);
  EXPECT_EQ(row.get<dbridge::date>(5), day);
  EXPECT_EQ(row.get<dbridge::timestamp>(6), ts);
  EXPECT_EQ(strip_spaces(row.get<std::string>(7)), "{\"a\":[1,2]}");
  EXPECT_EQ(row.get<dbridge::decimal>(8).text, "12.34");
  EXPECT_EQ(row.get<std::int64_t>("i"), -9007199254740993);
}

TEST_P(conformance, sql_params_and_nulls) {
  REQUIRE_CAPABILITY("sql");
  REQUIRE_FEATURE("write");
  auto t = table("params", "id BIGINT, name " + dialect_.text + ", score DOUBLE PRECISION");
  auto stmt = db().prepare("INSERT INTO " + t + " (id, name, score) VALUES ($1, $2, $3)");
  EXPECT_EQ(stmt.param_count(), 3u);
  for (int i = 1; i <= 5; ++i) stmt.execute({i, "n" + std::to_string(i), i * 0.5});
  stmt.execute({6, nullptr, std::optional<double>{}});

  // $N by number, reused and out of order.
  auto rows = db().query("SELECT id, name FROM " + t + " WHERE id >= $2 AND id <= $1 ORDER BY id", {4, 2});
  std::vector<std::int64_t> ids;
  for (const auto& row : rows) ids.push_back(row.get<std::int64_t>(0));
  EXPECT_EQ(ids, (std::vector<std::int64_t>{2, 3, 4}));

  auto nul = db().query_one("SELECT name, score FROM " + t + " WHERE id = $1", {6});
  EXPECT_FALSE(nul.get<std::optional<std::string>>(0).has_value());
  EXPECT_FALSE(nul.get<std::optional<double>>(1).has_value());
  EXPECT_THROW(nul.get<std::string>(0), dbridge::data_error);
  EXPECT_THROW(db().query_one("SELECT id FROM " + t + " WHERE id = $1", {99}), dbridge::not_found_error);
  auto cnt = db().query_one("SELECT count(*) FROM " + t + " WHERE name IS NULL");
  EXPECT_EQ(cnt.get<std::int64_t>(0), 1);
}

TEST_P(conformance, sql_streams_100k_rows) {
  REQUIRE_CAPABILITY("sql");
  // 10^5 rows from a cross join of digits: portable, and no table needed.
  REQUIRE_FEATURE("union_all");
  const std::string digits = "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL "
                             "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 "
                             "UNION ALL SELECT 9)";
  const std::string sql = "SELECT a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n AS x FROM " + digits +
                          " a, " + digits + " b, " + digits + " c, " + digits + " d, " + digits + " e";
  auto rows = db().query(sql);
  std::int64_t n = 0, sum = 0;
  for (const auto& row : rows) {
    ++n;
    sum += row.get<std::int64_t>(0);
  }
  EXPECT_EQ(n, 100000);
  EXPECT_EQ(sum, 99999LL * 100000 / 2);
}

TEST_P(conformance, sql_integral_decimal_reads_as_integer) {
  REQUIRE_CAPABILITY("sql");
  // SUM() of integers is a DECIMAL on MariaDB and PostgreSQL (an integer on SQLite).
  REQUIRE_FEATURE("write");
  auto t = table("sums", "n BIGINT");
  db().execute("INSERT INTO " + t + " VALUES ($1), ($2), ($3)", {1, 2, 3});
  auto sum = db().query_one("SELECT SUM(n) FROM " + t);
  EXPECT_EQ(sum.get<std::int64_t>(0), 6);
  EXPECT_EQ(sum.get<std::uint64_t>(0), 6u);
  auto r = db().query_one("SELECT CAST('6.00' AS DECIMAL(30,2)), CAST('1.50' AS DECIMAL(30,2)), "
                          "CAST('9223372036854775808' AS DECIMAL(30,0)), CAST('-5' AS DECIMAL(30,0))");
  EXPECT_EQ(r.get<std::int64_t>(0), 6);
  EXPECT_THROW((void)r.get<std::int64_t>(1), dbridge::data_error);  // never truncated
  EXPECT_EQ(r.get<std::uint64_t>(2), 9223372036854775808ULL);
  EXPECT_THROW((void)r.get<std::int64_t>(2), dbridge::data_error);
  EXPECT_EQ(r.get<std::int64_t>(3), -5);
  EXPECT_THROW((void)r.get<std::uint64_t>(3), dbridge::data_error);
  EXPECT_EQ(r.values()[0].as<std::int64_t>(), 6);  // the same rule through value
}

TEST_P(conformance, sql_error_categories) {
  REQUIRE_CAPABILITY("sql");
  REQUIRE_FEATURE("write");
  auto t = table("errors", "id BIGINT PRIMARY KEY, v " + dialect_.text);
  db().execute("INSERT INTO " + t + " VALUES ($1, $2)", {1, "a"});
  try {
    db().execute("INSERT INTO " + t + " VALUES ($1, $2)", {1, "b"});
    ADD_FAILURE() << "duplicate key accepted";
  } catch (const dbridge::constraint_violation& e) {
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::unique_violation);
    // Each backend's own SQLSTATE (MariaDB says 23000, PostgreSQL 23505):
    // only the class is common.
    EXPECT_EQ(e.sqlstate().substr(0, 2), "23") << e.sqlstate();
  }
  EXPECT_THROW(db().query("SELEC nonsense"), dbridge::syntax_error);
  try {
    (void)db().query("SELECT * FROM dbr_conf_no_such_table");
    ADD_FAILURE() << "missing table accepted";
  } catch (const dbridge::not_found_error& e) {
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::undefined_table);
  }
  EXPECT_THROW(db().execute("INSERT INTO " + t + " VALUES ($1, $2)", {1}), dbridge::invalid_argument_error);
  // The connection survives every one of these.
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 1);
}

TEST_P(conformance, sql_placeholder_styles) {
  REQUIRE_CAPABILITY("sql");
  REQUIRE_FEATURE("write");
  auto t = table("placeholders", "id BIGINT, name " + dialect_.text);
  db().execute("INSERT INTO " + t + " (id, name) VALUES (?, ?)", {1, "question"});
  db().execute("INSERT INTO " + t + " (name, id) VALUES (?2, ?1)", {2, "numbered"});
  db().execute("INSERT INTO " + t + " (id, name) VALUES (:id, :name)", {3, "named"});
  db().execute("INSERT INTO " + t + " (id, name) VALUES ($1, $2)", {4, "dollar"});
  std::vector<std::string> names;
  for (const auto& row : db().query("SELECT name FROM " + t + " ORDER BY id")) names.push_back(row.get<std::string>(0));
  EXPECT_EQ(names, (std::vector<std::string>{"question", "numbered", "named", "dollar"}));

  // A repeated name or number reuses its value; names count by first appearance.
  auto named = db().prepare("SELECT count(*) FROM " + t + " WHERE id >= :lo AND id <= :hi AND id <> :lo");
  EXPECT_EQ(named.param_count(), 2u);
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t + " WHERE id >= :lo AND id <= :hi AND id <> :lo", {2, 4})
                .get<std::int64_t>(0),
            2);
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t + " WHERE id = ?1 OR id = ?1 + 1", {1}).get<std::int64_t>(0), 2);

  // Inside literals and comments nothing is a placeholder.
  auto r = db().query_one("SELECT name, '?' AS q, ':x ?1 $1' AS c /* ? :y $2 */ FROM " + t +
                          " WHERE id = ? -- ? :z $3\n",
                          {1});
  EXPECT_EQ(r.get<std::string>(0), "question");
  EXPECT_EQ(r.get<std::string>(1), "?");
  EXPECT_EQ(r.get<std::string>(2), ":x ?1 $1");
  auto n = db().query_one("SELECT name, 'it''s :a' AS c FROM " + t + " WHERE id = :a", {3});
  EXPECT_EQ(n.get<std::string>(0), "named");
  EXPECT_EQ(n.get<std::string>(1), "it's :a");

  // One style per statement.
  EXPECT_THROW(db().query("SELECT name FROM " + t + " WHERE id = ? OR id = :id", {1, 2}), dbridge::syntax_error);
  EXPECT_THROW(db().query("SELECT name FROM " + t + " WHERE id = ?1 OR id = ?", {1, 2}), dbridge::syntax_error);
  EXPECT_THROW(db().query("SELECT name FROM " + t + " WHERE id = :id OR id = ?2", {1, 2}), dbridge::syntax_error);
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 4);  // still usable
}

// --------------------------------------------------------- transactions
TEST_P(conformance, sql_transaction_rolls_back_on_throw) {
  REQUIRE_CAPABILITY("sql");
  REQUIRE_CAPABILITY("transactions");
  REQUIRE_FEATURE("write");
  auto t = table("txn", "id BIGINT");
  EXPECT_THROW(db().transaction([&](dbridge::transaction& tx) {
    tx.execute("INSERT INTO " + t + " VALUES ($1)", {1});
    EXPECT_TRUE(db().in_transaction());
    throw std::runtime_error("abort the block");
  }),
               std::runtime_error);
  EXPECT_FALSE(db().in_transaction());
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 0);

  db().transaction([&](dbridge::transaction& tx) { tx.execute("INSERT INTO " + t + " VALUES ($1)", {2}); });
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 1);

  auto tx = db().begin();
  tx.execute("INSERT INTO " + t + " VALUES ($1)", {3});
  tx.rollback();
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 1);
}

TEST_P(conformance, sql_read_only_serializable_transaction) {
  REQUIRE_CAPABILITY("sql");
  REQUIRE_CAPABILITY("transactions");
  REQUIRE_FEATURE("write");
  auto t = table("readonly", "id BIGINT");
  db().execute("INSERT INTO " + t + " VALUES ($1)", {1});
  {
    auto tx = db().begin({.isolation = dbridge::isolation_level::serializable, .read_only = true});
    EXPECT_EQ(tx.query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 1);
    EXPECT_THROW(tx.execute("INSERT INTO " + t + " VALUES ($1)", {2}), dbridge::error);
    tx.rollback();
  }
  // Writable again once it is over.
  db().execute("INSERT INTO " + t + " VALUES ($1)", {3});
  EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 2);
}

TEST_P(conformance, sql_savepoints) {
  REQUIRE_CAPABILITY("sql");
  REQUIRE_CAPABILITY("transactions");
  REQUIRE_FEATURE("write");
  auto t = table("savepoints", "id BIGINT");
  db().transaction([&](dbridge::transaction& tx) {
    tx.execute("INSERT INTO " + t + " VALUES ($1)", {1});
    EXPECT_THROW(tx.transaction([&](dbridge::transaction& sp) {
      EXPECT_EQ(sp.depth(), 1u);
      sp.execute("INSERT INTO " + t + " VALUES ($1)", {2});
      throw std::runtime_error("undo the savepoint only");
    }),
                 std::runtime_error);
    tx.transaction([&](dbridge::transaction& sp) { sp.execute("INSERT INTO " + t + " VALUES ($1)", {3}); });
  });
  std::vector<std::int64_t> ids;
  for (const auto& row : db().query("SELECT id FROM " + t + " ORDER BY id")) ids.push_back(row.get<std::int64_t>(0));
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 3}));
}

// -------------------------------------------------------- introspection
TEST_P(conformance, sql_introspection) {
  REQUIRE_CAPABILITY("sql");
  REQUIRE_CAPABILITY("introspect");
  REQUIRE_FEATURE("write");
  auto t = table("meta", "id BIGINT PRIMARY KEY, label " + dialect_.text + " NOT NULL");
  bool found = false;
  for (const auto& row : db().tables())
    if (row.get<std::string>("name") == t) found = true;
  EXPECT_TRUE(found) << t << " missing from tables()";
  std::vector<std::string> names;
  for (const auto& row : db().columns(t)) names.push_back(row.get<std::string>("name"));
  EXPECT_EQ(names, (std::vector<std::string>{"id", "label"}));
  std::vector<std::string> pk;
  for (const auto& row : db().primary_keys(t)) pk.push_back(row.get<std::string>("columns"));
  EXPECT_EQ(pk, (std::vector<std::string>{"id"}));
}

// -------------------------------------------------------------- command
TEST_P(conformance, command_round_trip) {
  REQUIRE_CAPABILITY("command");
  const std::string key("dbr_conf:k\0ey", 13), val("v\0\xff", 3);
  db().command({"DEL", key, "dbr_conf:n"});
  EXPECT_EQ(db().command({"SET", key, val}).type, dbridge::reply_type::status);
  auto r = db().command({"GET", key});
  ASSERT_EQ(r.type, dbridge::reply_type::string);
  EXPECT_EQ(r.str, val);
  EXPECT_EQ(db().command({"INCR", "dbr_conf:n"}).as_integer(), 1);
  EXPECT_EQ(db().command({"INCR", "dbr_conf:n"}).as_integer(), 2);
  EXPECT_EQ(db().command({"EXISTS", key, "dbr_conf:n", "dbr_conf:none"}).as_integer(), 2);
  EXPECT_THROW(db().command({"INCR", key}), dbridge::backend_error);  // error reply, connection fine
  EXPECT_EQ(db().command({"DEL", key, "dbr_conf:n"}).as_integer(), 2);
  EXPECT_TRUE(db().command({"GET", key}).is_nil());
}

TEST_P(conformance, command_transaction_discards_on_throw) {
  REQUIRE_CAPABILITY("command");
  REQUIRE_CAPABILITY("transactions");
  db().command({"DEL", "dbr_conf:t"});
  EXPECT_THROW(db().transaction([&](dbridge::transaction&) {
    db().command({"SET", "dbr_conf:t", "1"});
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_TRUE(db().command({"GET", "dbr_conf:t"}).is_nil());
  db().transaction([&](dbridge::transaction&) { db().command({"SET", "dbr_conf:t", "2"}); });
  EXPECT_EQ(db().command({"GET", "dbr_conf:t"}).as_string(), "2");
  db().command({"DEL", "dbr_conf:t"});
}

TEST_P(conformance, missing_capability_is_unsupported) {
  if (!has("sql")) {
    EXPECT_THROW(db().query("SELECT 1"), dbridge::unsupported_error);
  } else if (!has("command")) {
    EXPECT_THROW(db().command({"PING"}), dbridge::unsupported_error);
  } else {
    GTEST_SKIP() << "driver has both sql and command";
  }
}

INSTANTIATE_TEST_SUITE_P(drivers, conformance, ::testing::ValuesIn(cases),
                         [](const ::testing::TestParamInfo<driver_case>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace dbridge_conformance
