// SPDX-License-Identifier: Apache-2.0
// `dbridge listen` and `dbridge copy` run as a user runs them, against the
// real server of DBRIDGE_TEST_POSTGRES_URL.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <string>

#include "test_server.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/notify.hpp"
#include "subprocess.hpp"

using dbridge::test::process_result;
using dbridge::test::run_process;
using namespace std::chrono_literals;

namespace {

std::string server_url() { return dbridge::test::env_or_empty("DBRIDGE_TEST_POSTGRES_URL"); }

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_URL");
    url_ = server_url();
    suffix_ = std::to_string(::getpid());
    db_.emplace(dbridge::connect(url_));
    table_ = "dbr_pgcli_" + suffix_;
    db_->execute("DROP TABLE IF EXISTS " + table_);
    char dir[] = "/tmp/dbridge-pgcli-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    if (db_) {
      try {
        db_->execute("DROP TABLE IF EXISTS " + table_);
      } catch (...) {
      }
    }
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  /// `copy --to` the table into dir_/name, empty it, and `copy --from` that file.
  void export_and_load_back(const std::string& name) {
    const std::string path = dir_ + "/" + name;
    auto e = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--to", path});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    db_->execute("DELETE FROM " + table_);
    auto r = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from", path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string write_file(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::int64_t count_rows() { return db_->query_one("SELECT count(*) FROM " + table_).get<std::int64_t>(0); }
  dbridge::connection& db() { return *db_; }

  std::string url_, suffix_, table_, dir_;
  std::optional<dbridge::connection> db_;
};

/// Starts `dbridge listen ...` and sends NOTIFY from a second connection
/// until the child exits (it only hears notifications sent after its LISTEN,
/// which the test cannot observe from outside), or a deadline passes.
process_result listen_while_notifying(dbridge::connection& sender, const std::vector<std::string>& args,
                                      const std::string& channel, const std::string& payload) {
  auto child = std::async(std::launch::async, [args] { return run_process(DBRIDGE_EXE, args); });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (child.wait_for(20ms) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() > deadline) break;
    dbridge::notify(sender, channel, payload);
  }
  return child.get();
}

}  // namespace

TEST_F(Cli, postgres_cli_ListenPrintsJsonLine) {
  const std::string channel = "dbr cli \"news\" " + suffix_;  // needs quoting as an identifier
  const std::string payload = "héllo\twörld \xF0\x9F\x8E\x89";
  const auto pid = db().query_one("SELECT pg_backend_pid()").get<std::int64_t>(0);
  auto r = listen_while_notifying(db(), {"listen", url_, channel, "--count", "1", "--timeout", "10", "--format", "json"},
                                  channel, payload);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  ASSERT_EQ(r.out.back(), '\n');
  ASSERT_EQ(r.out.find('\n'), r.out.size() - 1) << "exactly one line expected: " << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["channel"], channel);
  EXPECT_EQ(j["payload"], payload);
  EXPECT_EQ(j["sender_pid"], pid);
}

TEST_F(Cli, postgres_cli_ListenTextOnSeveralChannels) {
  const std::string quiet = "dbr_cli_quiet_" + suffix_, busy = "dbr_cli_busy_" + suffix_;
  const auto pid = db().query_one("SELECT pg_backend_pid()").get<std::int64_t>(0);
  auto r = listen_while_notifying(db(), {"listen", url_, quiet, busy, "-n", "2", "-t", "10"}, busy, "a\nb");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string line = busy + "\ta\\nb\t" + std::to_string(pid) + "\n";
  EXPECT_EQ(r.out, line + line);
}

TEST_F(Cli, postgres_cli_ListenTimesOutCleanly) {
  auto r = run_process(DBRIDGE_EXE, {"listen", url_, "dbr_cli_nobody_" + suffix_, "--count", "1", "--timeout", "0.3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("timeout error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no notification"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("dbridge-pg-secret"), std::string::npos) << r.err;
}

TEST_F(Cli, postgres_cli_CopyCsvWithEveryKindOfField) {
  db().execute("CREATE TABLE " + table_ +
               " (id int4 PRIMARY KEY, name text, code varchar(5), price numeric(40,10), qty int8, ratio float8,"
               " ok bool, born date, at timestamp, atz timestamptz, tags text[], doc jsonb, uid uuid,"
               " dur interval, raw bytea)");
  // Header in another order than the table; CRLF and LF line ends; a quoted
  // field with a delimiter, a doubled quote and a line break; NULLs; unicode.
  const std::string csv =
      "id,name,price,qty,ratio,ok,born,at,atz,tags,doc,uid,dur,raw,code\r\n"
      "1,\"Smith, \"\"Jo\"\"\nsecond line\",123456789012345678901234567890.0123456789,-9223372036854775808,1.5,"
      "t,1969-07-20,1969-07-20 20:17:40.123456,2040-02-29T12:00:00+02:00,\"{a,\"\"b c\"\",NULL}\","
      "\"{\"\"k\"\": [1, 2]}\",0e8a5c1e-7d2b-4f7a-9c3d-2b1e4f5a6b7c,P1Y2M3DT4H5M6.5S,\\xdeadbeef,ab\r\n"
      "2,Ünïcødé 日本,,,,,,,,,,,,,\n"
      "3,\"\",-0.5,0,NaN,no,2038-01-19,2100-01-01 00:00:00,-infinity,{},null,,1 day 02:03:04,plain,\"\"\n";
  const auto path = write_file("items.csv", csv);
  auto r = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from", path, "--header"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 rows copied in "), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << "no progress bar when stderr is not a terminal: " << r.err;

  db().execute("SET TimeZone = 'UTC'");
  db().execute("SET IntervalStyle = 'postgres'");
  auto rows = db().query("SELECT id, name, code, price::text, qty, ratio::text, ok, born::text, at::text, atz::text,"
                         " tags::text, doc::text, uid::text, dur::text, encode(raw, 'hex') FROM " + table_ +
                         " ORDER BY id")
                  .to_vector();
  ASSERT_EQ(rows.size(), 3u);
  using dbridge::value;
  const std::vector<value> want1 = {1, "Smith, \"Jo\"\nsecond line", "ab", "123456789012345678901234567890.0123456789",
                                    static_cast<std::int64_t>(INT64_MIN), "1.5", true, "1969-07-20",
                                    "1969-07-20 20:17:40.123456", "2040-02-29 10:00:00+00", "{a,\"b c\",NULL}",
                                    "{\"k\": [1, 2]}", "0e8a5c1e-7d2b-4f7a-9c3d-2b1e4f5a6b7c",
                                    "1 year 2 mons 3 days 04:05:06.5", "deadbeef"};
  EXPECT_EQ(rows[0], want1);
  std::vector<value> want2(15, value(nullptr));
  want2[0] = 2;
  want2[1] = "Ünïcødé 日本";
  EXPECT_EQ(rows[1], want2);
  const std::vector<value> want3 = {3, "", "", "-0.5000000000", 0, "NaN", false, "2038-01-19", "2100-01-01 00:00:00",
                                    "-infinity", "{}", "null", nullptr, "1 day 02:03:04", "706c61696e"};
  EXPECT_EQ(rows[2], want3);
}

TEST_F(Cli, postgres_cli_CopyBadLineStoresNothing) {
  db().execute("CREATE TABLE " + table_ + " (id int4, label text, at timestamp)");
  // Enough good rows that the driver has already streamed some to the server
  // before the bad line: the abort must still leave the table empty.
  std::string csv;
  std::uint64_t line = 0;
  for (int i = 1; i <= 20000; ++i, ++line) csv += std::to_string(i) + ",label number " + std::to_string(i) + ",2024-01-01 00:00:00\n";
  csv += "20001,\"two\nlines\",2024-01-01 00:00:00\n";
  line += 2;
  csv += "20002,fine,2024-13-01 00:00:00\n";  // month 13
  ++line;
  const auto path = write_file("bad.csv", csv);
  auto r = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line " + std::to_string(line)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("column \"at\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no row was stored"), std::string::npos) << r.err;
  EXPECT_EQ(count_rows(), 0);

  // A malformed CSV line and a value out of a column's range: same outcome.
  auto unclosed = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from",
                                            write_file("q.csv", "1,ok,2024-01-01\n2,\"open,2024-01-01\n")});
  EXPECT_EQ(unclosed.exit_code, 1);
  EXPECT_NE(unclosed.err.find("q.csv line 2"), std::string::npos) << unclosed.err;
  auto range = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from", write_file("r.csv", "1,a,\n3000000000,b,\n")});
  EXPECT_EQ(range.exit_code, 1);
  EXPECT_NE(range.err.find("line 2, column \"id\""), std::string::npos) << range.err;
  EXPECT_NE(range.err.find("out of range"), std::string::npos) << range.err;
  EXPECT_EQ(count_rows(), 0);
}

TEST_F(Cli, postgres_cli_CopyColumnsDelimiterAndExport) {
  db().execute("CREATE TABLE " + table_ + " (id serial PRIMARY KEY, a text NOT NULL, b numeric)");
  auto r = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from", write_file("in.tsv", "x;1.10\n\"y;z\";\n"),
                                     "--columns", "a,b", "--delimiter", ";"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 rows copied"), std::string::npos) << r.out;

  const std::string out_path = dir_ + "/out.csv";
  auto e = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--to", out_path, "--columns", "a,b", "--header"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("2 rows copied"), std::string::npos) << e.out;
  std::ifstream f(out_path, std::ios::binary);
  std::stringstream got;
  got << f.rdbuf();
  EXPECT_EQ(got.str(), "a,b\nx,1.10\ny;z,\n");

  // NOT NULL column given an empty field: refused before the server sees it.
  auto nn = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from", write_file("nn.csv", ",5\n"), "--columns", "a,b"});
  EXPECT_EQ(nn.exit_code, 1);
  EXPECT_NE(nn.err.find("NOT NULL"), std::string::npos) << nn.err;
  EXPECT_EQ(count_rows(), 2);
}

// `copy --to` leaves a generated column out (COPY does), and `copy --from`
// without --columns used to name it and fail; an identity column stays in.
TEST_F(Cli, postgres_cli_CopyFromLeavesGeneratedColumnsOut) {
  db().execute("CREATE TABLE " + table_ +
               " (id int GENERATED BY DEFAULT AS IDENTITY, a int, twice int GENERATED ALWAYS AS (a * 2) STORED)");
  db().execute("INSERT INTO " + table_ + " (id, a) VALUES (7, 1), (8, 2)");
  ASSERT_NO_FATAL_FAILURE(export_and_load_back("gen.csv"));
  EXPECT_EQ(db().query_one("SELECT string_agg(id || ':' || a || ':' || twice, ',' ORDER BY id) FROM " + table_)
                .get<std::string>(0),
            "7:1:2,8:2:4");
}

// What `copy --to` writes must load back: real's largest value (above
// FLT_MAX once read as a double), 24:00:00, and dates before year 1.
TEST_F(Cli, postgres_cli_CopyToThenFromRoundTripsEdgeValues) {
  db().execute("CREATE TABLE " + table_ + " (id int, r real, t time, d date, ts timestamp)");
  db().execute("INSERT INTO " + table_ +
               " VALUES (1, '3.4028235e38', '24:00:00', '0044-03-15 BC', '0044-03-15 10:00:00.5 BC'), "
               "(2, '-3.4028235e38', '23:59:59.999999', '4713-01-01 BC', '0001-12-31 23:59:59 BC'), "
               "(3, '1.5', '00:00:00', '0001-01-01', '0001-01-01 00:00:00')");
  const std::string all = "SELECT string_agg(concat_ws('|', id, r, t, d, ts), ',' ORDER BY id) FROM " + table_;
  const std::string before = db().query_one(all).get<std::string>(0);
  ASSERT_NO_FATAL_FAILURE(export_and_load_back("edge.csv"));
  EXPECT_EQ(db().query_one(all).get<std::string>(0), before);
  // Past real's range is still refused before anything is stored.
  auto big = run_process(DBRIDGE_EXE, {"copy", url_, table_, "--from", write_file("big.csv", "4,3.5e38,,,\n")});
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_NE(big.err.find("out of range"), std::string::npos) << big.err;
  EXPECT_EQ(count_rows(), 3);
}

// Issue 11: `dbridge query URL "COPY ..."` spun forever; it fails at once
// (coreutils' timeout bounds the run, so a regression fails instead of hanging).
TEST_F(Cli, postgres_cli_QueryRefusesCopyAtOnce) {
  db().execute("CREATE TABLE " + table_ + " (id int4)");
  for (const std::string& sql : {"COPY " + table_ + " FROM STDIN", std::string("COPY (SELECT 1) TO STDOUT")}) {
    const auto started = std::chrono::steady_clock::now();
    auto r = run_process("/usr/bin/timeout", {"10", DBRIDGE_EXE, "query", url_, sql});
    EXPECT_NE(r.exit_code, 124) << "still running after 10 s: " << sql;
    EXPECT_NE(r.exit_code, 0) << sql;
    EXPECT_NE(r.err.find("dbridge::copy_"), std::string::npos) << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << sql;
  }
  EXPECT_EQ(count_rows(), 0);
}

// Issue 11/12: `dbridge query` printed `time '10:00:00.5'` as 10:00:00.500000
// while value::to_string() said 10:00:00.5; both now print through one codec.
TEST_F(Cli, postgres_cli_QueryPrintsDatesAndTimesAsValueDoes) {
  const std::string sql =
      "SELECT time '10:00:00.5' AS t, timestamp '0001-01-01 00:00:00.25' AS ts, "
      "timestamptz '9999-12-31 23:59:59.000001+00' AS tz, interval '-1 day 02:00:00.5' AS iv, date '2024-02-29' AS d";
  const auto row = db().query_one(sql);
  auto r = run_process(DBRIDGE_EXE, {"query", "--format", "csv", url_, sql});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string want = "t,ts,tz,iv,d\r\n";
  for (std::size_t i = 0; i < row.size(); ++i) want += (i == 0 ? "" : ",") + row[i].to_string();
  want += "\r\n";
  EXPECT_EQ(r.out, want);
  EXPECT_EQ(row[0].to_string(), "10:00:00.5");  // as psql prints it
  EXPECT_EQ(row[1].to_string(), "0001-01-01T00:00:00.25");
}
