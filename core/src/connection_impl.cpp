// SPDX-License-Identifier: Apache-2.0
// The core side of an open connection: failures, statement and cursor
// bookkeeping, closing.
#include "connection_impl.hpp"

#include <dbridge/abi.h>

#include "plugin/capability.hpp"
#include "connection_secrets.hpp"
#include "dbridge/registry.hpp"
#include "join.hpp"
#include "logging.hpp"

namespace dbridge::inline v1::detail {

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
  std::vector<std::string> caps;
  for (const std::string& name : known_capabilities())
    if (rec->has(capability_bit(name))) caps.push_back(name);
  info.message += " (its capabilities: " + (caps.empty() ? std::string("none") : join(caps)) + ")";
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

void throw_nul_byte(std::string_view what, std::size_t offset, std::string_view why, std::string_view hint,
                    std::string_view driver) {
  error_info info;
  info.category = errc::data;
  info.subcategory = suberrc::nul_byte;
  info.native_domain = "dbridge";
  info.driver = std::string(driver);
  info.message = std::string(what) + " holds a NUL byte at offset " + std::to_string(offset) +
                 " (0-based); it was not sent, since " + std::string(why);
  info.hint = std::string(hint);
  throw_error(std::move(info));
}

void check_sql_text(std::string_view sql, std::string_view driver) {
  const std::size_t nul = sql.find('\0');
  if (nul == std::string_view::npos) [[likely]] return;
  throw_nul_byte("the SQL text", nul, "the database would run only the text before it",
                 "remove the NUL byte from the statement; pass binary data as a bytes parameter instead", driver);
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

void connection_impl::end_results(const char* reason) noexcept {
  const auto end = [&](cursor_impl* c) noexcept {
    close_cursor(c);
    c->conn = nullptr;
    c->done = true;
    c->invalid_reason = reason;
    c->prev = c->next = nullptr;
  };
  for (statement_impl* s = live_stmts; s != nullptr; s = s->next)
    if (cursor_impl* c = s->live) end(c);  // close_cursor clears s->live
  for (cursor_impl* c = live_cursors; c != nullptr;) {
    cursor_impl* next = c->next;
    end(c);
    c = next;
  }
  live_cursors = nullptr;
  nlive = 0;
}

void connection_impl::close() noexcept {
  if (conn == nullptr) return;
  // Results and statements may outlive the connection object: detach them so
  // they report invalid_state instead of touching freed plugin handles.
  end_results("its connection was closed");
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

}  // namespace dbridge::detail
