// SPDX-License-Identifier: Apache-2.0
// dbridge::migrate on real PostgreSQL, MariaDB and SQLite: fresh runs,
// re-runs, concurrent migrators, edited steps, failing steps, dialect
// variants, --to and dry runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/migrate.hpp"
#include "temp_files.hpp"
#include "test_server.hpp"

namespace {

namespace fs = std::filesystem;
using dbridge::migration;

using dbridge::test::backend;

const backend backends[] = {{"sqlite", nullptr},
                            {"postgres", "DBRIDGE_TEST_POSTGRES_URL"},
                            {"mysql", "DBRIDGE_TEST_MYSQL_URL"}};

class migrate_test : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    dbridge::test::use_backend(GetParam().env, "dbr_migrate", url_, file_);
    if (url_.empty()) return;
    db_.emplace(dbridge::connect(url_));
    clean();
  }
  void TearDown() override {
    if (db_) clean();
    db_.reset();
    file_.reset();
  }
  void clean() {
    for (const char* t : {"mig_log", "mig_b", "mig_a", "mig_variant", "mig_other", "dbridge_schema_migrations",
                          "mig_other_migrations"})
      db_->execute_script(std::string("DROP TABLE IF EXISTS ") + t);
  }
  bool has_table(const std::string& name) {
    for (const auto& r : db_->tables())
      if (r.get<std::string>("name") == name) return true;
    return false;
  }
  std::int64_t count(const std::string& sql) { return db_->query_one(sql).get<std::int64_t>(0); }
  std::int64_t recorded() { return count("SELECT COUNT(*) FROM dbridge_schema_migrations"); }
  dbridge::sql_dialect dialect() { return dbridge::dialect_of(*db_); }

  /// Three steps; each logs its version, so running one twice shows.
  static std::vector<migration> three_steps() {
    std::vector<migration> s(3);
    s[0].version = 1, s[0].name = "create_log", s[0].sql = "CREATE TABLE mig_log (version INT NOT NULL)";
    s[1].version = 2, s[1].name = "create_a",
    s[1].sql = "CREATE TABLE mig_a (id INT PRIMARY KEY, label VARCHAR(40));\nINSERT INTO mig_log VALUES (2);";
    s[2].version = 3, s[2].name = "fill_a", s[2].sql = "INSERT INTO mig_a VALUES (1, 'one'); INSERT INTO mig_log VALUES (3);";
    return s;
  }

  std::string url_;
  std::optional<dbridge::test::temp_sqlite_db> file_;
  std::optional<dbridge::connection> db_;
};

TEST_P(migrate_test, fresh_database_gets_every_step_recorded_with_its_checksum) {
  const auto steps = three_steps();
  const auto res = dbridge::migrate(*db_, steps);
  EXPECT_EQ(res.applied, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(res.already_applied, 0u);
  EXPECT_EQ(res.current_version, 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_a"), 1);
  const auto rec = db_->query_one("SELECT checksum, name FROM dbridge_schema_migrations WHERE version = 2");
  EXPECT_EQ(rec.get<std::string>(0), steps[1].checksum(dialect()));
  EXPECT_EQ(rec.get<std::string>(1), "create_a");
  EXPECT_EQ(rec.get<std::string>(0).size(), 64u);

  const auto status = dbridge::migration_status_of(*db_, steps);
  ASSERT_EQ(status.size(), 3u);
  for (const auto& s : status) {
    EXPECT_EQ(s.st, dbridge::migration_status::state::applied) << s.version;
    EXPECT_EQ(s.applied_at.size(), 20u) << s.applied_at;  // 2026-11-30T17:00:00Z
  }
}

TEST_P(migrate_test, second_run_changes_nothing) {
  const auto steps = three_steps();
  dbridge::migrate(*db_, steps);
  std::vector<dbridge::migration_event::kind> events;
  const auto res = dbridge::migrate(*db_, steps, {.progress = [&](const auto& e) { events.push_back(e.what); }});
  EXPECT_TRUE(res.applied.empty());
  EXPECT_EQ(res.already_applied, 3u);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(recorded(), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_log"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_a"), 1);
}

TEST_P(migrate_test, concurrent_migrators_apply_each_step_once) {
  const auto steps = three_steps();
  constexpr int migrators = 3;
  std::latch start(migrators);
  std::vector<std::size_t> applied(migrators);
  std::vector<std::string> failures(migrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < migrators; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto conn = dbridge::connect(url_);
        start.arrive_and_wait();
        applied[i] = dbridge::migrate(conn, steps, {.lock_timeout = std::chrono::seconds(10)}).applied.size();
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::size_t total = 0;
  for (int i = 0; i < migrators; ++i) {
    EXPECT_EQ(failures[i], "") << "migrator " << i;
    total += applied[i];
  }
  EXPECT_EQ(total, steps.size());
  EXPECT_EQ(recorded(), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_log"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_a"), 1);
}

TEST_P(migrate_test, an_applied_step_that_changed_is_an_error_naming_it_and_nothing_runs) {
  auto steps = three_steps();
  dbridge::migrate(*db_, steps, {.to = 2});
  steps[1].sql += " -- edited";
  try {
    dbridge::migrate(*db_, steps);
    FAIL() << "an edited applied step was accepted";
  } catch (const dbridge::invalid_state_error& e) {
    EXPECT_NE(std::string(e.what()).find("0002_create_a"), std::string::npos) << e.what();
  }
  EXPECT_EQ(recorded(), 2) << "step 3 ran although step 2 was edited";
  const auto status = dbridge::migration_status_of(*db_, steps);
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[1].st, dbridge::migration_status::state::changed);
  EXPECT_EQ(status[2].st, dbridge::migration_status::state::pending);
}

TEST_P(migrate_test, a_failing_step_is_not_recorded_and_rolled_back_where_ddl_is_transactional) {
  auto steps = three_steps();
  steps[1].sql = "CREATE TABLE mig_b (x INT);\nINSERT INTO mig_no_such_table VALUES (1);";
  try {
    dbridge::migrate(*db_, steps);
    FAIL() << "the failing step did not throw";
  } catch (const dbridge::not_found_error& e) {
    EXPECT_NE(std::string(e.what()).find("0002_create_a"), std::string::npos) << e.what();
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::undefined_table);
  }
  EXPECT_EQ(recorded(), 1);
  const auto status = dbridge::migration_status_of(*db_, steps);
  EXPECT_EQ(status[0].st, dbridge::migration_status::state::applied);
  EXPECT_EQ(status[1].st, dbridge::migration_status::state::pending);
  if (dialect() != dbridge::sql_dialect::mysql) {
    EXPECT_FALSE(has_table("mig_b")) << "the failed step's CREATE TABLE was not rolled back";
  }
}

// A step with its own COMMIT left its first half applied: it used to be
// recorded (or, failing after the COMMIT, reported as "rolled back") and the
// next run applied it again.
TEST_P(migrate_test, a_step_that_ends_its_own_transaction_is_refused_unrecorded_without_claiming_a_rollback) {
  if (dialect() == dbridge::sql_dialect::mysql) GTEST_SKIP() << "MariaDB steps run without a transaction";
  auto steps = three_steps();
  steps[1].sql = "INSERT INTO mig_log VALUES (21); COMMIT; INSERT INTO mig_log VALUES (22);";
  try {
    dbridge::migrate(*db_, steps);
    FAIL() << "the step that committed was recorded";
  } catch (const dbridge::invalid_state_error& e) {
    EXPECT_NE(std::string(e.what()).find("0002_create_a"), std::string::npos) << e.what();
  }
  EXPECT_EQ(recorded(), 1);
  EXPECT_FALSE(db_->in_transaction());

  db_->execute_script("DELETE FROM mig_log");
  steps[1].sql = "INSERT INTO mig_log VALUES (31); COMMIT; INSERT INTO mig_log VALUES (32);\n"
                 "INSERT INTO mig_no_such_table VALUES (1);";
  try {
    dbridge::migrate(*db_, steps);
    FAIL() << "the failing step did not throw";
  } catch (const dbridge::not_found_error& e) {
    EXPECT_EQ(e.subcategory(), dbridge::suberrc::undefined_table);
    EXPECT_EQ(std::string(e.what()).find("rolled back"), std::string::npos) << e.what();
  }
  EXPECT_EQ(recorded(), 1);
  // What the claim would have hidden: the part before the COMMIT stayed.
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_log WHERE version = 31"), 1);
}

TEST_P(migrate_test, a_callback_step_runs_in_the_steps_transaction) {
  std::vector<migration> steps(2);
  steps[0].version = 1, steps[0].name = "create_log", steps[0].sql = "CREATE TABLE mig_log (version INT NOT NULL)";
  steps[1].version = 2, steps[1].name = "callback", steps[1].fingerprint = "v1";
  steps[1].run = [](dbridge::connection& c) {
    c.execute("INSERT INTO mig_log VALUES ($1)", {2});
    throw std::runtime_error("callback gives up");
  };
  EXPECT_THROW(dbridge::migrate(*db_, steps), std::runtime_error);
  EXPECT_EQ(recorded(), 1);
  // MariaDB has no DDL-safe transaction per step: the insert stays there.
  if (dialect() != dbridge::sql_dialect::mysql) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM mig_log"), 0);
  }

  steps[1].run = [](dbridge::connection& c) { c.execute("INSERT INTO mig_log VALUES ($1)", {20}); };
  EXPECT_EQ(dbridge::migrate(*db_, steps).applied, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_log WHERE version = 20"), 1);
  steps[1].fingerprint = "v2";
  EXPECT_THROW(dbridge::migrate(*db_, steps), dbridge::invalid_state_error);
}

TEST_P(migrate_test, to_stops_at_the_version_and_dry_run_changes_nothing) {
  const auto steps = three_steps();
  std::vector<std::int64_t> planned;
  auto res = dbridge::migrate(*db_, steps, {.to = 2, .dry_run = true, .progress = [&](const auto& e) {
                                              if (e.what == dbridge::migration_event::kind::planned)
                                                planned.push_back(e.step->version);
                                            }});
  EXPECT_EQ(res.applied, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(planned, res.applied);
  EXPECT_FALSE(has_table("dbridge_schema_migrations")) << "a dry run created the record table";
  EXPECT_FALSE(has_table("mig_log"));

  res = dbridge::migrate(*db_, steps, {.to = 2});
  EXPECT_EQ(res.applied, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(res.current_version, 2);
  EXPECT_FALSE(has_table("mig_b"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_a"), 0);

  res = dbridge::migrate(*db_, steps, {.dry_run = true});
  EXPECT_EQ(res.applied, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(recorded(), 2);
}

TEST_P(migrate_test, dialect_variants_from_a_folder_run_on_their_own_dialect) {
  const dbridge::test::temp_dir folder("dbr_migrate_dir");
  const fs::path& dir = folder.path();
  auto write = [&](const std::string& file, const std::string& text) { std::ofstream(dir / file) << text; };
  write("0001_variant.sql", "CREATE TABLE mig_variant (who VARCHAR(20)); INSERT INTO mig_variant VALUES ('generic');");
  write("0001_variant.postgresql.sql",
        "CREATE TABLE mig_variant (who VARCHAR(20)); INSERT INTO mig_variant VALUES ('postgresql');");
  write("0001_variant.mysql.sql",
        "CREATE TABLE mig_variant (who VARCHAR(20)); INSERT INTO mig_variant VALUES ('mysql');");
  write("0002_only_sqlite.sqlite.sql", "INSERT INTO mig_variant VALUES ('sqlite-only');");
  write("README.md", "not a migration");
  const auto steps = dbridge::load_migrations(dir);
  ASSERT_EQ(steps.size(), 2u);

  dbridge::migrate(*db_, steps);
  const std::string who = db_->query_one("SELECT who FROM mig_variant ORDER BY who").get<std::string>(0);
  const auto d = dialect();
  EXPECT_EQ(who, d == dbridge::sql_dialect::sqlite ? "generic" : std::string(dbridge::to_string(d)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_variant"), d == dbridge::sql_dialect::sqlite ? 2 : 1);
  EXPECT_EQ(recorded(), 2);  // a step for other dialects only is recorded as done
}

TEST_P(migrate_test, a_held_lock_makes_the_migrator_wait_then_time_out) {
  auto other = dbridge::connect(url_);
  std::optional<dbridge::transaction> sqlite_writer;
  std::string url = url_;
  switch (dialect()) {
    case dbridge::sql_dialect::postgresql: // The engine's key: "dbrmigr" in ASCII.
      (void)other.query_one("SELECT pg_advisory_lock(28255741272483698)::text");
      break;
    case dbridge::sql_dialect::mysql:
      (void)other.query_one("SELECT GET_LOCK(CONCAT('dbridge_migrate.', SHA1(DATABASE())), 0)");
      break;
    case dbridge::sql_dialect::sqlite:
      sqlite_writer.emplace(other.begin({.isolation = dbridge::isolation_level::serializable}));
      url += "?busy_timeout=200";
      break;
  }
  auto conn = dbridge::connect(url);
  bool waited = false;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(dbridge::migrate(conn, three_steps(),
                                {.lock_timeout = std::chrono::milliseconds(200),
                                 .progress = [&](const auto& e) {
                                   waited |= e.what == dbridge::migration_event::kind::lock_wait;
                                 }}),
               dbridge::timeout_error);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  if (dialect() != dbridge::sql_dialect::sqlite) {
    EXPECT_TRUE(waited);
  }
  sqlite_writer.reset();
  other.close();
  EXPECT_EQ(dbridge::migrate(conn, three_steps()).applied.size(), 3u) << "the lock was not free once released";
}

TEST_P(migrate_test, a_named_record_table_keeps_its_versions_apart_from_the_default_one) {
  dbridge::migrate(*db_, three_steps());
  // Version 1 again, other SQL: in its own table it is a new step, not an edit.
  std::vector<migration> other(1);
  other[0].version = 1, other[0].name = "create_other", other[0].sql = "CREATE TABLE mig_other (id INT)";
  const auto res = dbridge::migrate(*db_, other, {.table = "mig_other_migrations"});
  EXPECT_EQ(res.applied, (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(has_table("mig_other"));
  EXPECT_EQ(recorded(), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_other_migrations"), 1);
  EXPECT_EQ(db_->query_one("SELECT checksum FROM mig_other_migrations WHERE version = 1").get<std::string>(0),
            other[0].checksum(dialect()));
  const auto status = dbridge::migration_status_of(*db_, other, "mig_other_migrations");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].st, dbridge::migration_status::state::applied);
  EXPECT_TRUE(dbridge::migrate(*db_, other, {.table = "mig_other_migrations"}).applied.empty());
  EXPECT_THROW(dbridge::migrate(*db_, other, {.table = "mig_other; DROP TABLE mig_a"}),
               dbridge::invalid_argument_error);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mig_a"), 1);
}

INSTANTIATE_TEST_SUITE_P(backends, migrate_test, ::testing::ValuesIn(backends),
                         [](const auto& i) { return std::string(i.param.name); });

// ---- folders, without a server ---------------------------------------------

class migration_folder : public ::testing::Test {
 protected:
  void write(const std::string& file, const std::string& text) { std::ofstream(dir_ / file) << text; }
  dbridge::test::temp_dir folder_{"dbr_migrate_files"};
  const fs::path& dir_ = folder_.path();
};

TEST_F(migration_folder, reads_versions_names_and_variants_in_order) {
  write("0010_later.sql", "SELECT 10");
  write("2_second.sql", "SELECT 2");
  write("2_second.postgresql.sql", "SELECT 'pg'");
  write("notes.txt", "x");
  write("abc_not_numbered.sql", "x");
  const auto steps = dbridge::load_migrations(dir_);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].version, 2);
  EXPECT_EQ(steps[0].label(), "0002_second");
  EXPECT_EQ(steps[0].sql_for(dbridge::sql_dialect::postgresql), "SELECT 'pg'");
  EXPECT_EQ(steps[0].sql_for(dbridge::sql_dialect::mysql), "SELECT 2");
  EXPECT_NE(steps[0].checksum(dbridge::sql_dialect::postgresql), steps[0].checksum(dbridge::sql_dialect::mysql));
  EXPECT_EQ(steps[1].version, 10);
  EXPECT_EQ(steps[1].name, "later");
}

TEST_F(migration_folder, two_names_for_one_version_are_an_error) {
  write("0003_a.sql", "SELECT 1");
  write("3_b.sql", "SELECT 2");
  EXPECT_THROW(dbridge::load_migrations(dir_), dbridge::invalid_argument_error);
}

TEST_F(migration_folder, one_version_written_twice_is_an_error) {
  write("0003_a.sql", "SELECT 1");
  write("03_a.sql", "SELECT 2");
  EXPECT_THROW(dbridge::load_migrations(dir_), dbridge::invalid_argument_error);
}

TEST_F(migration_folder, an_unknown_dialect_suffix_is_an_error) {
  write("0001_a.oracle.sql", "SELECT 1");
  EXPECT_THROW(dbridge::load_migrations(dir_), dbridge::invalid_argument_error);
}

TEST_F(migration_folder, a_missing_folder_is_not_found) {
  EXPECT_THROW(dbridge::load_migrations(dir_ / "absent"), dbridge::not_found_error);
}

TEST(migration_set, duplicate_versions_and_sql_with_a_callback_are_refused_before_connecting_matters) {
  auto db = dbridge::connect("sqlite://:memory:");
  std::vector<migration> steps(2);
  steps[0].version = 1, steps[0].name = "a", steps[0].sql = "CREATE TABLE t1 (x INT)";
  steps[1].version = 1, steps[1].name = "b", steps[1].sql = "CREATE TABLE t2 (x INT)";
  EXPECT_THROW(dbridge::migrate(db, steps), dbridge::invalid_argument_error);
  steps[1].version = 2;
  steps[1].run = [](dbridge::connection&) {};
  EXPECT_THROW(dbridge::migrate(db, steps), dbridge::invalid_argument_error);
  EXPECT_THROW(db.query("SELECT * FROM t1").to_vector(), dbridge::not_found_error);
}

}  // namespace
