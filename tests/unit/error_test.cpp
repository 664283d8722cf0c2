// SPDX-License-Identifier: Apache-2.0
// dbridge::error copies share their payload: copying cannot throw, and a copy
// reads exactly what the original does.
#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <type_traits>

#include "dbridge/error.hpp"

namespace {

static_assert(std::is_nothrow_copy_constructible_v<dbridge::error>);
static_assert(std::is_nothrow_copy_constructible_v<dbridge::constraint_violation>);
static_assert(std::is_nothrow_copy_assignable_v<dbridge::timeout_error>);

dbridge::error_info sample() {
  dbridge::error_info info;
  info.category = dbridge::errc::constraint;
  info.subcategory = dbridge::suberrc::unique_violation;
  info.sqlstate = "23505";
  info.native_code = 7;
  info.message = "duplicate key value violates unique constraint \"t_pkey\"";
  info.retry = dbridge::retry_class::unknown_outcome;
  info.connection_broken = true;
  info.constraint = "t_pkey";
  info.driver = "postgres";
  info.query = "INSERT INTO t VALUES (1)";
  return info;
}

TEST(error, copy_reads_the_same_payload) {
  const dbridge::error original(sample());
  const dbridge::error copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(&copy.info(), &original.info());
  EXPECT_EQ(copy.category(), dbridge::errc::constraint);
  EXPECT_EQ(copy.subcategory(), dbridge::suberrc::unique_violation);
  EXPECT_EQ(copy.sqlstate(), "23505");
  EXPECT_EQ(copy.native_code(), 7);
  EXPECT_EQ(copy.driver(), "postgres");
  EXPECT_EQ(copy.query(), "INSERT INTO t VALUES (1)");
  EXPECT_EQ(copy.info().constraint, "t_pkey");
  EXPECT_TRUE(copy.outcome_unknown());
  EXPECT_FALSE(copy.retryable());
  EXPECT_TRUE(copy.connection_broken());
  EXPECT_STREQ(copy.what(), original.what());
}

TEST(error, moved_from_error_keeps_its_info) {
  dbridge::error original(sample());
  const dbridge::error moved = std::move(original);
  EXPECT_EQ(moved.info().constraint, "t_pkey");
  EXPECT_EQ(original.info().constraint, "t_pkey");  // NOLINT(bugprone-use-after-move): copies, never empties
}

TEST(error, survives_exception_ptr_as_its_subclass) {
  std::exception_ptr p;
  try {
    dbridge::throw_error(sample());
  } catch (...) {
    p = std::current_exception();
  }
  ASSERT_TRUE(p);
  try {
    std::rethrow_exception(p);
  } catch (const dbridge::constraint_violation& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_NE(std::string(e.what()).find("postgres: duplicate key"), std::string::npos) << e.what();
    return;
  }
  FAIL() << "not rethrown as constraint_violation";
}

}  // namespace
