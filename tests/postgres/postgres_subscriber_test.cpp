// SPDX-License-Identifier: Apache-2.0
// dbridge::subscriber on PostgreSQL LISTEN/NOTIFY: delivery to callbacks, a
// terminated backend followed by reconnect and re-LISTEN, the gap report,
// handler failures, and a prompt stop.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/notify.hpp"
#include "dbridge/subscriber.hpp"
#include "subscriber_support.hpp"
#include "test_server.hpp"

using namespace dbridge;
using namespace std::chrono_literals;
using dbridge::test::inbox;
using dbridge::test::quick_subscriber_options;
using dbridge::test::wait_payload;

namespace {

class Subscriber : public ::testing::Test {
 protected:
  void SetUp() override {
    DBRIDGE_REQUIRE_SERVER_ENV("DBRIDGE_TEST_POSTGRES_URL");
    url_ = dbridge::test::env_or_empty("DBRIDGE_TEST_POSTGRES_URL");
    // The subscriber's sessions carry a name of their own so the test can find them.
    app_ = "dbr_sub_" + std::to_string(::getpid());
    named_url_ = url_ + (url_.find('?') == std::string::npos ? "?" : "&") + "application_name=" + app_;
    channel_ = "dbr sub " + std::to_string(::getpid());  // needs quoting
    sender_.emplace(connect(url_));
  }

  /// Terminates every session of the subscriber; returns how many.
  std::int64_t kill_subscriber_sessions() {
    return sender_
        ->query_one("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                    {app_})
        .get<std::int64_t>(0);
  }

  std::string url_, named_url_, app_, channel_;
  std::optional<connection> sender_;
};

}  // namespace

TEST_F(Subscriber, DeliversToEveryHandlerUntilRemoved) {
  inbox<notification> a, b;
  subscriber s(url_, quick_subscriber_options());
  const auto ida = s.on(channel_, a.sink());
  s.on(channel_, b.sink());
  // on() returned after LISTEN: a NOTIFY sent now is delivered.
  notify(*sender_, channel_, "first");
  ASSERT_TRUE(wait_payload(a, "first"));
  ASSERT_TRUE(wait_payload(b, "first"));
  EXPECT_EQ(a.items().at(0).channel, channel_);
  EXPECT_NE(a.items().at(0).sender_pid, 0);

  s.off(ida);
  notify(*sender_, channel_, "second");
  ASSERT_TRUE(wait_payload(b, "second"));  // same connection, same order: a had its chance
  EXPECT_EQ(a.items().size(), 1u);
  EXPECT_TRUE(s.connected());
  EXPECT_EQ(s.reconnects(), 0u);
}

TEST_F(Subscriber, ReconnectsAfterTheBackendIsTerminatedAndReportsTheGap) {
  inbox<notification> got;
  inbox<delivery_gap> gaps;
  inbox<std::string> errors;
  subscriber s(named_url_, quick_subscriber_options());
  s.on_reconnect(gaps.sink());
  s.on_error([&](const subscriber_error& e) { errors.push(e.message); });
  s.on(channel_, got.sink());
  notify(*sender_, channel_, "before");
  ASSERT_TRUE(wait_payload(got, "before"));

  ASSERT_EQ(kill_subscriber_sessions(), 1);
  ASSERT_TRUE(gaps.wait_count(1, 5s)) << "no reconnect reported";
  const delivery_gap g = gaps.items().at(0);
  EXPECT_GE(g.attempts, 1u);
  EXPECT_FALSE(g.cause.empty());
  EXPECT_GE(g.duration.count(), 0);
  EXPECT_LT(g.duration, 5s);
  EXPECT_LE(g.lost_at, std::chrono::system_clock::now());
  EXPECT_EQ(s.reconnects(), 1u);
  EXPECT_TRUE(s.connected());
  // on_reconnect runs once the channel is listened to again.
  notify(*sender_, channel_, "after");
  ASSERT_TRUE(wait_payload(got, "after"));
  // A new session, under the same name, is listening.
  EXPECT_EQ(sender_
                ->query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {app_})
                .get<std::int64_t>(0),
            1);
  EXPECT_TRUE(errors.items().empty()) << errors.items().at(0);
}

TEST_F(Subscriber, AHandlerThatThrowsIsReportedAndDeliveryGoesOn) {
  inbox<notification> got;
  inbox<subscriber_error> errors;
  subscriber s(url_, quick_subscriber_options());
  s.on_error(errors.sink());
  s.on(channel_, [&](const notification& n) {
    if (n.payload == "boom") throw std::runtime_error("handler failed on purpose");
    got.push(n);
  });
  notify(*sender_, channel_, "boom");
  notify(*sender_, channel_, "fine");
  ASSERT_TRUE(wait_payload(got, "fine"));
  ASSERT_TRUE(errors.wait_count(1));
  const subscriber_error e = errors.items().at(0);
  EXPECT_EQ(e.from, subscriber_error::source::handler);
  EXPECT_EQ(e.name, channel_);
  EXPECT_EQ(e.message, "handler failed on purpose");
  EXPECT_FALSE(e.fatal);
  EXPECT_TRUE(s.running());
}

TEST_F(Subscriber, PatternsAreRefusedAtOnPattern) {
  subscriber s(url_, quick_subscriber_options());
  EXPECT_THROW(s.on_pattern("dbr*", [](const notification&) {}), unsupported_error);
  EXPECT_TRUE(s.running());
  // The refusal left nothing behind: a plain channel still works.
  inbox<notification> got;
  s.on(channel_, got.sink());
  notify(*sender_, channel_, "x");
  EXPECT_TRUE(wait_payload(got, "x"));
}

TEST_F(Subscriber, DestructionWhileWaitingReturnsPromptly) {
  auto s = std::make_unique<subscriber>(named_url_);  // the default wake interval (100 ms)
  s->on(channel_, [](const notification&) {});
  const auto t0 = std::chrono::steady_clock::now();
  s.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  // Its session ends (the server notices the closed socket on its own time: poll, bounded).
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  std::int64_t left = 1;
  while (left > 0 && std::chrono::steady_clock::now() < deadline)
    left = sender_->query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {app_})
               .get<std::int64_t>(0);
  EXPECT_EQ(left, 0);
}
