// SPDX-License-Identifier: Apache-2.0
// A prepared statement that keeps returning at most one row reads its result
// whole (one PGresult) instead of in single-row mode; the first run with more
// rows must still return every row, errors must still surface from the query,
// and other statements must run while such a result is open. Against the real
// server named by DBRIDGE_TEST_POSTGRES_URL.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "test_server.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"

using namespace dbridge;

namespace {

class PointSelect : public ::testing::Test {
 protected:
  void SetUp() override {
    DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_URL");
    db.emplace(connect(dbridge::test::env_or_empty("DBRIDGE_TEST_POSTGRES_URL")));
  }
  std::optional<connection> db;
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
