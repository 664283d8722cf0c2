// SPDX-License-Identifier: Apache-2.0
// dbridge's MySQL plugin against raw MariaDB Connector/C, in one run, on the
// server named by DBRIDGE_TEST_MYSQL_URL:
//   point selects by primary key (prepared, both sides), fetching 200k rows
//   of (int, text, decimal) reading every value (dbridge binary protocol vs
//   raw mysql_use_result streaming), bulk insert of 100k rows (array binding
//   vs one prepared INSERT per row).
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "dbridge/url.hpp"

namespace {

const char* url() {
  const char* u = std::getenv("DBRIDGE_TEST_MYSQL_URL");
  return u != nullptr ? u : "";
}

MYSQL* raw_connect() {
  const dbridge::url u = dbridge::parse_url(url());
  MYSQL* m = mysql_init(nullptr);
  const std::string host = u.hosts.empty() ? "127.0.0.1" : u.hosts[0].host;
  const unsigned port = u.hosts.empty() ? 0 : u.hosts[0].port;
  if (mysql_real_connect(m, host.c_str(), u.user.value_or("").c_str(), u.password.value_or("").c_str(),
                         u.database.c_str(), port, nullptr, 0) == nullptr) {
    std::fprintf(stderr, "mysql: %s\n", mysql_error(m));
    std::exit(1);
  }
  return m;
}

void raw_exec(MYSQL* m, const std::string& sql) {
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) {
    std::fprintf(stderr, "mysql: %s\n", mysql_error(m));
    std::exit(1);
  }
  if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
}

constexpr int point_rows = 20000;
constexpr int fetch_rows = 200000;
constexpr int bulk_rows = 100000;

struct setup_once {
  setup_once() {
    MYSQL* m = raw_connect();
    raw_exec(m, "DROP TABLE IF EXISTS dbr_bench_points");
    raw_exec(m, "CREATE TABLE dbr_bench_points (id INT PRIMARY KEY, name VARCHAR(40))");
    raw_exec(m, "DROP TABLE IF EXISTS dbr_bench_rows");
    raw_exec(m, "CREATE TABLE dbr_bench_rows (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2))");
    raw_exec(m, "DROP TABLE IF EXISTS dbr_bench_load");
    raw_exec(m, "CREATE TABLE dbr_bench_load (id BIGINT, name VARCHAR(40), amount DOUBLE)");
    // Filled through dbridge's bulk path (itself measured below).
    mysql_close(m);
    auto c = dbridge::connect(url());
    {
      dbridge::copy_in in(c, "dbr_bench_points", {"id", "name"});
      for (int i = 1; i <= point_rows; ++i) in.write_row({i, "name " + std::to_string(i)});
      in.finish();
    }
    dbridge::copy_in in(c, "dbr_bench_rows", {"id", "name", "amount"});
    for (int i = 1; i <= fetch_rows; ++i)
      in.write_row({i, "row number " + std::to_string(i), dbridge::decimal{std::to_string(i) + ".25"}});
    in.finish();
  }
};

void ensure_setup() { static setup_once once; }

// ---------------------------------------------------------------- point selects
void BM_point_select_raw(benchmark::State& st) {
  ensure_setup();
  MYSQL* m = raw_connect();
  MYSQL_STMT* s = mysql_stmt_init(m);
  const char* sql = "SELECT id, name FROM dbr_bench_points WHERE id = ?";
  mysql_stmt_prepare(s, sql, std::strlen(sql));
  long long key = 0, id = 0;
  char name[64];
  unsigned long name_len = 0;
  MYSQL_BIND p{}, r[2]{};
  p.buffer_type = MYSQL_TYPE_LONGLONG;
  p.buffer = &key;
  r[0].buffer_type = MYSQL_TYPE_LONGLONG;
  r[0].buffer = &id;
  r[1].buffer_type = MYSQL_TYPE_STRING;
  r[1].buffer = name;
  r[1].buffer_length = sizeof name;
  r[1].length = &name_len;
  mysql_stmt_bind_param(s, &p);
  mysql_stmt_bind_result(s, r);
  std::uint32_t i = 0;
  for (auto _ : st) {
    key = static_cast<long long>(i++ % point_rows) + 1;
    mysql_stmt_execute(s);
    while (mysql_stmt_fetch(s) == 0) benchmark::DoNotOptimize(id + name_len);
  }
  mysql_stmt_close(s);
  mysql_close(m);
}
BENCHMARK(BM_point_select_raw)->Iterations(point_rows);

void BM_point_select_dbridge(benchmark::State& st) {
  ensure_setup();
  auto c = dbridge::connect(url());
  std::uint32_t i = 0;
  for (auto _ : st) {
    auto rows = c.query("SELECT id, name FROM dbr_bench_points WHERE id = $1",
                        {static_cast<std::int64_t>(i++ % point_rows) + 1});
    while (const dbridge::row* r = rows.next())
      benchmark::DoNotOptimize(r->get<std::int64_t>(0) + static_cast<std::int64_t>(r->get<std::string_view>(1).size()));
  }
}
BENCHMARK(BM_point_select_dbridge)->Iterations(point_rows);

// ---------------------------------------------------------------- fetch 200k rows
void BM_fetch_raw_use_result(benchmark::State& st) {
  ensure_setup();
  MYSQL* m = raw_connect();
  for (auto _ : st) {
    const char* sql = "SELECT id, name, amount FROM dbr_bench_rows";
    mysql_real_query(m, sql, std::strlen(sql));
    MYSQL_RES* res = mysql_use_result(m);
    std::int64_t n = 0, sum = 0;
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      const unsigned long* len = mysql_fetch_lengths(res);
      sum += std::strtoll(row[0], nullptr, 10) + static_cast<std::int64_t>(len[1] + len[2]);
      ++n;
    }
    mysql_free_result(res);
    if (n != fetch_rows) st.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(sum);
  }
  mysql_close(m);
  st.SetItemsProcessed(st.iterations() * fetch_rows);
}
BENCHMARK(BM_fetch_raw_use_result)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_fetch_dbridge(benchmark::State& st) {
  ensure_setup();
  auto c = dbridge::connect(url());
  for (auto _ : st) {
    auto rows = c.query("SELECT id, name, amount FROM dbr_bench_rows");
    std::int64_t n = 0, sum = 0;
    while (const dbridge::row* r = rows.next()) {
      sum += r->get<std::int64_t>(0) + static_cast<std::int64_t>(r->get<std::string_view>(1).size() +
                                                                  r->get<std::string_view>(2).size());
      ++n;
    }
    if (n != fetch_rows) st.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(sum);
  }
  st.SetItemsProcessed(st.iterations() * fetch_rows);
}
BENCHMARK(BM_fetch_dbridge)->Unit(benchmark::kMillisecond)->Iterations(5);

// ---------------------------------------------------------------- bulk insert
void BM_insert_per_row_raw(benchmark::State& st) {
  ensure_setup();
  MYSQL* m = raw_connect();
  MYSQL_STMT* s = mysql_stmt_init(m);
  const char* sql = "INSERT INTO dbr_bench_load (id, name, amount) VALUES (?, ?, ?)";
  mysql_stmt_prepare(s, sql, std::strlen(sql));
  long long id = 0;
  double amount = 0;
  char name[64];
  unsigned long name_len = 0;
  MYSQL_BIND p[3]{};
  p[0].buffer_type = MYSQL_TYPE_LONGLONG;
  p[0].buffer = &id;
  p[1].buffer_type = MYSQL_TYPE_STRING;
  p[1].buffer = name;
  p[1].length = &name_len;
  p[2].buffer_type = MYSQL_TYPE_DOUBLE;
  p[2].buffer = &amount;
  mysql_stmt_bind_param(s, p);
  for (auto _ : st) {
    raw_exec(m, "TRUNCATE TABLE dbr_bench_load");
    for (int i = 0; i < bulk_rows; ++i) {
      id = i;
      amount = i * 0.5;
      name_len = static_cast<unsigned long>(std::snprintf(name, sizeof name, "name %d", i));
      if (mysql_stmt_execute(s) != 0) st.SkipWithError(mysql_stmt_error(s));
    }
  }
  mysql_stmt_close(s);
  mysql_close(m);
  st.SetItemsProcessed(st.iterations() * bulk_rows);
}
BENCHMARK(BM_insert_per_row_raw)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_bulk_insert_dbridge(benchmark::State& st) {
  ensure_setup();
  auto c = dbridge::connect(url());
  for (auto _ : st) {
    c.execute("TRUNCATE TABLE dbr_bench_load");
    dbridge::copy_in in(c, "dbr_bench_load", {"id", "name", "amount"});
    for (int i = 0; i < bulk_rows; ++i) in.write_row({i, "name " + std::to_string(i), i * 0.5});
    if (in.finish() != bulk_rows) st.SkipWithError("wrong row count");
  }
  st.SetItemsProcessed(st.iterations() * bulk_rows);
}
BENCHMARK(BM_bulk_insert_dbridge)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
