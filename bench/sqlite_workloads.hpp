// SPDX-License-Identifier: Apache-2.0
// The SQLite workloads of issue 2, raw and through dbridge, written once for
// the Google Benchmark programs (sqlite_bench.cpp) and the callgrind probes
// (probe.cpp), so both measure exactly the same loop bodies.
#pragma once

#include <dbridge/connection.hpp>
#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace sqlite_workloads {

inline void check(int rc, sqlite3* db) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db));
}

inline constexpr const char* select_sql = "SELECT ?1 + 1";
inline constexpr const char* insert_sql = "INSERT INTO t VALUES (?1, ?2, ?3)";
inline constexpr const char* table_sql = "CREATE TABLE t(a INTEGER, b TEXT, c REAL)";
inline constexpr const char* row_text = "a short row payload";

/// (1) one execution of the prepared `SELECT ?1 + 1`.
inline std::int64_t raw_select(sqlite3* db, sqlite3_stmt* st, std::int64_t i) {
  sqlite3_bind_int64(st, 1, i);
  check(sqlite3_step(st), db);
  const std::int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return v;
}
inline std::int64_t dbridge_select(dbridge::statement& st, std::int64_t i) {
  const dbridge::value p[] = {i};
  auto r = st.query(dbridge::params(p));
  return r.next()->get<std::int64_t>(0);
}
/// (2) the same through plain query(): the connection's statement cache.
inline std::int64_t dbridge_cached_select(dbridge::connection& db, std::int64_t i) {
  auto r = db.query(select_sql, {i});
  return r.next()->get<std::int64_t>(0);
}

/// (3) n rows of (int, text, double) in one transaction.
inline void raw_insert(sqlite3* db, sqlite3_stmt* ins, std::int64_t n) {
  check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db);
  for (std::int64_t i = 0; i < n; ++i) {
    sqlite3_bind_int64(ins, 1, i);
    sqlite3_bind_text(ins, 2, row_text, -1, SQLITE_STATIC);
    sqlite3_bind_double(ins, 3, static_cast<double>(i) * 1.5);
    check(sqlite3_step(ins), db);
    sqlite3_reset(ins);
  }
  check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db);
}
inline void dbridge_insert(dbridge::connection& db, dbridge::statement& ins, std::int64_t n) {
  auto tx = db.begin();
  for (std::int64_t i = 0; i < n; ++i) {
    const dbridge::value p[] = {i, std::string_view(row_text), static_cast<double>(i) * 1.5};
    ins.execute(dbridge::params(p));
  }
  tx.commit();
}

}  // namespace sqlite_workloads
