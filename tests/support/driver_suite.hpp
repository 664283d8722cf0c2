// SPDX-License-Identifier: Apache-2.0
// What the end-to-end suites of the server drivers (tests/postgres,
// tests/mysql) share: a fixture holding a connection to the test server, and
// checks that every driver must pass in the same words.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "test_server.hpp"

namespace dbridge::test {

/// A suite whose every test holds a connection to the server that the
/// variable names (skipped by hand, failed under CI=true, when it is unset).
class connected_test : public ::testing::Test {
 protected:
  explicit connected_test(const char* server_var) : server_var_(server_var) {}
  void SetUp() override {
    DBRIDGE_REQUIRE_SERVER_ENV(server_var_);
    db.emplace(dbridge::connect(env_or_empty(server_var_)));
  }
  dbridge::connection& c() { return *db; }
  std::optional<dbridge::connection> db;

 private:
  const char* server_var_;
};

/// The width of `SELECT * FROM table`, every row read: a statement the
/// driver kept from before the table changed shape must see the new shape.
inline std::size_t select_star_columns(dbridge::connection& db, const std::string& table) {
  auto r = db.query("SELECT * FROM " + table);
  const std::size_t n = r.columns().size();
  (void)r.to_vector();
  return n;
}

/// what() names the driver once, at its start ("postgres: postgres: ..." was
/// printed before): for a syntax error on `db` and for a refused connect to
/// `unreachable_url`.
inline void expect_errors_name_the_driver_once(dbridge::connection& db, const std::string& driver,
                                               const std::string& unreachable_url) {
  const std::string prefix = driver + ": ";
  auto once = [&](const std::string& what) {
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << what;
    EXPECT_EQ(what.find(prefix, 1), std::string::npos) << what;
  };
  try {
    db.execute("SELEC 1");
    ADD_FAILURE() << "no error";
  } catch (const dbridge::syntax_error& e) {
    once(e.what());
  }
  try {
    (void)dbridge::connect(unreachable_url);
    ADD_FAILURE() << "no error";
  } catch (const dbridge::connection_error& e) {
    once(e.what());
  }
}

}  // namespace dbridge::test
