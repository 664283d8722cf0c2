// SPDX-License-Identifier: Apache-2.0
// A prepared statement that keeps returning at most one row reads its result
// whole (one PGresult) instead of in single-row mode; the first run with more
// rows must still return every row, errors must still surface from the query,
// and other statements must run while such a result is open. Against the real
// server named by DBRIDGE_TEST_POSTGRES_URL.
#include <gtest/gtest.h>

#include <unistd.h>

#include <optional>
#include <string>

#include "driver_suite.hpp"
#include "test_server.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"

using namespace dbridge;

namespace {

class PointSelect : public dbridge::test::connected_test {
 protected:
  PointSelect() : connected_test("DBRIDGE_TEST_POSTGRES_URL") {}
};

// Enough single-row runs for any switch-over threshold a driver may use.
constexpr int warm_runs = 40;

std::int64_t count_rows(result r, std::int64_t* sum) {
  std::int64_t n = 0;
  while (const row* x = r.next()) {
    ++n;
    *sum += x->get<std::int64_t>(0);
  }
  return n;
}

}  // namespace

TEST_F(PointSelect, ManyRowsAfterManySingleRowRuns) {
  auto st = db->prepare("SELECT g, g::text FROM generate_series(1, $1::int) g");
  for (int i = 0; i < warm_runs; ++i) {
    auto r = st.query({1});
    const row* x = r.next();
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->get<std::int64_t>(0), 1);
    EXPECT_EQ(x->get<std::string_view>(1), "1");
    EXPECT_EQ(r.next(), nullptr);
  }
  std::int64_t sum = 0;
  EXPECT_EQ(count_rows(st.query({5000}), &sum), 5000);
  EXPECT_EQ(sum, 5000LL * 5001 / 2);
  // And back: single rows again, then a larger result once more.
  for (int i = 0; i < warm_runs; ++i) EXPECT_EQ(st.query({1}).next()->get<std::int64_t>(0), 1);
  sum = 0;
  EXPECT_EQ(count_rows(st.query({300}), &sum), 300);
  EXPECT_EQ(sum, 300LL * 301 / 2);
}

TEST_F(PointSelect, EmptyResultsAndErrorsAfterWarmRuns) {
  auto st = db->prepare("SELECT 10 / $1::int");
  for (int i = 0; i < warm_runs; ++i) EXPECT_EQ(st.query({2}).next()->get<std::int64_t>(0), 5);
  try {
    auto r = st.query({0});
    r.next();
    FAIL() << "division by zero was not reported";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
  }
  EXPECT_EQ(st.query({5}).next()->get<std::int64_t>(0), 2);  // the connection is still usable

  auto none = db->prepare("SELECT g FROM generate_series(1, 3) g WHERE g = $1::int");
  for (int i = 0; i < warm_runs; ++i) EXPECT_EQ(none.query({2}).next()->get<std::int64_t>(0), 2);
  auto r = none.query({7});
  EXPECT_EQ(r.next(), nullptr);
}

TEST_F(PointSelect, OtherStatementsRunWhileAResultIsOpen) {
  auto a = db->prepare("SELECT $1::int * 2");
  auto b = db->prepare("SELECT $1::int * 3");
  for (int i = 0; i < warm_runs; ++i) {
    auto ra = a.query({i});
    auto rb = b.query({i});  // a's result is still open
    EXPECT_EQ(rb.next()->get<std::int64_t>(0), 3 * i);
    EXPECT_EQ(ra.next()->get<std::int64_t>(0), 2 * i);
    EXPECT_EQ(db->query_one("SELECT $1::int + 1", {i}).get<std::int64_t>(0), i + 1);
  }
}

TEST_F(PointSelect, TextOfAWarmResultStaysReadableWhileOtherStatementsRun) {
  // A warm point select decodes its text in place: the cells must live as
  // long as the result, whatever runs on the connection meanwhile.
  auto a = db->prepare("SELECT repeat('x', $1::int) || $1::int::text");
  auto b = db->prepare("SELECT repeat('y', $1::int)");
  for (int i = 1; i <= warm_runs; ++i) {
    auto ra = a.query({i});
    const row* x = ra.next();
    ASSERT_NE(x, nullptr);
    const std::string_view text = x->get<std::string_view>(0);
    EXPECT_EQ(b.query({i + 3}).next()->get<std::string>(0), std::string(static_cast<std::size_t>(i + 3), 'y'));
    EXPECT_EQ(db->query_one("SELECT $1::int + 1", {i}).get<std::int64_t>(0), i + 1);
    EXPECT_EQ(text, std::string(static_cast<std::size_t>(i), 'x') + std::to_string(i));
  }
}

TEST_F(PointSelect, IntegerKeysAtTheEdgesOfTheirParameterType) {
  auto i4 = db->prepare("SELECT $1::int4::text");
  auto i8 = db->prepare("SELECT $1::int8::text");
  for (int i = 0; i < warm_runs; ++i) {
    EXPECT_EQ(i4.query({INT32_MIN}).next()->get<std::string>(0), std::to_string(INT32_MIN));
    EXPECT_EQ(i4.query({INT32_MAX}).next()->get<std::string>(0), std::to_string(INT32_MAX));
    EXPECT_EQ(i4.query({-1}).next()->get<std::string>(0), "-1");
    EXPECT_EQ(i8.query({INT64_MIN}).next()->get<std::string>(0), std::to_string(INT64_MIN));
    EXPECT_EQ(i8.query({std::int64_t{-2}}).next()->get<std::string>(0), "-2");
  }
  // Beyond int4, the value goes as text and the server refuses it.
  EXPECT_THROW(i4.query({std::int64_t{INT32_MAX} + 1}).next(), error);
  EXPECT_EQ(i4.query({7}).next()->get<std::string>(0), "7");
}

TEST_F(PointSelect, WarmStatementWhoseTableChangedShapeRunsAgainWithItsNewColumns) {
  // The plan goes stale on the server (0A000) while the statement reads whole.
  const std::string t = "point_stale_" + std::to_string(::getpid());
  db->execute("DROP TABLE IF EXISTS " + t);
  db->execute("CREATE TABLE " + t + " (a int4)");
  db->execute("INSERT INTO " + t + " VALUES (1)");
  auto st = db->prepare("SELECT * FROM " + t + " WHERE a = $1");
  for (int i = 0; i < warm_runs; ++i) EXPECT_EQ(st.query({1}).next()->size(), 1u);
  connection other = connect(dbridge::test::env_or_empty("DBRIDGE_TEST_POSTGRES_URL"));
  other.execute("ALTER TABLE " + t + " ADD COLUMN b int4 DEFAULT 7");
  {
    auto r = st.query({1});
    const row* x = r.next();
    ASSERT_NE(x, nullptr);
    ASSERT_EQ(x->size(), 2u);
    EXPECT_EQ(x->get<std::int64_t>(1), 7);
  }
  // A NULL key in the warm state matches nothing, and the statement goes on.
  EXPECT_EQ(st.query({value{}}).next(), nullptr);
  EXPECT_EQ(st.query({1}).next()->get<std::int64_t>(0), 1);
  db->execute("DROP TABLE " + t);
}

TEST_F(PointSelect, ResultsLeftHalfReadEndWhenTheStatementRunsAgain) {
  // Whatever a run still holds (rows streaming, a result read whole, nothing)
  // is ended by the next run; each run then reads only its own rows.
  auto st = db->prepare("SELECT g FROM generate_series(1, $1::int) g");
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < warm_runs; ++i) EXPECT_EQ(st.query({1}).next()->get<std::int64_t>(0), 1);
    {
      auto r = st.query({5000});  // read whole (the statement was warm): left after two rows
      ASSERT_EQ(r.next()->get<std::int64_t>(0), 1);
      ASSERT_EQ(r.next()->get<std::int64_t>(0), 2);
    }
    {
      auto r = st.query({5000});  // streams (the last run had many rows): left after one row
      ASSERT_EQ(r.next()->get<std::int64_t>(0), 1);
    }
    auto r = st.query({3});
    std::int64_t sum = 0;
    EXPECT_EQ(count_rows(std::move(r), &sum), 3);
    EXPECT_EQ(sum, 6);
    EXPECT_EQ(db->query_one("SELECT $1::int + 1", {round}).get<std::int64_t>(0), round + 1);
  }
}
