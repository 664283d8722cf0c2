// SPDX-License-Identifier: Apache-2.0
// Where server-backed tests find their server: an environment variable that
// scripts/servers exports (DBRIDGE_TEST_POSTGRES_URL, _MYSQL_URL, _REDIS_URL,
// ...). Unset, a test skips when run by hand and fails under CI=true.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace dbridge::test {

inline std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

inline bool in_ci() { return env_or_empty("CI") == "true"; }

inline std::string server_missing(const char* var) {
  return std::string(var) +
         " is not set: run `source scripts/servers && servers_start` to start throwaway test servers, or point it "
         "at a server";
}

}  // namespace dbridge::test

/// In a test body or SetUp: fails (CI=true) or skips unless VAR names a server.
#define DBRIDGE_REQUIRE_SERVER_ENV(VAR)                                                                  \
  do {                                                                                                   \
    if (::dbridge::test::env_or_empty(VAR).empty()) {                                                    \
      if (::dbridge::test::in_ci())                                                                      \
        FAIL() << ::dbridge::test::server_missing(VAR) << " (CI=true: a missing server fails the run)"; \
      GTEST_SKIP() << ::dbridge::test::server_missing(VAR);                                              \
    }                                                                                                    \
  } while (0)
