// SPDX-License-Identifier: Apache-2.0
// statement::execute_many on every SQL driver (SQLite, and the real
// PostgreSQL and MariaDB servers): the same rows as one execute per row,
// NULLs, bytes with NUL in them, a failing row named, transactions, and
// batches larger than one driver chunk (MariaDB arrays of 10000 rows,
// PostgreSQL pipelines of 1000).
#include <dbridge/connection.hpp>
#include <dbridge/error.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "temp_files.hpp"
#include "test_server.hpp"

namespace {

using dbridge::value;

class execute_many : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string driver = GetParam();
    const char* var = driver == "sqlite"     ? nullptr
                      : driver == "postgres" ? "DBRIDGE_TEST_POSTGRES_URL"
                                             : "DBRIDGE_TEST_MYSQL_URL";
    dbridge::test::use_backend(var, "dbr_execute_many", url_, file_);
    if (url_.empty()) return;
    conn_.emplace(dbridge::connect(url_));
    for (const char* t : {"em_batch", "em_rows"}) {
      conn_->execute(std::string("DROP TABLE IF EXISTS ") + t);
      conn_->execute(std::string("CREATE TABLE ") + t + " (id BIGINT PRIMARY KEY, name TEXT, score " +
                     (driver == "postgres" ? "DOUBLE PRECISION" : driver == "mysql" ? "DOUBLE" : "REAL") +
                     ", data " + (driver == "postgres" ? "BYTEA" : "BLOB") + ", note TEXT)");
    }
  }
  void TearDown() override {
    conn_.reset();
    file_.reset();
  }
  bool text_takes_nul() const { return std::string(GetParam()) != "postgres"; }

  // Row i: (id, name, score, data, note), with NULLs, NUL bytes and mixed lengths.
  std::vector<value> rows(std::int64_t n, std::int64_t first_id = 1) const {
    std::vector<value> v;
    v.reserve(static_cast<std::size_t>(n) * 5);
    for (std::int64_t i = 0; i < n; ++i) {
      std::string name = "name " + std::to_string(i);
      if (text_takes_nul()) name += std::string("\0tail", 5);
      v.emplace_back(first_id + i);
      v.emplace_back(i % 11 == 3 ? value() : value(name));
      v.emplace_back(i % 7 == 0 ? value() : value(static_cast<double>(i) / 4));
      v.emplace_back(i % 5 == 1 ? value() : value(dbridge::bytes{0, static_cast<std::uint8_t>(i), 0, 255}));
      v.emplace_back(i % 2 == 0 ? value() : value(std::string(static_cast<std::size_t>(i % 300), 'x')));
    }
    return v;
  }
  std::vector<std::vector<value>> table(const std::string& name) {
    std::vector<std::vector<value>> out;
    for (const auto& r : conn_->query("SELECT id, name, score, data, note FROM " + name + " ORDER BY id"))
      out.push_back(r.to_values());
    return out;
  }
  std::int64_t count(const std::string& where = "") {
    return conn_->query_one("SELECT count(*) FROM em_batch" + where).get<std::int64_t>(0);
  }
  static constexpr const char* insert_batch = "INSERT INTO em_batch (id, name, score, data, note) VALUES ($1, $2, $3, $4, $5)";

  std::optional<dbridge::test::temp_sqlite_db> file_;
  std::string url_;
  std::optional<dbridge::connection> conn_;
};

TEST_P(execute_many, stores_what_one_execute_per_row_stores) {
  // In a transaction, so that SQLite's one execute per row does not sync the
  // file per row.
  const std::vector<value> v = rows(2500);
  auto tx = conn_->begin();
  auto batch = conn_->prepare(insert_batch);
  std::uint64_t failed = 0;
  const auto r = batch.execute_many(v, &failed);
  EXPECT_EQ(r.affected_rows, 2500);
  EXPECT_EQ(failed, UINT64_MAX);
  auto one = conn_->prepare("INSERT INTO em_rows (id, name, score, data, note) VALUES ($1, $2, $3, $4, $5)");
  for (std::size_t i = 0; i < v.size(); i += 5) (void)one.execute(std::span<const value>(v).subspan(i, 5));
  tx.commit();
  const auto a = table("em_batch"), b = table("em_rows");
  ASSERT_EQ(a.size(), 2500u);
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(a[3][1].is_null());
  if (text_takes_nul()) {
    EXPECT_EQ(a[0][1].as<std::string>(), std::string("name 0\0tail", 11));
  }
  EXPECT_EQ(a[2][3].as<dbridge::bytes>(), (dbridge::bytes{0, 2, 0, 255}));
}

TEST_P(execute_many, a_failing_row_is_named_and_rows_after_it_are_not_stored) {
  auto batch = conn_->prepare(insert_batch);
  std::vector<value> v = rows(6);
  v[3 * 5] = value(std::int64_t{2});  // row 3 repeats row 1's id
  std::uint64_t failed = 0;
  try {
    (void)batch.execute_many(v, &failed);
    FAIL() << "a duplicate key went through";
  } catch (const dbridge::constraint_violation& e) {
    EXPECT_EQ(e.info().message.rfind("row 3: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(failed, 3u);
  EXPECT_EQ(count(" WHERE id >= 5"), 0);

  // In the caller's transaction: rolled back with it, nothing stays.
  conn_->execute("DELETE FROM em_batch");
  {
    auto tx = conn_->begin();
    EXPECT_THROW((void)batch.execute_many(v), dbridge::constraint_violation);
    tx.rollback();
  }
  EXPECT_EQ(count(), 0);
  // The statement and the connection carry on.
  EXPECT_EQ(batch.execute_many(rows(4, 100)).affected_rows, 4);
  EXPECT_EQ(count(), 4);
}

TEST_P(execute_many, commits_with_the_callers_transaction) {
  auto batch = conn_->prepare(insert_batch);
  auto tx = conn_->begin();
  EXPECT_EQ(batch.execute_many(rows(300)).affected_rows, 300);
  tx.commit();
  EXPECT_EQ(count(), 300);
}

TEST_P(execute_many, large_batches_cross_the_driver_chunks) {
  auto batch = conn_->prepare("INSERT INTO em_batch (id, name) VALUES ($1, $2)");
  std::vector<value> v;
  constexpr std::int64_t n = 25001;
  for (std::int64_t i = 0; i < n; ++i) {
    v.emplace_back(i);
    v.emplace_back(i == 12345 ? value() : value("r" + std::to_string(i)));
  }
  auto tx = conn_->begin();
  EXPECT_EQ(batch.execute_many(v).affected_rows, n);
  tx.commit();
  EXPECT_EQ(count(), n);
  EXPECT_EQ(conn_->query_one("SELECT sum(id) FROM em_batch").get<std::int64_t>(0), n * (n - 1) / 2);
  EXPECT_EQ(count(" WHERE name IS NULL"), 1);
}

TEST_P(execute_many, updates_count_the_rows_they_change_and_columns_may_change_type) {
  auto batch = conn_->prepare(insert_batch);
  (void)batch.execute_many(rows(10));
  auto update = conn_->prepare("UPDATE em_batch SET note = $1 WHERE id = $2");
  // An integer, then text, then NULL in the same column; id 99 matches nothing.
  const std::vector<value> v = {value(std::int64_t{7}), value(std::int64_t{1}), value("seven"), value(std::int64_t{2}),
                                value(), value(std::int64_t{4}), value("z"), value(std::int64_t{99})};
  EXPECT_EQ(update.execute_many(v).affected_rows, 3);
  EXPECT_EQ(conn_->query_one("SELECT note FROM em_batch WHERE id = 2").get<std::string>(0), "seven");
  EXPECT_EQ(count(" WHERE id = 4 AND note IS NULL"), 1);
  EXPECT_THROW((void)update.execute_many(std::vector<value>{value("only one")}), dbridge::invalid_argument_error);
  EXPECT_EQ(update.execute_many({}).affected_rows, 0);
}

TEST_P(execute_many, last_insert_id_is_the_last_rows_as_after_execute) {
  const std::string driver = GetParam();
  conn_->execute("DROP TABLE IF EXISTS em_auto");
  conn_->execute(driver == "sqlite"   ? "CREATE TABLE em_auto (id INTEGER PRIMARY KEY, v INT)"
                 : driver == "mysql" ? "CREATE TABLE em_auto (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)"
                                     : "CREATE TABLE em_auto (id BIGSERIAL PRIMARY KEY, v INT)");
  auto insert = conn_->prepare("INSERT INTO em_auto (v) VALUES ($1)");
  std::vector<value> v;
  for (std::int64_t i = 0; i < 50; ++i) v.emplace_back(i);
  const auto r = insert.execute_many(v);
  EXPECT_EQ(r.affected_rows, 50);
  const auto last = conn_->query_one("SELECT id FROM em_auto WHERE v = 49").get<std::int64_t>(0);
  if (driver == "postgres") {
    EXPECT_FALSE(r.last_insert_id.has_value());  // PostgreSQL tells ids through RETURNING only
  } else {
    ASSERT_TRUE(r.last_insert_id.has_value());
    EXPECT_EQ(*r.last_insert_id, last);
  }
  conn_->execute("DROP TABLE em_auto");
}

// A MyISAM table keeps the rows a failed statement stored before its failing
// row, and no rollback takes them back: the MariaDB driver must not replay a
// failed array row by row there (which would store those rows a second time).
TEST(execute_many_mariadb, a_failed_batch_on_a_non_transactional_table_stores_no_row_twice) {
  DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_MYSQL_URL");
  auto conn = dbridge::connect(dbridge::test::env_or_empty("DBRIDGE_TEST_MYSQL_URL"));
  conn.execute("DROP TABLE IF EXISTS em_myisam");
  conn.execute("CREATE TABLE em_myisam (id INT AUTO_INCREMENT PRIMARY KEY, k INT UNIQUE, tag INT) ENGINE=MyISAM");
  conn.execute("INSERT INTO em_myisam (k, tag) VALUES (7, 0)");
  auto insert = conn.prepare("INSERT INTO em_myisam (k, tag) VALUES (?, ?)");
  // Rows 0-2 have no key (NULLs never collide); row 3 repeats k = 7.
  const std::vector<value> v = {value(), value(std::int64_t{1}), value(), value(std::int64_t{2}),
                                value(), value(std::int64_t{3}), value(std::int64_t{7}), value(std::int64_t{4}),
                                value(), value(std::int64_t{5})};
  EXPECT_THROW((void)insert.execute_many(v), dbridge::constraint_violation);
  for (const auto& r : conn.query("SELECT tag, count(*) FROM em_myisam GROUP BY tag"))
    EXPECT_EQ(r.get<std::int64_t>(1), 1) << "tag " << r.get<std::int64_t>(0) << " stored more than once";
  EXPECT_EQ(conn.query_one("SELECT count(*) FROM em_myisam WHERE tag >= 4").get<std::int64_t>(0), 0);
  conn.execute("DROP TABLE em_myisam");
}

INSTANTIATE_TEST_SUITE_P(drivers, execute_many, ::testing::Values("sqlite", "postgres", "mysql"),
                         [](const auto& i) { return std::string(i.param); });

}  // namespace
