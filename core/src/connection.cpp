// SPDX-License-Identifier: Apache-2.0
// connect() and the connection: threading guard, statement cache, queries,
// functions, introspection, registry bookkeeping.
#include "dbridge/connection.hpp"

#include <dbridge/abi.h>

#include <cstring>

#include "connection_impl.hpp"
#include "dbridge/registry.hpp"
#include "dbridge/url.hpp"
#include "url_rules.hpp"
#include "logging.hpp"

namespace dbridge {

namespace detail {

namespace {

/// Second line of defence: plugins are told never to echo secrets, but if one
/// does, a URL's password or a secret must still not reach an exception
/// message. Only whole URLs, key=value secrets and whole words are hidden
/// (redact_secrets), so the rest of the message reads as the plugin wrote it.
void scrub(error_info& info, const std::vector<std::string>& secrets) {
  for (std::string* f : {&info.message, &info.detail, &info.hint, &info.query}) *f = redact_secrets(*f, secrets);
}

// The password and the values of secret options (?sslpassword=...).
std::vector<std::string> secrets_of(const url& u) {
  std::vector<std::string> out;
  if (u.password && !u.password->empty()) out.push_back(*u.password);
  for (const auto& [k, v] : u.options)
    if (!v.empty() && is_secret_option(k)) out.push_back(v);
  return out;
}

const char* capability_name(std::uint64_t cap) {
  switch (cap) {
    case DBR_CAP_SQL: return "sql";
    case DBR_CAP_TRANSACTIONS: return "transactions";
    case DBR_CAP_COMMAND: return "command";
    case DBR_CAP_NOTIFY: return "notify";
    case DBR_CAP_BULK: return "bulk";
    case DBR_CAP_BATCH: return "batch";
    case DBR_CAP_INTROSPECT: return "introspect";
    case DBR_CAP_FUNCTIONS: return "functions";
    case DBR_CAP_CANCEL: return "cancel";
    default: return nullptr;
  }
}

std::uint64_t capability_bit(std::string_view name) {
  for (std::uint64_t bit = 1; bit <= DBR_CAP_CANCEL; bit <<= 1)
    if (const char* n = capability_name(bit); n != nullptr && name == n) return bit;
  return 0;
}

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

}  // namespace

// ------------------------------------------------------------ connection_impl

connection_impl::~connection_impl() {
  if (conn != nullptr) {
    if (!try_enter()) {
      log_line(DBR_LOG_ERROR, "dbridge",
               "a connection was destroyed while another thread was using it; closing it anyway");
      if (serial) rec->serial_mutex.lock();
    }
    close();
    leave();
  }
  delete spare;
}

void connection_impl::unsupported(std::string_view capability) const {
  error_info info;
  info.category = errc::unsupported;
  info.native_domain = "dbridge";
  info.driver = rec->id;
  info.message = "driver '" + rec->id + "' does not support '" + std::string(capability) + "'";
  std::string caps;
  for (std::uint64_t bit = 1; bit <= DBR_CAP_CANCEL; bit <<= 1) {
    if (rec->has(bit)) {
      if (!caps.empty()) caps += ", ";
      caps += capability_name(bit);
    }
  }
  info.message += " (its capabilities: " + (caps.empty() ? std::string("none") : caps) + ")";
  if (capability == "sql" && rec->has(DBR_CAP_COMMAND))
    info.message += "; it is a command-shaped backend: use connection::command({\"GET\", \"key\"}) or the typed "
                    "helpers (dbridge::redis in dbridge/redis.hpp)";
  throw_error(std::move(info));
}

void connection_impl::fail(int32_t status, abi_error& e, std::string_view query) {
  error_info info = e.to_info(status, rec->id, query);
  e.clear();
  raise(std::move(info));
}

void connection_impl::fail_sent(int32_t status, abi_error& e, std::string_view query, statement_effect effect,
                                bool was_in_tx) {
  error_info info = e.to_info(status, rec->id, query);
  e.clear();
  info.retry = retry_after_loss(info.retry, effect, was_in_tx);
  raise(std::move(info));
}

void connection_impl::raise(error_info info) {
  if (info.connection_broken) broken = true;
  scrub(info, secrets);
  // A call that failed past its transaction's deadline (typically cancelled
  // by the watchdog) reports the transaction timeout, whatever it was.
  if (tx_deadline_ns != 0 && mono_ns() >= tx_deadline_ns) [[unlikely]]
    expire_transaction(info.message);
  throw_error(std::move(info));
}

void connection_impl::fail_reading(int32_t status, const cursor_impl& c) {
  std::string_view sql;
  if (c.owner == stmt_owner::cached && c.entry != nullptr) sql = c.entry->sql;
  if (c.owner == stmt_owner::statement && c.stmt_impl != nullptr) sql = c.stmt_impl->sql;
  if (sql.empty()) fail(status, err);  // an uncached one-off statement: its text is gone
  const bool in_tx = in_explicit_tx();
  fail_sent(status, err, {}, sql_effect(sql, in_tx), in_tx);
}

void connection_impl::closed() const {
  throw_error(errc::invalid_state, "the connection is closed; open a new one with dbridge::connect()");
}

void connection_impl::concurrent() const {
  throw_error(errc::invalid_state,
              "connection " + std::to_string(slot->entry.id) + " (" + redacted_url +
                  ") is already inside another call; a connection serves one thread at a time: use one "
                  "connection per thread or a pool");
}

void check_sql_text(std::string_view sql, std::string_view driver) {
  const std::size_t nul = sql.find('\0');
  if (nul == std::string_view::npos) [[likely]] return;
  error_info info;
  info.category = errc::data;
  info.subcategory = suberrc::nul_byte;
  info.native_domain = "dbridge";
  info.driver = std::string(driver);
  info.message = "the SQL text holds a NUL byte at offset " + std::to_string(nul) +
                 " (0-based); it was not sent, since the database would run only the text before it";
  info.hint = "remove the NUL byte from the statement; pass binary data as a bytes parameter instead";
  throw_error(std::move(info));
}

dbr_stmt* connection_impl::prepare(std::string_view sql, std::uint32_t flags, std::uint32_t& nparams) {
  check_sql_text(sql, rec->id);
  dbr_stmt* st = nullptr;
  const int32_t rc = rec->sql.prepare(conn, sql.data(), sql.size(), flags, &st, err);
  if (rc < 0) fail(rc, err, sql);
  if (st == nullptr) throw_error(errc::internal, "driver '" + rec->id + "' prepared no statement and no error");
  nparams = rec->sql.param_count ? rec->sql.param_count(st) : UINT32_MAX;
  return st;
}

void connection_impl::link(statement_impl* s) noexcept {
  s->conn = this;
  s->prev = nullptr;
  s->next = live_stmts;
  if (live_stmts) live_stmts->prev = s;
  live_stmts = s;
}

void connection_impl::unlink(statement_impl* s) noexcept {
  if (s->prev) s->prev->next = s->next;
  else if (live_stmts == s) live_stmts = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
}

void connection_impl::close() noexcept {
  if (conn == nullptr) return;
  // Results and statements may outlive the connection object: detach them so
  // they report invalid_state instead of touching freed plugin handles.
  for (cursor_impl* c = live_cursors; c != nullptr;) {
    cursor_impl* next = c->next;
    close_cursor(c);
    c->conn = nullptr;
    c->done = true;
    c->invalid_reason = "its connection was closed";
    c->prev = c->next = nullptr;
    c = next;
  }
  live_cursors = nullptr;
  nlive = 0;
  for (statement_impl* s = live_stmts; s != nullptr;) {
    statement_impl* next = s->next;
    if (s->stmt) finalize(s->stmt);
    s->stmt = nullptr;
    s->conn = nullptr;
    s->live = nullptr;
    s->prev = s->next = nullptr;
    s = next;
  }
  live_stmts = nullptr;
  std::vector<dbr_stmt*> evicted;
  try {
    cache.clear(evicted);
  } catch (...) {
  }
  finalize_all(evicted);
  if (watch) {
    disarm_tx_deadline();
    std::lock_guard lk(watch->mu);
    watch->conn = nullptr;
  }
  rec->conn.close(conn);
  conn = nullptr;
  tx_depth = 0;
  registry::global().remove(slot->entry.id);
}

// ------------------------------------------------------------ functions

namespace {

struct function_holder {
  std::function<value(std::span<const value>)> fn;
  std::vector<value> args;
  value result;  // lives until the next call, so the plugin can copy it
  abi_scratch scratch;
};

int32_t report(dbr_error* err, errc cat, const std::string& sqlstate, const std::string& msg) noexcept {
  return host_table()->error_set(err, static_cast<std::uint32_t>(cat), sqlstate.size() == 5 ? sqlstate.c_str() : nullptr,
                                 msg.data(), msg.size());
}

int32_t function_thunk(void* user, uint32_t argc, const dbr_value* argv, dbr_value* out, dbr_error* err) noexcept {
  auto* h = static_cast<function_holder*>(user);
  try {
    h->args.clear();
    for (uint32_t i = 0; i < argc; ++i) h->args.push_back(value::from_abi(argv[i]));
    h->result = h->fn(std::span<const value>(h->args));
    h->scratch.reset();
    to_abi(h->result, *out, h->scratch);
    return DBR_OK;
  } catch (const error& e) {
    return report(err, e.category(), e.info().sqlstate, e.info().message);
  } catch (const std::exception& e) {
    return report(err, errc::internal, {}, std::string("the SQL function threw: ") + e.what());
  } catch (...) {
    return report(err, errc::internal, {}, "the SQL function threw an exception that is not a std::exception");
  }
}

void function_destroy(void* user) noexcept { delete static_cast<function_holder*>(user); }

}  // namespace

}  // namespace detail

// ------------------------------------------------------------ connect

connection connect(std::string_view text, const connect_options& opts) {
  detail::driver_url resolved = detail::resolve_driver_url(text);  // url_rules.cpp: the manifest's URL rules
  url& u = resolved.parsed;
  std::shared_ptr<detail::plugin_record> rec = resolved.driver;
  const std::string redacted = redact_secrets(u.redacted(), resolved.secrets);
  if (rec->kind_code != DBR_KIND_DRIVER || rec->conn.connect == nullptr || rec->conn.close == nullptr) {
    throw_error(errc::incompatible, "plugin '" + rec->id + "' claims scheme '" + u.scheme +
                                        "' but is not a usable driver (no connect/close); reinstall or "
                                        "remove it (see `dbridge doctor " + u.scheme + "`)");
  }

  std::vector<dbr_param> options;
  options.reserve(u.options.size());
  for (const auto& [k, v] : u.options) {
    dbr_param p;
    std::memset(&p, 0, sizeof p);
    p.key = k.c_str();
    p.value.type = DBR_TYPE_TEXT;
    p.value.u.str.ptr = v.data();
    p.value.u.str.len = v.size();
    options.push_back(p);
  }
  std::vector<const char*> hosts;
  std::vector<std::uint32_t> ports;
  for (const auto& h : u.hosts) {
    hosts.push_back(h.host.c_str());
    ports.push_back(h.port);
  }
  dbr_url du;
  std::memset(&du, 0, sizeof du);
  du.struct_size = sizeof du;
  du.port = ports.empty() ? 0 : ports[0];
  du.scheme = u.scheme.c_str();
  du.user = u.user ? u.user->c_str() : nullptr;
  du.password = u.password ? u.password->c_str() : nullptr;
  du.host = hosts.empty() ? nullptr : hosts[0];
  du.database = u.database.empty() ? nullptr : u.database.c_str();
  du.raw = u.raw.c_str();
  du.options = options.empty() ? nullptr : options.data();
  du.noptions = static_cast<std::uint32_t>(options.size());
  du.nhosts = static_cast<std::uint32_t>(hosts.size());
  du.hosts = hosts.empty() ? nullptr : hosts.data();
  du.ports = ports.empty() ? nullptr : ports.data();

  auto impl = std::make_unique<detail::connection_impl>(opts.statement_cache_size);
  impl->rec = rec;
  impl->serial = rec->threading == DBR_THREADING_GLOBAL_SERIAL;
  impl->plugin_reports_session = rec->negotiated_minor >= 1;

  detail::abi_error err;
  dbr_conn* handle = nullptr;
  int32_t rc;
  {
    std::unique_lock lock(rec->serial_mutex, std::defer_lock);
    if (impl->serial) lock.lock();
    rc = rec->conn.connect(rec->instance, &du, &handle, err);
  }
  std::vector<std::string> secrets = detail::secrets_of(u);
  secrets.insert(secrets.end(), resolved.secrets.begin(), resolved.secrets.end());
  if (rc < 0) {
    error_info info = err.to_info(rc, rec->id);
    detail::scrub(info, secrets);
    info.message = "cannot connect to " + redacted + ": " + info.message;
    throw_error(std::move(info));
  }
  if (handle == nullptr) {
    throw_error(errc::internal, "driver '" + rec->id + "' reported success but returned no connection for " + redacted);
  }
  impl->conn = handle;
  impl->scheme = u.scheme;
  impl->redacted_url = redacted;
  impl->database = u.database;
  if (impl->database.empty() && rec->conn.get_info != nullptr) {
    // URLs like memkv://name or redis://host carry no path: ask the driver.
    dbr_value v;
    std::memset(&v, 0, sizeof v);
    detail::abi_error info_err;
    if (rec->conn.get_info(handle, "database", &v, info_err) >= 0 && v.type == DBR_TYPE_TEXT && v.u.str.ptr)
      impl->database.assign(v.u.str.ptr, v.u.str.len);
  }
  impl->secrets = std::move(secrets);

  connection_entry e;
  e.scheme = u.scheme;
  e.driver = rec->id;
  e.driver_version = rec->version;
  e.redacted_url = redacted;
  e.database = impl->database;
  e.state = connection_state::idle;
  e.opened_by = opts.opened_by;
  try {
    impl->slot = detail::registry_attach(std::move(e));
    detail::registry_set_owner(*impl->slot, impl.get(), [](const void* c) noexcept {
      return static_cast<const detail::connection_impl*>(c)->registry_state();
    });
  } catch (...) {
    // An entry that made it in must not outlive the connection (nor point at it).
    if (impl->slot) registry::global().remove(impl->slot->entry.id);
    rec->conn.close(handle);
    impl->conn = nullptr;
    throw;
  }
  return connection(std::move(impl));
}

// ------------------------------------------------------------ connection

namespace {
detail::connection_impl& live(const std::unique_ptr<detail::connection_impl>& p) {
  if (!p) throw_error(errc::invalid_state, "this connection object was moved from; use the one it was moved to");
  return *p;
}
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
  detail::stmt_lease l = detail::acquire_stmt(c, sql);
  detail::check_param_count(c, l, p.size(), sql);
  dbr_value buf[detail::stack_params];
  dbr_exec_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  info.first_max = detail::fetch_batch;
  dbr_cursor* cur = nullptr;
  detail::abi_error& err = c.err;
  const bool was_in_tx = c.in_explicit_tx();
  int32_t rc;
  try {
    const dbr_value* pv = c.bind(p, buf, detail::stack_params);
    rc = c.rec->sql.execute(l.stmt, pv, static_cast<std::uint32_t>(p.size()), &info, &cur, err);
  } catch (...) {
    detail::release_stmt(c, l);
    throw;
  }
  c.note_session(info, sql);
  if (detail::is_transaction_sql(sql)) [[unlikely]] c.refresh_raw_tx();
  if (rc < 0) {
    detail::release_stmt(c, l);
    c.fail_sent(rc, err, sql, detail::sql_effect(sql, was_in_tx), was_in_tx);
  }
  if (!info.has_rows || cur == nullptr) {
    if (cur) c.rec->cursor.close(cur);
    detail::release_stmt(c, l);
    c.note_schema(sql);
    return detail::connection_impl::make_result(nullptr, info);
  }
  detail::cursor_impl* ci;
  try {
    ci = c.new_cursor();
  } catch (...) {
    c.rec->cursor.close(cur);
    detail::release_stmt(c, l);
    throw;
  }
  ci->cur = cur;
  if (l.entry) {
    ci->owner = detail::stmt_owner::cached;
    ci->entry = l.entry;
  } else {
    ci->owner = detail::stmt_owner::owned;
    ci->owned_stmt = l.stmt;
  }
  c.link(ci);
  c.prime(ci, info);
  return detail::connection_impl::make_result(ci, info);
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
  detail::stmt_lease l = detail::acquire_stmt(c, sql);
  detail::check_param_count(c, l, p.size(), sql);
  dbr_value buf[detail::stack_params];
  dbr_exec_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  dbr_cursor* cur = nullptr;
  detail::abi_error& err = c.err;
  const bool was_in_tx = c.in_explicit_tx();
  int32_t rc;
  try {
    const dbr_value* pv = c.bind(p, buf, detail::stack_params);
    rc = c.rec->sql.execute(l.stmt, pv, static_cast<std::uint32_t>(p.size()), &info, &cur, err);
  } catch (...) {
    detail::release_stmt(c, l);
    throw;
  }
  c.note_session(info, sql);
  if (detail::is_transaction_sql(sql)) [[unlikely]] c.refresh_raw_tx();
  if (cur) c.rec->cursor.close(cur);
  detail::release_stmt(c, l);
  c.note_schema(sql);
  if (rc < 0) c.fail_sent(rc, err, sql, detail::sql_effect(sql, was_in_tx), was_in_tx);
  return detail::connection_impl::make_exec_result(info);
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
  si->stmt = c.prepare(sql, DBR_PREPARE_PERSISTENT, si->nparams);
  c.link(si.get());
  return statement(std::move(si));
}

void connection::create_function(std::string_view name, int nargs, std::function<value(std::span<const value>)> fn,
                                 bool deterministic) {
  auto& c = live(impl_);
  c.require(DBR_CAP_FUNCTIONS, reinterpret_cast<const void*>(c.rec->functions.create_scalar), "functions");
  if (!fn) throw_error(errc::invalid_argument, "create_function('" + std::string(name) + "') was given an empty function");
  const std::string fname(name);
  auto holder = std::make_unique<detail::function_holder>();
  holder->fn = std::move(fn);
  detail::call_guard g(c);
  detail::abi_error err;
  // The plugin owns the holder from here on, even when registration fails.
  c.session_dirty = true;  // the function stays registered on this connection
  const int32_t rc = c.rec->functions.create_scalar(c.conn, fname.c_str(), nargs,
                                                    deterministic ? DBR_FN_DETERMINISTIC : 0u,
                                                    detail::function_thunk, holder.release(),
                                                    detail::function_destroy, err);
  if (rc < 0) c.fail(rc, err);
}

namespace {
result introspect(detail::connection_impl& c, std::uint32_t what, std::string_view schema, std::string_view table) {
  c.require(DBR_CAP_INTROSPECT, reinterpret_cast<const void*>(c.rec->introspect.list), "introspect");
  const std::string s(schema), t(table);
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  dbr_cursor* cur = nullptr;
  const int32_t rc =
      c.rec->introspect.list(c.conn, what, s.empty() ? nullptr : s.c_str(), t.empty() ? nullptr : t.c_str(), &cur, err);
  if (rc < 0) c.fail(rc, err);
  if (cur == nullptr) return detail::connection_impl::make_result(nullptr, -1);
  detail::cursor_impl* ci;
  try {
    ci = c.new_cursor();
  } catch (...) {
    c.rec->cursor.close(cur);
    throw;
  }
  ci->cur = cur;
  ci->owner = detail::stmt_owner::none;
  c.link(ci);
  c.prime(ci);
  return detail::connection_impl::make_result(ci, -1);
}
}  // namespace

result connection::databases() { return introspect(live(impl_), DBR_META_DATABASES, {}, {}); }
result connection::schemas() { return introspect(live(impl_), DBR_META_SCHEMAS, {}, {}); }
result connection::tables(std::string_view schema) { return introspect(live(impl_), DBR_META_TABLES, schema, {}); }
result connection::columns(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_COLUMNS, schema, table);
}
result connection::indexes(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_INDEXES, schema, table);
}
result connection::foreign_keys(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_FOREIGN_KEYS, schema, table);
}
result connection::primary_keys(std::string_view table, std::string_view schema) {
  return introspect(live(impl_), DBR_META_PRIMARY_KEYS, schema, table);
}
result connection::keyspace() { return introspect(live(impl_), DBR_META_KEYSPACE, {}, {}); }

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
