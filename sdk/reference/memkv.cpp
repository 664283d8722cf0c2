// SPDX-License-Identifier: Apache-2.0
// The reference driver: memkv://name, an in-memory key/value store that lives
// as long as the process. It has no server and no dependencies, so it shows
// the whole shape of a driver without a backend getting in the way:
//
//   - a connection class deriving from sdk::connection plus one cap::*
//     interface per capability it offers (here: command, transactions,
//     introspect) - the SDK derives the capability bitmask and the C tables
//     from that list;
//   - a driver class (the plugin instance) whose connect() parses the URL;
//   - errors thrown as sdk::error with a category; anything else thrown is
//     caught at the boundary and reported as an internal error;
//   - borrowed outputs (replies, cursor cells) owned by the connection until
//     its next call, as abi.h requires.
//
// Copy this file and plugin.toml, rename, and replace the store with your
// backend's client library.
#include <dbridge/sdk/cursor.hpp>
#include <dbridge/sdk/driver.hpp>
#include <dbridge/sdk/error.hpp>
#include <dbridge/sdk/reply.hpp>
#include <dbridge/sdk/value.hpp>

#include <charconv>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace sdk = dbridge::sdk;

// ---------------------------------------------------------------- the store
// One keyspace per URL database name, shared by every connection of the
// process that names it. Keys and values are arbitrary bytes.
struct keyspace {
  std::mutex mu;
  std::map<std::string, std::string, std::less<>> data;
};

class keyspaces {
 public:
  static std::shared_ptr<keyspace> open(const std::string& name) {
    keyspaces& self = instance();
    std::lock_guard lock(self.mu_);
    auto& slot = self.spaces_[name];
    if (!slot) slot = std::make_shared<keyspace>();
    return slot;
  }
  /// (name, key count) of every keyspace, sorted by name.
  static std::vector<std::pair<std::string, std::int64_t>> list() {
    keyspaces& self = instance();
    std::vector<std::pair<std::string, std::shared_ptr<keyspace>>> copy;
    {
      std::lock_guard lock(self.mu_);
      copy.assign(self.spaces_.begin(), self.spaces_.end());
    }
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (auto& [name, ks] : copy) {
      std::lock_guard lock(ks->mu);
      out.emplace_back(name, static_cast<std::int64_t>(ks->data.size()));
    }
    return out;
  }

 private:
  static keyspaces& instance() {
    static keyspaces k;
    return k;
  }
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<keyspace>> spaces_;
};

// Redis-style glob: * ? [abc] [a-z] [^x] and \ escapes.
bool glob_match(std::string_view pat, std::string_view s) {
  std::size_t p = 0, i = 0, star_p = std::string_view::npos, star_i = 0;
  auto class_match = [&](std::size_t& pp, char c) {
    bool negate = false, hit = false;
    ++pp;  // '['
    if (pp < pat.size() && (pat[pp] == '^' || pat[pp] == '!')) {
      negate = true;
      ++pp;
    }
    while (pp < pat.size() && pat[pp] != ']') {
      char lo = pat[pp];
      if (lo == '\\' && pp + 1 < pat.size()) lo = pat[++pp];
      if (pp + 2 < pat.size() && pat[pp + 1] == '-' && pat[pp + 2] != ']') {
        char hi = pat[pp + 2];
        if (c >= lo && c <= hi) hit = true;
        pp += 3;
      } else {
        if (c == lo) hit = true;
        ++pp;
      }
    }
    if (pp < pat.size()) ++pp;  // ']'
    return hit != negate;
  };
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star_p = p++;
      star_i = i;
      continue;
    }
    if (p < pat.size()) {
      std::size_t next = p;
      bool ok;
      if (pat[p] == '?') {
        ok = true;
        next = p + 1;
      } else if (pat[p] == '[') {
        ok = class_match(next, s[i]);
      } else if (pat[p] == '\\' && p + 1 < pat.size()) {
        ok = pat[p + 1] == s[i];
        next = p + 2;
      } else {
        ok = pat[p] == s[i];
        next = p + 1;
      }
      if (ok) {
        p = next;
        ++i;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    i = ++star_i;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool parse_int64(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// ------------------------------------------------------------ the connection
class memkv_connection final : public sdk::connection,
                               public sdk::cap::command,
                               public sdk::cap::transactions,
                               public sdk::cap::introspect {
 public:
  memkv_connection(std::string name, std::shared_ptr<keyspace> ks) : name_(std::move(name)), ks_(std::move(ks)) {}

  // -- connection basics
  void ping() override {}  // nothing can be unreachable in memory

  dbr_value get_info(const char* key) override {
    std::string_view k(key);
    if (k == "database") return sdk::make_text(name_);
    if (k == "server_version") return sdk::make_text(DBRIDGE_PLUGIN_VERSION);
    return sdk::connection::get_info(key);  // the SDK's "unknown key" error
  }

  // -- capability "command": argv in, reply tree out. The replies live in
  // replies_ until the next command (abi.h: borrowed until the next call).
  const dbr_reply* execute_command(const sdk::argv_view& args) override {
    if (args.empty()) throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "memkv: empty command; pass at least a command name");
    replies_.clear();
    std::string cmd(args[0]);
    for (char& c : cmd) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);

    // Server-side failures are ERROR replies, not exceptions: the core turns
    // them into errors for the caller while the connection stays usable.
    auto arity = [&](std::uint32_t min, std::uint32_t max) {
      return args.size() >= min && args.size() <= max;
    };
    auto wrong_args = [&] {
      std::string lower(args[0]);
      for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      return replies_.error("ERR wrong number of arguments for '" + lower + "' command");
    };
    constexpr std::uint32_t many = 0xFFFFFFFFu;

    if (cmd == "PING") {
      if (!arity(1, 2)) return wrong_args();
      return args.size() == 2 ? replies_.string(args[1]) : replies_.status("PONG");
    }
    if (cmd == "GET") {
      if (!arity(2, 2)) return wrong_args();
      std::optional<std::string> v = read(args[1]);
      return v ? replies_.string(*v) : replies_.nil();
    }
    if (cmd == "SET") {
      if (!arity(3, 3)) return wrong_args();
      if (const dbr_reply* e = refuse_write()) return e;
      write(args[1], std::string(args[2]));
      return replies_.status("OK");
    }
    if (cmd == "DEL" || cmd == "EXISTS") {
      if (!arity(2, many)) return wrong_args();
      const bool del = cmd == "DEL";
      if (del) {
        if (const dbr_reply* e = refuse_write()) return e;
      }
      std::int64_t n = 0;
      for (std::uint32_t i = 1; i < args.size(); ++i) {
        if (read(args[i])) {
          ++n;
          if (del) write(args[i], std::nullopt);
        }
      }
      return replies_.integer(n);
    }
    if (cmd == "INCR") {
      if (!arity(2, 2)) return wrong_args();
      if (const dbr_reply* e = refuse_write()) return e;
      // Read-modify-write under the keyspace lock so concurrent INCRs on other
      // connections never lose an update (outside a transaction).
      std::unique_lock lock(ks_->mu, std::defer_lock);
      if (!in_txn_) lock.lock();
      std::optional<std::string> cur = in_txn_ ? read(args[1]) : read_locked(args[1]);
      std::int64_t n = 0;
      if (cur && !parse_int64(*cur, n)) return replies_.error("ERR value is not an integer or out of range");
      if (n == INT64_MAX) return replies_.error("ERR increment or decrement would overflow");
      ++n;
      if (in_txn_)
        overlay_[std::string(args[1])] = std::to_string(n);
      else
        ks_->data.insert_or_assign(std::string(args[1]), std::to_string(n));
      return replies_.integer(n);
    }
    if (cmd == "KEYS") {
      if (!arity(2, 2)) return wrong_args();
      std::set<std::string, std::less<>> keys;
      {
        std::lock_guard lock(ks_->mu);
        for (const auto& [k, v] : ks_->data)
          if (glob_match(args[1], k)) keys.insert(k);
      }
      for (const auto& [k, v] : overlay_) {  // our own uncommitted writes win
        if (!glob_match(args[1], k)) continue;
        if (v)
          keys.insert(k);
        else
          keys.erase(k);
      }
      std::vector<const dbr_reply*> items;
      items.reserve(keys.size());
      for (const auto& k : keys) items.push_back(replies_.string(k));
      return replies_.array(items);
    }
    if (cmd == "FLUSHDB") {
      if (!arity(1, 1)) return wrong_args();
      if (in_txn_) return replies_.error("ERR FLUSHDB is not allowed inside a transaction");
      std::lock_guard lock(ks_->mu);
      ks_->data.clear();
      return replies_.status("OK");
    }
    return replies_.error("ERR unknown command '" + std::string(args[0]) + "'");
  }

  // -- capability "transactions": begin buffers writes in overlay_, commit
  // applies them atomically, rollback drops them. Reads see our own writes.
  void begin(const dbr_txn_options& opts) override {
    if (in_txn_)
      throw sdk::error(DBR_CAT_INVALID_STATE, "memkv: a transaction is already open on this connection")
          .sqlstate("25001");
    in_txn_ = true;
    read_only_ = opts.read_only != 0;
    overlay_.clear();
    savepoints_.clear();
  }
  void commit() override {
    require_txn("commit");
    {
      std::lock_guard lock(ks_->mu);
      for (auto& [k, v] : overlay_) {
        if (v)
          ks_->data.insert_or_assign(k, std::move(*v));
        else
          ks_->data.erase(k);
      }
    }
    end_txn();
  }
  void rollback() override {
    require_txn("rollback");
    end_txn();
  }
  // Savepoints snapshot the overlay; cheap enough for a reference driver.
  void savepoint(const char* name) override {
    require_txn("savepoint");
    savepoints_.emplace_back(name, overlay_);
  }
  void release_savepoint(const char* name) override { savepoints_.erase(find_savepoint(name), savepoints_.end()); }
  void rollback_to_savepoint(const char* name) override {
    auto it = find_savepoint(name);
    overlay_ = it->second;  // the savepoint itself stays, as in SQL
    savepoints_.erase(it + 1, savepoints_.end());
  }
  bool in_transaction() override { return in_txn_; }

  // -- capability "introspect": key/value stores answer DBR_META_KEYSPACE.
  std::unique_ptr<sdk::cursor> list(std::uint32_t what, const char* schema, const char* table) override {
    (void)table;
    if (what != DBR_META_KEYSPACE)
      throw sdk::error(DBR_CAT_UNSUPPORTED,
                       "memkv has no tables or schemas; list DBR_META_KEYSPACE (" + std::to_string(DBR_META_KEYSPACE) +
                           ") instead of " + std::to_string(what));
    auto cur = std::make_unique<sdk::table_cursor>();
    cur->add_column("name", DBR_TYPE_TEXT, "keyspace", DBR_NULLABLE_NO);
    cur->add_column("keys", DBR_TYPE_INT64, "integer", DBR_NULLABLE_NO);
    for (const auto& [name, keys] : keyspaces::list()) {
      if (schema != nullptr && name != schema) continue;
      cur->add_row({cur->text(name), sdk::make_int64(keys)});
    }
    return cur;
  }

 private:
  using overlay = std::map<std::string, std::optional<std::string>, std::less<>>;

  std::optional<std::string> read_locked(std::string_view key) const {
    auto it = ks_->data.find(key);
    if (it == ks_->data.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> read(std::string_view key) const {
    if (in_txn_) {
      if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
    }
    std::lock_guard lock(ks_->mu);
    return read_locked(key);
  }
  void write(std::string_view key, std::optional<std::string> value) {
    if (in_txn_) {
      overlay_.insert_or_assign(std::string(key), std::move(value));
      return;
    }
    std::lock_guard lock(ks_->mu);
    if (value)
      ks_->data.insert_or_assign(std::string(key), std::move(*value));
    else
      ks_->data.erase(std::string(key));
  }
  const dbr_reply* refuse_write() {
    return in_txn_ && read_only_ ? replies_.error("ERR write command in a read-only transaction") : nullptr;
  }
  void require_txn(const char* what) const {
    if (!in_txn_)
      throw sdk::error(DBR_CAT_INVALID_STATE, std::string("memkv: ") + what + " with no transaction open")
          .sqlstate("25P01");
  }
  std::vector<std::pair<std::string, overlay>>::iterator find_savepoint(const char* name) {
    require_txn("savepoint operation");
    for (auto it = savepoints_.end(); it != savepoints_.begin();) {
      --it;
      if (it->first == name) return it;
    }
    throw sdk::error(DBR_CAT_INVALID_STATE, std::string("memkv: no savepoint named '") + name + "'").sqlstate("3B001");
  }
  void end_txn() {
    in_txn_ = false;
    read_only_ = false;
    overlay_.clear();
    savepoints_.clear();
  }

  std::string name_;
  std::shared_ptr<keyspace> ks_;
  sdk::reply_builder replies_;
  bool in_txn_ = false;
  bool read_only_ = false;
  overlay overlay_;
  std::vector<std::pair<std::string, overlay>> savepoints_;
};

// ---------------------------------------------------------------- the driver
class memkv_driver final : public sdk::driver<memkv_connection> {
 public:
  static constexpr const char* schemes[] = {"memkv", nullptr};
  static constexpr sdk::plugin_info info{
      .id = DBRIDGE_PLUGIN_ID,            // from plugin.toml, via dbridge_add_plugin()
      .version = DBRIDGE_PLUGIN_VERSION,  // idem
      .threading = DBR_THREADING_PER_CONNECTION,
      .schemes = schemes,
  };

  // memkv://name (or memkv:///name): the keyspace name; "default" when absent.
  std::unique_ptr<memkv_connection> connect(const dbr_url& url) override {
    // Unknown options are errors, never silently ignored (docs/architecture.md, Configuration).
    for (const dbr_param& opt : sdk::param_list(url.options, url.noptions))
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       std::string("memkv: unknown URL option '") + opt.key + "'; memkv takes no options");
    std::string name;
    if (url.database != nullptr && *url.database != '\0')
      name = url.database;
    else if (url.host != nullptr && *url.host != '\0')
      name = url.host;
    else
      name = "default";
    return std::make_unique<memkv_connection>(name, keyspaces::open(name));
  }
};

}  // namespace

DBRIDGE_SDK_DRIVER(memkv_driver)
