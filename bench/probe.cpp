// SPDX-License-Identifier: Apache-2.0
// Fixed-count workloads for instruction counting, dbridge and the raw C
// library side by side. Wall-clock figures on a shared machine are noisy;
// callgrind's instruction counts are not. Each workload is one noinline
// function, so callgrind can count it alone:
//   valgrind --tool=callgrind --toggle-collect='*probe_sqlite_raw_prepared*'
//            build/bench/bench_probe sqlite_raw_prepared 100000
// and Ir / count is the cost of one iteration. `bench_probe list` names them.
#include <dbridge/connection.hpp>
#include <dbridge/pool.hpp>
#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#ifdef DBRIDGE_PROBE_POSTGRES
#include <arpa/inet.h>
#include <libpq-fe.h>
#endif

#ifdef DBRIDGE_PROBE_MYSQL
#include <mysql.h>

#include <dbridge/url.hpp>
#endif

#include "bare_pool.hpp"
#include "sqlite_workloads.hpp"

#define PROBE __attribute__((noinline))

namespace {

volatile std::int64_t g_sink = 0;

using namespace sqlite_workloads;

PROBE std::int64_t probe_sqlite_raw_prepared(sqlite3* db, sqlite3_stmt* st, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 1; i <= n; ++i) sum += raw_select(db, st, i);
  return sum;
}

PROBE std::int64_t probe_sqlite_dbridge_prepared(dbridge::statement& st, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 1; i <= n; ++i) sum += dbridge_select(st, i);
  return sum;
}

PROBE std::int64_t probe_sqlite_dbridge_cached(dbridge::connection& db, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 1; i <= n; ++i) sum += dbridge_cached_select(db, i);
  return sum;
}

PROBE void probe_sqlite_raw_insert(sqlite3* db, sqlite3_stmt* ins, std::int64_t n) { raw_insert(db, ins, n); }

PROBE void probe_sqlite_dbridge_insert(dbridge::connection& db, dbridge::statement& ins, std::int64_t n) {
  dbridge_insert(db, ins, n);
}

// ------------------------------------------------------------ pool
PROBE std::int64_t probe_pool_bare(bare_pool& p, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    int* c = p.acquire();
    sum += reinterpret_cast<std::uintptr_t>(c) & 1;
    p.release(c);
  }
  return sum;
}

inline std::int64_t pool_loop(dbridge::pool& p, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    auto c = p.acquire();
    sum += c ? 1 : 0;
  }
  return sum;
}
PROBE std::int64_t probe_pool_dbridge_sqlite(dbridge::pool& p, std::int64_t n) { return pool_loop(p, n); }
PROBE std::int64_t probe_pool_dbridge_pg(dbridge::pool& p, std::int64_t n) { return pool_loop(p, n); }

/// A warm pool of 8 on url, every connection opened and used once.
std::int64_t run_pool(const std::string& url, std::int64_t n, std::int64_t (*probe)(dbridge::pool&, std::int64_t)) {
  dbridge::pool p(url, {.max = 8, .acquire_timeout = std::chrono::seconds(60)});
  {
    std::vector<dbridge::pooled_connection> warm;
    for (int i = 0; i < 8; ++i) warm.push_back(p.acquire());
  }
  return probe(p, n);
}

std::string temp_db(const char* tag) {
  auto p = std::filesystem::temp_directory_path() /
           (std::string("dbridge_probe_") + tag + "_" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(p);
  return p.string();
}

std::int64_t run_sqlite(std::string_view what, std::int64_t n) {
  if (what == "sqlite_raw_prepared") {
    sqlite3* db = nullptr;
    check(sqlite3_open(":memory:", &db), db);
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v3(db, select_sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr), db);
    const std::int64_t s = probe_sqlite_raw_prepared(db, st, n);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return s;
  }
  if (what == "sqlite_dbridge_prepared") {
    auto db = dbridge::connect("sqlite://:memory:");
    auto st = db.prepare(select_sql);
    return probe_sqlite_dbridge_prepared(st, n);
  }
  if (what == "sqlite_dbridge_cached") {
    auto db = dbridge::connect("sqlite://:memory:");
    return probe_sqlite_dbridge_cached(db, n);
  }
  if (what == "sqlite_raw_insert") {
    const auto path = temp_db("raw");
    sqlite3* db = nullptr;
    check(sqlite3_open(path.c_str(), &db), db);
    check(sqlite3_exec(db, table_sql, nullptr, nullptr, nullptr), db);
    sqlite3_stmt* ins = nullptr;
    check(sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &ins, nullptr),
          db);
    probe_sqlite_raw_insert(db, ins, n);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    std::filesystem::remove(path);
    return n;
  }
  if (what == "pool_bare") {
    bare_pool p;
    return probe_pool_bare(p, n);
  }
  if (what == "pool_dbridge_sqlite") return run_pool("sqlite://:memory:", n, probe_pool_dbridge_sqlite);
  if (what == "sqlite_dbridge_insert") {
    const auto path = temp_db("dbridge");
    {
      auto db = dbridge::connect("sqlite://" + path);
      db.execute(table_sql);
      auto ins = db.prepare(insert_sql);
      probe_sqlite_dbridge_insert(db, ins, n);
    }
    std::filesystem::remove(path);
    return n;
  }
  return -1;
}

#ifdef DBRIDGE_PROBE_POSTGRES
const char* pg_url() {
  const char* u = std::getenv("DBRIDGE_TEST_POSTGRES_URL");
  if (u == nullptr || *u == '\0') throw std::runtime_error("set DBRIDGE_TEST_POSTGRES_URL");
  return u;
}

std::string fetch_sql(std::int64_t n) {
  return "SELECT g, g::text, g*1.5 FROM generate_series(1," + std::to_string(n) + ") g";
}

PROBE std::int64_t probe_pg_raw_fetch(PGconn* c, const std::string& sql) {
  std::int64_t sum = 0;
  double fsum = 0;
  PQsendQuery(c, sql.c_str());
  PQsetSingleRowMode(c);
  while (PGresult* r = PQgetResult(c)) {
    if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
      sum += std::atoll(PQgetvalue(r, 0, 0));
      sum += PQgetlength(r, 0, 1);
      fsum += std::strtod(PQgetvalue(r, 0, 2), nullptr);
    }
    PQclear(r);
  }
  return sum + static_cast<std::int64_t>(fsum);
}

PROBE std::int64_t probe_pg_dbridge_fetch(dbridge::connection& db, const std::string& sql) {
  std::int64_t sum = 0;
  std::size_t len = 0;
  auto r = db.query(sql);
  while (const dbridge::row* row = r.next()) {
    sum += row->get<std::int64_t>(0);
    len += row->get<std::string_view>(1).size();
    len += row->get<std::string_view>(2).size();
  }
  return sum + static_cast<std::int64_t>(len);
}

PROBE std::int64_t probe_pg_raw_point(PGconn* c, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint32_t id = htonl(static_cast<std::uint32_t>(i % 1000 + 1));
    const char* vals[] = {reinterpret_cast<const char*>(&id)};
    const int lens[] = {4}, fmts[] = {1};
    PGresult* r = PQexecPrepared(c, "p", 1, vals, lens, fmts, 1);
    sum += PQgetlength(r, 0, 0);
    PQclear(r);
  }
  return sum;
}

PROBE std::int64_t probe_pg_dbridge_point(dbridge::statement& st, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    auto r = st.query({i % 1000 + 1});
    sum += static_cast<std::int64_t>(r.next()->get<std::string_view>(0).size());
  }
  return sum;
}

constexpr const char* point_sql = "SELECT g::text FROM generate_series(1, 1000) g WHERE g = $1";

std::int64_t run_pg(std::string_view what, std::int64_t n) {
  if (what == "pg_raw_fetch" || what == "pg_raw_point") {
    PGconn* c = PQconnectdb(pg_url());
    if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
    std::int64_t s;
    if (what == "pg_raw_fetch") {
      s = probe_pg_raw_fetch(c, fetch_sql(n));
    } else {
      const Oid int4 = 23;
      PQclear(PQprepare(c, "p", point_sql, 1, &int4));
      s = probe_pg_raw_point(c, n);
    }
    PQfinish(c);
    return s;
  }
  if (what == "pg_dbridge_fetch") {
    auto db = dbridge::connect(pg_url());
    return probe_pg_dbridge_fetch(db, fetch_sql(n));
  }
  if (what == "pg_dbridge_point") {
    auto db = dbridge::connect(pg_url());
    auto st = db.prepare(point_sql);
    return probe_pg_dbridge_point(st, n);
  }
  if (what == "pool_dbridge_pg") return run_pool(pg_url(), n, probe_pool_dbridge_pg);
  return -1;
}
#endif

#ifdef DBRIDGE_PROBE_MYSQL
// MariaDB's sequence engine: seq is BIGINT UNSIGNED, read as int64_t.
std::string my_fetch_sql(std::int64_t n) { return "SELECT seq FROM seq_1_to_" + std::to_string(n); }

const char* my_url() {
  const char* u = std::getenv("DBRIDGE_TEST_MYSQL_URL");
  if (u == nullptr || *u == '\0') throw std::runtime_error("set DBRIDGE_TEST_MYSQL_URL");
  return u;
}

PROBE std::int64_t probe_my_raw_fetch(MYSQL* m, const std::string& sql) {
  std::int64_t sum = 0;
  mysql_real_query(m, sql.data(), sql.size());
  MYSQL_RES* res = mysql_use_result(m);
  while (MYSQL_ROW row = mysql_fetch_row(res)) sum += std::strtoll(row[0], nullptr, 10);
  mysql_free_result(res);
  return sum;
}

PROBE std::int64_t probe_my_dbridge_fetch(dbridge::connection& db, const std::string& sql) {
  std::int64_t sum = 0;
  auto r = db.query(sql);
  while (const dbridge::row* row = r.next()) sum += row->get<std::int64_t>(0);
  return sum;
}

std::int64_t run_my(std::string_view what, std::int64_t n) {
  if (what == "my_raw_fetch") {
    const dbridge::url u = dbridge::parse_url(my_url());
    MYSQL* m = mysql_init(nullptr);
    const std::string host = u.hosts.empty() ? "127.0.0.1" : u.hosts[0].host;
    if (mysql_real_connect(m, host.c_str(), u.user.value_or("").c_str(), u.password.value_or("").c_str(),
                           u.database.c_str(), u.hosts.empty() ? 0 : u.hosts[0].port, nullptr, 0) == nullptr)
      throw std::runtime_error(mysql_error(m));
    const std::int64_t s = probe_my_raw_fetch(m, my_fetch_sql(n));
    mysql_close(m);
    return s;
  }
  if (what == "my_dbridge_fetch") {
    auto db = dbridge::connect(my_url());
    return probe_my_dbridge_fetch(db, my_fetch_sql(n));
  }
  return -1;
}
#endif

constexpr const char* kWorkloads[] = {
    "sqlite_raw_prepared", "sqlite_dbridge_prepared", "sqlite_dbridge_cached", "sqlite_raw_insert",
    "sqlite_dbridge_insert", "pool_bare", "pool_dbridge_sqlite",
#ifdef DBRIDGE_PROBE_POSTGRES
    "pg_raw_fetch",        "pg_dbridge_fetch",        "pg_raw_point",          "pg_dbridge_point",
    "pool_dbridge_pg",
#endif
#ifdef DBRIDGE_PROBE_MYSQL
    "my_raw_fetch",        "my_dbridge_fetch",
#endif
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "list") == 0) {
    std::puts("usage: bench_probe WORKLOAD [COUNT]   (valgrind --tool=callgrind --toggle-collect='*probe_WORKLOAD*')");
    for (const char* w : kWorkloads) std::printf("  %s\n", w);
    return argc < 2 ? 2 : 0;
  }
  const std::string_view what = argv[1];
  const std::int64_t n = argc > 2 ? std::atoll(argv[2]) : 10000;
  try {
    std::int64_t s = run_sqlite(what, n);
#ifdef DBRIDGE_PROBE_POSTGRES
    if (s == -1) s = run_pg(what, n);
#endif
#ifdef DBRIDGE_PROBE_MYSQL
    if (s == -1) s = run_my(what, n);
#endif
    if (s == -1) {
      std::fprintf(stderr, "bench_probe: unknown workload '%s'; `bench_probe list` names them\n", argv[1]);
      return 2;
    }
    g_sink = s;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_probe: %s\n", e.what());
    return 1;
  }
  return 0;
}
