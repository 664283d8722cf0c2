// SPDX-License-Identifier: Apache-2.0
// `dbridge migrate` run as a subprocess: progress lines, --status, --dry-run,
// --to, a concurrent second process, and exit statuses, on every SQL backend.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "dbridge/connection.hpp"
#include "subprocess.hpp"
#include "temp_files.hpp"
#include "test_server.hpp"

namespace {

namespace fs = std::filesystem;
using dbridge::test::process_result;
using nlohmann::json;

using dbridge::test::backend;
const backend backends[] = {{"sqlite", nullptr},
                            {"postgres", "DBRIDGE_TEST_POSTGRES_URL"},
                            {"mysql", "DBRIDGE_TEST_MYSQL_URL"}};

class migrate_cli : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "steps");
    dbridge::test::use_backend(GetParam().env, "dbridge-migrate", url_, file_);
    if (url_.empty()) return;
    clean();
    write("0001_create_people.sql", "CREATE TABLE mig_people (id INT PRIMARY KEY, name VARCHAR(40));");
    write("0002_add_alice.sql", "INSERT INTO mig_people VALUES (1, 'alice');");
    write("0003_add_bob.sql", "INSERT INTO mig_people VALUES (2, 'bob');");
  }
  void TearDown() override {
    if (!url_.empty()) clean();
  }
  void clean() {
    auto db = dbridge::connect(url_);
    db.execute_script("DROP TABLE IF EXISTS mig_people");
    db.execute_script("DROP TABLE IF EXISTS dbridge_schema_migrations");
  }
  void write(const std::string& file, const std::string& text) { std::ofstream(dir_ / "steps" / file) << text; }
  process_result run(std::vector<std::string> args) {
    args.insert(args.begin(), {"migrate", url_, (dir_ / "steps").string()});
    process_result r = dbridge::test::run_process(DBRIDGE_EXE, args, {{"DBRIDGE_PLUGIN_PATH", std::nullopt}});
    EXPECT_EQ(r.signal, 0) << r.err;
    return r;
  }
  std::int64_t people() {
    auto db = dbridge::connect(url_);
    return db.query_one("SELECT COUNT(*) FROM mig_people").get<std::int64_t>(0);
  }
  json status() {
    const process_result r = run({"--status", "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  dbridge::test::temp_dir folder_{"dbridge-migrate"};
  const fs::path& dir_ = folder_.path();
  std::optional<dbridge::test::temp_sqlite_db> file_;
  std::string url_;
};

TEST_P(migrate_cli, applies_each_file_once_with_a_progress_line_per_step) {
  process_result r = run({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[1/3] 0001_create_people ... ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[3/3] 0003_add_bob ... ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("applied 3 migrations (0 applied before); now at version 0003"), std::string::npos) << r.out;
  EXPECT_EQ(people(), 2);

  r = run({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "up to date: 3 migrations applied, version 0003\n");
  EXPECT_EQ(people(), 2);
}

TEST_P(migrate_cli, dry_run_and_to_and_status) {
  process_result r = run({"--dry-run", "--to", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "would apply [1/2] 0001_create_people\nwould apply [2/2] 0002_add_alice\n"
            "would apply 2 migrations (0 applied before); now at version none\n");
  json s = status();
  ASSERT_EQ(s.size(), 3u);
  for (const auto& row : s) EXPECT_EQ(row["state"], "pending") << row;

  r = run({"--to", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(people(), 1);
  s = status();
  EXPECT_EQ(s[0]["state"], "applied");
  EXPECT_EQ(s[1]["state"], "applied");
  EXPECT_EQ(s[2]["state"], "pending");
  EXPECT_TRUE(s[1]["applied_at"].is_string());
  EXPECT_TRUE(s[2]["applied_at"].is_null());

  r = run({"--status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n0003 "), std::string::npos) << r.out;
  const std::string last_line = r.out.substr(r.out.find("\n0003 "));
  EXPECT_NE(last_line.find("add_bob"), std::string::npos) << r.out;
  EXPECT_NE(last_line.find("pending"), std::string::npos) << r.out;
}

TEST_P(migrate_cli, an_edited_applied_file_is_named_and_stops_the_run) {
  ASSERT_EQ(run({"--to", "1"}).exit_code, 0);
  write("0001_create_people.sql", "CREATE TABLE mig_people (id INT PRIMARY KEY, name VARCHAR(80));");
  process_result r = run({});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0001_create_people"), std::string::npos) << r.err;
  r = run({"--status", "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << "--status did not report the edited migration";
  const json s = json::parse(r.out);
  EXPECT_EQ(s[0]["state"], "changed");
  EXPECT_EQ(s[1]["state"], "pending");
  r = run({"--status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("changed"), std::string::npos) << r.out;
}

TEST_P(migrate_cli, two_processes_at_once_apply_each_file_once) {
  auto a = std::async(std::launch::async, [&] { return run({"--format", "json"}); });
  auto b = std::async(std::launch::async, [&] { return run({"--format", "json"}); });
  const process_result ra = a.get(), rb = b.get();
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  const json ja = json::parse(ra.out), jb = json::parse(rb.out);
  EXPECT_EQ(ja["applied"].size() + jb["applied"].size(), 3u) << ra.out << rb.out;
  EXPECT_EQ(ja["current_version"], 3);
  EXPECT_EQ(jb["current_version"], 3);
  EXPECT_EQ(people(), 2);
}

// A BOM (Windows editors) used to reach the server as the start of the first
// statement, a syntax error; near-miss names were skipped without a word.
TEST_P(migrate_cli, a_bom_is_not_sql_and_near_miss_names_are_warned_about) {
  write("0002_add_alice.sql", "\xEF\xBB\xBFINSERT INTO mig_people VALUES (1, 'alice');");
  write("0004-dash.sql", "INSERT INTO mig_people VALUES (4, 'dash');");
  write("0005_upper.SQL", "INSERT INTO mig_people VALUES (5, 'upper');");
  write("notes.txt", "not a migration, not a near miss");
  const process_result r = run({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(people(), 2);
  EXPECT_NE(r.err.find("warning: ignoring 0004-dash.sql"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning: ignoring 0005_upper.SQL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("notes.txt"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(backends, migrate_cli, ::testing::ValuesIn(backends),
                         [](const auto& i) { return std::string(i.param.name); });

TEST(migrate_cli_usage, a_missing_folder_fails_with_its_name) {
  const process_result r =
      dbridge::test::run_process(DBRIDGE_EXE, {"migrate", "sqlite://:memory:", "/nonexistent/migrations"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/migrations"), std::string::npos) << r.err;
}

}  // namespace
