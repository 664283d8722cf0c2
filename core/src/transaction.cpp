// SPDX-License-Identifier: Apache-2.0
// Transactions and savepoints (nested blocks).
#include <dbridge/abi.h>

#include <cstring>

#include "connection_impl.hpp"
#include "dbridge/connection.hpp"
#include "logging.hpp"

namespace dbridge::inline v1 {

namespace {

detail::connection_impl& txn_conn(connection& c) {
  detail::connection_impl& impl = detail::impl_of(c);
  impl.require(DBR_CAP_TRANSACTIONS, reinterpret_cast<const void*>(impl.rec->txn.begin), "transactions");
  return impl;
}

void need_savepoints(detail::connection_impl& c) {
  if (c.rec->txn.savepoint == nullptr || c.rec->txn.release_savepoint == nullptr ||
      c.rec->txn.rollback_to_savepoint == nullptr) {
    c.unsupported("savepoints (nested transactions)");
  }
}

}  // namespace

transaction connection::begin(const transaction_options& opts) {
  if (!impl_) throw_error(errc::invalid_state, "this connection object was moved from");
  auto& c = txn_conn(*this);
  if (c.tx_depth > 0) {
    throw_error(errc::invalid_state,
                "a transaction is already active on this connection; nest with tx.transaction(...) or "
                "tx.savepoint() instead of begin()");
  }
  detail::call_guard g(c);
  c.slot->touch();
  dbr_txn_options o;
  std::memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.isolation = static_cast<std::uint32_t>(opts.isolation);
  o.read_only = opts.read_only ? 1 : 0;
  o.deferrable = opts.deferrable ? 1 : 0;
  detail::abi_error err;
  const int32_t rc = c.rec->txn.begin(c.conn, &o, err);
  if (rc < 0) c.fail_sent(rc, err, "BEGIN", detail::statement_effect::none, false);
  c.tx_depth = 1;
  ++c.tx_serial;
  const std::int64_t timeout = opts.timeout ? static_cast<std::int64_t>(opts.timeout->count()) : c.tx_default_timeout_ns;
  if (timeout > 0) c.arm_tx_deadline(timeout);
  return transaction_scope(this, 0, std::string());
}

transaction connection::begin_nested(std::size_t depth) {
  auto& c = txn_conn(*this);
  need_savepoints(c);
  std::string name = "dbr_sp_" + std::to_string(depth);
  detail::call_guard g(c);
  detail::abi_error err;
  const int32_t rc = c.rec->txn.savepoint(c.conn, name.c_str(), err);
  if (rc < 0) c.fail_sent(rc, err, "SAVEPOINT " + name, detail::statement_effect::none, true);
  c.tx_depth = depth + 1;
  return transaction_scope(this, depth, std::move(name));
}

transaction_scope::transaction_scope(connection* c, std::size_t depth, std::string savepoint_name)
    : conn_(c), depth_(depth), savepoint_(std::move(savepoint_name)), serial_(detail::impl_of(*c).tx_serial) {}

transaction_scope::transaction_scope(transaction_scope&& o) noexcept
    : conn_(o.conn_), depth_(o.depth_), savepoint_(std::move(o.savepoint_)), active_(o.active_), serial_(o.serial_) {
  o.active_ = false;
}

transaction_scope::~transaction_scope() {
  if (!active_) return;
  try {
    rollback();
  } catch (const std::exception& e) {
    // A destructor cannot throw; the backend discards the work when the
    // connection closes anyway.
    detail::log_line(DBR_LOG_WARN, "dbridge", std::string("rolling back an abandoned transaction failed: ") + e.what());
    active_ = false;
  }
}

namespace {
[[noreturn]] void not_active() {
  throw_error(errc::invalid_state, "this transaction was already committed or rolled back; start a new one");
}
void check_innermost(const detail::connection_impl& c, std::size_t depth) {
  if (c.tx_depth != depth + 1) {
    throw_error(errc::invalid_state, "a nested savepoint of this transaction is still active; commit or roll "
                                     "it back first");
  }
}
}  // namespace

detail::connection_impl& transaction_scope::live() {
  if (!active_) not_active();
  auto& c = detail::impl_of(*conn_);
  if (c.tx_expired_serial == serial_) c.throw_expired({});
  return c;
}

void transaction_scope::commit() {
  auto& c = live();
  check_innermost(c, depth_);
  detail::call_guard g(c);
  detail::abi_error err;
  if (depth_ == 0) {
    const int32_t rc = c.rec->txn.commit(c.conn, err);
    if (rc < 0) c.fail(rc, err, "COMMIT");
  } else {
    const int32_t rc = c.rec->txn.release_savepoint(c.conn, savepoint_.c_str(), err);
    if (rc < 0) c.fail_sent(rc, err, "RELEASE SAVEPOINT " + savepoint_, detail::statement_effect::none, true);
  }
  active_ = false;
  c.tx_depth = depth_;
  if (depth_ == 0) {
    c.raw_tx = false;
    c.disarm_tx_deadline();
  }
}

void transaction_scope::rollback() {
  if (!active_) not_active();
  auto& c = detail::impl_of(*conn_);
  if (c.conn == nullptr || c.tx_expired_serial == serial_) {
    // Closed, or rolled back at its timeout: the work is already discarded.
    active_ = false;
    return;
  }
  // Rolling back is what expiry would do: it is not an error past the deadline.
  if (depth_ == 0) c.disarm_tx_deadline();
  detail::call_guard g(c);
  detail::abi_error err;
  // Whatever happens below, this level is over.
  active_ = false;
  c.tx_depth = depth_;
  if (depth_ == 0) {
    c.raw_tx = false;
    const int32_t rc = c.rec->txn.rollback(c.conn, err);
    if (rc < 0) c.fail_sent(rc, err, "ROLLBACK", detail::statement_effect::none, true);
  } else {
    int32_t rc = c.rec->txn.rollback_to_savepoint(c.conn, savepoint_.c_str(), err);
    if (rc < 0) c.fail_sent(rc, err, "ROLLBACK TO SAVEPOINT " + savepoint_, detail::statement_effect::none, true);
    rc = c.rec->txn.release_savepoint(c.conn, savepoint_.c_str(), err);
    if (rc < 0) c.fail_sent(rc, err, "RELEASE SAVEPOINT " + savepoint_, detail::statement_effect::none, true);
  }
}

transaction_scope transaction_scope::savepoint() {
  check_innermost(live(), depth_);
  return conn_->begin_nested(depth_ + 1);
}

result transaction_scope::query(std::string_view sql, params p) {
  live();
  return conn_->query(sql, p);
}

exec_result transaction_scope::execute(std::string_view sql, params p) {
  live();
  return conn_->execute(sql, p);
}

record transaction_scope::query_one(std::string_view sql, params p) {
  live();
  return conn_->query_one(sql, p);
}

}  // namespace dbridge
