// SPDX-License-Identifier: Apache-2.0
// Batches (libpq pipeline mode) next to everything else a connection does:
// entering a pipeline needs an idle wire, so whatever ran before (a query
// read to its end or abandoned, a COPY, a transaction) must have left it
// idle, and a batch must leave it idle for what runs after. Against the real
// server named by DBRIDGE_TEST_POSTGRES_URL.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "driver_suite.hpp"
#include "test_server.hpp"
#include "dbridge/batch.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "dbridge/error.hpp"

using namespace dbridge;

namespace {

class Batch : public dbridge::test::connected_test {
 protected:
  Batch() : connected_test("DBRIDGE_TEST_POSTGRES_URL") {}

  /// A one-statement batch whose answer proves the pipeline ran in step.
  void expect_batch_works(int x) {
    batch b(c());
    b.add("SELECT $1::int + $1::int", {std::to_string(x)});
    auto items = b.execute();
    ASSERT_EQ(items.size(), 1u);
    ASSERT_TRUE(items[0].ok()) << items[0].error->message;
    ASSERT_EQ(items[0].rows.size(), 1u);
    EXPECT_EQ(items[0].rows[0][0], value(std::int64_t{2 * x}));
  }

  std::string table(const std::string& base) { return "dbr_pgbatch_" + base + "_" + std::to_string(::getpid()); }
};

}  // namespace

TEST_F(Batch, BatchAfterQueryOne) {
  EXPECT_EQ(c().query_one("SELECT $1::int + 1", {"41"}).get<std::int64_t>(0), 42);
  expect_batch_works(20);
  // The same statement again: now served by the statement cache.
  EXPECT_EQ(c().query_one("SELECT $1::int + 1", {"41"}).get<std::int64_t>(0), 42);
  expect_batch_works(21);
}

TEST_F(Batch, BatchWhileACursorIsMidStreamAndAfterOneIsAbandoned) {
  {
    auto big = c().query("SELECT g FROM generate_series(1, 5000) g");
    const row* first = big.next();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->get<std::int64_t>(0), 1);
    expect_batch_works(3);
    // The batch took the wire from the open cursor, which still has every row.
    std::int64_t n = 1, last = 1;
    while (const row* r = big.next()) last = r->get<std::int64_t>(0), ++n;
    EXPECT_EQ(n, 5000);
    EXPECT_EQ(last, 5000);
  }
  {
    auto big = c().query("SELECT g FROM generate_series(1, 5000) g");
    ASSERT_NE(big.next(), nullptr);
  }  // abandoned after one row
  expect_batch_works(4);
  EXPECT_EQ(c().query_one("SELECT 7").get<std::int64_t>(0), 7);
}

TEST_F(Batch, BatchAfterCopyInAndCopyOut) {
  const std::string t = table("copy");
  c().execute("DROP TABLE IF EXISTS " + t);
  c().execute("CREATE TABLE " + t + " (id int)");
  {
    copy_in in(c(), t);
    for (int i = 1; i <= 100; ++i) in.write_row({i});
    EXPECT_EQ(in.finish(), 100);
  }
  expect_batch_works(5);
  {
    copy_in in(c(), t);
    in.write_row({101});
  }  // abandoned: stores nothing
  expect_batch_works(6);
  {
    copy_out out(c(), "COPY (SELECT id FROM " + t + " ORDER BY id) TO STDOUT");
    std::size_t bytes = 0;
    while (auto chunk = out.next()) bytes += chunk->size();
    EXPECT_GT(bytes, 100u);
  }
  expect_batch_works(7);
  {
    copy_out out(c(), "COPY (SELECT g FROM generate_series(1, 100000) g) TO STDOUT");
    ASSERT_TRUE(out.next().has_value());
  }  // abandoned mid-stream
  expect_batch_works(8);
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 100);
  c().execute("DROP TABLE " + t);
}

TEST_F(Batch, QueriesAfterABatchReadFullyPartlyOrNotAtAll) {
  expect_batch_works(9);
  EXPECT_EQ(c().query_one("SELECT $1::int * 2", {"21"}).get<std::int64_t>(0), 42);
  {
    batch b(c());
    b.add("SELECT 1").add("SELECT g FROM generate_series(1, 1000) g").add("SELECT 3");
    b.send();
    const batch_item* it = b.next();
    ASSERT_NE(it, nullptr);
    EXPECT_TRUE(it->ok());
  }  // two results left unread
  EXPECT_EQ(c().query_one("SELECT $1::int * 2", {"22"}).get<std::int64_t>(0), 44);
  {
    batch b(c());
    b.add("SELECT 1").add("SELECT 2");
  }  // queued, never sent
  EXPECT_EQ(c().query_one("SELECT 5").get<std::int64_t>(0), 5);
  {
    batch b(c());
    b.add("SELECT 1/0").add("SELECT 2");
    auto items = b.execute();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_FALSE(items[0].ok());
    EXPECT_TRUE(items[1].ok());
  }
  EXPECT_EQ(c().query_one("SELECT 6").get<std::int64_t>(0), 6);
  expect_batch_works(10);
}

TEST_F(Batch, BatchInsideATransactionAfterAQuery) {
  const std::string t = table("tx");
  c().execute("DROP TABLE IF EXISTS " + t);
  c().execute("CREATE TABLE " + t + " (id int PRIMARY KEY)");
  c().transaction([&](transaction& tx) {
    tx.execute("INSERT INTO " + t + " VALUES (1)");
    EXPECT_EQ(tx.query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 1);
    batch b(c());
    // A row-returning statement first: the one that inherited the query's single-row mode.
    b.add("SELECT count(*) FROM " + t).add("INSERT INTO " + t + " VALUES ($1)", {2}).add("SELECT count(*) FROM " + t);
    auto items = b.execute();
    ASSERT_EQ(items.size(), 3u);
    for (const batch_item& it : items) ASSERT_TRUE(it.ok()) << it.error->message;
    EXPECT_EQ(items[0].rows[0][0], value(std::int64_t{1}));
    EXPECT_EQ(items[2].rows[0][0], value(std::int64_t{2}));
    EXPECT_TRUE(c().in_transaction());
  });
  EXPECT_FALSE(c().in_transaction());
  EXPECT_EQ(c().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 2);
  c().execute("DROP TABLE " + t);
}

TEST_F(Batch, CopyIsRefusedBeforeSendingAndEmptyStatementsRun) {
  EXPECT_EQ(c().query_one("SELECT 1").get<std::int64_t>(0), 1);
  {
    batch b(c());
    b.add("SELECT 1");
    // The server would take the statements queued after a COPY FROM STDIN as its data.
    EXPECT_THROW(b.add("COPY pg_class FROM STDIN"), invalid_argument_error);
    EXPECT_THROW(b.add("copy (select 1) to stdout"), invalid_argument_error);
    b.add("-- nothing but a comment").add("SELECT 2");
    auto items = b.execute();
    ASSERT_EQ(items.size(), 3u);
    for (const batch_item& it : items) ASSERT_TRUE(it.ok()) << it.error->message;
    EXPECT_TRUE(items[1].rows.empty());
    EXPECT_EQ(items[2].rows[0][0], value(std::int64_t{2}));
  }
  expect_batch_works(11);
}

TEST_F(Batch, ALostConnectionMidBatchIsReportedAndBroken) {
  EXPECT_EQ(c().query_one("SELECT 1").get<std::int64_t>(0), 1);
  std::optional<error_info> failure;
  try {
    batch b(c());
    b.add("SELECT 1").add("SELECT pg_terminate_backend(pg_backend_pid())").add("SELECT 3");
    b.send();
    while (const batch_item* it = b.next())
      if (!it->ok() && !failure) failure = *it->error;
  } catch (const error& e) {
    failure = e.info();
  }
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->category, errc::connection) << failure->message;
  EXPECT_EQ(failure->message.find("unknown"), std::string::npos) << failure->message;
  // The next call fails at once as a lost connection, never reading a stale reply.
  try {
    (void)c().query_one("SELECT 4");
    ADD_FAILURE() << "a query ran on a connection whose server process was terminated";
  } catch (const error& e) {
    EXPECT_EQ(e.info().category, errc::connection) << e.what();
    EXPECT_TRUE(e.connection_broken()) << e.what();
  }
}
