// SPDX-License-Identifier: Apache-2.0
// What the Redis plugin knows about the server's words: the error codes of
// error replies and which commands only read; and hiredis's context errors. Kept here, once, because the
// retry rules depend on them: a transient error reply (the command was not
// applied) is retryable on a new connection, and a read-only command lost in
// flight is safe to run again, where a lost write has an unknown outcome.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>

#include "redis_plugin.hpp"

namespace dbridge_redis {

namespace {

// Replies that refuse a command without running it, while the server (or
// the cluster) cannot serve it for now: loading its dataset, busy in a
// script, a replica without its master, a cluster moving slots or down.
constexpr std::string_view transient_codes[] = {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"};

// Commands that change nothing, sorted for binary search (upper case). Any
// command not listed (and every module command) counts as a write.
constexpr std::string_view read_only[] = {
    "BITCOUNT", "BITFIELD_RO", "BITPOS", "DBSIZE", "DUMP", "ECHO", "EVALSHA_RO", "EVAL_RO", "EXISTS", "EXPIRETIME",
    "FCALL_RO", "GEODIST", "GEOHASH", "GEOPOS", "GEORADIUSBYMEMBER_RO", "GEORADIUS_RO", "GEOSEARCH", "GET",
    "GETBIT", "GETRANGE", "HEXISTS", "HGET", "HGETALL", "HKEYS", "HLEN", "HMGET", "HRANDFIELD", "HSCAN", "HSTRLEN",
    "HVALS", "INFO", "KEYS", "LASTSAVE", "LCS", "LINDEX", "LLEN", "LPOS", "LRANGE", "MGET", "PEXPIRETIME",
    "PFCOUNT", "PING", "PTTL", "RANDOMKEY", "SCAN", "SCARD", "SDIFF", "SINTER", "SINTERCARD", "SISMEMBER",
    "SMEMBERS", "SMISMEMBER", "SORT_RO", "SRANDMEMBER", "SSCAN", "STRLEN", "SUBSTR", "SUNION", "TIME", "TTL",
    "TYPE", "XLEN", "XPENDING", "XRANGE", "XREAD", "XREVRANGE", "ZCARD", "ZCOUNT", "ZDIFF", "ZINTER", "ZINTERCARD",
    "ZLEXCOUNT", "ZMSCORE", "ZRANDMEMBER", "ZRANGE", "ZRANGEBYLEX", "ZRANGEBYSCORE", "ZRANK", "ZREVRANGE",
    "ZREVRANGEBYLEX", "ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN", "ZSCORE", "ZUNION"};
static_assert(std::is_sorted(std::begin(read_only), std::end(read_only)), "read_only is searched by halves");

}  // namespace

bool transient_error(std::string_view msg) {
  const std::string_view code = sdk::error_reply_code(msg);
  return std::find(std::begin(transient_codes), std::end(transient_codes), code) != std::end(transient_codes);
}

sdk::error backend_error(std::string_view msg, std::string_view context) {
  const std::string_view code = sdk::error_reply_code(msg);
  if (code == "NOAUTH" || code == "WRONGPASS")
    return sdk::error(DBR_CAT_AUTH, std::string(msg)).field(DBR_ERRF_BACKEND_CODE, std::string(code));
  sdk::error e(DBR_CAT_BACKEND, std::string(context) + std::string(msg));
  e.native(0, domain);
  if (!code.empty()) e.field(DBR_ERRF_BACKEND_CODE, std::string(code));
  if (code == "WRONGTYPE") e.subcategory(DBR_SUB_WRONG_TYPE);
  if (transient_error(msg)) e.retry(DBR_RETRY_NEW_CONN);
  return e;
}

bool read_only_command(std::string_view name) {
  char upper[24];
  if (name.empty() || name.size() > sizeof upper) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    upper[i] = name[i] >= 'a' && name[i] <= 'z' ? static_cast<char>(name[i] - 'a' + 'A') : name[i];
  const std::string_view key(upper, name.size());
  return std::binary_search(std::begin(read_only), std::end(read_only), key);
}

void raise_context_error(redisContext* ctx, std::string_view during, bool cancelled, std::uint8_t if_lost) {
  const int code = ctx != nullptr ? ctx->err : REDIS_ERR_OOM;
  const std::string detail = ctx != nullptr ? std::string(ctx->errstr) : std::string("out of memory");
  std::string what = std::string(during) + ": ";
  if (cancelled) {
    // Cancelled on purpose, so not to be retried; but a write the server
    // had received may have run (cancel() closes the socket, which does not
    // stop the server), and the caller must know its outcome is unknown.
    const bool maybe_ran = if_lost == DBR_RETRY_UNKNOWN_OUTCOME;
    throw sdk::error(DBR_CAT_CANCELLED,
                     what + "cancelled (the connection was closed to interrupt the call)" +
                         (maybe_ran ? "; the command had been sent and may or may not have run" : ""))
        .native(code, domain)
        .retry(maybe_ran ? DBR_RETRY_UNKNOWN_OUTCOME : DBR_RETRY_NONE)
        .connection_broken();
  }
  if (code == REDIS_ERR_OOM) throw sdk::error(DBR_CAT_RESOURCE, what + "out of memory").native(code, domain);
  const bool timed_out =
      code == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || detail == std::strerror(EAGAIN));
  if (timed_out)
    throw sdk::error(DBR_CAT_TIMEOUT, what + "no reply within read_timeout; the command may or may not have "
                                             "run, and the connection is closed")
        .native(code, domain)
        .retry(DBR_RETRY_UNKNOWN_OUTCOME)
        .connection_broken();
  // hiredis 0.14's reader keeps 8 levels of arrays (read.c), so a deeper
  // reply (COMMAND DOCS, a script's nested table) is one it cannot read:
  // not a foreign server, and the same call would fail again. The rest of
  // the reply is still in the socket, so the connection cannot go on.
  if (code == REDIS_ERR_PROTOCOL && detail.find("nested multi bulk") != std::string::npos)
    throw sdk::error(DBR_CAT_UNSUPPORTED,
                     what + "the reply nests arrays more than 7 levels deep, deeper than hiredis 0.14 can read; "
                            "the server ran the command, and the connection is closed")
        .native(code, domain)
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

}  // namespace dbridge_redis
