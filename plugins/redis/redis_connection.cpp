// SPDX-License-Identifier: Apache-2.0
// One Redis connection: URL settings, connecting (AUTH + SELECT), the
// round trip, session reset, MULTI/EXEC, cancel, and the plugin's entry.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "redis_plugin.hpp"

namespace dbridge_redis {

namespace {

std::string text_of(const dbr_value& v) { return std::string(sdk::string_of(v)); }

std::int64_t parse_db(std::string_view where, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 || v < 0 || v > 1000000)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "the database " + std::string(where) + " '" + text +
                                                   "' is not a database number; write e.g. redis://host:6379/0");
  return v;
}

}  // namespace

timeval to_timeval(double seconds) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  return tv;
}

namespace {

std::string where_of(const settings& s) {
  return s.unix_socket ? "unix socket " + s.host : s.host + ":" + std::to_string(s.port);
}

bool is_error(const redisReply* r, std::string_view code) {
  return r != nullptr && r->type == REDIS_REPLY_ERROR && sdk::error_reply_code(str_of(r)) == code;
}

}  // namespace

settings parse_settings(const dbr_url& url) {
  settings s;
  const std::string_view scheme = url.scheme != nullptr ? url.scheme : "redis";
  s.unix_socket = scheme == "redis+unix";
  if (s.unix_socket) {
    if (url.host == nullptr || *url.host == '\0')
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "no socket path; write redis+unix:///path/to/redis.sock?db=0");
    s.host = url.host;
  } else {
    s.host = url.host != nullptr && *url.host != '\0' ? url.host : "127.0.0.1";
    if (url.port != 0) s.port = static_cast<int>(url.port);
    if (url.nhosts > 1)
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "the URL names " + std::to_string(url.nhosts) +
                                                     " hosts; the redis driver connects to exactly one");
  }
  if (url.password != nullptr) {
    s.password = url.password;
    s.has_password = true;
  }
  if (url.user != nullptr && *url.user != '\0') {
    s.user = url.user;
    if (!s.has_password)
      // Not named: redis-cli reads redis://secret@host as the password, so
      // what is here may well be one.
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       "the URL has a user part and no password; write redis://USER:PASSWORD@host:port (ACL) or "
                       "redis://:PASSWORD@host:port (a password alone)");
  }
  bool db_in_path = false;
  if (url.database != nullptr && *url.database != '\0') {
    s.db = parse_db("path", url.database);
    db_in_path = true;
  }
  for (const dbr_param& opt : sdk::param_list(url.options, url.noptions)) {
    const std::string_view key = opt.key != nullptr ? opt.key : "";
    if (key == "connect_timeout") {
      s.connect_timeout_s = sdk::seconds_option("redis", key, text_of(opt.value));
    } else if (key == "read_timeout" || key == "timeout") {
      s.timeout_s = sdk::seconds_option("redis", key, text_of(opt.value));
    } else if (key == "db") {
      const std::int64_t db = parse_db("option db", text_of(opt.value));
      if (db_in_path && db != s.db)
        throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "the URL selects database " + std::to_string(s.db) +
                                                       " in its path and " + std::to_string(db) +
                                                       " in ?db=; give it once");
      s.db = db;
    } else {
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       "unknown URL option '" + std::string(key) +
                           "'; the redis driver takes connect_timeout, read_timeout (seconds) and db");
    }
  }
  return s;
}

int append_login(redisContext* ctx, const settings& s) {
  int n = 0;
  if (s.has_password) {
    if (!s.user.empty()) {
      const char* argv[] = {"AUTH", s.user.c_str(), s.password.c_str()};
      const std::size_t lens[] = {4, s.user.size(), s.password.size()};
      redisAppendCommandArgv(ctx, 3, argv, lens);
    } else {
      const char* argv[] = {"AUTH", s.password.c_str()};
      const std::size_t lens[] = {4, s.password.size()};
      redisAppendCommandArgv(ctx, 2, argv, lens);
    }
    ++n;
  }
  if (s.db != 0) {
    const std::string db = std::to_string(s.db);
    const char* argv[] = {"SELECT", db.c_str()};
    const std::size_t lens[] = {6, db.size()};
    redisAppendCommandArgv(ctx, 2, argv, lens);
    ++n;
  }
  return n;
}

redisContext* open_context(const settings& s, std::int64_t& client_id) {
  // One deadline for the socket connect and the AUTH / SELECT / CLIENT ID
  // round trip: a listener that accepts and never answers (or is not Redis)
  // fails within connect_timeout.
  const sdk::deadline until = sdk::deadline::after(s.connect_timeout_s);
  const timeval ctv = to_timeval(s.connect_timeout_s);
  redisContext* ctx = nullptr;
  if (until.limited())
    ctx = s.unix_socket ? redisConnectUnixWithTimeout(s.host.c_str(), ctv)
                        : redisConnectWithTimeout(s.host.c_str(), s.port, ctv);
  else
    ctx = s.unix_socket ? redisConnectUnix(s.host.c_str()) : redisConnect(s.host.c_str(), s.port);
  if (ctx == nullptr) throw sdk::error(DBR_CAT_RESOURCE, "out of memory creating a connection");
  struct closer {
    redisContext*& c;
    ~closer() {
      if (c != nullptr) redisFree(c);
    }
  } guard{ctx};
  if (ctx->err != 0) {
    const bool timed_out = ctx->err == REDIS_ERR_IO && std::string_view(ctx->errstr).find("timed out") != std::string_view::npos;
    throw sdk::error(timed_out ? DBR_CAT_TIMEOUT : DBR_CAT_CONNECTION,
                     "cannot reach " + where_of(s) + ": " + ctx->errstr +
                         (timed_out ? " (raise ?connect_timeout=)" : ""))
        .native(ctx->err, domain)
        .retry(DBR_RETRY_NEW_CONN);
  }
  if (until.limited() && redisSetTimeout(ctx, to_timeval(std::max(until.seconds_left(), 0.001))) != REDIS_OK)
    raise_context_error(ctx, "setting the timeout");

  // AUTH, SELECT and CLIENT ID go out in one write: one round trip to connect.
  int n = append_login(ctx, s);
  {
    const char* argv[] = {"CLIENT", "ID"};
    const std::size_t lens[] = {6, 2};
    redisAppendCommandArgv(ctx, 2, argv, lens);
    ++n;
  }
  std::vector<reply_ptr> replies;
  for (int i = 0; i < n; ++i) {
    void* r = nullptr;
    if (redisGetReply(ctx, &r) != REDIS_OK) {
      // Nothing but the handshake was sent: every failure here may be
      // retried on a new connection.
      const bool timed_out = ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || until.expired());
      std::string why = timed_out ? "no reply within connect_timeout (" + sdk::seconds_text(s.connect_timeout_s) + ")"
                        : ctx->err == REDIS_ERR_EOF ? std::string("the server closed the connection")
                                                    : std::string(ctx->errstr);
      throw sdk::error(timed_out ? DBR_CAT_TIMEOUT : DBR_CAT_CONNECTION,
                       "cannot connect to " + where_of(s) + ": " + why +
                           " during the handshake; is a Redis server listening there?" +
                           (timed_out ? " (raise ?connect_timeout=)" : ""))
          .native(ctx->err, domain)
          .retry(DBR_RETRY_NEW_CONN)
          .connection_broken();
    }
    replies.emplace_back(static_cast<redisReply*>(r));
  }
  // From here on the read timeout applies (0: none); setting it even when 0
  // makes "no timeout" explicit whatever the library did with the connect
  // timeout.
  if (redisSetTimeout(ctx, to_timeval(s.timeout_s)) != REDIS_OK) raise_context_error(ctx, "setting the timeout");
  std::size_t i = 0;
  if (s.has_password) {
    const redisReply* auth = replies[i++].get();
    if (auth->type == REDIS_REPLY_ERROR) {
      // The server's text never echoes the password, but say plainly what to fix.
      const std::string msg(auth->str, auth->len);
      throw sdk::error(DBR_CAT_AUTH, where_of(s) + " refused the credentials" +
                                         (s.user.empty() ? std::string() : " of user '" + s.user + "'") + " (" +
                                         msg + "); check the password in the URL")
          .native(0, domain)
          .field(DBR_ERRF_BACKEND_CODE, std::string(sdk::error_reply_code(msg)));
    }
  }
  if (s.db != 0) {
    const redisReply* sel = replies[i++].get();
    if (is_error(sel, "NOAUTH")) {
      throw sdk::error(DBR_CAT_AUTH, where_of(s) +
                                         " requires a password; add ':PASSWORD@' before the host in the URL")
          .field(DBR_ERRF_BACKEND_CODE, "NOAUTH");
    }
    if (sel->type == REDIS_REPLY_ERROR)
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "cannot select database " + std::to_string(s.db) + ": " +
                                                     std::string(sel->str, sel->len))
          .field(DBR_ERRF_BACKEND_CODE, std::string(sdk::error_reply_code(str_of(sel))));
  }
  const redisReply* id = replies[i].get();
  if (is_error(id, "NOAUTH"))
    throw sdk::error(DBR_CAT_AUTH,
                     where_of(s) + " requires a password; add ':PASSWORD@' before the host in the URL")
        .field(DBR_ERRF_BACKEND_CODE, "NOAUTH");
  // Older servers or a renamed CLIENT command: cancel() then falls back to
  // closing the socket.
  client_id = id->type == REDIS_REPLY_INTEGER ? id->integer : 0;
  redisContext* out = ctx;
  ctx = nullptr;
  return out;
}

// ------------------------------------------------------------ connection

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

// ------------------------------------------------------------ driver

std::unique_ptr<redis_connection> redis_driver::connect(const dbr_url& url) {
  settings s = parse_settings(url);
  std::int64_t client_id = 0;
  redisContext* ctx = open_context(s, client_id);
  return std::make_unique<redis_connection>(std::move(s), ctx, client_id);
}

}  // namespace dbridge_redis

DBRIDGE_SDK_DRIVER(dbridge_redis::redis_driver)
