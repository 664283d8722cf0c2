// SPDX-License-Identifier: Apache-2.0
// Where the Redis tests find their server: DBRIDGE_TEST_REDIS_URL. Unset, the
// tests skip when run by hand and fail under CI=true.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "dbridge/connection.hpp"
#include "test_server.hpp"
#include "dbridge/redis.hpp"

namespace dbridge::test {

inline const std::string skip_message = server_missing("DBRIDGE_TEST_REDIS_URL");

/// The server URL, or "" after recording a failure when CI requires one.
inline std::string redis_url() {
  std::string url = env_or_empty("DBRIDGE_TEST_REDIS_URL");
  if (url.empty() && in_ci()) ADD_FAILURE() << skip_message << " (CI=true: a missing server fails the run)";
  return url;
}

/// A test against the server whose keys all start with a per-test prefix;
/// TearDown deletes them. Skips (or fails under CI=true) without a server.
class redis_keys_test : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = redis_url();
    if (url_.empty()) GTEST_SKIP() << skip_message;
    prefix_ = "dbridge_test:" + std::to_string(::getpid()) + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
  }
  void TearDown() override {
    if (url_.empty()) return;
    auto clean = dbridge::connect(url_);
    dbridge::redis r(clean);
    for (const std::string& k : r.scan({.match = prefix_ + "*", .count = 1000}).to_vector()) r.del(k);
  }
  std::string key(std::string_view name) const { return prefix_ + std::string(name); }

  std::string url_;
  std::string prefix_;
};

}  // namespace dbridge::test
