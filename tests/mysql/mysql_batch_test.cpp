// SPDX-License-Identifier: Apache-2.0
// MariaDB has no pipeline: dbridge::batch is refused as unsupported, before
// the driver is called, so whatever the connection was doing (a query read
// to its end, a result streaming) carries on untouched.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "test_server.hpp"
#include "dbridge/batch.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"

using namespace dbridge;

TEST(MysqlBatch, RefusedAfterAQueryAndWhileAResultStreamsLeavingBothIntact) {
  DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_MYSQL_URL");
  auto c = connect(dbridge::test::env_or_empty("DBRIDGE_TEST_MYSQL_URL"));
  EXPECT_EQ(c.query_one("SELECT $1 + 1", {41}).get<std::int64_t>(0), 42);
  EXPECT_THROW(batch{c}, unsupported_error);
  auto rows = c.query("SELECT seq FROM seq_1_to_2000");
  const row* first = rows.next();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->get<std::int64_t>(0), 1);
  EXPECT_THROW(batch{c}, unsupported_error);
  std::int64_t n = 1, last = 1;
  while (const row* r = rows.next()) last = r->get<std::int64_t>(0), ++n;
  EXPECT_EQ(n, 2000);
  EXPECT_EQ(last, 2000);
  EXPECT_EQ(c.query_one("SELECT $1 * 2", {21}).get<std::int64_t>(0), 42);
}
