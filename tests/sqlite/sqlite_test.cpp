// SPDX-License-Identifier: Apache-2.0
// The client API end to end through the real SQLite plugin of this build.
#include <gtest/gtest.h>
#include <unistd.h>

#include <dbridge/abi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "temp_files.hpp"

using namespace dbridge;
namespace fs = std::filesystem;

namespace {

using temp_db = dbridge::test::temp_sqlite_db;

std::int64_t count(connection& db, const char* table) {
  return db.query_one(std::string("SELECT count(*) FROM ") + table).get<std::int64_t>(0);
}

}  // namespace

TEST(api, ScalarTypesRoundTrip) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER)");
  const bytes blob{0x00, 0x01, 0xFF, 0x7F};
  db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", {std::int64_t{-9'000'000'000'000'000'000LL}, 1.25,
                                                      "h\xC3\xA9llo", blob, nullptr});
  auto r = db.query("SELECT i, r, s, b, n FROM t");
  const row* row = r.next();
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->get<std::int64_t>(0), -9'000'000'000'000'000'000LL);
  EXPECT_DOUBLE_EQ(row->get<double>(1), 1.25);
  EXPECT_EQ(row->get<std::string>(2), "h\xC3\xA9llo");
  EXPECT_EQ(row->get<std::string_view>("s"), "h\xC3\xA9llo");
  EXPECT_EQ(row->get<bytes>(3), blob);
  EXPECT_TRUE(row->is_null(4));
  EXPECT_EQ(row->type(0), value_type::int64);
  EXPECT_EQ(row->type(1), value_type::float64);
  EXPECT_EQ(row->type(2), value_type::text);
  EXPECT_EQ(row->type(3), value_type::bytes);
  EXPECT_THROW((void)row->get<std::int32_t>(0), data_error);
  EXPECT_THROW((void)row->get<std::int64_t>(2), data_error);
  EXPECT_THROW((void)row->get<std::int64_t>(9), invalid_argument_error);
  EXPECT_EQ(r.next(), nullptr);
  EXPECT_EQ(r.next(), nullptr);  // stays at the end
}

TEST(api, DeclaredTypesRoundTrip) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE d(d DATE, ts TIMESTAMP, j JSON, flag BOOLEAN)");
  const date day{days_from_civil(2024, 2, 29)};
  const timestamp ts{std::int64_t{days_from_civil(2001, 9, 9)} * 86'400'000'000LL + 6'400'123'456LL};
  db.execute("INSERT INTO d VALUES (?, ?, ?, ?)", {day, ts, json{"{\"a\":[1,2]}"}, true});
  auto rec = db.query_one("SELECT d, ts, j, flag FROM d");
  EXPECT_EQ(rec.get<date>("d"), day);
  EXPECT_EQ(rec.get<timestamp>("ts"), ts);
  EXPECT_EQ(rec.get<json>("j").text, "{\"a\":[1,2]}");
  EXPECT_EQ(rec.get<bool>("flag"), true);
  ASSERT_EQ(rec.columns().size(), 4u);
  EXPECT_EQ(rec.columns()[0].type, value_type::date);
  EXPECT_EQ(rec.columns()[1].type, value_type::timestamp);
  EXPECT_EQ(rec.columns()[2].type, value_type::json);
  EXPECT_EQ(rec.columns()[3].type, value_type::boolean);
}

TEST(api, ParametersByPositionAndName) {
  auto db = connect("sqlite://:memory:");
  EXPECT_EQ(db.query_one("SELECT ?1 + 1", {41}).get<std::int64_t>(0), 42);
  EXPECT_EQ(db.query_one("SELECT ? || ?", {"a", "b"}).get<std::string>(0), "ab");
  EXPECT_EQ(db.query_one("SELECT $1 - $2", {10, 3}).get<std::int64_t>(0), 7);
  EXPECT_EQ(db.query_one("SELECT :a * :b", {6, 7}).get<std::int64_t>(0), 42);
  EXPECT_EQ(db.query_one("SELECT ?2 || ?1", {"x", "y"}).get<std::string>(0), "yx");
  const std::vector<value> many{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  EXPECT_EQ(db.query_one("SELECT ?1+?2+?3+?4+?5+?6+?7+?8+?9+?10+?11+?12+?13+?14+?15+?16+?17+?18+?19+?20", many)
                .get<std::int64_t>(0),
            210);
  try {
    (void)db.query("SELECT ?1 + ?2", {1});
    FAIL() << "no exception";
  } catch (const invalid_argument_error& e) {
    EXPECT_EQ(e.category(), errc::invalid_argument);
  }
}

TEST(api, NullsBecomeOptional) {
  auto db = connect("sqlite://:memory:");
  auto r = db.query("SELECT NULL AS a, 5 AS b");
  const row* row = r.next();
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->get<std::optional<std::int64_t>>("a"), std::nullopt);
  EXPECT_EQ(row->get<std::optional<std::int64_t>>("b"), 5);
  EXPECT_EQ(row->get<std::optional<std::string_view>>(0), std::nullopt);
  EXPECT_THROW((void)row->get<std::int64_t>("a"), data_error);
  EXPECT_TRUE(row->is_null("A"));  // names fold case like SQL identifiers
  EXPECT_THROW((void)row->get<std::int64_t>("missing"), invalid_argument_error);
  std::optional<std::int64_t> absent;
  EXPECT_TRUE(db.query_one("SELECT ?1 IS NULL", {absent}).get<bool>(0));
}

TEST(api, Streams100kRows) {
  auto db = connect("sqlite://:memory:");
  auto r = db.query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x, 'row' || x FROM c");
  std::int64_t n = 0, sum = 0;
  for (const auto& row : r) {
    ++n;
    sum += row.get<std::int64_t>(0);
    if (n == 77777) {
      EXPECT_EQ(row.get<std::string_view>(1), "row77777");
    }
  }
  EXPECT_EQ(n, 100000);
  EXPECT_EQ(sum, 100000LL * 100001 / 2);
}

TEST(api, ExecuteReportsAffectedRowsAndLastId) {
  auto db = connect("sqlite://:memory:");
  db.execute_script("CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX u_name ON u(name);");
  auto a = db.execute("INSERT INTO u(name) VALUES (?)", {"alice"});
  EXPECT_EQ(a.affected_rows, 1);
  ASSERT_TRUE(a.last_insert_id.has_value());
  auto b = db.execute("INSERT INTO u(name) VALUES (?), (?)", {"bob", "carol"});
  EXPECT_EQ(b.affected_rows, 2);
  EXPECT_EQ(*b.last_insert_id, *a.last_insert_id + 2);
  EXPECT_EQ(db.execute("UPDATE u SET name = upper(name)").affected_rows, 3);
  EXPECT_EQ(db.query_one("SELECT name FROM u WHERE id = ?", {*a.last_insert_id}).get<std::string>("name"), "ALICE");
}

TEST(api, QueryOneAndErrors) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE e(x INTEGER UNIQUE)");
  try {
    (void)db.query_one("SELECT x FROM e");
    FAIL() << "no exception";
  } catch (const not_found_error& e) {
    EXPECT_EQ(e.category(), errc::not_found);
  }
  EXPECT_THROW(db.query("SELEC 1"), syntax_error);
  try {
    (void)db.query("SELECT nope FROM e");
    FAIL() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.driver(), db.plugin_id());
  }
  db.execute("INSERT INTO e VALUES (1)");
  try {
    db.execute("INSERT INTO e VALUES (1)");
    FAIL() << "no exception";
  } catch (const constraint_violation& e) {
    EXPECT_EQ(e.category(), errc::constraint);
    EXPECT_EQ(e.subcategory(), suberrc::unique_violation);
  }
  // The connection is still usable after errors.
  EXPECT_EQ(count(db, "e"), 1);
  auto rec = db.query_one("SELECT 1 AS one, 'two' AS two");
  EXPECT_EQ(rec.get<std::int64_t>("one"), 1);
  EXPECT_EQ(rec["two"].as<std::string>(), "two");
  EXPECT_THROW((void)rec["three"], invalid_argument_error);
}

TEST(api, TransactionBlockCommitsOrRollsBack) {
  temp_db file;
  auto db = connect(file.url());
  db.execute("CREATE TABLE t(x INTEGER)");
  db.transaction([](auto& tx) { tx.execute("INSERT INTO t VALUES (1)"); });
  EXPECT_EQ(count(db, "t"), 1);
  EXPECT_THROW(db.transaction([](auto& tx) {
    tx.execute("INSERT INTO t VALUES (2)");
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_EQ(count(db, "t"), 1);
  EXPECT_FALSE(db.in_transaction());
  const auto v = db.transaction([](auto& tx) { return tx.query_one("SELECT 40 + 2").template get<std::int64_t>(0); });
  EXPECT_EQ(v, 42);
}

TEST(api, ManualTransactions) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(x INTEGER)");
  {
    auto tx = db.begin();
    EXPECT_TRUE(db.in_transaction());
    tx.execute("INSERT INTO t VALUES (1)");
    EXPECT_THROW(db.begin(), invalid_state_error);
    tx.commit();
    EXPECT_FALSE(tx.active());
    EXPECT_THROW(tx.commit(), invalid_state_error);
    EXPECT_THROW(tx.execute("INSERT INTO t VALUES (9)"), invalid_state_error);
  }
  {
    auto tx = db.begin();
    tx.execute("INSERT INTO t VALUES (2)");
    tx.rollback();
  }
  {
    auto tx = db.begin();
    tx.execute("INSERT INTO t VALUES (3)");
  }  // destroyed while active: rolled back
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.query_one("SELECT group_concat(x) FROM t").get<std::string>(0), "1");
}

TEST(api, NestedBlocksBecomeSavepoints) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(x INTEGER)");
  db.transaction([](auto& tx) {
    tx.execute("INSERT INTO t VALUES (1)");
    EXPECT_THROW(tx.transaction([](auto& sp) {
      EXPECT_EQ(sp.depth(), 1u);
      sp.execute("INSERT INTO t VALUES (2)");
      throw std::runtime_error("inner fails");
    }),
                 std::runtime_error);
    tx.transaction([](auto& sp) {
      sp.execute("INSERT INTO t VALUES (3)");
      sp.transaction([](auto& sp2) {
        EXPECT_EQ(sp2.depth(), 2u);
        sp2.execute("INSERT INTO t VALUES (4)");
      });
    });
    auto manual = tx.savepoint();
    manual.execute("INSERT INTO t VALUES (5)");
    EXPECT_THROW(tx.commit(), invalid_state_error);  // the savepoint is still open
    manual.rollback();
  });
  EXPECT_EQ(db.query_one("SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)").get<std::string>(0), "1,3,4");
}

TEST(api, ScalarFunctions) {
  auto db = connect("sqlite://:memory:");
  db.create_function("my_upper", 1, [](std::span<const value> args) -> value {
    if (args[0].is_null()) return nullptr;
    std::string s = args[0].as<std::string>();
    for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return s;
  });
  db.create_function("add_all", -1, [](std::span<const value> args) -> value {
    std::int64_t sum = 0;
    for (const auto& a : args) sum += a.as<std::int64_t>();
    return sum;
  });
  db.create_function("picky", 1, [](std::span<const value>) -> value {
    error_info info;
    info.category = errc::data;
    info.message = "picky refuses";
    throw data_error(info);
  });
  db.create_function("broken", 0, [](std::span<const value>) -> value { throw std::runtime_error("kaboom"); });
  EXPECT_EQ(db.query_one("SELECT my_upper('abc')").get<std::string>(0), "ABC");
  EXPECT_TRUE(db.query_one("SELECT my_upper(NULL)")[0].is_null());
  EXPECT_EQ(db.query_one("SELECT add_all(1, 2, 3, ?1)", {4}).get<std::int64_t>(0), 10);
  try {
    (void)db.query_one("SELECT picky(1)");
    FAIL() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.category(), errc::data) << e.what();
    EXPECT_NE(std::string(e.what()).find("picky refuses"), std::string::npos) << e.what();
  }
  try {
    (void)db.query_one("SELECT broken()");
    FAIL() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.category(), errc::internal) << e.what();
    EXPECT_NE(std::string(e.what()).find("kaboom"), std::string::npos) << e.what();
  }
  // Replacing a function releases the old one and uses the new one.
  db.create_function("my_upper", 1, [](std::span<const value>) -> value { return "replaced"; });
  EXPECT_EQ(db.query_one("SELECT my_upper('abc')").get<std::string>(0), "replaced");
}

TEST(api, Introspection) {
  auto db = connect("sqlite://:memory:");
  db.execute_script(
      "CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
      "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), note TEXT);"
      "CREATE UNIQUE INDEX child_note ON child(note);");
  std::vector<std::string> tables;
  for (const auto& r : db.tables()) tables.push_back(r.get<std::string>("name"));
  EXPECT_NE(std::find(tables.begin(), tables.end(), "parent"), tables.end());
  EXPECT_NE(std::find(tables.begin(), tables.end(), "child"), tables.end());

  auto cols = db.columns("child");
  ASSERT_GE(cols.column_count(), 5u);
  EXPECT_EQ(cols.columns()[2].name, "name");
  std::vector<std::string> names;
  for (const auto& r : cols) names.push_back(r.get<std::string>("name"));
  EXPECT_EQ(names, (std::vector<std::string>{"id", "parent_id", "note"}));

  bool found_index = false;
  for (const auto& r : db.indexes("child"))
    if (r.get<std::string>("name") == "child_note") found_index = true;
  EXPECT_TRUE(found_index);

  auto fks = db.foreign_keys("child");
  const row* fk = fks.next();
  ASSERT_NE(fk, nullptr);
  EXPECT_EQ(fk->get<std::string>("ref_table"), "parent");
}

TEST(api, StatementCacheReusesStatements) {
  auto db = connect("sqlite://:memory:");
  const auto before = db.cache_stats();
  EXPECT_EQ(before.capacity, 64u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(db.query_one("SELECT ?1 * 2", {i}).get<std::int64_t>(0), i * 2);
  const auto after = db.cache_stats();
  EXPECT_EQ(after.hits - before.hits, 9u);
  EXPECT_EQ(after.size, 1u);

  // The same SQL while a result still reads the cached statement gets its own.
  auto outer = db.query("SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2) ORDER BY value");
  std::vector<std::int64_t> seen;
  for (const auto& r : outer) {
    auto inner = db.query("SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2) ORDER BY value");
    std::int64_t n = 0;
    while (inner.next()) ++n;
    EXPECT_EQ(n, 2);
    seen.push_back(r.get<std::int64_t>(0));
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2}));
}

TEST(api, StatementCacheIsBounded) {
  connect_options opts;
  opts.statement_cache_size = 2;
  auto db = connect("sqlite://:memory:", opts);
  for (int i = 0; i < 5; ++i) (void)db.query_one("SELECT " + std::to_string(i));
  EXPECT_EQ(db.cache_stats().size, 2u);
  opts.statement_cache_size = 0;
  auto nocache = connect("sqlite://:memory:", opts);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(nocache.query_one("SELECT 7").get<std::int64_t>(0), 7);
  EXPECT_EQ(nocache.cache_stats().size, 0u);
}

TEST(api, PreparedStatements) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(a INTEGER, b TEXT)");
  auto ins = db.prepare("INSERT INTO t VALUES (?1, ?2)");
  EXPECT_EQ(ins.param_count(), 2u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ins.execute({i, "v" + std::to_string(i)}).affected_rows, 1);
  dbr_value raw[2];
  std::memset(raw, 0, sizeof raw);
  raw[0].type = DBR_TYPE_INT64;
  raw[0].u.i64 = 1000;
  raw[1].type = DBR_TYPE_NULL;
  EXPECT_EQ(ins.execute_raw(raw, 2).affected_rows, 1);
  EXPECT_EQ(count(db, "t"), 101);
  EXPECT_THROW(ins.execute({1}), invalid_argument_error);

  auto sel = db.prepare("SELECT b FROM t WHERE a >= ?1 ORDER BY a");
  auto first = sel.query({98});
  ASSERT_NE(first.next(), nullptr);
  auto second = sel.query({99});  // re-executing ends the earlier result
  EXPECT_THROW(first.next(), invalid_state_error);
  const row* r = second.next();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->get<std::string>(0), "v99");
}

TEST(api, ConcurrentUseIsRefused) {
  auto db = connect("sqlite://:memory:");
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  // The function runs while this thread is inside a query on db, so a second
  // thread touching db at that moment is concurrent use, deterministically.
  db.create_function("probe", 0, [&](std::span<const value>) -> value {
    std::thread t([&] {
      try {
        (void)db.query_one("SELECT 1");
      } catch (const invalid_state_error&) {
        ++refused;
      } catch (...) {
        ++other;
      }
    });
    t.join();
    return 1;
  });
  EXPECT_EQ(db.query_one("SELECT probe()").get<std::int64_t>(0), 1);
  EXPECT_EQ(refused.load(), 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(db.query_one("SELECT 2").get<std::int64_t>(0), 2);  // and it still works afterwards
}

TEST(api, UnsupportedCapabilityIsTyped) {
  auto db = connect("sqlite://:memory:");
  EXPECT_FALSE(db.has_capability("command"));
  EXPECT_TRUE(db.has_capability("sql"));
  try {
    db.command({"PING"});
    FAIL() << "no exception";
  } catch (const unsupported_error& e) {
    EXPECT_EQ(e.category(), errc::unsupported);
    const std::string what = e.what();
    EXPECT_NE(what.find("'" + db.plugin_id() + "'"), std::string::npos) << what;
    EXPECT_NE(what.find("'command'"), std::string::npos) << what;
  }
}

TEST(api, ClosedConnectionAndOrphanedResults) {
  auto db = connect("sqlite://:memory:");
  EXPECT_TRUE(db.is_open());
  EXPECT_TRUE(db.ping());
  auto r = db.query("SELECT 1 UNION ALL SELECT 2");
  ASSERT_NE(r.next(), nullptr);
  auto st = db.prepare("SELECT 1");
  db.close();
  db.close();  // idempotent
  EXPECT_FALSE(db.is_open());
  EXPECT_FALSE(db.ping());
  EXPECT_THROW(r.next(), invalid_state_error);
  EXPECT_THROW(st.execute(), invalid_state_error);
  EXPECT_THROW(db.query("SELECT 1"), invalid_state_error);

  auto moved_from = connect("sqlite://:memory:");
  auto target = std::move(moved_from);
  EXPECT_EQ(target.query_one("SELECT 3").get<std::int64_t>(0), 3);
  EXPECT_THROW(moved_from.query("SELECT 1"), invalid_state_error);
}

// A prepared statement's result is reached through its statement, not the
// connection's list of results: closing the connection must still end it,
// also after the statement let go of it (executed again, destroyed).
TEST(api, StatementResultsEndWithTheirConnection) {
  std::optional<result> superseded, current, orphan;
  {
    auto db = connect("sqlite://:memory:");
    auto st = db.prepare("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3");
    superseded.emplace(st.query());
    ASSERT_NE(superseded->next(), nullptr);
    current.emplace(st.query());  // supersedes the first result
    ASSERT_NE(current->next(), nullptr);
    {
      auto gone = db.prepare("SELECT 4 UNION ALL SELECT 5");
      orphan.emplace(gone.query());
      ASSERT_NE(orphan->next(), nullptr);
    }  // the statement is destroyed, its result lives on
    EXPECT_THROW(superseded->next(), invalid_state_error);
    try {
      orphan->next();
      ADD_FAILURE() << "a destroyed statement's result went on reading";
    } catch (const invalid_state_error& e) {
      EXPECT_NE(std::string(e.what()).find("its statement was destroyed"), std::string::npos) << e.what();
    }
    db.close();
    try {
      current->next();
      ADD_FAILURE() << "a result of a closed connection went on reading";
    } catch (const invalid_state_error& e) {
      EXPECT_NE(std::string(e.what()).find("its connection was closed"), std::string::npos) << e.what();
    }
  }  // the connection object is gone; the results are destroyed after it
  EXPECT_THROW(orphan->next(), invalid_state_error);
  superseded.reset();
  current.reset();
  orphan.reset();
}

TEST(api, ResultsDrainToValues) {
  auto db = connect("sqlite://:memory:");
  auto rows = db.query("SELECT 1, 'a' UNION ALL SELECT 2, NULL").to_vector();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0].as<std::int64_t>(), 2);
  EXPECT_TRUE(rows[1][1].is_null());
  auto empty = db.query("SELECT 1 WHERE 0");
  EXPECT_EQ(empty.column_count(), 1u);
  EXPECT_EQ(empty.next(), nullptr);
}

// The first row comes back with execute; a failure further on must still
// surface from next() as a typed error, and both the statement and the
// connection must work afterwards.
TEST(api, ErrorAfterTheFirstRowSurfacesFromNextAndLosesNothing) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(v INTEGER)");
  db.execute("INSERT INTO t VALUES (1), (2), (3)");
  // abs() of the smallest integer overflows when SQLite reaches row 2.
  const std::string sql = "SELECT CASE WHEN v = 2 THEN abs(-9223372036854775807 - 1) ELSE v END FROM t";  // rowid order
  auto st = db.prepare(sql);
  for (int round = 0; round < 2; ++round) {
    auto r = st.query();
    const row* first = r.next();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->get<std::int64_t>(0), 1);
    try {
      r.next();
      FAIL() << "the overflow on row 2 was not reported";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find("integer overflow"), std::string::npos) << e.what();
    }
  }
  // Through the statement cache too, and the connection still works.
  auto r = db.query(sql);
  ASSERT_NE(r.next(), nullptr);
  EXPECT_THROW(r.next(), error);
  EXPECT_EQ(db.query_one("SELECT count(*) FROM t").get<std::int64_t>(0), 3);
  auto ok = st.query();  // the statement is reset and runs again
  EXPECT_EQ(ok.next()->get<std::int64_t>(0), 1);
}

// ---------------------------------------------------------------- issue 10
// SQLite reads SQL as a C string: "DELETE FROM t\0 WHERE id = 1" used to run
// as "DELETE FROM t" and empty the table. The core refuses it before any
// plugin sees it.
TEST(api, NulInSqlIsRefusedBeforeAnythingRuns) {
  auto db = connect("sqlite://:memory:");
  db.execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b'), ('c');");
  const std::string sql("DELETE FROM t\0 WHERE id = 1", 27);
  auto expect_refused = [&](auto&& run) {
    try {
      run();
      ADD_FAILURE() << "a statement holding a NUL byte ran";
    } catch (const data_error& e) {
      EXPECT_EQ(e.category(), errc::data);
      EXPECT_EQ(e.subcategory(), suberrc::nul_byte);
      EXPECT_NE(std::string(e.what()).find("offset 13"), std::string::npos) << e.what();
    }
  };
  expect_refused([&] { db.execute(sql); });
  expect_refused([&] { (void)db.query(sql); });
  expect_refused([&] { (void)db.prepare(sql); });
  expect_refused([&] { db.execute_script(sql); });
  EXPECT_EQ(db.query_one("SELECT count(*) FROM t").get<std::int64_t>(0), 3);
  EXPECT_EQ(db.query_one("SELECT 1").get<std::int64_t>(0), 1);  // the connection is fine
}

// Parameters carry their length: a NUL inside one is data, kept whole.
TEST(api, NulInsideATextParameterIsStoredWhole) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(v TEXT)");
  const std::string v("a\0b", 3);
  db.execute("INSERT INTO t VALUES ($1)", {value(v)});
  EXPECT_EQ(db.query_one("SELECT length(CAST(v AS BLOB)) FROM t").get<std::int64_t>(0), 3);
}

TEST(api, StatementTimeoutStopsARunawayStatement) {
  auto db = connect("sqlite://:memory:");
  db.set_option("statement_timeout_ms", value(std::int64_t{100}));
  const char* forever = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)db.query(forever);
    FAIL() << "a statement that never ends returned";
  } catch (const timeout_error& e) {
    EXPECT_EQ(e.category(), errc::timeout);
    EXPECT_EQ(e.sqlstate(), "57014");  // PostgreSQL's statement_timeout SQLSTATE
    EXPECT_NE(std::string(e.what()).find("statement_timeout_ms"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // The connection stays usable, and statements under the limit run.
  EXPECT_EQ(db.query_one("SELECT 7").get<std::int64_t>(0), 7);
  // The time between fetches counts, as on a server: a streamed cursor over
  // an endless CTE is stopped too.
  auto r = db.query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n");
  EXPECT_THROW(
      {
        while (r.next() != nullptr) {
        }
      },
      timeout_error);
  // 0 turns it off; a bounded statement then runs to its end.
  db.set_option("statement_timeout_ms", value(std::int64_t{0}));
  EXPECT_EQ(db.query_one("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
                         "SELECT count(*) FROM n")
                .get<std::int64_t>(0),
            100000);
  EXPECT_THROW(db.set_option("statement_timeout_ms", value("soon")), invalid_argument_error);
  // The URL takes the option name PostgreSQL's URL takes.
  auto url_db = connect("sqlite://:memory:?statement_timeout=50");
  EXPECT_THROW(url_db.query(forever), timeout_error);
}

TEST(api, ExpressionColumnsReportTheirType) {
  auto db = connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(d DATE, n INTEGER)");
  db.execute("INSERT INTO t VALUES ('2024-01-02', 1)");
  auto r = db.query("SELECT d, n + 1 AS e, 'x' || n AS s, 1.5 * n AS f, NULL AS z, x'00' AS b FROM t");
  const auto& cols = r.columns();
  ASSERT_EQ(cols.size(), 6u);
  EXPECT_EQ(cols[0].type, value_type::date);  // declared
  EXPECT_EQ(cols[1].type, value_type::int64);  // from the first row
  EXPECT_EQ(cols[2].type, value_type::text);
  EXPECT_EQ(cols[3].type, value_type::float64);
  EXPECT_EQ(cols[4].type, value_type::null);  // not known: no declared type, the first cell is NULL
  EXPECT_EQ(cols[5].type, value_type::bytes);
}
