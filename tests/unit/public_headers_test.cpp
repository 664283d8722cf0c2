// SPDX-License-Identifier: Apache-2.0
// Every public C++ header builds without the plugin ABI: applications see
// the API's own types (dbridge::cell for a borrowed cell), never abi.h's.
#include "dbridge/batch.hpp"
#include "dbridge/cell.hpp"
#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "dbridge/error.hpp"
#include "dbridge/graph.hpp"
#include "dbridge/migrate.hpp"
#include "dbridge/notify.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/pool_metrics.hpp"
#include "dbridge/redis.hpp"
#include "dbridge/registry.hpp"
#include "dbridge/retry.hpp"
#include "dbridge/subscriber.hpp"
#include "dbridge/url.hpp"
#include "dbridge/value.hpp"

#ifdef DBR_ABI_MAJOR
#error "a public header pulled in dbridge/abi.h"
#endif

#include <gtest/gtest.h>

#include <string_view>

namespace {

TEST(public_headers, cell_reads_text_without_the_abi) {
  const char text[] = "abc";
  dbridge::cell c{};
  c.type = dbridge::value_type::text;
  c.u.str.ptr = text;
  c.u.str.len = 3;
  EXPECT_FALSE(c.is_null());
  EXPECT_EQ(c.text(), std::string_view("abc"));
  c.type = dbridge::value_type::int64;
  EXPECT_TRUE(c.text().empty());
}

}  // namespace
