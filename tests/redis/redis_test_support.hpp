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
#include "dbridge/redis.hpp"

namespace dbridge::test {

inline constexpr const char* skip_message =
    "DBRIDGE_TEST_REDIS_URL is not set; run `source scripts/servers; servers_start` to start a throwaway "
    "redis-server, or point it at one (redis://:PASSWORD@127.0.0.1:PORT/0)";

/// The server URL, or "" after recording a failure when CI requires one.
inline std::string redis_url() {
  const char* url = std::getenv("DBRIDGE_TEST_REDIS_URL");
  if (url != nullptr && *url != '\0') return url;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string(ci) == "true") ADD_FAILURE() << skip_message << " (CI=true: a missing server fails)";
  return {};
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
