// SPDX-License-Identifier: Apache-2.0
// Pub/sub (capability "notify"): SUBSCRIBE / PSUBSCRIBE and their
// confirmations, PUBLISH, and waiting for messages.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "redis_plugin.hpp"

namespace dbridge_redis {

bool redis_connection::to_notification(reply_ptr r, dbr_notification& out) {
  const redisReply* m = r.get();
  const bool pattern = str_of(m->element[0]) == "pmessage";
  const redisReply* pat = pattern ? m->element[1] : nullptr;
  const redisReply* ch = m->element[pattern ? 2 : 1];
  const redisReply* payload = m->element[pattern ? 3 : 2];
  out.channel = ch->str;
  out.channel_len = ch->len;
  out.payload = payload->str != nullptr ? payload->str : "";
  out.payload_len = payload->str != nullptr ? payload->len : 0;
  if (pat != nullptr) {
    out.pattern = pat->str;
    out.pattern_len = pat->len;
  }
  out.sender_pid = 0;
  last_ = std::move(r);
  return true;
}

void redis_connection::apply_confirmation(const redisReply* r) {
  const std::string_view kind = str_of(r->element[0]);
  const bool pattern = kind[0] == 'p';
  auto& names = pattern ? patterns_ : channels_;
  const std::string name(str_of(r->element[1]));
  if (kind == "subscribe" || kind == "psubscribe")
    names.insert(name);
  else if (r->element[1]->type != REDIS_REPLY_NIL)
    names.erase(name);
  if (r->element[2]->type == REDIS_REPLY_INTEGER) subscriptions_ = r->element[2]->integer;
}

void redis_connection::subscribe_change(const char* verb, std::string_view channel, bool pattern) {
  const bool all = channel.empty();
  const std::string_view v = verb;
  const std::string lower = [&] {
    std::string s(v);
    for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return s;
  }();
  auto& names = pattern ? patterns_ : channels_;
  // How many confirmations the server sends: one per name, or one (with a
  // nil name) when leaving all of none.
  std::size_t expected = all ? std::max<std::size_t>(names.size(), 1) : 1;
  const char* argv[] = {verb, channel.data()};
  const std::size_t lens[] = {v.size(), channel.size()};
  if (redisAppendCommandArgv(ctx_, all ? 1 : 2, argv, lens) != REDIS_OK) fail_io(v);
  while (expected > 0) {
    reply_ptr r = read_reply(v);
    if (is_message(r.get())) {
      pending_.push_back(std::move(r));
      continue;
    }
    if (r->type == REDIS_REPLY_ERROR) throw backend_error(str_of(r.get()), std::string(v) + ": ");
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING) {
      broken_ = true;
      throw sdk::error(DBR_CAT_CONNECTION, std::string(v) + ": unexpected reply; the connection is closed")
          .connection_broken();
    }
    apply_confirmation(r.get());
    if (str_of(r->element[0]) == lower) --expected;
  }
}

void redis_connection::listen(std::string_view channel, std::uint32_t flags) {
  if (broken_ || batch_open_ || in_multi_) {
    check_usable("listen");
    throw sdk::error(DBR_CAT_INVALID_STATE, "listen inside a transaction (MULTI) is not possible");
  }
  if (channel.empty()) throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "listen needs a channel name");
  const bool pattern = (flags & DBR_LISTEN_PATTERN) != 0;
  subscribe_change(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", channel, pattern);
}

void redis_connection::unlisten(std::string_view channel, std::uint32_t flags) {
  if (broken_ || batch_open_) check_usable("unlisten");
  const bool pattern = (flags & DBR_LISTEN_PATTERN) != 0;
  // Not subscribed at all: nothing to leave, and outside pub/sub mode the
  // server would answer with an ordinary reply.
  if (subscriptions_ == 0) return;
  subscribe_change(pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", channel, pattern);
}

void redis_connection::notify_channel(std::string_view channel, std::string_view payload) {
  check_usable("publish");
  const char* argv[] = {"PUBLISH", channel.data(), payload.data()};
  const std::size_t lens[] = {7, channel.size(), payload.size()};
  reply_ptr r = round_trip(3, argv, lens, "PUBLISH");
  if (r->type == REDIS_REPLY_ERROR) throw backend_error(str_of(r.get()), "PUBLISH: ");
}

bool redis_connection::wait(std::int64_t timeout_ms, dbr_notification& out) {
  if (!pending_.empty()) {
    reply_ptr r = std::move(pending_.front());
    pending_.pop_front();
    return to_notification(std::move(r), out);
  }
  if (broken_ || batch_open_) check_usable("wait");
  if (subscriptions_ == 0)
    throw sdk::error(DBR_CAT_INVALID_STATE, "wait: this connection listens to nothing; call listen first");
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  running_scope rs(*this);
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) fail_io("wait");
    if (raw != nullptr) {
      reply_ptr r(static_cast<redisReply*>(raw));
      if (is_message(r.get())) return to_notification(std::move(r), out);
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_STRING)
        apply_confirmation(r.get());
      continue;
    }
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0 && timeout_ms > 0) return false;
      wait_ms = static_cast<int>(std::min<std::int64_t>(std::max<std::int64_t>(left, 0), 1 << 30));
    }
    pollfd p{};
    p.fd = ctx_->fd;
    p.events = POLLIN;
    const int rc = ::poll(&p, 1, wait_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      broken_ = true;
      throw sdk::error(DBR_CAT_CONNECTION, std::string("wait: poll failed: ") + std::strerror(errno))
          .retry(DBR_RETRY_NEW_CONN)
          .connection_broken();
    }
    if (rc == 0) return false;
    if (redisBufferRead(ctx_) != REDIS_OK) fail_io("wait");
  }
}

}  // namespace dbridge_redis
