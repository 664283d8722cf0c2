// SPDX-License-Identifier: Apache-2.0
// Where the Redis tests find their server: DBRIDGE_TEST_REDIS_URL. Unset, the
// tests skip when run by hand and fail under CI=true.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

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

}  // namespace dbridge::test
