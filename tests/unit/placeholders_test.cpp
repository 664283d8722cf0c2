// SPDX-License-Identifier: Apache-2.0
// The placeholder rule (sdk/placeholders.hpp): which text is a placeholder on
// each backend and what it becomes. The drivers' tests run the same styles on
// the real servers (conformance.sql_placeholder_styles).
#include <dbridge/sdk/placeholders.hpp>
#include <gtest/gtest.h>

#include <string>

using namespace dbridge::sdk;

namespace {

placeholder_plan pg(std::string_view sql) {
  return translate_placeholders(sql, postgres_lexis, native_placeholder::dollar, "postgres");
}
placeholder_plan my(std::string_view sql) {
  return translate_placeholders(sql, mariadb_lexis, native_placeholder::question, "mysql");
}
std::string pg_text(std::string_view sql) { return std::string(pg(sql).sql(sql)); }
std::string my_text(std::string_view sql) { return std::string(my(sql).sql(sql)); }

}  // namespace

TEST(Placeholders, NativeStatementsAreSentAsWritten) {
  const auto p = pg("SELECT $2, $1, $2 WHERE a = 'x'");
  EXPECT_FALSE(p.rewritten);
  EXPECT_TRUE(p.text.empty());
  EXPECT_EQ(p.nparams, 2u);
  const auto m = my("SELECT ?, ? FROM t");
  EXPECT_FALSE(m.rewritten);
  EXPECT_TRUE(m.order.empty());
  EXPECT_EQ(m.nparams, 2u);
  EXPECT_EQ(m.source(1), 1u);
  EXPECT_FALSE(pg("SELECT 1").rewritten);
  EXPECT_EQ(pg("SELECT 1").nparams, 0u);
}

TEST(Placeholders, EveryStyleBecomesDollarOnPostgres) {
  EXPECT_EQ(pg_text("SELECT ?, ? + 1"), "SELECT $1, $2 + 1");
  EXPECT_EQ(pg_text("SELECT ?2, ?1, ?2"), "SELECT $2, $1, $2");
  const auto named = pg("SELECT :b, :a, :b, :a_1");
  EXPECT_EQ(named.text, "SELECT $1, $2, $1, $3");
  EXPECT_EQ(named.nparams, 3u);
  EXPECT_EQ(named.names, (std::vector<std::string>{"b", "a", "a_1"}));
  EXPECT_EQ(pg("SELECT ?3").nparams, 3u);
}

TEST(Placeholders, EveryStyleBecomesQuestionOnMariadb) {
  const auto d = my("SELECT $2, $1, $2");
  EXPECT_EQ(d.text, "SELECT ?, ?, ?");
  EXPECT_EQ(d.order, (std::vector<std::uint32_t>{1, 0, 1}));
  EXPECT_EQ(d.nparams, 2u);
  const auto q = my("SELECT ?2, ?1");
  EXPECT_EQ(q.text, "SELECT ?, ?");
  EXPECT_EQ(q.order, (std::vector<std::uint32_t>{1, 0}));
  const auto n = my("SELECT :x, :y, :x");
  EXPECT_EQ(n.text, "SELECT ?, ?, ?");
  EXPECT_EQ(n.order, (std::vector<std::uint32_t>{0, 1, 0}));
  EXPECT_EQ(n.nparams, 2u);
}

TEST(Placeholders, LiteralsCommentsAndQuotingAreText) {
  EXPECT_EQ(pg_text("SELECT '?', \":a\", ? -- ? :b\n, /* ? /* nested ? */ :c */ $$ ? :d $$, $t$ ?1 $t$, E'\\' ?'"),
            "SELECT '?', \":a\", $1 -- ? :b\n, /* ? /* nested ? */ :c */ $$ ? :d $$, $t$ ?1 $t$, E'\\' ?'");
  // Without E, a backslash is a plain character in PostgreSQL.
  EXPECT_EQ(pg_text("SELECT 'a\\', ?"), "SELECT 'a\\', $1");
  EXPECT_EQ(my_text("SELECT 'a\\' ?', \"?\", `we?ird`, :a # :b\n-- :c\n"),
            "SELECT 'a\\' ?', \"?\", `we?ird`, ? # :b\n-- :c\n");
  // MariaDB "--" needs a space to start a comment: "--?" is minus minus a value.
  EXPECT_EQ(my_text("SELECT 1--:a"), "SELECT 1--?");
  EXPECT_EQ(my("SELECT ? FROM `a$1`").nparams, 1u);
  EXPECT_EQ(pg_text("SELECT foo$1, ?"), "SELECT foo$1, $1");
}

TEST(Placeholders, CastsAssignmentsAndOperatorsStay) {
  EXPECT_EQ(pg_text("SELECT :v::int, x::text"), "SELECT $1::int, x::text");
  EXPECT_EQ(pg_text("SELECT ?::jsonb ?| array['a'], ?::jsonb ?& array['b'], d @? '$.a'"),
            "SELECT $1::jsonb ?| array['a'], $2::jsonb ?& array['b'], d @? '$.a'");
  // With $n present, ? is the jsonb operator and :name a slice bound.
  const auto p = pg("SELECT $1::jsonb ? 'a', arr[1:n] FROM t");
  EXPECT_FALSE(p.rewritten);
  EXPECT_EQ(p.nparams, 1u);
  EXPECT_EQ(my_text("SET @a := ?"), "SET @a := ?");
  EXPECT_FALSE(my("SELECT @a := ?").rewritten);
  EXPECT_EQ(my_text("SELECT @a := :v"), "SELECT @a := ?");
  EXPECT_EQ(my_text("SELECT '10:00:00', :t"), "SELECT '10:00:00', ?");
}

TEST(Placeholders, MixingStylesIsASyntaxError) {
  for (const char* sql : {"SELECT ?, :a", "SELECT ?1, ?", "SELECT :a, ?2"}) {
    EXPECT_THROW(pg(sql), error) << sql;
    EXPECT_THROW(my(sql), error) << sql;
  }
  EXPECT_THROW(my("SELECT $1, ?"), error);
  try {
    my("SELECT $1, :a");
    ADD_FAILURE() << "mixed styles accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.category(), static_cast<std::uint32_t>(DBR_CAT_SYNTAX));
    EXPECT_NE(std::string(e.what()).find("mixes $1 and :name"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pg("SELECT ?0"), error);
  EXPECT_THROW(my("SELECT $0"), error);
}
