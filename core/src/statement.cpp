// SPDX-License-Identifier: Apache-2.0
// Explicitly prepared statements: the fast path of hot loops.
#include <dbridge/abi.h>

#include <cstring>

#include "connection_impl.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

namespace {

[[noreturn]] void not_live(const detail::statement_impl* p) {
  if (p == nullptr) throw_error(errc::invalid_state, "this statement object was moved from");
  throw_error(errc::invalid_state,
              "the statement's connection was closed; prepare it again on an open connection: " + p->sql);
}

inline detail::statement_impl& live(const std::unique_ptr<detail::statement_impl>& p) {
  detail::statement_impl* s = p.get();
  if (s == nullptr || s->conn == nullptr || s->stmt == nullptr) [[unlikely]] not_live(s);
  return *s;
}

// A statement has one cursor: executing again ends the previous result.
void end_previous(detail::connection_impl& c, detail::statement_impl& s) noexcept {
  if (detail::cursor_impl* prev = s.live) {
    c.close_cursor(prev);
    c.list(prev);  // no longer reached through s
    prev->done = true;
    prev->invalid_reason = "its statement was executed again";
    s.live = nullptr;
  }
}

[[gnu::always_inline]] inline int32_t run(detail::connection_impl& c, detail::statement_impl& s, const dbr_value* p, std::uint32_t n,
                   dbr_exec_info& info, dbr_cursor** cur, detail::abi_error& err, std::uint32_t first_max) {
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  info.first_max = first_max;
  if (s.live != nullptr) end_previous(c, s);
  const int32_t rc = c.rec->sql.execute(s.stmt, p, n, &info, cur, err);
  c.note_session(info, s.sql);
  // The text was scanned once at prepare, not on every run.
  if (s.schema_sql) [[unlikely]] c.note_schema(s.sql);
  if (s.transaction_sql) [[unlikely]] c.refresh_raw_tx();
  return rc;
}

/// Whether a transaction was open before run(): only transaction SQL changes
/// that during the call (run refreshes it), so for any other statement the
/// state is read when a failure needs it, not on every call.
struct tx_before {
  bool known;
  bool open;
  explicit tx_before(const detail::connection_impl& c, const detail::statement_impl& s) noexcept
      : known(s.transaction_sql), open(known && c.in_explicit_tx()) {}
  bool was_open(const detail::connection_impl& c) const noexcept { return known ? open : c.in_explicit_tx(); }
};

[[noreturn]] void wrong_count(const detail::statement_impl& s, std::size_t given) {
  throw_error(errc::invalid_argument, "the statement expects " + std::to_string(s.nparams) + " parameters but " +
                                          std::to_string(given) + " were given: " + s.sql);
}

constexpr std::size_t stack_params = 16;

}  // namespace

statement::statement(std::unique_ptr<detail::statement_impl> impl) : impl_(std::move(impl)) {}
statement::statement(statement&&) noexcept = default;

statement& statement::operator=(statement&& o) noexcept {
  if (this != &o) {
    statement dying(std::move(*this));
    impl_ = std::move(o.impl_);
  }
  return *this;
}

statement::~statement() {
  if (!impl_) return;
  detail::connection_impl* c = impl_->conn;
  if (c == nullptr || impl_->stmt == nullptr) return;
  if (!c->try_enter()) return;  // in use elsewhere: the connection finalizes it on close
  if (detail::cursor_impl* cur = impl_->live) {
    c->close_cursor(cur);
    c->list(cur);  // no longer reached through this statement
    cur->done = true;
    cur->invalid_reason = "its statement was destroyed";
  }
  c->finalize(impl_->stmt);
  impl_->stmt = nullptr;
  c->unlink(impl_.get());
  c->leave();
}

result statement::query(params p) {
  auto& s = live(impl_);
  auto& c = *s.conn;
  if (s.nparams != p.size() && s.nparams != UINT32_MAX) [[unlikely]] wrong_count(s, p.size());
  detail::call_guard g(c);
  c.slot->touch();
  dbr_value buf[stack_params];
  const dbr_value* pv = c.bind(p, buf, stack_params);
  dbr_exec_info info;
  dbr_cursor* cur = nullptr;
  detail::abi_error& err = c.err;
  const tx_before tx(c, s);
  const int32_t rc = run(c, s, pv, static_cast<std::uint32_t>(p.size()), info, &cur, err, detail::fetch_batch);
  if (rc < 0) [[unlikely]] {
    const bool was_in_tx = tx.was_open(c);
    c.fail_sent(rc, err, s.sql, detail::sql_effect(s.sql, was_in_tx), was_in_tx);
  }
  if (!info.has_rows || cur == nullptr) {
    if (cur) c.rec->cursor.close(cur);
    return detail::connection_impl::make_result(nullptr, info);
  }
  detail::cursor_source from;
  from.owner = detail::stmt_owner::statement;
  from.stmt_impl = &s;
  return c.open_result(cur, from, &info);
}

exec_result statement::execute(params p) {
  auto& s = live(impl_);
  if (s.nparams != p.size() && s.nparams != UINT32_MAX) [[unlikely]] wrong_count(s, p.size());
  // Converting needs no lock: it only reads the caller's values, and the
  // scratch (for arrays only) allocates nothing until used.
  detail::abi_scratch local;
  if (p.size() <= stack_params) {
    dbr_value buf[stack_params];
    detail::to_abi(p, buf, local);
    return execute_raw(buf, static_cast<std::uint32_t>(p.size()));
  }
  std::vector<dbr_value> big(p.size());
  detail::to_abi(p, big.data(), local);
  return execute_raw(big.data(), static_cast<std::uint32_t>(p.size()));
}

exec_result statement::execute_raw(const dbr_value* p, std::uint32_t n) {
  auto& s = live(impl_);
  auto& c = *s.conn;
  if (s.nparams != n && s.nparams != UINT32_MAX) [[unlikely]] wrong_count(s, n);
  detail::call_guard g(c);
  c.slot->touch();
  dbr_exec_info info;
  dbr_cursor* cur = nullptr;
  detail::abi_error& err = c.err;
  const tx_before tx(c, s);
  const int32_t rc = run(c, s, n ? p : nullptr, n, info, &cur, err, 0);
  if (cur) c.rec->cursor.close(cur);
  if (rc < 0) [[unlikely]] {
    const bool was_in_tx = tx.was_open(c);
    c.fail_sent(rc, err, s.sql, detail::sql_effect(s.sql, was_in_tx), was_in_tx);
  }
  return detail::connection_impl::make_exec_result(info);
}

namespace {
[[noreturn]] void fail_row(const error& e, std::uint64_t row) {
  error_info info = e.info();
  info.message = "row " + std::to_string(row) + ": " + info.message;
  throw_error(std::move(info));
}
}  // namespace

exec_result statement::execute_many(std::span<const value> rows, std::uint64_t* failed_row) {
  auto& s = live(impl_);
  const std::size_t width = s.nparams == UINT32_MAX ? 0 : s.nparams;
  if (width == 0 ? !rows.empty() : rows.size() % width != 0)
    throw_error(errc::invalid_argument, std::to_string(rows.size()) + " values are not whole rows of the " +
                                            std::to_string(width) + " parameters of: " + s.sql);
  const std::uint64_t nrows = width == 0 ? 0 : rows.size() / width;
  detail::abi_scratch local;
  std::vector<dbr_value> abi(rows.size());
  detail::to_abi(rows, abi.data(), local);
  return execute_many_raw(abi.data(), nrows, failed_row);
}

exec_result statement::execute_many_raw(const dbr_value* rows, std::uint64_t nrows, std::uint64_t* failed_row) {
  auto& s = live(impl_);
  auto& c = *s.conn;
  if (failed_row != nullptr) *failed_row = UINT64_MAX;
  const std::uint32_t width = s.nparams == UINT32_MAX ? 0 : s.nparams;
  exec_result total{0, std::nullopt, std::nullopt};
  const auto add = [&total](std::int64_t n) {
    total.affected_rows = n >= 0 && total.affected_rows >= 0 ? total.affected_rows + n : -1;
  };
  // Rows one at a time: a driver older than ABI 1.4, and the last row of a
  // batch, so the connection's last insert id is that row's as after execute
  // (a batch path cannot tell it: MariaDB's array binding reports the first).
  const auto per_row = [&](std::uint64_t from) {
    for (std::uint64_t r = from; r < nrows; ++r) {
      try {
        const exec_result one = execute_raw(rows + r * width, width);
        add(one.affected_rows);
        total.last_insert_id = one.last_insert_id;
        total.last_insert_id_u64 = one.last_insert_id_u64;
      } catch (const error& e) {
        if (failed_row != nullptr) *failed_row = r;
        fail_row(e, r);
      }
    }
    return total;
  };
  if (nrows == 0) return total;
  if (c.rec->sql.execute_batch == nullptr || nrows == 1) return per_row(0);
  std::uint64_t failed = UINT64_MAX;
  try {
    detail::call_guard g(c);
    c.slot->touch();
    dbr_exec_info info;
    std::memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (s.live != nullptr) end_previous(c, s);
    detail::abi_error& err = c.err;
    const bool was_in_tx = c.in_explicit_tx();
    const int32_t rc = c.rec->sql.execute_batch(s.stmt, rows, width, nrows - 1, &info, &failed, err);
    c.note_session(info, s.sql);
    if (s.schema_sql) [[unlikely]] c.note_schema(s.sql);
    if (s.transaction_sql) [[unlikely]] c.refresh_raw_tx();
    if (rc < 0) c.fail_sent(rc, err, s.sql, detail::sql_effect(s.sql, was_in_tx), was_in_tx);
    add(info.affected_rows);
  } catch (const error& e) {
    if (failed == UINT64_MAX) throw;
    if (failed_row != nullptr) *failed_row = failed;
    fail_row(e, failed);
  }
  return per_row(nrows - 1);
}

std::uint32_t statement::param_count() const {
  if (!impl_) throw_error(errc::invalid_state, "this statement object was moved from");
  return impl_->nparams;
}

const std::string& statement::sql() const {
  if (!impl_) throw_error(errc::invalid_state, "this statement object was moved from");
  return impl_->sql;
}

}  // namespace dbridge
