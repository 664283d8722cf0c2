// SPDX-License-Identifier: Apache-2.0
// The client API of the "notify" capability.
#include "dbridge/notify.hpp"

#include <dbridge/abi.h>

#include <cstring>

#include "connection_impl.hpp"

namespace dbridge::inline v1 {

namespace {

detail::connection_impl& notify_impl(connection& conn) {
  detail::connection_impl& c = detail::impl_of(conn);
  c.require(DBR_CAP_NOTIFY, reinterpret_cast<const void*>(c.rec->notify.listen), "notify");
  return c;
}

using listen_fn = int32_t (*)(dbr_conn*, const char*, uint64_t, uint32_t, dbr_error*);

void subscription(connection& conn, listen_fn dbr_notify_vtable::*slot, std::string_view name, std::uint32_t flags,
                  std::string_view what) {
  detail::connection_impl& c = notify_impl(conn);
  listen_fn fn = c.rec->notify.*slot;
  if (fn == nullptr) c.unsupported("notify");
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  // Marked before the call: a failed SUBSCRIBE may still have reached the server.
  if (slot == &dbr_notify_vtable::listen) c.subscribed = true;
  const int32_t rc = fn(c.conn, name.data(), name.size(), flags, err);
  if (rc < 0) c.fail(rc, err, std::string(what) + " " + std::string(name));
}

}  // namespace

void listen(connection& conn, std::string_view channel) {
  if (channel.empty()) throw_error(errc::invalid_argument, "listen() needs a channel name");
  subscription(conn, &dbr_notify_vtable::listen, channel, 0, "listen");
}

void listen_pattern(connection& conn, std::string_view pattern) {
  if (pattern.empty()) throw_error(errc::invalid_argument, "listen_pattern() needs a pattern");
  subscription(conn, &dbr_notify_vtable::listen, pattern, DBR_LISTEN_PATTERN, "listen_pattern");
}

void unlisten(connection& conn, std::string_view channel) {
  subscription(conn, &dbr_notify_vtable::unlisten, channel, 0, "unlisten");
}

void unlisten_pattern(connection& conn, std::string_view pattern) {
  subscription(conn, &dbr_notify_vtable::unlisten, pattern, DBR_LISTEN_PATTERN, "unlisten_pattern");
}

void notify(connection& conn, std::string_view channel, std::string_view payload) {
  if (channel.empty()) throw_error(errc::invalid_argument, "notify() needs a channel name");
  detail::connection_impl& c = notify_impl(conn);
  if (c.rec->notify.notify == nullptr) c.unsupported("notify");
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  const int32_t rc = c.rec->notify.notify(c.conn, channel.data(), channel.size(), payload.data(), payload.size(), err);
  if (rc < 0) c.fail(rc, err, "notify " + std::string(channel));
}

std::optional<notification> wait_notification(connection& conn, std::chrono::milliseconds timeout) {
  detail::connection_impl& c = notify_impl(conn);
  if (c.rec->notify.wait == nullptr) c.unsupported("notify");
  detail::call_guard g(c);
  detail::abi_error err;
  dbr_notification n;
  std::memset(&n, 0, sizeof n);
  n.struct_size = sizeof n;
  const std::int64_t ms = timeout.count() < 0 ? -1 : static_cast<std::int64_t>(timeout.count());
  const int32_t rc = c.rec->notify.wait(c.conn, ms, &n, err);
  if (rc < 0) c.fail(rc, err, "wait_notification");
  if (rc == DBR_EMPTY) return std::nullopt;
  c.slot->touch();
  notification out;
  if (n.channel != nullptr) out.channel.assign(n.channel, n.channel_len);
  if (n.payload != nullptr) out.payload.assign(n.payload, n.payload_len);
  if (n.pattern != nullptr) out.pattern.emplace(n.pattern, n.pattern_len);
  out.sender_pid = n.sender_pid;
  return out;
}

listener::~listener() {
  // Best effort: a broken or closed connection has nothing left to leave.
  if (conn_ == nullptr || !conn_->is_open()) return;
  try {
    if (channels_) dbridge::unlisten(*conn_);
  } catch (...) {
  }
  try {
    if (patterns_) dbridge::unlisten_pattern(*conn_);
  } catch (...) {
  }
}

listener& listener::listen(std::string_view channel) {
  dbridge::listen(*conn_, channel);
  channels_ = true;
  return *this;
}

listener& listener::listen_pattern(std::string_view pattern) {
  dbridge::listen_pattern(*conn_, pattern);
  patterns_ = true;
  return *this;
}

listener& listener::unlisten(std::string_view channel) {
  dbridge::unlisten(*conn_, channel);
  if (channel.empty()) channels_ = false;
  return *this;
}

listener& listener::unlisten_pattern(std::string_view pattern) {
  dbridge::unlisten_pattern(*conn_, pattern);
  if (pattern.empty()) patterns_ = false;
  return *this;
}

std::optional<notification> listener::wait(std::chrono::milliseconds timeout) {
  return wait_notification(*conn_, timeout);
}

}  // namespace dbridge
