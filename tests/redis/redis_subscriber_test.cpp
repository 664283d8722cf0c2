// SPDX-License-Identifier: Apache-2.0
// dbridge::subscriber on Redis SUBSCRIBE/PSUBSCRIBE: channels and patterns,
// CLIENT KILL followed by reconnect and re-subscribe, the gap report, giving
// up when the server stays away, a pool as the source, and a prompt stop.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/redis.hpp"
#include "dbridge/subscriber.hpp"
#include "dbridge/url.hpp"
#include "fault_proxy.hpp"
#include "subscriber_support.hpp"
#include "redis_test_support.hpp"

using namespace dbridge;
using namespace std::chrono_literals;
using dbridge::test::inbox;
using dbridge::test::quick_subscriber_options;
using dbridge::test::wait_payload;

namespace {

class RedisSubscriber : public dbridge::test::redis_keys_test {
 protected:
  void SetUp() override {
    redis_keys_test::SetUp();
    if (!url_.empty()) publisher_.emplace(connect(url_));
  }
  std::int64_t publish(const std::string& channel, const std::string& msg) {
    return redis(*publisher_).publish(channel, msg);
  }
  /// A proxy in front of the server that forwards everything; destroying it
  /// cuts its connections and refuses new ones.
  std::unique_ptr<dbridge::test::fault_proxy> start_proxy() {
    const url u = parse_url(url_);
    if (u.hosts.empty()) throw std::runtime_error("the test server URL names no host");
    server_port_ = std::to_string(u.hosts[0].port);
    return std::make_unique<dbridge::test::fault_proxy>(dbridge::test::fault_proxy_options{
        .target = u.hosts[0].host + ":" + server_port_, .mode = "before",
        .marker = "no request carries this marker", .lifetime_s = 30});
  }
  /// The server URL with the proxy's port.
  std::string via(const dbridge::test::fault_proxy& proxy) const {
    std::string out = url_;
    out.replace(out.find(":" + server_port_), server_port_.size() + 1, ":" + std::to_string(proxy.port()));
    return out;
  }
  std::optional<connection> publisher_;
  std::string server_port_;
};

}  // namespace

TEST_F(RedisSubscriber, ChannelsAndPatternsReachTheirHandlers) {
  inbox<notification> plain, matched;
  subscriber s(url_, quick_subscriber_options());
  s.on(key("news"), plain.sink());
  s.on_pattern(key("ev.*"), matched.sink());
  EXPECT_EQ(publish(key("news"), "n1"), 1);
  EXPECT_EQ(publish(key("ev.a"), "e1"), 1);
  ASSERT_TRUE(wait_payload(plain, "n1"));
  ASSERT_TRUE(wait_payload(matched, "e1"));
  const notification m = matched.items().at(0);
  EXPECT_EQ(m.channel, key("ev.a"));
  ASSERT_TRUE(m.pattern.has_value());
  EXPECT_EQ(*m.pattern, key("ev.*"));
  EXPECT_EQ(plain.items().size(), 1u);  // the pattern's message did not reach the channel handler
  EXPECT_FALSE(plain.items().at(0).pattern.has_value());
}

TEST_F(RedisSubscriber, OffLeavesTheChannelWhenItsLastHandlerGoes) {
  inbox<notification> got;
  subscriber s(url_, quick_subscriber_options());
  const auto id = s.on(key("c"), got.sink());
  EXPECT_EQ(publish(key("c"), "one"), 1);
  ASSERT_TRUE(wait_payload(got, "one"));
  s.off(id);
  // off() has returned: the handler runs no more; UNSUBSCRIBE follows within the wake interval.
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  std::int64_t receivers = 1;
  while (receivers != 0 && std::chrono::steady_clock::now() < deadline) receivers = publish(key("c"), "probe");
  EXPECT_EQ(receivers, 0);
  EXPECT_EQ(got.items().size(), 1u);
}

TEST_F(RedisSubscriber, ClientKillIsFollowedByReconnectResubscribeAndAGapReport) {
  inbox<notification> plain, matched;
  inbox<delivery_gap> gaps;
  inbox<subscriber_error> errors;
  subscriber s(url_, quick_subscriber_options());
  s.on_reconnect(gaps.sink());
  s.on_error(errors.sink());
  s.on(key("news"), plain.sink());
  s.on_pattern(key("ev.*"), matched.sink());

  const std::int64_t killed =
      publisher_->command({"CLIENT", "KILL", "TYPE", "pubsub"}).integer;  // the tests take turns on the server
  ASSERT_GE(killed, 1);
  ASSERT_TRUE(gaps.wait_count(1, 5s)) << "no reconnect reported";
  const delivery_gap g = gaps.items().at(0);
  EXPECT_GE(g.attempts, 1u);
  EXPECT_FALSE(g.cause.empty());
  EXPECT_LT(g.duration, 5s);
  EXPECT_EQ(s.reconnects(), 1u);
  // Both subscriptions are back by the time on_reconnect runs.
  EXPECT_EQ(publish(key("news"), "after"), 1);
  EXPECT_EQ(publish(key("ev.b"), "after-p"), 1);
  ASSERT_TRUE(wait_payload(plain, "after"));
  ASSERT_TRUE(wait_payload(matched, "after-p"));
  EXPECT_TRUE(errors.items().empty()) << errors.items().at(0).message;
}

TEST_F(RedisSubscriber, GivesUpWithAFatalErrorWhenTheServerStaysAway) {
  auto proxy = start_proxy();
  const std::string via_proxy = via(*proxy);
  inbox<subscriber_error> errors;
  auto opts = quick_subscriber_options();
  opts.reconnect.max_attempts = 3;
  subscriber s(via_proxy, opts);
  s.on_error(errors.sink());
  s.on(key("c"), [](const notification&) {});
  proxy.reset();  // cuts the connection and refuses new ones
  ASSERT_TRUE(errors.wait_count(1, 5s));
  const subscriber_error e = errors.items().at(0);
  EXPECT_TRUE(e.fatal);
  EXPECT_EQ(e.from, subscriber_error::source::connection);
  EXPECT_FALSE(e.message.empty());
  EXPECT_THROW(std::rethrow_exception(e.exception), connection_error);
  // Bounded poll: the thread ends right after reporting.
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (s.running() && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_FALSE(s.running());
  EXPECT_FALSE(s.connected());
  EXPECT_THROW(s.on(key("d"), [](const notification&) {}), invalid_state_error);
}

TEST_F(RedisSubscriber, APoolLendsTheConnection) {
  pool p(url_, pool_options{.max = 2u});
  inbox<notification> got;
  {
    subscriber s(p, quick_subscriber_options());
    s.on(key("c"), got.sink());
    EXPECT_EQ(p.metrics().in_use, 1u);
    EXPECT_EQ(publish(key("c"), "via pool"), 1);
    ASSERT_TRUE(wait_payload(got, "via pool"));
  }
  EXPECT_EQ(p.metrics().in_use, 0u);
}

TEST_F(RedisSubscriber, StopWhileWaitingReturnsPromptlyAndIsIdempotent) {
  subscriber s(url_);  // the default wake interval (100 ms)
  s.on(key("c"), [](const notification&) {});
  const auto t0 = std::chrono::steady_clock::now();
  s.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_FALSE(s.running());
  s.stop();
  EXPECT_EQ(publish(key("c"), "nobody"), 0);  // its connection is closed
}

TEST_F(RedisSubscriber, AHandlerMayStopItsOwnSubscriber) {
  inbox<notification> got;
  subscriber s(url_, quick_subscriber_options());
  s.on(key("c"), [&](const notification& n) {
    got.push(n);
    s.stop();
  });
  EXPECT_EQ(publish(key("c"), "last"), 1);
  ASSERT_TRUE(wait_payload(got, "last"));
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (s.running() && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_FALSE(s.running());
}

TEST_F(RedisSubscriber, DestructionDuringTheReconnectBackoffReturnsPromptly) {
  auto proxy = start_proxy();
  const std::string via_proxy = via(*proxy);
  auto opts = quick_subscriber_options();
  opts.reconnect.initial = 30s;  // after the first failed attempt the thread sleeps long
  opts.reconnect.max = 30s;
  auto s = std::make_unique<subscriber>(via_proxy, opts);
  s->on(key("c"), [](const notification&) {});
  proxy.reset();
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (s->connected() && std::chrono::steady_clock::now() < deadline) {
  }
  ASSERT_FALSE(s->connected());
  const auto t0 = std::chrono::steady_clock::now();
  s.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(RedisSubscriber, HandlersMayAddAndRemoveHandlers) {
  inbox<notification> first, second;
  auto inner = connect(url_);  // the handler's own: the test thread may still be inside publish()
  subscriber s(url_, quick_subscriber_options());
  subscriber::handler_id self = 0;
  self = s.on(key("a"), [&](const notification& n) {
    first.push(n);
    s.off(self);                         // from its own thread: no waiting on itself
    s.on(key("b"), second.sink());       // subscribed before on() returns
    EXPECT_EQ(redis(inner).publish(key("b"), "from inside"), 1);
  });
  EXPECT_EQ(publish(key("a"), "go"), 1);
  ASSERT_TRUE(wait_payload(second, "from inside"));
  EXPECT_EQ(publish(key("a"), "ignored"), 0);  // a was left with its only handler
  EXPECT_EQ(first.items().size(), 1u);
}

TEST_F(RedisSubscriber, OptionsThatCouldSpinOrNeverBackOffAreRefused) {
  subscriber_options zero_wake;
  zero_wake.wake_interval = 0ms;
  EXPECT_THROW(subscriber(url_, zero_wake), invalid_argument_error);
  subscriber_options inverted;
  inverted.reconnect.initial = 2s;
  inverted.reconnect.max = 1s;
  EXPECT_THROW(subscriber(url_, inverted), invalid_argument_error);
  subscriber_options shrinking;
  shrinking.reconnect.multiplier = 0.5;
  EXPECT_THROW(subscriber(url_, shrinking), invalid_argument_error);
}
