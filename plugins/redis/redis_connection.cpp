// SPDX-License-Identifier: Apache-2.0
// One Redis connection: commands, MULTI/EXEC, pub/sub, pipelines,
// keyspace introspection and cancel.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <set>
#include <string>

#include "redis_plugin.hpp"

namespace dbridge_redis {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view str_of(const redisReply* r) noexcept {
  return r != nullptr && r->str != nullptr ? std::string_view(r->str, r->len) : std::string_view();
}

/// A pub/sub push: ["message", ch, payload] or ["pmessage", pattern, ch, payload].
bool is_message(const redisReply* r) noexcept {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING) return false;
  const std::string_view kind = str_of(r->element[0]);
  return (kind == "message" && r->elements == 3) || (kind == "pmessage" && r->elements == 4);
}

/// How long a blocking command may legitimately wait for its reply, in
/// seconds (0: without limit), or -1 for a command that does not block. A
/// read timeout must not cut such a wait short: the caller asked for it.
double blocking_wait_s(const sdk::argv_view& args) {
  const std::string_view name = args[0];
  auto seconds = [](std::string_view t, double scale) -> double {
    const std::string s(t);
    char* end = nullptr;
    const double v = s.empty() ? -1 : std::strtod(s.c_str(), &end);
    // A malformed timeout is refused by the server at once: nothing waits.
    if (s.empty() || end != s.c_str() + s.size() || !(v >= 0)) return -1;
    return v * scale;
  };
  const std::uint32_t n = args.size();
  for (std::string_view last_arg_seconds : {"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX"})
    if (iequals(name, last_arg_seconds)) return n >= 3 ? seconds(args[n - 1], 1) : -1;
  if (iequals(name, "BLMPOP") || iequals(name, "BZMPOP")) return n >= 2 ? seconds(args[1], 1) : -1;
  if (iequals(name, "WAIT") || iequals(name, "WAITAOF")) return n >= 3 ? seconds(args[n - 1], 0.001) : -1;
  if (iequals(name, "XREAD") || iequals(name, "XREADGROUP")) {
    for (std::uint32_t i = 1; i + 1 < n; ++i) {
      if (iequals(args[i], "STREAMS")) break;
      if (iequals(args[i], "BLOCK")) return seconds(args[i + 1], 0.001);
    }
  }
  return -1;
}

}  // namespace

/// Marks a call in progress so cancel() on another thread knows what to interrupt.
struct redis_connection::running_scope {
  explicit running_scope(redis_connection& c) : c_(c) {
    std::lock_guard lock(c_.cancel_mutex_);
    c_.cancelled_.store(false, std::memory_order_relaxed);
    c_.running_.store(true, std::memory_order_relaxed);
  }
  ~running_scope() {
    std::lock_guard lock(c_.cancel_mutex_);
    c_.running_.store(false, std::memory_order_relaxed);
  }
  redis_connection& c_;
};

redis_connection::redis_connection(settings s, redisContext* ctx, std::int64_t client_id) noexcept
    : settings_(std::move(s)), ctx_(ctx), client_id_(client_id) {}

redis_connection::~redis_connection() {
  last_.reset();
  pending_.clear();
  if (ctx_ != nullptr) redisFree(ctx_);
  // Not kept longer than the connection.
  std::fill(settings_.password.begin(), settings_.password.end(), '\0');
}

void redis_connection::fail_io(std::string_view what, std::uint8_t if_lost) {
  broken_ = true;
  raise_context_error(ctx_, what, cancelled_.load(std::memory_order_relaxed), if_lost);
}

void redis_connection::check_alive(std::string_view what) {
  // Outside pub/sub (checked by the caller) nothing arrives unasked: a
  // readable socket between commands is the server closing the connection
  // (restart, CLIENT KILL, idle timeout). Found now, before sending, the
  // command can be retried on a new connection; after sending, a lost write
  // would have an unknown outcome. One poll() without waiting.
  if (ctx_->fd < 0) fail_io(what);
  pollfd p{};
  p.fd = ctx_->fd;
  p.events = POLLIN;
  if (::poll(&p, 1, 0) <= 0) return;
  if (redisBufferRead(ctx_) != REDIS_OK) fail_io(what);
}

void redis_connection::check_usable(std::string_view what) const {
  if (broken_)
    throw sdk::error(DBR_CAT_CONNECTION, std::string(what) +
                                             ": the connection was lost earlier; open a new connection")
        .native(0, domain)
        .retry(DBR_RETRY_NEW_CONN)
        .connection_broken();
  if (batch_open_)
    throw sdk::error(DBR_CAT_INVALID_STATE, std::string(what) +
                                                ": a pipeline (batch) is open on this connection; read its results "
                                                "and end it first");
  if (subscriptions_ > 0)
    throw sdk::error(DBR_CAT_INVALID_STATE,
                     std::string(what) + ": this connection is subscribed to " +
                         std::to_string(subscriptions_) +
                         " channel(s)/pattern(s) and may only listen, unlisten and wait; run commands and publish "
                         "on another connection");
}

reply_ptr redis_connection::round_trip(int argc, const char** argv, const std::size_t* lens, std::string_view what) {
  running_scope rs(*this);
  check_alive(what);
  // Written and read in two steps (redisCommandArgv does both) so a failure
  // says whether the command can have reached the server: a command cut
  // while being written is incomplete, and Redis runs only complete ones.
  if (redisAppendCommandArgv(ctx_, argc, argv, lens) != REDIS_OK) fail_io(what);
  for (int done = 0; done == 0;)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) fail_io(what);
  void* r = nullptr;
  if (redisGetReply(ctx_, &r) != REDIS_OK || r == nullptr)
    fail_io(what, argc > 0 && read_only_command(std::string_view(argv[0], lens[0])) ? DBR_RETRY_NEW_CONN
                                                                                     : DBR_RETRY_UNKNOWN_OUTCOME);
  return reply_ptr(static_cast<redisReply*>(r));
}

reply_ptr redis_connection::round_trip(std::initializer_list<std::string_view> args, std::string_view what) {
  const char* argv[8];
  std::size_t lens[8];
  int n = 0;
  for (std::string_view a : args) {
    argv[n] = a.data();
    lens[n] = a.size();
    if (++n == 8) break;
  }
  return round_trip(n, argv, lens, what);
}

reply_ptr redis_connection::read_reply(std::string_view what) {
  void* r = nullptr;
  // A reply already in the input buffer (most of a pipeline's) is parsed
  // without I/O, so it needs no cancel window and its two lock round trips.
  if (redisGetReplyFromReader(ctx_, &r) != REDIS_OK) fail_io(what);
  if (r == nullptr) {
    running_scope rs(*this);
    if (redisGetReply(ctx_, &r) != REDIS_OK || r == nullptr) fail_io(what);
  }
  return reply_ptr(static_cast<redisReply*>(r));
}

// ------------------------------------------------------------ basics

void redis_connection::ping() {
  if (subscriptions_ > 0 && !broken_ && !batch_open_) {
    // In pub/sub mode PING answers ["pong", ""], possibly behind messages.
    const char* argv[] = {"PING"};
    const std::size_t lens[] = {4};
    if (redisAppendCommandArgv(ctx_, 1, argv, lens) != REDIS_OK) fail_io("ping");
    for (;;) {
      reply_ptr r = read_reply("ping");
      if (is_message(r.get())) {
        pending_.push_back(std::move(r));
        continue;
      }
      if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && iequals(str_of(r->element[0]), "pong")) return;
      throw sdk::error(DBR_CAT_CONNECTION, "ping: unexpected reply in pub/sub mode").connection_broken();
    }
  }
  check_usable("ping");
  reply_ptr r = round_trip({"PING"}, "ping");
  if (r->type == REDIS_REPLY_ERROR) throw backend_error(str_of(r.get()), "ping: ");
}

void redis_connection::set_option(const char* key, const dbr_value& value) {
  const std::string_view k = key;
  if (k == "timeout_ms" || k == "statement_timeout_ms") {
    if (value.type != DBR_TYPE_INT64 || value.u.i64 < 0)
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, std::string(k) + " must be a non-negative INT64 of ms");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(value.u.i64 / 1000);
    tv.tv_usec = static_cast<suseconds_t>((value.u.i64 % 1000) * 1000);
    if (redisSetTimeout(ctx_, tv) != REDIS_OK) fail_io("setting the timeout");
    settings_.timeout_s = static_cast<double>(value.u.i64) / 1000.0;
    return;
  }
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                   "unknown connection option '" + std::string(k) + "'; the redis driver takes timeout_ms");
}

dbr_value redis_connection::get_info(const char* key) {
  const std::string_view k = key;
  if (k == "database") {
    info_text_ = std::to_string(settings_.db);
    return sdk::make_text(info_text_);
  }
  if (k == "backend_pid") return sdk::make_int64(client_id_);
  if (k == "server_version") {
    check_usable("server_version");
    reply_ptr r = round_trip({"INFO", "server"}, "INFO server");
    if (r->type != REDIS_REPLY_STRING) throw backend_error(str_of(r.get()), "INFO server: ");
    const std::string_view text = str_of(r.get());
    const std::size_t at = text.find("redis_version:");
    if (at == std::string_view::npos) throw sdk::error(DBR_CAT_BACKEND, "INFO server has no redis_version");
    const std::size_t start = at + 14;
    const std::size_t end = text.find_first_of("\r\n", start);
    info_text_ = std::string(text.substr(start, end - start));
    return sdk::make_text(info_text_);
  }
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "unknown connection info key '" + std::string(k) +
                                                 "'; known: server_version, database, backend_pid");
}

// ------------------------------------------------------------ command

const dbr_reply* redis_connection::execute_command(const sdk::argv_view& args) {
  check_usable("command");
  if (args.empty()) throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "command needs at least the command name");
  const std::string_view name = args[0];
  // These switch the connection into a streaming mode whose pushes would be
  // read as the replies of later commands.
  for (std::string_view streaming : {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "UNSUBSCRIBE",
                                     "PUNSUBSCRIBE", "SUNSUBSCRIBE"}) {
    if (iequals(name, streaming))
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, std::string(streaming) +
                                                     " cannot run through command(); use the notify API "
                                                     "(dbridge::listen / listen_pattern / wait_notification)");
  }
  argp_.resize(args.size());
  argl_.resize(args.size());
  for (std::uint32_t i = 0; i < args.size(); ++i) {
    argp_[i] = args[i].data();
    argl_[i] = args[i].size();
  }
  last_.reset();
  // A blocking command waits as long as it asked to, plus the read timeout
  // for the reply itself to arrive; the read timeout comes back after.
  const double blocks = settings_.timeout_s > 0 ? blocking_wait_s(args) : -1;
  if (blocks >= 0 && redisSetTimeout(ctx_, to_timeval(blocks == 0 ? 0 : blocks + settings_.timeout_s)) != REDIS_OK)
    fail_io("setting the timeout");
  reply_ptr r = round_trip(static_cast<int>(args.size()), argp_.data(), argl_.data(), name);
  if (blocks >= 0 && redisSetTimeout(ctx_, to_timeval(settings_.timeout_s)) != REDIS_OK) fail_io("setting the timeout");
  if (r->type == REDIS_REPLY_ERROR && cancelled_.load(std::memory_order_relaxed) &&
      str_of(r.get()).substr(0, 9) == "UNBLOCKED")
    throw sdk::error(DBR_CAT_CANCELLED, std::string(name) + " was cancelled (CLIENT UNBLOCK)")
        .native(0, domain);
  // Refused for now and not run: an error the caller can retry, not a reply.
  if (r->type == REDIS_REPLY_ERROR && transient_error(str_of(r.get())))
    throw backend_error(str_of(r.get()), std::string(name) + ": ");
  // MULTI/EXEC/DISCARD sent by hand keep in_transaction() truthful.
  if (r->type != REDIS_REPLY_ERROR && iequals(name, "MULTI")) in_multi_ = true;
  if (iequals(name, "EXEC") || iequals(name, "DISCARD")) in_multi_ = false;
  last_ = std::move(r);
  return view_.build(last_.get(), changes_session(args));
}

// Commands that change what the connection is for its next user: the
// database, the login, the protocol, watched keys, tracking, read-only
// routing, the client's name or reply mode. CLIENT's read-only subcommands
// are the exception; anything else under CLIENT counts.
bool redis_connection::changes_session(const sdk::argv_view& args) noexcept {
  static constexpr std::string_view commands[] = {"SELECT", "CLIENT", "AUTH", "HELLO", "WATCH", "READONLY",
                                                  "READWRITE", "ASKING", "RESET", "MULTI"};
  if (!sdk::command_changes_session(args[0], commands)) return false;
  if (iequals(args[0], "CLIENT") && args.size() >= 2)
    for (std::string_view read_only : {"ID", "INFO", "LIST", "GETNAME", "GETREDIR", "TRACKINGINFO"})
      if (iequals(args[1], read_only)) return false;
  return true;
}

// RESET undoes SELECT, CLIENT SETNAME, TRACKING, REPLY, READONLY, WATCH,
// MULTI and HELLO 3 in one command (Redis 6.2+), but it also logs the
// connection out and selects database 0: the URL's login and database go back
// on in the same write. (The URL has no client name to re-apply.)
std::uint32_t redis_connection::reset_session() {
  check_usable("session reset");
  const char* reset_argv[] = {"RESET"};
  const std::size_t reset_lens[] = {5};
  redisAppendCommandArgv(ctx_, 1, reset_argv, reset_lens);
  const int n = 1 + append_login(ctx_, settings_);
  std::string failure;
  for (int i = 0; i < n; ++i) {
    reply_ptr r = read_reply("session reset");
    if (r->type == REDIS_REPLY_ERROR && failure.empty()) failure = std::string(str_of(r.get()));
  }
  in_multi_ = false;
  if (!failure.empty()) {
    // Half reset (logged out, or on database 0): never hand it on.
    broken_ = true;
    throw sdk::error(DBR_CAT_BACKEND, "session reset (RESET, AUTH, SELECT) failed: " + failure)
        .native(0, domain)
        .connection_broken();
  }
  return 0;
}

// ------------------------------------------------------------ transactions

void redis_connection::begin(const dbr_txn_options& opts) {
  check_usable("begin");
  if (in_multi_) throw sdk::error(DBR_CAT_INVALID_STATE, "a transaction (MULTI) is already open");
  if (opts.read_only != 0)
    throw sdk::error(DBR_CAT_UNSUPPORTED, "MULTI/EXEC transactions cannot be read-only");
  if (opts.isolation != DBR_ISOLATION_DEFAULT && opts.isolation != DBR_ISOLATION_SERIALIZABLE)
    throw sdk::error(DBR_CAT_UNSUPPORTED,
                     "MULTI/EXEC runs its commands one after the other with nothing in between "
                     "(serializable); other isolation levels do not exist");
  reply_ptr r = round_trip({"MULTI"}, "MULTI");
  if (r->type == REDIS_REPLY_ERROR) throw backend_error(str_of(r.get()), "MULTI: ");
  in_multi_ = true;
}

void redis_connection::commit() {
  check_usable("commit");
  if (!in_multi_) throw sdk::error(DBR_CAT_INVALID_STATE, "commit without a transaction (MULTI)");
  // Whatever happens next, the MULTI is over. Lost once sent, EXEC may have
  // run (round_trip's rule); lost before, the server discarded the queue.
  in_multi_ = false;
  reply_ptr r = round_trip({"EXEC"}, "EXEC");
  if (r->type == REDIS_REPLY_NIL)
    throw sdk::error(DBR_CAT_TXN_CONFLICT,
                     "EXEC was refused because a WATCHed key changed; nothing was applied, run the "
                     "transaction again")
        .subcategory(DBR_SUB_SERIALIZATION_FAILURE)
        .retry(DBR_RETRY_SAME_CONN)
        .native(0, domain);
  if (r->type == REDIS_REPLY_ERROR) throw backend_error(str_of(r.get()), "EXEC: ");
  if (r->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (e->type == REDIS_REPLY_ERROR)
        throw backend_error(str_of(e), "EXEC ran, but queued command #" + std::to_string(i + 1) +
                                           " failed (the others were applied; Redis has no rollback): ");
    }
  }
}

void redis_connection::rollback() {
  if (broken_) {
    // The server dropped the MULTI state with the connection.
    in_multi_ = false;
    return;
  }
  check_usable("rollback");
  if (!in_multi_) return;
  reply_ptr r = round_trip({"DISCARD"}, "DISCARD");
  in_multi_ = false;
  if (r->type == REDIS_REPLY_ERROR) throw backend_error(str_of(r.get()), "DISCARD: ");
}

namespace {
[[noreturn]] void no_savepoints() {
  throw sdk::error(DBR_CAT_UNSUPPORTED,
                   "MULTI/EXEC transactions do not nest and have no savepoints; commit or roll back the "
                   "outer transaction first");
}
}  // namespace

void redis_connection::savepoint(const char*) { no_savepoints(); }
void redis_connection::release_savepoint(const char*) { no_savepoints(); }
void redis_connection::rollback_to_savepoint(const char*) { no_savepoints(); }

// ------------------------------------------------------------ notify

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

// ------------------------------------------------------------ batch

void redis_connection::batch_begin() {
  check_usable("batch");
  batch_open_ = true;
  batch_unsent_ = batch_unread_ = 0;
  batch_index_ = 0;
}

void redis_connection::batch_add_sql(std::string_view, std::span<const dbr_value>) {
  throw sdk::error(DBR_CAT_UNSUPPORTED, "redis has no SQL: queue commands with add_command");
}

void redis_connection::batch_add_command(const sdk::argv_view& args) {
  if (!batch_open_) throw sdk::error(DBR_CAT_INVALID_STATE, "add_command outside a batch");
  if (args.empty()) throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "a batch command needs at least its name");
  argp_.resize(args.size());
  argl_.resize(args.size());
  for (std::uint32_t i = 0; i < args.size(); ++i) {
    argp_[i] = args[i].data();
    argl_[i] = args[i].size();
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argp_.data(), argl_.data()) != REDIS_OK)
    fail_io("queueing a batch command");
  ++batch_unsent_;
}

void redis_connection::batch_send() {
  if (!batch_open_) throw sdk::error(DBR_CAT_INVALID_STATE, "send outside a batch");
  running_scope rs(*this);
  int done = 0;
  while (done == 0)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) fail_io("sending a batch");
  batch_unread_ += batch_unsent_;
  batch_unsent_ = 0;
}

bool redis_connection::batch_next(dbr_batch_item& item, dbr_error* item_err) {
  if (!batch_open_) throw sdk::error(DBR_CAT_INVALID_STATE, "next outside a batch");
  if (batch_unread_ == 0) return false;
  last_.reset();
  reply_ptr r = read_reply("reading a batch reply");
  --batch_unread_;
  item.index = batch_index_++;
  item.status = DBR_OK;
  if (r->type == REDIS_REPLY_ERROR) item.status = backend_error(str_of(r.get())).fill(sdk::host(), item_err);
  last_ = std::move(r);
  item.reply = view_.build(last_.get());
  return true;
}

void redis_connection::batch_end() {
  if (!batch_open_) return;
  // Queued commands never sent are dropped; replies on their way are drained
  // so the next command reads its own reply.
  if (batch_unsent_ > 0 && ctx_->obuf != nullptr) {
    // sds.h declares its functions without C linkage in C++; the inline
    // setter needs no symbol.
    sdssetlen(ctx_->obuf, 0);
    ctx_->obuf[0] = '\0';
  }
  batch_unsent_ = 0;
  batch_open_ = false;
  while (batch_unread_ > 0 && !broken_) {
    reply_ptr r = read_reply("draining a batch");
    --batch_unread_;
  }
  batch_unread_ = 0;
}

// ------------------------------------------------------------ introspect

std::unique_ptr<sdk::cursor> redis_connection::list(std::uint32_t what, const char*, const char*) {
  if (what != DBR_META_DATABASES && what != DBR_META_KEYSPACE)
    throw sdk::error(DBR_CAT_UNSUPPORTED,
                     "redis has no schemas, tables or columns; list databases or the keyspace (keys per database), "
                     "or iterate keys with SCAN");
  check_usable("introspect");
  reply_ptr r = round_trip({"INFO", "keyspace"}, "INFO keyspace");
  if (r->type != REDIS_REPLY_STRING) throw backend_error(str_of(r.get()), "INFO keyspace: ");
  auto cur = std::make_unique<sdk::table_cursor>();
  cur->add_column("name", DBR_TYPE_TEXT, "db", DBR_NULLABLE_NO);
  if (what == DBR_META_DATABASES) {
    cur->add_column("size_bytes", DBR_TYPE_INT64, "integer", DBR_NULLABLE_YES);
  } else {
    cur->add_column("keys", DBR_TYPE_INT64, "integer", DBR_NULLABLE_NO);
    cur->add_column("expires", DBR_TYPE_INT64, "integer", DBR_NULLABLE_NO);
    cur->add_column("avg_ttl_ms", DBR_TYPE_INT64, "integer", DBR_NULLABLE_NO);
  }
  // Lines look like "db0:keys=12,expires=0,avg_ttl=0". The selected
  // database is listed even while empty (INFO omits empty ones).
  const std::string current = "db" + std::to_string(settings_.db);
  bool saw_current = false;
  const std::string_view text = str_of(r.get());
  std::size_t pos = 0;
  auto field = [](std::string_view line, std::string_view key) -> std::int64_t {
    const std::size_t at = line.find(key);
    if (at == std::string_view::npos) return 0;
    return std::strtoll(std::string(line.substr(at + key.size())).c_str(), nullptr, 10);
  };
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 2) != "db") continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    if (name == current) saw_current = true;
    if (what == DBR_META_DATABASES)
      cur->add_row({cur->text(name), sdk::make_null()});
    else
      cur->add_row({cur->text(name), sdk::make_int64(field(line, "keys=")), sdk::make_int64(field(line, "expires=")),
                    sdk::make_int64(field(line, "avg_ttl="))});
  }
  if (!saw_current) {
    if (what == DBR_META_DATABASES)
      cur->add_row({cur->text(current), sdk::make_null()});
    else
      cur->add_row({cur->text(current), sdk::make_int64(0), sdk::make_int64(0), sdk::make_int64(0)});
  }
  return cur;
}

// ------------------------------------------------------------ cancel

void redis_connection::cancel_running() {
  std::lock_guard lock(cancel_mutex_);
  if (!running_.load(std::memory_order_relaxed)) return;
  cancelled_.store(true, std::memory_order_relaxed);
  // A blocked command (BLPOP, XREAD BLOCK, WAIT...) is released by CLIENT
  // UNBLOCK from a side connection and the connection stays usable; anything
  // else (a long script, a dead network) is interrupted by closing the socket.
  if (client_id_ != 0) {
    try {
      settings side = settings_;
      side.db = 0;
      side.connect_timeout_s = 2;
      side.timeout_s = 2;
      std::int64_t side_id = 0;
      redisContext* c = open_context(side, side_id);
      const std::string id = std::to_string(client_id_);
      const char* argv[] = {"CLIENT", "UNBLOCK", id.c_str(), "ERROR"};
      const std::size_t lens[] = {6, 7, id.size(), 5};
      reply_ptr r(static_cast<redisReply*>(redisCommandArgv(c, 4, argv, lens)));
      redisFree(c);
      if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 1) return;
    } catch (const sdk::error&) {
      // Fall through to closing the socket.
    }
  }
  if (ctx_ != nullptr && ctx_->fd >= 0) ::shutdown(ctx_->fd, SHUT_RDWR);
}

}  // namespace dbridge_redis
