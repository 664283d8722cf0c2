// SPDX-License-Identifier: Apache-2.0
// The outcome rule for a statement lost in flight (statement_effect.hpp):
// which SQL only reads, which cannot end an open transaction, and what an
// unknown outcome becomes.
#include <gtest/gtest.h>

#include "statement_effect.hpp"

using dbridge::retry_class;
using dbridge::detail::command_effect;
using dbridge::detail::retry_after_loss;
using dbridge::detail::sql_effect;
using dbridge::detail::statement_effect;

TEST(StatementEffect, ReadsAndTransactionNoOps) {
  for (const char* sql :
       {"SELECT 1", "select * from t where a = $1", "  (SELECT 1) UNION (SELECT 2)", "SHOW search_path",
        "EXPLAIN SELECT 1", "VALUES (1), (2)", "TABLE t", "WITH a AS (SELECT 1) SELECT * FROM a", "SELECT 1;",
        "/* app=x */ SELECT 1", "-- why\nSELECT 1", "SELECT * FROM t FOR UPDATE", "SELECT * FROM t FOR NO KEY UPDATE",
        "DESCRIBE t", "ROLLBACK", "SAVEPOINT a", "RELEASE SAVEPOINT a", "BEGIN", "START TRANSACTION",
        "SELECT CASE WHEN a THEN 1 END FROM t"}) {
    EXPECT_EQ(sql_effect(sql, false), statement_effect::none) << sql;
  }
}

TEST(StatementEffect, WritesThatCannotEndATransaction) {
  for (const char* sql :
       {"INSERT INTO t VALUES (1)", "update t set a = 1", "DELETE FROM t", "REPLACE INTO t VALUES (1)",
        "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE",
        "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
        "SELECT * INTO t2 FROM t", "EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "SELECT nextval('s')",
        "SELECT 1; INSERT INTO t VALUES (1)", "SELECT 'delete'"}) {
    EXPECT_EQ(sql_effect(sql, false), statement_effect::tx_write) << sql;
  }
}

TEST(StatementEffect, AnythingThatMayCommitOrIsUnknown) {
  for (const char* sql :
       {"COMMIT", "END", "commit work", "CREATE TABLE t (a int)", "DROP TABLE t", "ALTER TABLE t ADD b int",
        "TRUNCATE t", "CALL p()", "DO $$ BEGIN END $$", "SET autocommit = 1", "LOCK TABLES t WRITE",
        "INSERT INTO t VALUES (1); COMMIT", "SELECT 1; END", "EXECUTE IMMEDIATE 'COMMIT'", "XA COMMIT 'x'",
        "PREPARE TRANSACTION 'x'", "\"weird\"", "COPY t FROM STDIN", "NOTIFY ch"}) {
    EXPECT_EQ(sql_effect(sql, false), statement_effect::other) << sql;
  }
  // BEGIN inside a transaction commits it on MySQL.
  EXPECT_EQ(sql_effect("BEGIN", true), statement_effect::other);
}

TEST(StatementEffect, Commands) {
  EXPECT_EQ(command_effect("EXEC"), statement_effect::other);
  EXPECT_EQ(command_effect("multi"), statement_effect::none);
  EXPECT_EQ(command_effect("DISCARD"), statement_effect::none);
  EXPECT_EQ(command_effect("RPUSH"), statement_effect::tx_write);
}

TEST(StatementEffect, UnknownOutcomeBecomesNewConnectionOnlyWhenNothingCouldHaveBeenApplied) {
  const auto unknown = retry_class::unknown_outcome;
  EXPECT_EQ(retry_after_loss(unknown, statement_effect::none, false), retry_class::new_connection);
  EXPECT_EQ(retry_after_loss(unknown, statement_effect::tx_write, true), retry_class::new_connection);
  EXPECT_EQ(retry_after_loss(unknown, statement_effect::tx_write, false), unknown);
  EXPECT_EQ(retry_after_loss(unknown, statement_effect::other, true), unknown);
  // Only an unknown outcome is narrowed; the plugin's other classes stand.
  EXPECT_EQ(retry_after_loss(retry_class::none, statement_effect::none, false), retry_class::none);
  EXPECT_EQ(retry_after_loss(retry_class::new_connection, statement_effect::other, false),
            retry_class::new_connection);
}
