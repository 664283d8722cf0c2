// SPDX-License-Identifier: Apache-2.0
// dbridge's PostgreSQL plugin against raw libpq, in one run, on the server
// named by DBRIDGE_TEST_POSTGRES_URL:
//   point selects by primary key (prepared), fetching 1M rows (dbridge binary
//   vs raw single-row text mode, with peak RSS growth), bulk insert of 100k
//   rows (COPY vs raw COPY vs one INSERT per row), 100 statements in one
//   pipeline vs one after another.
#include <benchmark/benchmark.h>
#include <arpa/inet.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "dbridge/batch.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"

namespace {

const char* url() {
  const char* u = std::getenv("DBRIDGE_TEST_POSTGRES_URL");
  return u != nullptr ? u : "";
}

PGconn* raw_connect() {
  PGconn* c = PQconnectdb(url());
  if (PQstatus(c) != CONNECTION_OK) {
    std::fprintf(stderr, "libpq: %s", PQerrorMessage(c));
    std::exit(1);
  }
  return c;
}

void raw_exec(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::fprintf(stderr, "libpq: %s", PQerrorMessage(c));
    std::exit(1);
  }
  PQclear(r);
}

std::int64_t rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  return 0;
}

constexpr int point_rows = 20000;
constexpr const char* fetch_sql = "SELECT g, g::text, g*1.5 FROM generate_series(1,1000000) g";

struct setup_once {
  setup_once() {
    PGconn* c = raw_connect();
    raw_exec(c, "DROP TABLE IF EXISTS dbr_bench_points");
    raw_exec(c, "CREATE TABLE dbr_bench_points (id int PRIMARY KEY, name text)");
    raw_exec(c, "INSERT INTO dbr_bench_points SELECT g, 'name ' || g FROM generate_series(1, 20000) g");
    raw_exec(c, "DROP TABLE IF EXISTS dbr_bench_load");
    raw_exec(c, "CREATE UNLOGGED TABLE dbr_bench_load (id int8, name text, amount float8)");
    PQfinish(c);
  }
};

void ensure_setup() { static setup_once once; }

// ---------------------------------------------------------------- point selects
void BM_point_select_raw(benchmark::State& st) {
  ensure_setup();
  PGconn* c = raw_connect();
  PQclear(PQprepare(c, "p", "SELECT id, name FROM dbr_bench_points WHERE id = $1", 1, nullptr));
  std::uint32_t i = 0;
  for (auto _ : st) {
    const std::uint32_t id = htonl(i++ % point_rows + 1);
    const char* vals[] = {reinterpret_cast<const char*>(&id)};
    const int lens[] = {4}, fmts[] = {1};
    PGresult* r = PQexecPrepared(c, "p", 1, vals, lens, fmts, 1);
    benchmark::DoNotOptimize(PQgetvalue(r, 0, 1));
    PQclear(r);
  }
  st.SetItemsProcessed(st.iterations());
  PQfinish(c);
}
BENCHMARK(BM_point_select_raw)->Iterations(point_rows);

void BM_point_select_dbridge(benchmark::State& st) {
  ensure_setup();
  auto db = dbridge::connect(url());
  auto stmt = db.prepare("SELECT id, name FROM dbr_bench_points WHERE id = $1");
  std::int64_t i = 0;
  for (auto _ : st) {
    auto r = stmt.query({i++ % point_rows + 1});
    const dbridge::row* row = r.next();
    benchmark::DoNotOptimize(row->get<std::string_view>(1));
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_point_select_dbridge)->Iterations(point_rows);

// ---------------------------------------------------------------- 1M rows
void BM_fetch_1m_raw_single_row_text(benchmark::State& st) {
  PGconn* c = raw_connect();
  std::int64_t growth = 0;
  for (auto _ : st) {
    const std::int64_t base = rss_kib();
    std::int64_t peak = base, rows = 0, sum = 0;
    double fsum = 0;
    PQsendQuery(c, fetch_sql);
    PQsetSingleRowMode(c);
    while (PGresult* r = PQgetResult(c)) {
      if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
        sum += std::atoll(PQgetvalue(r, 0, 0));
        benchmark::DoNotOptimize(PQgetlength(r, 0, 1));
        fsum += std::strtod(PQgetvalue(r, 0, 2), nullptr);
        if (++rows % 100000 == 0) peak = std::max(peak, rss_kib());
      }
      PQclear(r);
    }
    benchmark::DoNotOptimize(sum + fsum);
    growth = std::max(growth, peak - base);
  }
  st.counters["peak_rss_growth_KiB"] = static_cast<double>(growth);
  st.SetItemsProcessed(st.iterations() * 1000000);
  PQfinish(c);
}
BENCHMARK(BM_fetch_1m_raw_single_row_text)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_fetch_1m_dbridge(benchmark::State& st) {
  auto db = dbridge::connect(url());
  std::int64_t growth = 0;
  for (auto _ : st) {
    const std::int64_t base = rss_kib();
    std::int64_t peak = base, rows = 0, sum = 0;
    std::size_t len = 0;
    auto r = db.query(fetch_sql);
    while (const dbridge::row* row = r.next()) {
      sum += row->get<std::int64_t>(0);
      len += row->get<std::string_view>(1).size();
      len += row->get<std::string_view>(2).size();  // numeric: exact decimal text
      if (++rows % 100000 == 0) peak = std::max(peak, rss_kib());
    }
    benchmark::DoNotOptimize(sum + static_cast<std::int64_t>(len));
    growth = std::max(growth, peak - base);
  }
  st.counters["peak_rss_growth_KiB"] = static_cast<double>(growth);
  st.SetItemsProcessed(st.iterations() * 1000000);
}
BENCHMARK(BM_fetch_1m_dbridge)->Iterations(3)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- bulk load
constexpr int load_rows = 100000;

void BM_load_100k_raw_copy(benchmark::State& st) {
  ensure_setup();
  PGconn* c = raw_connect();
  for (auto _ : st) {
    raw_exec(c, "TRUNCATE dbr_bench_load");
    PQclear(PQexec(c, "COPY dbr_bench_load FROM STDIN"));
    std::string buf;
    char line[128];
    for (int i = 0; i < load_rows; ++i) {
      int n = std::snprintf(line, sizeof line, "%d\tname %d\t%d.5\n", i, i, i);
      buf.append(line, static_cast<std::size_t>(n));
      if (buf.size() > 256 * 1024) {
        PQputCopyData(c, buf.data(), static_cast<int>(buf.size()));
        buf.clear();
      }
    }
    PQputCopyData(c, buf.data(), static_cast<int>(buf.size()));
    PQputCopyEnd(c, nullptr);
    while (PGresult* r = PQgetResult(c)) PQclear(r);
  }
  st.SetItemsProcessed(st.iterations() * load_rows);
  PQfinish(c);
}
BENCHMARK(BM_load_100k_raw_copy)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_load_100k_dbridge_copy(benchmark::State& st) {
  ensure_setup();
  auto db = dbridge::connect(url());
  for (auto _ : st) {
    db.execute("TRUNCATE dbr_bench_load");
    dbridge::copy_in in(db, "dbr_bench_load");
    std::string name;
    for (int i = 0; i < load_rows; ++i) {
      name = "name " + std::to_string(i);
      in.write_row({i, name, i + 0.5});
    }
    in.finish();
  }
  st.SetItemsProcessed(st.iterations() * load_rows);
}
BENCHMARK(BM_load_100k_dbridge_copy)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_load_100k_dbridge_insert_per_row(benchmark::State& st) {
  ensure_setup();
  auto db = dbridge::connect(url());
  for (auto _ : st) {
    db.execute("TRUNCATE dbr_bench_load");
    auto stmt = db.prepare("INSERT INTO dbr_bench_load VALUES ($1, $2, $3)");
    for (int i = 0; i < load_rows; ++i) stmt.execute({i, "name " + std::to_string(i), i + 0.5});
  }
  st.SetItemsProcessed(st.iterations() * load_rows);
}
BENCHMARK(BM_load_100k_dbridge_insert_per_row)->Iterations(1)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- pipelines
void BM_100_statements_sequential(benchmark::State& st) {
  ensure_setup();
  auto db = dbridge::connect(url());
  for (auto _ : st)
    for (int i = 0; i < 100; ++i) benchmark::DoNotOptimize(db.query_one("SELECT name FROM dbr_bench_points WHERE id = $1", {i + 1}));
  st.SetItemsProcessed(st.iterations() * 100);
}
BENCHMARK(BM_100_statements_sequential)->Iterations(200)->Unit(benchmark::kMicrosecond);

void BM_100_statements_pipeline(benchmark::State& st) {
  ensure_setup();
  auto db = dbridge::connect(url());
  for (auto _ : st) {
    dbridge::batch b(db);
    for (int i = 0; i < 100; ++i) b.add("SELECT name FROM dbr_bench_points WHERE id = $1", {i + 1});
    benchmark::DoNotOptimize(b.execute());
  }
  st.SetItemsProcessed(st.iterations() * 100);
}
BENCHMARK(BM_100_statements_pipeline)->Iterations(200)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  if (*url() == '\0') {
    std::fprintf(stderr, "bench_postgres: set DBRIDGE_TEST_POSTGRES_URL (scripts/servers start)\n");
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
