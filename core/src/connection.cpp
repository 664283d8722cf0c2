// SPDX-License-Identifier: Apache-2.0
// The connection object: queries through the statement cache, prepared
// statements, scripts, ping, cancel and what a connection reports of itself.
#include "dbridge/connection.hpp"

#include <dbridge/abi.h>

#include <cstring>

#include "plugin/capability.hpp"
#include "connection_impl.hpp"

namespace dbridge::inline v1 {

namespace detail {

namespace {
std::string short_sql(std::string_view sql) {
  if (sql.size() <= 200) return std::string(sql);
  return std::string(sql.substr(0, 200)) + "...";
}

// A statement borrowed for one call: from the cache or prepared just for it.
struct stmt_lease {
  cached_stmt* entry = nullptr;
  dbr_stmt* stmt = nullptr;
  std::uint32_t nparams = 0;
};

stmt_lease acquire_stmt(connection_impl& c, std::string_view sql) {
  stmt_lease l;
  if (cached_stmt* e = c.cache.find(sql)) {
    if (!e->in_use) {
      e->in_use = true;
      return {e, e->stmt, e->nparams};
    }
    // A live result still reads the cached one: this call gets its own.
    l.stmt = c.prepare(sql, 0, l.nparams);
    return l;
  }
  l.stmt = c.prepare(sql, c.cache.capacity() ? DBR_PREPARE_PERSISTENT : 0u, l.nparams);
  std::vector<dbr_stmt*> evicted;
  try {
    l.entry = c.cache.insert(sql, l.stmt, l.nparams, evicted);
  } catch (...) {
    c.finalize(l.stmt);
    throw;
  }
  c.finalize_all(evicted);
  if (l.entry) l.entry->in_use = true;
  return l;
}

void release_stmt(connection_impl& c, stmt_lease& l) noexcept {
  if (l.entry) l.entry->in_use = false;
  else if (l.stmt) c.finalize(l.stmt);
  l = {};
}

[[noreturn]] void wrong_param_count(std::uint32_t expected, std::size_t given, std::string_view sql) {
  throw_error(errc::invalid_argument, "the statement expects " + std::to_string(expected) + " parameter" +
                                          (expected == 1 ? "" : "s") + " but " + std::to_string(given) +
                                          (given == 1 ? " was" : " were") + " given: " + short_sql(sql));
}

// Releases the lease before throwing, so the count is read first.
void check_param_count(connection_impl& c, stmt_lease& l, std::size_t given, std::string_view sql) {
  const std::uint32_t expected = l.nparams;
  if (expected == UINT32_MAX || expected == given) [[likely]] return;
  release_stmt(c, l);
  wrong_param_count(expected, given, sql);
}

constexpr std::size_t stack_params = 16;

// One run of sql through a statement borrowed from the cache (or prepared for
// it): what execute reported, with the statement still borrowed.
struct sql_run {
  stmt_lease lease;
  dbr_exec_info info;
  dbr_cursor* cur = nullptr;
  int32_t rc = 0;
  bool was_in_tx = false;  ///< a transaction was open before the call
};

// Prepares (or finds), binds and executes; first_max rows may come back with
// the execute. The caller holds the call guard and hands the lease back.
inline void run_sql(connection_impl& c, std::string_view sql, params p, std::uint32_t first_max, sql_run& r) {
  r.lease = acquire_stmt(c, sql);
  check_param_count(c, r.lease, p.size(), sql);
  dbr_value buf[stack_params];
  std::memset(&r.info, 0, sizeof r.info);
  r.info.struct_size = sizeof r.info;
  r.info.first_max = first_max;
  r.was_in_tx = c.in_explicit_tx();
  try {
    const dbr_value* pv = c.bind(p, buf, stack_params);
    r.rc = c.rec->sql.execute(r.lease.stmt, pv, static_cast<std::uint32_t>(p.size()), &r.info, &r.cur, c.err);
  } catch (...) {
    release_stmt(c, r.lease);
    throw;
  }
  c.note_session(r.info, sql);
  if (is_transaction_sql(sql)) [[unlikely]] c.refresh_raw_tx();
}

}  // namespace

}  // namespace detail

// ------------------------------------------------------------ connection

namespace {
using detail::live;
const std::string& empty_string() {
  static const std::string s;
  return s;
}
}  // namespace

connection::connection(std::unique_ptr<detail::connection_impl> impl) : impl_(std::move(impl)) {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& o) noexcept {
  if (this != &o) {
    impl_.reset();
    impl_ = std::move(o.impl_);
  }
  return *this;
}
connection::~connection() = default;

result connection::query(std::string_view sql, params p) {
  auto& c = live(impl_);
  c.require(DBR_CAP_SQL, reinterpret_cast<const void*>(c.rec->sql.prepare), "sql");
  detail::call_guard g(c);
  c.slot->touch();
  detail::sql_run r;
  detail::run_sql(c, sql, p, detail::fetch_batch, r);
  if (r.rc < 0) {
    detail::release_stmt(c, r.lease);
    c.fail_sent(r.rc, c.err, sql, detail::sql_effect(sql, r.was_in_tx), r.was_in_tx);
  }
  if (!r.info.has_rows || r.cur == nullptr) {
    if (r.cur) c.rec->cursor.close(r.cur);
    detail::release_stmt(c, r.lease);
    c.note_schema(sql);
    return detail::connection_impl::make_result(nullptr, r.info);
  }
  detail::cursor_source from;
  if (r.lease.entry) {
    from.owner = detail::stmt_owner::cached;
    from.entry = r.lease.entry;
  } else {
    from.owner = detail::stmt_owner::owned;
    from.owned_stmt = r.lease.stmt;
  }
  return c.open_result(r.cur, from, &r.info);
}

record connection::query_one(std::string_view sql, params p) {
  result r = query(sql, p);
  const row* first = r.next();
  if (first == nullptr) {
    error_info info;
    info.category = errc::not_found;
    info.native_domain = "dbridge";
    info.driver = plugin_id();
    info.query = detail::short_sql(sql);
    info.message = "the query returned no rows, and query_one() needs one: " + detail::short_sql(sql);
    throw_error(std::move(info));
  }
  std::vector<value> vals = first->to_values();
  return record(r.columns(), std::move(vals));
}

exec_result connection::execute(std::string_view sql, params p) {
  auto& c = live(impl_);
  c.require(DBR_CAP_SQL, reinterpret_cast<const void*>(c.rec->sql.prepare), "sql");
  detail::call_guard g(c);
  c.slot->touch();
  detail::sql_run r;
  detail::run_sql(c, sql, p, 0, r);
  if (r.cur) c.rec->cursor.close(r.cur);
  detail::release_stmt(c, r.lease);
  c.note_schema(sql);
  if (r.rc < 0) c.fail_sent(r.rc, c.err, sql, detail::sql_effect(sql, r.was_in_tx), r.was_in_tx);
  return detail::connection_impl::make_exec_result(r.info);
}

void connection::execute_script(std::string_view sql) {
  auto& c = live(impl_);
  c.require(DBR_CAP_SQL, reinterpret_cast<const void*>(c.rec->sql.prepare), "sql");
  if (c.rec->sql.execute_script == nullptr) {
    // A driver without scripts still runs a single statement.
    execute(sql);
    return;
  }
  detail::check_sql_text(sql, c.rec->id);
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  const bool was_in_tx = c.in_explicit_tx();
  // A script is several statements with no per-statement report: it counts
  // as a session change.
  c.session_dirty = true;
  const int32_t rc = c.rec->sql.execute_script(c.conn, sql.data(), sql.size(), err);
  c.refresh_raw_tx();  // a script may open or close a transaction anywhere in it
  c.note_schema(sql);
  if (rc < 0) c.fail_sent(rc, err, detail::short_sql(sql), detail::sql_effect(sql, was_in_tx), was_in_tx);
}

statement connection::prepare(std::string_view sql) {
  auto& c = live(impl_);
  c.require(DBR_CAP_SQL, reinterpret_cast<const void*>(c.rec->sql.prepare), "sql");
  detail::call_guard g(c);
  c.slot->touch();
  auto si = std::make_unique<detail::statement_impl>();
  si->sql.assign(sql);
  si->transaction_sql = detail::is_transaction_sql(sql);
  si->schema_sql = detail::changes_schema(sql);
  si->stmt = c.prepare(sql, DBR_PREPARE_PERSISTENT, si->nparams);
  c.link(si.get());
  return statement(std::move(si));
}

bool connection::ping() {
  auto& c = live(impl_);
  if (c.conn == nullptr || c.broken) return false;
  if (c.rec->conn.ping == nullptr) return true;
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  const int32_t rc = c.rec->conn.ping(c.conn, err);
  if (rc < 0 && err.raw().conn_broken) c.broken = true;
  return rc >= 0;
}

void connection::cancel() {
  auto& c = live(impl_);
  c.require(DBR_CAP_CANCEL, reinterpret_cast<const void*>(c.rec->conn.cancel), "cancel");
  if (c.conn == nullptr) return;
  detail::abi_error err;
  int32_t rc;
  if (c.rec->flags & DBR_PF_CANCEL_ANY_THREAD) {
    // Deliberately outside the guard: cancelling a call in progress is the point.
    rc = c.rec->conn.cancel(c.conn, err);
  } else {
    detail::call_guard g(c);
    rc = c.rec->conn.cancel(c.conn, err);
  }
  if (rc < 0) c.fail(rc, err);
}

void connection::close() {
  if (!impl_ || impl_->conn == nullptr) return;
  detail::call_guard g(*impl_);
  impl_->close();
}

bool connection::is_open() const noexcept { return impl_ && impl_->conn != nullptr; }

bool connection::in_transaction() const {
  auto& c = live(impl_);
  if (c.conn != nullptr && c.rec->txn.in_transaction != nullptr) {
    detail::call_guard g(c);
    const int32_t r = c.rec->txn.in_transaction(c.conn);
    if (r >= 0) return r > 0;
  }
  return c.tx_depth > 0;
}

std::uint64_t connection::id() const noexcept { return impl_ && impl_->slot ? impl_->slot->entry.id : 0; }
const std::string& connection::scheme() const noexcept { return impl_ ? impl_->scheme : empty_string(); }
const std::string& connection::redacted_url() const noexcept { return impl_ ? impl_->redacted_url : empty_string(); }
const std::string& connection::database() const noexcept { return impl_ ? impl_->database : empty_string(); }
const std::string& connection::plugin_id() const noexcept { return impl_ ? impl_->rec->id : empty_string(); }
const std::string& connection::plugin_version() const noexcept {
  return impl_ ? impl_->rec->version : empty_string();
}

bool connection::has_capability(std::string_view name) const noexcept {
  if (!impl_) return false;
  const std::uint64_t bit = detail::capability_bit(name);
  return bit != 0 && impl_->rec->has(bit);
}

statement_cache_stats connection::cache_stats() const noexcept {
  statement_cache_stats s;
  if (!impl_) return s;
  s.hits = impl_->cache.hits();
  s.misses = impl_->cache.misses();
  s.size = impl_->cache.size();
  s.capacity = impl_->cache.capacity();
  return s;
}

}  // namespace dbridge
