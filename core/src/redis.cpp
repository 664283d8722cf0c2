// SPDX-License-Identifier: Apache-2.0
// Typed Redis helpers, each one command() and a checked reply shape.
#include "dbridge/redis.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace dbridge::inline v1 {

namespace {

/// argv built from pieces; numbers are formatted into owned strings kept
/// alongside so the views stay valid.
class args {
 public:
  args(std::initializer_list<std::string_view> head) : v_(head) {}
  args& add(std::string_view s) {
    v_.push_back(s);
    return *this;
  }
  args& add(std::span<const std::string_view> s) {
    v_.insert(v_.end(), s.begin(), s.end());
    return *this;
  }
  args& num(std::int64_t n) { return keep(std::to_string(n)); }
  args& num(double d) {
    if (std::isinf(d)) return add(d > 0 ? "+inf" : "-inf");
    if (std::isnan(d)) throw_error(errc::invalid_argument, "a Redis score cannot be NaN");
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
    return keep(std::string(buf, r.ptr));
  }
  std::span<const std::string_view> view() const { return v_; }

 private:
  args& keep(std::string s) {
    // A fixed array of owned strings: v_ points into them, so they never move.
    if (nkept_ == kept_.size()) throw_error(errc::internal, "redis helper: too many numeric arguments");
    kept_[nkept_] = std::move(s);
    v_.push_back(kept_[nkept_++]);
    return *this;
  }
  std::vector<std::string_view> v_;
  std::array<std::string, 4> kept_;
  std::size_t nkept_ = 0;
};

[[noreturn]] void bad_shape(std::string_view cmd, const reply& r, std::string_view expected) {
  if (r.type == reply_type::status && r.str == "QUEUED")
    throw_error(errc::invalid_state, std::string(cmd) + " was only queued: inside a transaction (MULTI) its result "
                                                        "arrives with EXEC; run it outside, or queue it with command()");
  throw_error(errc::data, "redis " + std::string(cmd) + ": expected " + std::string(expected) + " but the server sent " +
                              std::string(to_string(r.type)));
}

std::int64_t integer_of(std::string_view cmd, const reply& r) {
  if (r.type != reply_type::integer) bad_shape(cmd, r, "an integer");
  return r.integer;
}

std::optional<std::string> bulk_of(std::string_view cmd, reply&& r) {
  if (r.type == reply_type::nil) return std::nullopt;
  if (r.type != reply_type::string) bad_shape(cmd, r, "a string or nil");
  return std::move(r.str);
}

std::vector<std::string> strings_of(std::string_view cmd, reply&& r) {
  if (r.type != reply_type::array && r.type != reply_type::set) bad_shape(cmd, r, "an array");
  std::vector<std::string> out;
  out.reserve(r.elements.size());
  for (reply& e : r.elements) {
    if (e.type != reply_type::string) bad_shape(cmd, e, "an array of strings");
    out.push_back(std::move(e.str));
  }
  return out;
}

double score_of(std::string_view cmd, const reply& r) {
  if (r.type == reply_type::float64) return r.number;
  if (r.type != reply_type::string) bad_shape(cmd, r, "a score");
  // Redis writes "inf"/"-inf" for infinite scores; strtod reads both.
  const std::string& s = r.str;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) throw_error(errc::data, "redis " + std::string(cmd) + ": score '" + s + "' is not a number");
  return d;
}

std::vector<scored_member> scored_of(std::string_view cmd, reply&& r) {
  if (r.type != reply_type::array) bad_shape(cmd, r, "an array");
  if (r.elements.size() % 2 != 0) throw_error(errc::data, "redis " + std::string(cmd) + ": odd member/score array");
  std::vector<scored_member> out;
  out.reserve(r.elements.size() / 2);
  for (std::size_t i = 0; i < r.elements.size(); i += 2) {
    if (r.elements[i].type != reply_type::string) bad_shape(cmd, r.elements[i], "a member string");
    out.push_back(scored_member{std::move(r.elements[i].str), score_of(cmd, r.elements[i + 1])});
  }
  return out;
}

bool ok_or_nil(std::string_view cmd, const reply& r) {
  if (r.type == reply_type::nil) return false;
  if (r.type == reply_type::status) return true;  // "OK", or "QUEUED" inside MULTI
  bad_shape(cmd, r, "OK or nil");
}

}  // namespace

// ------------------------------------------------------------ strings

std::optional<std::string> redis::get(std::string_view key) { return bulk_of("GET", conn_->command({"GET", key})); }

bool redis::set(std::string_view key, std::string_view value, const set_options& o) {
  if (o.ex && o.px) throw_error(errc::invalid_argument, "redis set: give ex (seconds) or px (milliseconds), not both");
  if (o.nx && o.xx) throw_error(errc::invalid_argument, "redis set: nx (only if absent) and xx (only if present) exclude each other");
  if (o.keep_ttl && (o.ex || o.px)) throw_error(errc::invalid_argument, "redis set: keep_ttl excludes ex and px");
  if ((o.ex && *o.ex <= 0) || (o.px && *o.px <= 0))
    throw_error(errc::invalid_argument, "redis set: the expiry must be positive");
  args a{"SET", key, value};
  if (o.ex) a.add("EX").num(*o.ex);
  if (o.px) a.add("PX").num(*o.px);
  if (o.nx) a.add("NX");
  if (o.xx) a.add("XX");
  if (o.keep_ttl) a.add("KEEPTTL");
  return ok_or_nil("SET", conn_->command(a.view()));
}

std::int64_t redis::del(keys k) {
  if (k.empty()) return 0;
  return integer_of("DEL", conn_->command(args{"DEL"}.add(k).view()));
}

std::int64_t redis::exists(keys k) {
  if (k.empty()) return 0;
  return integer_of("EXISTS", conn_->command(args{"EXISTS"}.add(k).view()));
}

bool redis::expire(std::string_view key, std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) throw_error(errc::invalid_argument, "redis expire: the time to live must be positive; use del() to remove a key");
  const bool whole = ttl.count() % 1000 == 0;
  args a{whole ? "EXPIRE" : "PEXPIRE", key};
  a.num(static_cast<std::int64_t>(whole ? ttl.count() / 1000 : ttl.count()));
  return integer_of("EXPIRE", conn_->command(a.view())) == 1;
}

std::optional<std::chrono::milliseconds> redis::ttl(std::string_view key) {
  const std::int64_t ms = integer_of("PTTL", conn_->command({"PTTL", key}));
  if (ms < 0) return std::nullopt;  // -1: no expiry, -2: no key
  return std::chrono::milliseconds(ms);
}

std::int64_t redis::incr(std::string_view key) { return integer_of("INCR", conn_->command({"INCR", key})); }

std::int64_t redis::incrby(std::string_view key, std::int64_t by) {
  return integer_of("INCRBY", conn_->command(args{"INCRBY", key}.num(by).view()));
}

std::vector<std::optional<std::string>> redis::mget(keys k) {
  std::vector<std::optional<std::string>> out;
  if (k.empty()) return out;
  reply r = conn_->command(args{"MGET"}.add(k).view());
  if (r.type != reply_type::array) bad_shape("MGET", r, "an array");
  out.reserve(r.elements.size());
  for (reply& e : r.elements) out.push_back(bulk_of("MGET", std::move(e)));
  return out;
}

void redis::mset(pairs kv) {
  if (kv.empty()) return;
  args a{"MSET"};
  for (const auto& [k, v] : kv) a.add(k).add(v);
  ok_or_nil("MSET", conn_->command(a.view()));
}

// ------------------------------------------------------------ hashes

std::int64_t redis::hset(std::string_view key, std::string_view field, std::string_view value) {
  return integer_of("HSET", conn_->command({"HSET", key, field, value}));
}

std::int64_t redis::hset(std::string_view key, pairs fields) {
  if (fields.empty()) throw_error(errc::invalid_argument, "redis hset: no fields given");
  args a{"HSET", key};
  for (const auto& [f, v] : fields) a.add(f).add(v);
  return integer_of("HSET", conn_->command(a.view()));
}

std::optional<std::string> redis::hget(std::string_view key, std::string_view field) {
  return bulk_of("HGET", conn_->command({"HGET", key, field}));
}

std::map<std::string, std::string> redis::hgetall(std::string_view key) {
  reply r = conn_->command({"HGETALL", key});
  if (r.type != reply_type::array && r.type != reply_type::map) bad_shape("HGETALL", r, "an array");
  if (r.elements.size() % 2 != 0) throw_error(errc::data, "redis HGETALL: odd field/value array");
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < r.elements.size(); i += 2) {
    if (r.elements[i].type != reply_type::string || r.elements[i + 1].type != reply_type::string)
      bad_shape("HGETALL", r.elements[i], "field/value strings");
    out.emplace(std::move(r.elements[i].str), std::move(r.elements[i + 1].str));
  }
  return out;
}

std::int64_t redis::hdel(std::string_view key, keys fields) {
  if (fields.empty()) return 0;
  return integer_of("HDEL", conn_->command(args{"HDEL", key}.add(fields).view()));
}

// ------------------------------------------------------------ lists

std::int64_t redis::lpush(std::string_view key, keys values) {
  if (values.empty()) throw_error(errc::invalid_argument, "redis lpush: no values given");
  return integer_of("LPUSH", conn_->command(args{"LPUSH", key}.add(values).view()));
}

std::int64_t redis::rpush(std::string_view key, keys values) {
  if (values.empty()) throw_error(errc::invalid_argument, "redis rpush: no values given");
  return integer_of("RPUSH", conn_->command(args{"RPUSH", key}.add(values).view()));
}

std::optional<std::string> redis::lpop(std::string_view key) { return bulk_of("LPOP", conn_->command({"LPOP", key})); }
std::optional<std::string> redis::rpop(std::string_view key) { return bulk_of("RPOP", conn_->command({"RPOP", key})); }

std::vector<std::string> redis::lrange(std::string_view key, std::int64_t start, std::int64_t stop) {
  return strings_of("LRANGE", conn_->command(args{"LRANGE", key}.num(start).num(stop).view()));
}

std::int64_t redis::llen(std::string_view key) { return integer_of("LLEN", conn_->command({"LLEN", key})); }

// ------------------------------------------------------------ sets

std::int64_t redis::sadd(std::string_view key, keys members) {
  if (members.empty()) throw_error(errc::invalid_argument, "redis sadd: no members given");
  return integer_of("SADD", conn_->command(args{"SADD", key}.add(members).view()));
}

std::int64_t redis::srem(std::string_view key, keys members) {
  if (members.empty()) return 0;
  return integer_of("SREM", conn_->command(args{"SREM", key}.add(members).view()));
}

std::vector<std::string> redis::smembers(std::string_view key) {
  return strings_of("SMEMBERS", conn_->command({"SMEMBERS", key}));
}

bool redis::sismember(std::string_view key, std::string_view member) {
  return integer_of("SISMEMBER", conn_->command({"SISMEMBER", key, member})) == 1;
}

// ------------------------------------------------------------ sorted sets

std::int64_t redis::zadd(std::string_view key, double score, std::string_view member) {
  return integer_of("ZADD", conn_->command(args{"ZADD", key}.num(score).add(member).view()));
}

std::int64_t redis::zadd(std::string_view key, std::span<const scored_member> members) {
  if (members.empty()) throw_error(errc::invalid_argument, "redis zadd: no members given");
  // Scores formatted up front: args keeps only a few numbers itself.
  std::vector<std::string> scores;
  scores.reserve(members.size());
  for (const auto& m : members) {
    if (std::isnan(m.score)) throw_error(errc::invalid_argument, "a Redis score cannot be NaN");
    if (std::isinf(m.score)) {
      scores.emplace_back(m.score > 0 ? "+inf" : "-inf");
      continue;
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, m.score);
    scores.emplace_back(buf, r.ptr);
  }
  args a{"ZADD", key};
  for (std::size_t i = 0; i < members.size(); ++i) a.add(scores[i]).add(members[i].member);
  return integer_of("ZADD", conn_->command(a.view()));
}

std::vector<std::string> redis::zrange(std::string_view key, std::int64_t start, std::int64_t stop) {
  return strings_of("ZRANGE", conn_->command(args{"ZRANGE", key}.num(start).num(stop).view()));
}

std::vector<scored_member> redis::zrange_with_scores(std::string_view key, std::int64_t start, std::int64_t stop) {
  return scored_of("ZRANGE", conn_->command(args{"ZRANGE", key}.num(start).num(stop).add("WITHSCORES").view()));
}

std::vector<scored_member> redis::zrangebyscore(std::string_view key, double min, double max) {
  return scored_of("ZRANGEBYSCORE",
                   conn_->command(args{"ZRANGEBYSCORE", key}.num(min).num(max).add("WITHSCORES").view()));
}

// ------------------------------------------------------------ transactions

void redis::multi() { ok_or_nil("MULTI", conn_->command({"MULTI"})); }

std::optional<std::vector<reply>> redis::exec() {
  reply r = conn_->command({"EXEC"});
  // RESP2 answers nil, RESP3 a null array, when a WATCHed key changed.
  if (r.type == reply_type::nil) return std::nullopt;
  if (r.type != reply_type::array) bad_shape("EXEC", r, "an array or nil");
  return std::move(r.elements);
}

void redis::discard() { ok_or_nil("DISCARD", conn_->command({"DISCARD"})); }

void redis::watch(keys k) {
  if (k.empty()) throw_error(errc::invalid_argument, "redis watch: no keys given");
  ok_or_nil("WATCH", conn_->command(args{"WATCH"}.add(k).view()));
}

void redis::unwatch() { ok_or_nil("UNWATCH", conn_->command({"UNWATCH"})); }

// ------------------------------------------------------------ misc

std::int64_t redis::publish(std::string_view channel, std::string_view message) {
  return integer_of("PUBLISH", conn_->command({"PUBLISH", channel, message}));
}

result redis::keyspace() { return conn_->keyspace(); }

// ------------------------------------------------------------ scan

bool key_scan::fetch_page() {
  if (finished_) return false;
  args a{"SCAN", cursor_};
  if (!opts_.match.empty()) a.add("MATCH").add(opts_.match);
  if (opts_.count > 0) a.add("COUNT").num(opts_.count);
  if (!opts_.type.empty()) a.add("TYPE").add(opts_.type);
  reply r = conn_->command(a.view());
  if (r.type != reply_type::array || r.elements.size() != 2 || r.elements[0].type != reply_type::string)
    bad_shape("SCAN", r, "[cursor, keys]");
  cursor_ = std::move(r.elements[0].str);
  page_ = strings_of("SCAN", std::move(r.elements[1]));
  pos_ = 0;
  started_ = true;
  if (cursor_ == "0") finished_ = true;
  return true;
}

bool key_scan::advance_first() {
  if (started_) return pos_ < page_.size() || advance();
  while (fetch_page())
    if (!page_.empty()) return true;
  return false;
}

bool key_scan::advance() {
  if (++pos_ < page_.size()) return true;
  while (fetch_page())
    if (!page_.empty()) return true;
  return false;
}

std::vector<std::string> key_scan::to_vector() {
  std::vector<std::string> out;
  for (const std::string& k : *this) out.push_back(k);
  return out;
}

}  // namespace dbridge
