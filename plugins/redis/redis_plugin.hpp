// SPDX-License-Identifier: Apache-2.0
// The Redis driver on hiredis (RESP2), written only with the dbridge SDK.
#pragma once

#include <dbridge/sdk/driver.hpp>
#include <dbridge/sdk/reply.hpp>
#include <dbridge/sdk/timeout.hpp>
#include <dbridge/sdk/session.hpp>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>

#include <atomic>
#include <deque>
#include <set>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge_redis {

namespace sdk = dbridge::sdk;

inline constexpr const char* domain = "hiredis";

/// What connect() read from the URL. Kept by the connection so cancel() can
/// open a side connection; the password never leaves this struct.
struct settings {
  bool unix_socket = false;
  std::string host;  ///< or the socket path
  int port = 6379;
  std::string user;
  std::string password;
  bool has_password = false;
  std::int64_t db = 0;
  double connect_timeout_s = sdk::default_connect_timeout_s;  ///< 0: no limit
  double timeout_s = 0;  ///< read_timeout (alias timeout); 0: no read/write timeout
};

/// Parses the URL parts and options; throws DBR_CAT_INVALID_ARGUMENT.
settings parse_settings(const dbr_url& url);

/// seconds as hiredis wants them (0: no timeout).
timeval to_timeval(double seconds);

/// Opens a hiredis context, runs AUTH / SELECT / CLIENT ID in one round trip.
/// Returns the context and the server's client id (0 when unknown).
/// Appends AUTH (when the URL has a password) and SELECT (when its database
/// is not 0) to ctx's output buffer; returns how many replies to read.
int append_login(redisContext* ctx, const settings& s);
redisContext* open_context(const settings& s, std::int64_t& client_id);

/// Throws the sdk::error for a failed context (ctx->err set). if_lost: the
/// retry class of a lost connection (DBR_RETRY_NEW_CONN when nothing was
/// sent, DBR_RETRY_UNKNOWN_OUTCOME when a command may have reached the server).
[[noreturn]] void raise_context_error(redisContext* ctx, std::string_view during, bool cancelled = false,
                                      std::uint8_t if_lost = DBR_RETRY_NEW_CONN);

// Server words (redis_errors.cpp).
/// The error for an error reply (its code word, WRONGTYPE as a
/// subcategory, NOAUTH as an auth error); context is prefixed to the message.
sdk::error backend_error(std::string_view msg, std::string_view context = {});
/// The reply refused the command for now without running it (LOADING, BUSY...).
bool transient_error(std::string_view msg);
/// The command changes nothing (GET, LRANGE, PING...); case-insensitive.
bool read_only_command(std::string_view name);

/// ASCII case-insensitive equality (command names).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

inline std::string_view str_of(const redisReply* r) noexcept {
  return r != nullptr && r->str != nullptr ? std::string_view(r->str, r->len) : std::string_view();
}

/// A pub/sub push: ["message", ch, payload] or ["pmessage", pattern, ch, payload].
inline bool is_message(const redisReply* r) noexcept {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING) return false;
  const std::string_view kind = str_of(r->element[0]);
  return (kind == "message" && r->elements == 3) || (kind == "pmessage" && r->elements == 4);
}

/// hiredis frees replies with freeReplyObject; this owns one.
struct reply_deleter {
  void operator()(redisReply* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

/// Exposes a redisReply tree as dbr_reply nodes that borrow its strings, so a
/// reply crosses the ABI without copying its payload. The node storage is
/// reused from call to call.
class reply_view {
 public:
  /// session_changed goes on the top node (ABI 1.1).
  const dbr_reply* build(const redisReply* r, bool session_changed = false);

 private:
  static void count(const redisReply* r, std::size_t& nodes, std::size_t& slots) noexcept;
  const dbr_reply* fill(const redisReply* r) noexcept;
  std::vector<dbr_reply> nodes_;
  std::vector<const dbr_reply*> slots_;
};

class redis_connection final : public sdk::connection,
                               public sdk::cap::command,
                               public sdk::cap::transactions,
                               public sdk::cap::notify,
                               public sdk::cap::batch,
                               public sdk::cap::introspect,
                               public sdk::cap::cancel,
                               public sdk::cap::session_reset {
 public:
  redis_connection(settings s, redisContext* ctx, std::int64_t client_id) noexcept;
  ~redis_connection() override;

  // sdk::connection
  void ping() override;
  void set_option(const char* key, const dbr_value& value) override;
  dbr_value get_info(const char* key) override;

  // command
  const dbr_reply* execute_command(const sdk::argv_view& args) override;

  // transactions
  void begin(const dbr_txn_options& opts) override;
  void commit() override;
  void rollback() override;
  void savepoint(const char* name) override;
  void release_savepoint(const char* name) override;
  void rollback_to_savepoint(const char* name) override;
  bool in_transaction() override { return in_multi_; }

  // notify
  void listen(std::string_view channel, std::uint32_t flags) override;
  void unlisten(std::string_view channel, std::uint32_t flags) override;
  void notify_channel(std::string_view channel, std::string_view payload) override;
  bool wait(std::int64_t timeout_ms, dbr_notification& out) override;

  // batch
  void batch_begin() override;
  void batch_add_sql(std::string_view sql_text, std::span<const dbr_value> params) override;
  void batch_add_command(const sdk::argv_view& args) override;
  void batch_send() override;
  bool batch_next(dbr_batch_item& item, dbr_error* item_err) override;
  void batch_end() override;

  // introspect
  std::unique_ptr<sdk::cursor> list(std::uint32_t what, const char* schema, const char* table) override;

  // cancel (any thread)
  void cancel_running() override;

  // session reset (ABI 1.1)
  std::uint32_t reset_session() override;

 private:
  /// Refuses calls that would read someone else's reply (open batch, subscribed).
  void check_usable(std::string_view what) const;
  /// One command, one reply (which may be an error reply). Throws on I/O
  /// errors: retryable on a new connection when nothing was sent or the
  /// command only reads, an unknown outcome otherwise.
  reply_ptr round_trip(int argc, const char** argv, const std::size_t* lens, std::string_view what);
  reply_ptr round_trip(std::initializer_list<std::string_view> args, std::string_view what);
  /// Reads the next reply of the stream, failing like a lost connection.
  reply_ptr read_reply(std::string_view what);
  [[noreturn]] void fail_io(std::string_view what, std::uint8_t if_lost = DBR_RETRY_NEW_CONN);
  /// Fails (nothing sent) when the server closed the idle connection.
  void check_alive(std::string_view what);
  /// Sends (P)(UN)SUBSCRIBE and reads its confirmations, queueing messages
  /// that arrive in between.
  void subscribe_change(const char* verb, std::string_view channel, bool pattern);
  /// Tracks the server's view of our subscriptions from a confirmation.
  void apply_confirmation(const redisReply* r);
  /// Fills out from a message push, which then backs it until the next call.
  bool to_notification(reply_ptr r, dbr_notification& out);
  /// Runs f while marking the connection busy for cancel().
  struct running_scope;
  static bool changes_session(const sdk::argv_view& args) noexcept;

  settings settings_;
  redisContext* ctx_;
  std::int64_t client_id_;
  bool broken_ = false;
  bool in_multi_ = false;
  bool batch_open_ = false;
  std::size_t batch_unsent_ = 0;
  std::size_t batch_unread_ = 0;
  std::uint32_t batch_index_ = 0;
  std::int64_t subscriptions_ = 0;  ///< channels + patterns, as the server counts them
  reply_ptr last_;                  ///< backs the borrowed reply / notification
  reply_view view_;
  std::deque<reply_ptr> pending_;   ///< messages read while waiting for a confirmation
  std::set<std::string> channels_, patterns_;
  std::vector<const char*> argp_;   ///< argv scratch, reused
  std::vector<std::size_t> argl_;
  std::string info_text_;           ///< backs get_info strings

  // cancel(): set by the call in progress, read from another thread.
  std::atomic<bool> running_{false};
  std::atomic<bool> cancelled_{false};
  std::mutex cancel_mutex_;
};

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

class redis_driver final : public sdk::driver<redis_connection> {
 public:
  static constexpr const char* schemes[] = {"redis", "redis+unix", nullptr};
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID,
                                         .version = DBRIDGE_PLUGIN_VERSION,
                                         .threading = DBR_THREADING_PER_CONNECTION,
                                         .flags = DBR_PF_CANCEL_ANY_THREAD,
                                         .schemes = schemes};
  std::unique_ptr<redis_connection> connect(const dbr_url& url) override;
};

}  // namespace dbridge_redis
