// SPDX-License-Identifier: Apache-2.0
// The SDK's defaults as a third-party driver meets them, through the real
// loader: a default never does something else than asked (releasing or
// rolling back to a savepoint is `unsupported`, not a new savepoint), and a
// statement-owned cursor keeping the default close() is not freed by the SDK.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"

namespace {

class sdk_defaults : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("DBRIDGE_PLUGIN_PATH", DBRIDGE_TEST_SDK_DEFAULTS_PATH, 1); }
  void TearDown() override { ::unsetenv("DBRIDGE_PLUGIN_PATH"); }
};

void expect_unsupported(void (*step)(dbridge::transaction&), const char* what) {
  auto db = dbridge::connect("sdkdefaults://x/db");
  auto tx = db.begin();
  auto sp = tx.savepoint();  // the one slot the driver implements
  try {
    step(sp);
    ADD_FAILURE() << what << " succeeded on a driver without it";
  } catch (const dbridge::unsupported_error& e) {
    EXPECT_EQ(e.category(), dbridge::errc::unsupported);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("sdk-defaults-fixture"), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST_F(sdk_defaults, release_savepoint_is_unsupported_not_a_new_savepoint) {
  expect_unsupported([](dbridge::transaction& sp) { sp.commit(); }, "releasing savepoints");
}

TEST_F(sdk_defaults, rollback_to_savepoint_is_unsupported_not_a_new_savepoint) {
  expect_unsupported([](dbridge::transaction& sp) { sp.rollback(); }, "rolling back to savepoints");
}

TEST_F(sdk_defaults, statement_owned_cursor_with_default_close_is_freed_once) {
  {
    auto db = dbridge::connect("sdkdefaults://x/db");
    for (int round = 0; round < 3; ++round) {  // the cached statement hands the same cursor out again
      auto rows = db.query("answer").to_vector();
      ASSERT_EQ(rows.size(), 1u) << "round " << round;
      EXPECT_EQ(rows[0][0].as<std::int64_t>(), 42);
    }
    auto st = db.prepare("answer");
    EXPECT_EQ(st.query().to_vector().size(), 1u);
  }  // statements finalized, connection closed: the process must still be alive
  SUCCEED();
}

}  // namespace
