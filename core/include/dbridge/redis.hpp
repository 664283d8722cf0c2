// SPDX-License-Identifier: Apache-2.0
// Typed Redis helpers over connection::command(). Keys, fields and values
// are binary-safe byte strings (std::string may hold NUL bytes and any
// non-UTF-8 bytes).
//
//   auto db = dbridge::connect("redis://:secret@localhost:6379/0");
//   dbridge::redis r(db);
//   r.set("greeting", "hello", {.ex = 60});
//   std::optional<std::string> v = r.get("greeting");
//   for (const std::string& key : r.scan({.match = "user:*"})) use(key);
//
// Server error replies throw backend_error with info().backend_code set
// ("WRONGTYPE", ...). Inside a transaction (MULTI) commands are only queued
// and their results arrive with EXEC: set() and mset() still work there,
// every helper that returns a result throws invalid_state_error; queue those
// with command(). To read the queued commands' results, open the transaction
// with multi() and end it with exec() rather than connection::begin() and
// commit(), which only say whether it ran:
//
//   r.watch({"balance"});
//   r.multi();
//   r.command({"INCRBY", "balance", "5"});
//   r.command({"GET", "balance"});
//   if (auto replies = r.exec()) use((*replies)[1].str);   // nullopt: "balance" changed, nothing ran
#pragma once

#include "dbridge/export.hpp"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

/// SET options: expiry (EX seconds / PX milliseconds, at most one), condition
/// (NX: only if absent, XX: only if present, at most one), KEEPTTL.
struct set_options {
  // Every member has an initializer so designated initializers ({.ex = 60})
  // compile cleanly under -Wmissing-field-initializers.
  std::optional<std::int64_t> ex{};
  std::optional<std::int64_t> px{};
  bool nx = false;
  bool xx = false;
  bool keep_ttl = false;
};

/// A sorted-set member with its score.
struct scored_member {
  std::string member{};
  double score = 0;
  bool operator==(const scored_member&) const = default;
};

/// SCAN filters: MATCH glob, COUNT hint (0 = server default), TYPE.
struct scan_options {
  std::string match{};
  std::int64_t count = 0;
  std::string type{};
};

class redis;

/// Keys from SCAN, fetched a page at a time as the loop advances. SCAN may
/// return a key more than once when the keyspace changes meanwhile.
class DBRIDGE_API key_scan {
 public:
  class iterator {
   public:
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(key_scan* s) : s_(s) {}
    const std::string& operator*() const { return s_->page_[s_->pos_]; }
    const std::string* operator->() const { return &s_->page_[s_->pos_]; }
    iterator& operator++() {
      if (!s_->advance()) s_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& o) const { return s_ == o.s_; }

   private:
    key_scan* s_ = nullptr;
  };
  iterator begin() { return advance_first() ? iterator(this) : iterator(); }
  iterator end() { return iterator(); }
  /// Drains the scan into a vector.
  std::vector<std::string> to_vector();

 private:
  friend class redis;
  key_scan(connection& c, scan_options o) : conn_(&c), opts_(std::move(o)) {}
  bool fetch_page();
  bool advance_first();
  bool advance();
  connection* conn_;
  scan_options opts_;
  std::string cursor_ = "0";
  bool started_ = false;
  bool finished_ = false;
  std::vector<std::string> page_;
  std::size_t pos_ = 0;
};

/// The helpers, as a thin wrapper that borrows a connection.
class DBRIDGE_API redis {
 public:
  using keys = std::span<const std::string_view>;
  using pairs = std::span<const std::pair<std::string_view, std::string_view>>;

  explicit redis(connection& conn) noexcept : conn_(&conn) {}
  connection& conn() noexcept { return *conn_; }
  /// Any command, as connection::command().
  reply command(std::initializer_list<std::string_view> argv) { return conn_->command(argv); }

  // Strings and keys.
  std::optional<std::string> get(std::string_view key);
  /// False when NX/XX kept the value from being set.
  bool set(std::string_view key, std::string_view value, const set_options& opts = {});
  std::int64_t del(keys k);
  std::int64_t del(std::initializer_list<std::string_view> k) { return del(keys(k.begin(), k.size())); }
  std::int64_t del(std::string_view key) { return del(keys(&key, 1)); }
  /// How many of the keys exist (a key named twice counts twice).
  std::int64_t exists(keys k);
  std::int64_t exists(std::initializer_list<std::string_view> k) { return exists(keys(k.begin(), k.size())); }
  bool exists(std::string_view key) { return exists(keys(&key, 1)) > 0; }
  /// False when the key does not exist. Sub-second durations use PEXPIRE.
  bool expire(std::string_view key, std::chrono::milliseconds ttl);
  /// Time to live: nullopt when the key has no expiry or does not exist
  /// (tell them apart with exists()).
  std::optional<std::chrono::milliseconds> ttl(std::string_view key);
  std::int64_t incr(std::string_view key);
  std::int64_t incrby(std::string_view key, std::int64_t by);
  std::vector<std::optional<std::string>> mget(keys k);
  std::vector<std::optional<std::string>> mget(std::initializer_list<std::string_view> k) {
    return mget(keys(k.begin(), k.size()));
  }
  void mset(pairs kv);
  void mset(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
    mset(pairs(kv.begin(), kv.size()));
  }

  // Hashes.
  /// Returns how many fields were added (not updated).
  std::int64_t hset(std::string_view key, std::string_view field, std::string_view value);
  std::int64_t hset(std::string_view key, pairs fields);
  std::int64_t hset(std::string_view key, std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    return hset(key, pairs(fields.begin(), fields.size()));
  }
  std::optional<std::string> hget(std::string_view key, std::string_view field);
  std::map<std::string, std::string> hgetall(std::string_view key);
  std::int64_t hdel(std::string_view key, keys fields);
  std::int64_t hdel(std::string_view key, std::initializer_list<std::string_view> f) {
    return hdel(key, keys(f.begin(), f.size()));
  }

  // Lists. push returns the new length.
  std::int64_t lpush(std::string_view key, keys values);
  std::int64_t lpush(std::string_view key, std::initializer_list<std::string_view> v) {
    return lpush(key, keys(v.begin(), v.size()));
  }
  std::int64_t rpush(std::string_view key, keys values);
  std::int64_t rpush(std::string_view key, std::initializer_list<std::string_view> v) {
    return rpush(key, keys(v.begin(), v.size()));
  }
  std::optional<std::string> lpop(std::string_view key);
  std::optional<std::string> rpop(std::string_view key);
  /// Inclusive indexes; negative count from the end (-1 = last).
  std::vector<std::string> lrange(std::string_view key, std::int64_t start, std::int64_t stop);
  std::int64_t llen(std::string_view key);

  // Sets.
  std::int64_t sadd(std::string_view key, keys members);
  std::int64_t sadd(std::string_view key, std::initializer_list<std::string_view> m) {
    return sadd(key, keys(m.begin(), m.size()));
  }
  std::int64_t srem(std::string_view key, keys members);
  std::int64_t srem(std::string_view key, std::initializer_list<std::string_view> m) {
    return srem(key, keys(m.begin(), m.size()));
  }
  /// In the server's order (unordered).
  std::vector<std::string> smembers(std::string_view key);
  bool sismember(std::string_view key, std::string_view member);

  // Sorted sets.
  std::int64_t zadd(std::string_view key, double score, std::string_view member);
  std::int64_t zadd(std::string_view key, std::span<const scored_member> members);
  std::vector<std::string> zrange(std::string_view key, std::int64_t start, std::int64_t stop);
  std::vector<scored_member> zrange_with_scores(std::string_view key, std::int64_t start, std::int64_t stop);
  /// Members with min <= score <= max (±infinity allowed), with their scores.
  std::vector<scored_member> zrangebyscore(std::string_view key, double min, double max);

  /// Iterates keys with SCAN (lazily, page by page).
  key_scan scan(scan_options opts = {}) { return key_scan(*conn_, std::move(opts)); }

  // Transactions with their replies (MULTI / EXEC / DISCARD / WATCH).
  /// Starts queueing commands (MULTI).
  void multi();
  /// Runs the queued commands (EXEC) and returns one reply per command, in
  /// order; empty when nothing was queued. nullopt when a key given to
  /// watch() changed since: nothing ran, run the transaction again. A queued
  /// command that failed as it ran is a reply of type reply_type::error (the
  /// others were applied: Redis has no rollback). Throws backend_error when
  /// the server refused the whole transaction (backend_code "EXECABORT": a
  /// command was refused while queueing) or when no MULTI is open (after
  /// discard(), for one).
  std::optional<std::vector<reply>> exec();
  /// Drops the queued commands (DISCARD) and forgets watched keys.
  void discard();
  /// Makes the next exec() do nothing if one of the keys changes meanwhile.
  void watch(keys k);
  void watch(std::initializer_list<std::string_view> k) { watch(keys(k.begin(), k.size())); }
  void unwatch();

  /// Publishes on a channel; returns how many subscribers received it.
  std::int64_t publish(std::string_view channel, std::string_view message);

  /// Keys per database (INFO keyspace): columns name, keys, expires, avg_ttl_ms.
  result keyspace();

 private:
  connection* conn_;
};

}  // namespace dbridge
