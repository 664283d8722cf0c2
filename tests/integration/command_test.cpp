// SPDX-License-Identifier: Apache-2.0
// Command-shaped drivers through the reference in-memory driver (memkv):
// replies, error replies, transactions without SQL, missing capabilities.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"

using namespace dbridge;

namespace {
std::string unique_store(const char* tag) {
  static int n = 0;
  return "memkv://it" + std::to_string(::getpid()) + tag + std::to_string(n++);
}
}  // namespace

TEST(command_capability, RepliesAreCopiedIntoATree) {
  auto db = connect(unique_store("replies"));
  EXPECT_TRUE(db.has_capability("command"));
  EXPECT_EQ(db.command({"PING"}).type, reply_type::status);
  EXPECT_EQ(db.command({"PING"}).str, "PONG");
  auto ok = db.command({"SET", "k", std::string_view("v\0w", 3)});
  EXPECT_EQ(ok.type, reply_type::status);
  auto got = db.command({"GET", "k"});
  EXPECT_EQ(got.type, reply_type::string);
  EXPECT_EQ(got.as_string(), std::string("v\0w", 3));  // binary-safe
  EXPECT_TRUE(db.command({"GET", "missing"}).is_nil());
  EXPECT_EQ(db.command({"INCR", "n"}).as_integer(), 1);
  EXPECT_EQ(db.command({"INCR", "n"}).integer, 2);
  auto keys = db.command({"KEYS", "*"});
  EXPECT_EQ(keys.type, reply_type::array);
  EXPECT_EQ(keys.elements.size(), 2u);
  EXPECT_THROW(db.command(std::span<const std::string_view>{}), invalid_argument_error);
}

TEST(command_capability, ErrorRepliesRaiseBackendError) {
  auto db = connect(unique_store("errors"));
  db.command({"SET", "s", "text"});
  try {
    db.command({"INCR", "s"});
    FAIL() << "no exception";
  } catch (const backend_error& e) {
    EXPECT_EQ(e.category(), errc::backend);
    EXPECT_EQ(e.info().backend_code, "ERR");
    EXPECT_EQ(e.query(), "INCR");
  }
  EXPECT_THROW(db.command({"NOSUCH"}), backend_error);
  EXPECT_EQ(db.command({"GET", "s"}).str, "text");  // still usable
}

TEST(command_capability, TransactionsWithoutSql) {
  auto db = connect(unique_store("txn"));
  db.command({"SET", "a", "1"});
  EXPECT_THROW(db.transaction([](auto& tx) {
    tx.conn().command({"SET", "a", "2"});
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_EQ(db.command({"GET", "a"}).str, "1");
  db.transaction([](auto& tx) {
    tx.conn().command({"SET", "a", "3"});
    EXPECT_THROW(tx.transaction([](auto& sp) {
      sp.conn().command({"SET", "a", "4"});
      throw std::runtime_error("inner");
    }),
                 std::runtime_error);
  });
  EXPECT_EQ(db.command({"GET", "a"}).str, "3");
}

TEST(command_capability, MissingCapabilitiesAreUnsupported) {
  auto db = connect(unique_store("caps"));
  EXPECT_FALSE(db.has_capability("sql"));
  try {
    (void)db.query("SELECT 1");
    FAIL() << "no exception";
  } catch (const unsupported_error& e) {
    EXPECT_NE(std::string(e.what()).find("'sql'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db.prepare("SELECT 1"), unsupported_error);
  EXPECT_THROW(db.create_function("f", 0, [](std::span<const value>) -> value { return 1; }), unsupported_error);
  EXPECT_THROW(db.cancel(), unsupported_error);
  // memkv answers only the key-space listing; tables are unsupported by the driver itself.
  EXPECT_THROW(db.tables(), unsupported_error);
  EXPECT_TRUE(db.ping());
}
