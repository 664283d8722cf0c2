// SPDX-License-Identifier: Apache-2.0
// Commands, Redis's statements: argv in, the reply out, with blocking
// commands given the wait they asked for.
#include <cstdlib>
#include <string>

#include "redis_plugin.hpp"

namespace dbridge_redis {

namespace {

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
  // RESP3 replies (maps, sets, pushes...) are types hiredis 0.14 cannot
  // parse: after HELLO 3 the next reply breaks the connection. HELLO 2, or
  // HELLO without a protocol version, keeps RESP2 and may pass.
  if (iequals(name, "HELLO") && args.size() >= 2 && args[1] != "2" &&
      args[1].find_first_not_of("+-0123456789") == std::string_view::npos)
    throw sdk::error(DBR_CAT_UNSUPPORTED, "HELLO " + std::string(args[1]) +
                                              " would switch the connection to another protocol than RESP2, the "
                                              "only one this driver reads (hiredis 0.14); use HELLO 2, or leave "
                                              "the protocol version out");
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
  // RESET ends a MULTI as EXEC and DISCARD do (and WATCH, SELECT...: the
  // core resets the session it hands on; the plugin tracks only the MULTI).
  if (iequals(name, "EXEC") || iequals(name, "DISCARD") || (r->type != REDIS_REPLY_ERROR && iequals(name, "RESET")))
    in_multi_ = false;
  // Typed here, where the server's words are known (WRONGTYPE, NOAUTH...):
  // the core sees only the error's category and code.
  if (r->type == REDIS_REPLY_ERROR) throw backend_error(str_of(r.get()));
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

}  // namespace dbridge_redis
