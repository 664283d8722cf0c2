// SPDX-License-Identifier: Apache-2.0
// Which statements and commands make the core ask a plugin whether a
// transaction is open (so raw BEGIN shows in the registry).
#include <gtest/gtest.h>

#include "transaction_control.hpp"

using dbridge::detail::is_transaction_command;
using dbridge::detail::is_transaction_sql;

TEST(TransactionControl, RecognisesEveryOpeningAndClosingKeyword) {
  for (const char* sql : {"BEGIN", "begin", "  BEGIN IMMEDIATE", "\n\tBegin Transaction", "START TRANSACTION",
                          "COMMIT", "commit work", "END", "ROLLBACK", "rollback to savepoint a", "ABORT",
                          "SAVEPOINT a", "RELEASE SAVEPOINT a", "BEGIN;"}) {
    EXPECT_TRUE(is_transaction_sql(sql)) << sql;
  }
}

TEST(TransactionControl, LeavesOrdinarySqlAlone) {
  for (const char* sql : {"", "   ", "SELECT 1", "select 'BEGIN'", "INSERT INTO t VALUES (1)", "BEGINNING",
                          "ENDPOINT", "COMMITTED", "RELEASES", "STARTS", "CREATE TABLE commit_log(x)",
                          "UPDATE t SET begin = 1", "-- BEGIN"}) {
    EXPECT_FALSE(is_transaction_sql(sql)) << sql;
  }
}

TEST(TransactionControl, RedisCommands) {
  for (const char* name : {"MULTI", "multi", "EXEC", "exec", "DISCARD", "RESET", "reset"})
    EXPECT_TRUE(is_transaction_command(name)) << name;
  for (const char* name : {"GET", "EXECUTE", "MULTIPLY", "DISCARDS", "", "WATCH"})
    EXPECT_FALSE(is_transaction_command(name)) << name;
}
