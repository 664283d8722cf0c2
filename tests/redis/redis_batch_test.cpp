// SPDX-License-Identifier: Apache-2.0
// Redis batches (pipelines) next to what else a connection does: each reply
// must reach the call that asked for it, whatever ran before the batch (a
// command, an error reply, a scan left half-way, a MULTI) and however the
// batch was left (read fully, partly, not sent).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "dbridge/batch.hpp"
#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/redis.hpp"
#include "redis_test_support.hpp"

using namespace dbridge;

namespace {

class RedisBatch : public dbridge::test::redis_keys_test {
 protected:
  void SetUp() override {
    redis_keys_test::SetUp();
    if (!url_.empty()) db_.emplace(connect(url_));
  }
  connection& db() { return *db_; }

  /// A batch whose replies prove it read its own: ECHO answers its argument.
  void expect_batch_works(const std::string& word) {
    batch b(db());
    b.add_command({"ECHO", word}).add_command({"ECHO", word + "!"});
    auto items = b.execute();
    ASSERT_EQ(items.size(), 2u);
    ASSERT_TRUE(items[0].ok()) << items[0].error->message;
    EXPECT_EQ(items[0].result.str, word);
    EXPECT_EQ(items[1].result.str, word + "!");
  }

  std::optional<connection> db_;
};

}  // namespace

TEST_F(RedisBatch, BatchAfterCommandsAndAnErrorReply) {
  redis r(db());
  EXPECT_TRUE(r.set(key("a"), "1"));
  EXPECT_EQ(r.get(key("a")), "1");
  expect_batch_works("after-get");
  EXPECT_THROW(db().command({"INCR", key("a"), "extra"}), error);
  expect_batch_works("after-error");
}

TEST_F(RedisBatch, BatchAfterAScanLeftHalfWay) {
  redis r(db());
  for (int i = 0; i < 50; ++i) r.set(key("k" + std::to_string(i)), "v");
  {
    auto scan = r.scan({.match = prefix_ + "*", .count = 5});
    auto it = scan.begin();
    ASSERT_NE(it, scan.end());
  }
  expect_batch_works("after-scan");
  EXPECT_EQ(r.get(key("k7")), "v");
}

TEST_F(RedisBatch, CommandsAfterABatchReadFullyPartlyOrNotAtAll) {
  redis r(db());
  expect_batch_works("first");
  EXPECT_TRUE(r.set(key("x"), "1"));
  {
    batch b(db());
    b.add_command({"ECHO", "one"}).add_command({"ECHO", "two"}).add_command({"ECHO", "three"});
    b.send();
    const batch_item* it = b.next();
    ASSERT_NE(it, nullptr);
    EXPECT_EQ(it->result.str, "one");
  }  // two replies left unread
  EXPECT_EQ(r.get(key("x")), "1");
  {
    batch b(db());
    b.add_command({"SET", key("never"), "1"});
  }  // queued, never sent
  EXPECT_FALSE(r.get(key("never")).has_value());
  EXPECT_EQ(db().command({"ECHO", "last"}).str, "last");
  expect_batch_works("again");
}

TEST_F(RedisBatch, BatchInsideMultiAfterACommand) {
  redis r(db());
  EXPECT_TRUE(r.set(key("n"), "10"));
  db().transaction([&](transaction&) {
    EXPECT_EQ(db().command({"INCR", key("n")}).str, "QUEUED");
    batch b(db());
    b.add_command({"INCR", key("n")}).add_command({"GET", key("n")});
    auto items = b.execute();
    ASSERT_EQ(items.size(), 2u);
    // Inside MULTI the server queues each command and answers at EXEC.
    for (const batch_item& it : items) {
      ASSERT_TRUE(it.ok()) << it.error->message;
      EXPECT_EQ(it.result.str, "QUEUED");
    }
  });
  EXPECT_FALSE(db().in_transaction());
  EXPECT_EQ(r.get(key("n")), "12");
  expect_batch_works("after-multi");
}
