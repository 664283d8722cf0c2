// SPDX-License-Identifier: Apache-2.0
// `dbridge command` and `dbridge subscribe` run as a user runs them, against
// the real server of DBRIDGE_TEST_REDIS_URL.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <future>
#include <string>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/redis.hpp"
#include "dbridge/url.hpp"
#include "redis_test_support.hpp"
#include "subprocess.hpp"

using dbridge::test::run_process;

namespace {

class RedisCli : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = dbridge::test::redis_url();
    if (url_.empty()) GTEST_SKIP() << dbridge::test::skip_message;
    prefix_ = "dbridge_cli_test:" + std::to_string(::getpid()) + ":";
  }
  void TearDown() override {
    if (url_.empty()) return;
    auto c = dbridge::connect(url_);
    dbridge::redis r(c);
    for (const auto& k : r.scan({.match = prefix_ + "*"}).to_vector()) r.del(k);
  }
  std::string key(const std::string& n) const { return prefix_ + n; }
  std::string url_, prefix_;
};

}  // namespace

TEST_F(RedisCli, CommandPrintsReplies) {
  auto set = run_process(DBRIDGE_EXE, {"command", url_, "SET", key("k"), "hello world"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "OK\n");
  auto get = run_process(DBRIDGE_EXE, {"command", url_, "GET", key("k")});
  EXPECT_EQ(get.out, "hello world\n");
  auto nil = run_process(DBRIDGE_EXE, {"command", url_, "GET", key("missing")});
  EXPECT_EQ(nil.out, "(nil)\n");
  auto arr = run_process(DBRIDGE_EXE, {"command", url_, "EVAL", "return {1,'a',{2,false}}", "0"});
  EXPECT_EQ(arr.out, "1) (integer) 1\n2) \"a\"\n3) 1) (integer) 2\n   2) (nil)\n");
  const auto pw = dbridge::parse_url(url_).password;
  if (pw && pw->size() >= 3) {
    EXPECT_EQ((set.out + set.err).find(*pw), std::string::npos);
  }
}

TEST_F(RedisCli, CommandJsonTree) {
  auto c = dbridge::connect(url_);
  c.command({"SET", key("bin"), std::string_view("\xff\x00\xfe", 3)});
  auto r = run_process(DBRIDGE_EXE, {"command", "--format", "json", url_, "EVAL",
                                     "return {7, 'text', {redis.call('GET', KEYS[1])}, false}", "1", key("bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0], 7);
  EXPECT_EQ(j[1], "text");
  EXPECT_EQ(j[2][0]["base64"], "/wD+");  // not UTF-8: base64
  EXPECT_TRUE(j[3].is_null());
}

TEST_F(RedisCli, ErrorReplyGoesToStderr) {
  auto c = dbridge::connect(url_);
  c.command({"LPUSH", key("list"), "x"});
  auto r = run_process(DBRIDGE_EXE, {"command", url_, "GET", key("list")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("WRONGTYPE"), std::string::npos) << r.err;
}

TEST_F(RedisCli, SubscribePrintsMessages) {
  auto sub = std::async(std::launch::async, [&] {
    return run_process(DBRIDGE_EXE, {"subscribe", url_, key("news"), "--count", "2", "--timeout", "20"});
  });
  auto c = dbridge::connect(url_);
  // Publish once the subprocess is subscribed (the server counts it).
  for (;;) {
    auto n = c.command({"PUBSUB", "NUMSUB", key("news")});
    if (n.elements.size() == 2 && n.elements[1].integer == 1) break;
    ASSERT_NE(sub.wait_for(std::chrono::seconds(0)), std::future_status::ready) << sub.get().err;
  }
  dbridge::redis r(c);
  r.publish(key("news"), "first\tline");
  r.publish(key("news"), "second");
  auto res = sub.get();
  ASSERT_EQ(res.exit_code, 0) << res.err;
  EXPECT_EQ(res.out, key("news") + "\tfirst\\tline\n" + key("news") + "\tsecond\n");
}

TEST_F(RedisCli, SubscribeSurvivesAKilledConnection) {
  auto sub = std::async(std::launch::async, [&] {
    return run_process(DBRIDGE_EXE, {"subscribe", url_, key("news"), "--count", "1", "--timeout", "20"});
  });
  auto c = dbridge::connect(url_);
  const auto subscribed = [&] {
    auto n = c.command({"PUBSUB", "NUMSUB", key("news")});
    return n.elements.size() == 2 && n.elements[1].integer == 1;
  };
  while (!subscribed()) ASSERT_NE(sub.wait_for(std::chrono::seconds(0)), std::future_status::ready) << sub.get().err;
  dbridge::redis r(c);
  // The tests take turns on the server: the subprocess is its only pub/sub client.
  ASSERT_GE(c.command({"CLIENT", "KILL", "TYPE", "pubsub"}).integer, 1);
  // Publish once it has subscribed again (PUBLISH counts the receivers).
  while (r.publish(key("news"), "after") == 0)
    ASSERT_NE(sub.wait_for(std::chrono::seconds(0)), std::future_status::ready) << sub.get().err;
  auto res = sub.get();
  ASSERT_EQ(res.exit_code, 0) << res.err;
  EXPECT_EQ(res.out, key("news") + "\tafter\n");
  EXPECT_NE(res.err.find("may be missing"), std::string::npos) << res.err;
}

TEST_F(RedisCli, SubscribeTimesOut) {
  auto r = run_process(DBRIDGE_EXE, {"subscribe", "--pattern", url_, key("x:*"), "--count", "1", "--timeout", "0.2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0 of 1"), std::string::npos) << r.err;
  auto open = run_process(DBRIDGE_EXE, {"subscribe", url_, key("x"), "--timeout", "0.1"});
  EXPECT_EQ(open.exit_code, 0) << open.err;
}
