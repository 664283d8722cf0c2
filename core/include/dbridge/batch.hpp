// SPDX-License-Identifier: Apache-2.0
// Pipelines (capability "batch"): queue many statements or commands, send
// them in one write, then read one result per item, in order. A failing item
// reports its own error; the others still run. Outside a transaction each
// item stands alone, as if run by itself: on PostgreSQL each statement is its
// own implicit transaction (a Sync follows each), so the items before and
// after a failure commit; Redis runs every command. For all-or-nothing, open
// the batch inside a transaction: there PostgreSQL refuses every item after a
// failure (SQLSTATE 25P02) and the rollback discards them all.
//
//   dbridge::batch b(conn);
//   for (auto& k : keys) b.add_command({"SET", k, "v"});
//   b.send();
//   while (const auto* it = b.next()) if (!it->ok()) log(it->error->message);
//
// Driver side (dbr_batch_vtable): begin, add_* (queue only), send (one
// write), next until DBR_DONE, end. next sets item->status < 0 with item_err
// for a failed item and returns DBR_OK; its own return is < 0 only when the
// batch itself failed (connection lost). A sql item's rows cursor is read to
// the end by the core and never closed by it (it stays the driver's).
#pragma once

#include "dbridge/export.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/value.hpp"

namespace dbridge::inline v1 {

/// The result of one batch item.
struct DBRIDGE_API batch_item {
  std::size_t index = 0;              ///< 0-based position in the order queued
  std::optional<error_info> error;    ///< set when this item failed
  std::int64_t affected_rows = -1;    ///< sql items: rows changed, -1 unknown
  std::vector<column_info> columns;   ///< sql items returning rows
  std::vector<std::vector<value>> rows;  ///< sql items returning rows, owned
  reply result;                       ///< command items (an error reply goes to error)

  bool ok() const noexcept { return !error.has_value(); }
  bool has_rows() const noexcept { return !columns.empty(); }
  /// Throws this item's error as its dbridge exception; no-op when ok.
  void throw_if_error() const;
};

/// A pipeline on one connection. The constructor enters batch mode; the
/// destructor leaves it, discarding results not read. While a batch is open
/// the connection refuses other calls.
class DBRIDGE_API batch {
 public:
  explicit batch(connection& conn);
  batch(const batch&) = delete;
  batch& operator=(const batch&) = delete;
  ~batch();

  /// Queues a statement with parameters (capability "sql" drivers).
  batch& add(std::string_view sql, params p = {});
  batch& add(std::string_view sql, std::initializer_list<value> p) { return add(sql, params(p.begin(), p.size())); }
  /// Queues a command (capability "command" drivers); arguments are binary-safe.
  batch& add_command(std::span<const std::string_view> argv);
  batch& add_command(std::initializer_list<std::string_view> argv) {
    return add_command(std::span<const std::string_view>(argv.begin(), argv.size()));
  }
  /// Items queued and not sent yet.
  std::size_t pending() const noexcept { return queued_; }
  /// Sends everything queued in one write. Items queued afterwards go with the next send().
  void send();
  /// The next result in order, or nullptr when every sent item was read. The
  /// pointer stays valid until the next call on this batch.
  const batch_item* next();
  /// send() then read every result; convenience for small batches.
  std::vector<batch_item> execute();
  /// Leaves batch mode now (the destructor does it otherwise). Idempotent.
  void end();

 private:
  connection* conn_;
  std::size_t queued_ = 0;
  std::size_t unread_ = 0;
  std::size_t next_index_ = 0;
  bool open_ = false;
  batch_item item_;
};

}  // namespace dbridge
