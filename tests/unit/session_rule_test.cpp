// SPDX-License-Identifier: Apache-2.0
// The rule that decides whether a statement or command may have changed
// session state (sdk/session.hpp): what the core assumes of ABI 1.0 plugins
// and of batches, and what SDK drivers report unless they know better.
#include <gtest/gtest.h>

#include <string_view>

#include "dbridge/sdk/session.hpp"

namespace {

using dbridge::sdk::command_changes_session;
using dbridge::sdk::generic_session_commands;
using dbridge::sdk::generic_sql_dialect;
using dbridge::sdk::sql_changes_session;

bool changes(std::string_view sql) { return sql_changes_session(sql, generic_sql_dialect); }

TEST(session_rule, plain_statements_leave_the_session_alone) {
  for (std::string_view sql :
       {"SELECT 1", "  select * from t where id = $1", "(SELECT 1) UNION (SELECT 2)", "-- note\nSELECT 1",
        "/* hint */ INSERT INTO t VALUES (1)", "WITH x AS (SELECT 1) SELECT * FROM x", "update t set a = 1",
        "DELETE FROM t", "BEGIN", "COMMIT", "CREATE TABLE t (x int)", "SELECT 1;", "SELECT 1;  -- done\n"})
    EXPECT_FALSE(changes(sql)) << sql;
}

TEST(session_rule, anything_that_may_change_the_session_counts) {
  for (std::string_view sql :
       {"SET search_path TO x", "set statement_timeout = 5", "RESET ALL", "CREATE TEMP TABLE t (x int)",
        "CREATE TEMPORARY TABLE t (x int)", "PREPARE p AS SELECT 1", "LISTEN ch", "LOCK TABLE t",
        "DECLARE c CURSOR FOR SELECT 1", "USE other", "SELECT set_config('a.b', 'c', false)",
        "SELECT pg_advisory_lock(1)", "select pg_try_advisory_lock(1)", "SELECT GET_LOCK('x', 0)",
        "SELECT @v := 1", "SELECT 1 INTO @v", "SELECT * INTO TEMP t FROM u", "SELECT nextval('s')",
        "SELECT 1; SET x = 1", "CALL p()", "DO $$ BEGIN END $$", "PRAGMA foreign_keys = ON", "", "   ", "/* only */"})
    EXPECT_TRUE(changes(sql)) << sql;
}

TEST(session_rule, commands) {
  for (std::string_view c : {"SELECT", "select", "CLIENT", "AUTH", "HELLO", "WATCH", "READONLY", "MULTI"})
    EXPECT_TRUE(command_changes_session(c, generic_session_commands)) << c;
  for (std::string_view c : {"GET", "SET", "INCR", "SELECTX", "DEL", "PING"})
    EXPECT_FALSE(command_changes_session(c, generic_session_commands)) << c;
}

}  // namespace
