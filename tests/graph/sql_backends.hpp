// SPDX-License-Identifier: Apache-2.0
// The databases graph-sql's own tests run on: one list for every suite.
#pragma once

#include <ostream>

namespace dbridge::test {

struct sql_backend {
  const char* dialect;  // "sqlite", "postgres", "mariadb"
  const char* url_env;  // nullptr: a SQLite file of the test's own
};

inline constexpr sql_backend sql_backends[] = {
    {"sqlite", nullptr}, {"postgres", "DBRIDGE_TEST_POSTGRES_URL"}, {"mariadb", "DBRIDGE_TEST_MYSQL_URL"}};

inline void PrintTo(const sql_backend& b, std::ostream* os) { *os << b.dialect; }

}  // namespace dbridge::test
