// SPDX-License-Identifier: Apache-2.0
// The Redis driver: URL settings, connecting (AUTH + SELECT), error mapping,
// the reply view and the plugin entry.
#include <algorithm>
#include <cerrno>
#include <cmath>
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

bool starts_with_code(const redisReply* r, std::string_view code) {
  return r != nullptr && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).substr(0, code.size()) == code;
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
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "user '" + s.user +
                                                     "' is given without a password; write redis://" + s.user +
                                                     ":PASSWORD@host:port (ACL) or redis://:PASSWORD@host:port");
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

void raise_context_error(redisContext* ctx, std::string_view during, bool cancelled, std::uint8_t if_lost) {
  const int code = ctx != nullptr ? ctx->err : REDIS_ERR_OOM;
  const std::string detail = ctx != nullptr ? std::string(ctx->errstr) : std::string("out of memory");
  std::string what = std::string(during) + ": ";
  if (cancelled)
    throw sdk::error(DBR_CAT_CANCELLED, what + "cancelled (the connection was closed to interrupt the call)")
        .native(code, domain)
        .connection_broken();
  if (code == REDIS_ERR_OOM) throw sdk::error(DBR_CAT_RESOURCE, what + "out of memory").native(code, domain);
  const bool timed_out =
      code == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || detail == std::strerror(EAGAIN));
  if (timed_out)
    throw sdk::error(DBR_CAT_TIMEOUT, what + "no reply within read_timeout; the command may or may not have "
                                             "run, and the connection is closed")
        .native(code, domain)
        .retry(DBR_RETRY_UNKNOWN_OUTCOME)
        .connection_broken();
  if (code == REDIS_ERR_PROTOCOL)
    throw sdk::error(DBR_CAT_CONNECTION, what + "protocol error (" + detail + "); is this a Redis server?")
        .native(code, domain)
        .connection_broken();
  const std::string why = code == REDIS_ERR_EOF ? "the server closed the connection" : detail;
  throw sdk::error(DBR_CAT_CONNECTION, what + "connection lost: " + why)
      .native(code, domain)
      .retry(if_lost)
      .connection_broken();
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
          .field(DBR_ERRF_BACKEND_CODE, error_code(msg));
    }
  }
  if (s.db != 0) {
    const redisReply* sel = replies[i++].get();
    if (starts_with_code(sel, "NOAUTH")) {
      throw sdk::error(DBR_CAT_AUTH, where_of(s) +
                                         " requires a password; add ':PASSWORD@' before the host in the URL")
          .field(DBR_ERRF_BACKEND_CODE, "NOAUTH");
    }
    if (sel->type == REDIS_REPLY_ERROR)
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "cannot select database " + std::to_string(s.db) + ": " +
                                                     std::string(sel->str, sel->len))
          .field(DBR_ERRF_BACKEND_CODE, error_code(std::string_view(sel->str, sel->len)));
  }
  const redisReply* id = replies[i].get();
  if (starts_with_code(id, "NOAUTH"))
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

// ------------------------------------------------------------ reply view

void reply_view::count(const redisReply* r, std::size_t& nodes, std::size_t& slots) noexcept {
  ++nodes;
  if (r->type == REDIS_REPLY_ARRAY) {
    slots += r->elements;
    for (std::size_t i = 0; i < r->elements; ++i) count(r->element[i], nodes, slots);
  }
}

const dbr_reply* reply_view::build(const redisReply* r, bool session_changed) {
  std::size_t nodes = 0, slots = 0;
  count(r, nodes, slots);
  nodes_.clear();
  slots_.clear();
  // Reserved up front so the pointers handed out never move.
  nodes_.reserve(nodes);
  slots_.reserve(slots);
  const dbr_reply* top = fill(r);
  nodes_.front().session_changed = session_changed ? 1 : 0;
  return top;
}

const dbr_reply* reply_view::fill(const redisReply* r) noexcept {
  dbr_reply& d = nodes_.emplace_back();
  std::memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  switch (r->type) {
    case REDIS_REPLY_STRING: d.type = DBR_REPLY_STRING; break;
    case REDIS_REPLY_STATUS: d.type = DBR_REPLY_STATUS; break;
    case REDIS_REPLY_ERROR: d.type = DBR_REPLY_ERROR; break;
    case REDIS_REPLY_INTEGER: d.type = DBR_REPLY_INTEGER; break;
    case REDIS_REPLY_ARRAY: d.type = DBR_REPLY_ARRAY; break;
    default: d.type = DBR_REPLY_NIL; break;
  }
  if (r->type == REDIS_REPLY_INTEGER) d.integer = r->integer;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
    d.str = r->str;
    d.len = r->len;
  }
  if (r->type == REDIS_REPLY_ARRAY) {
    const std::size_t base = slots_.size();
    slots_.resize(base + r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) slots_[base + i] = fill(r->element[i]);
    d.elements = r->elements;
    d.element = slots_.data() + base;
  }
  return &d;
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
