// SPDX-License-Identifier: Apache-2.0
// Statement batches (abi.h, dbr_sql_vtable.execute_batch): on MariaDB the
// rows go as parameter arrays (STMT_ATTR_ARRAY_SIZE), thousands per round
// trip; MySQL, statements that return rows and single rows take the SDK's
// row-at-a-time path.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>

#include "my_plugin.hpp"

namespace dbridge_mysql {

namespace {

// The server takes parameter arrays for data changes only.
bool changes_rows(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) != 0 || sql[i] == '(')) ++i;
  std::size_t j = i;
  while (j < sql.size() && std::isalpha(static_cast<unsigned char>(sql[j])) != 0) ++j;
  std::string word(sql.substr(i, j - i));
  for (char& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return word == "INSERT" || word == "REPLACE" || word == "UPDATE" || word == "DELETE";
}

std::size_t row_bytes(const dbr_value* row, std::size_t width) {
  constexpr std::size_t per_value = 16;  // type, length prefix, indicator
  std::size_t n = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const dbr_value& v = row[i];
    n += per_value + (v.type == DBR_TYPE_BYTES                                                       ? v.u.bin.len
                      : v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_JSON || v.type == DBR_TYPE_DECIMAL ? v.u.str.len
                                                                                                     : 0);
  }
  return n;
}

// Array rows per execution: bounded so the buffers stay small and the
// request stays well inside max_allowed_packet.
constexpr std::uint64_t max_array_rows = 10000;
constexpr std::size_t max_array_bytes = 4 * 1024 * 1024;

// Errors that belong to one row's values; anything else (a lost connection,
// a deadlock that ended the transaction) is not worth replaying rows for.
bool row_error(const sdk::error& e) {
  const std::uint32_t k = e.category();
  return k == DBR_CAT_CONSTRAINT || k == DBR_CAT_DATA || k == DBR_CAT_BACKEND || k == DBR_CAT_INVALID_ARGUMENT;
}

}  // namespace

void my_statement::execute_batch(std::span<const dbr_value> params, std::uint64_t nrows, dbr_exec_info& info,
                                 std::uint64_t& failed_row) {
  const std::size_t width = sql_.nparams;
  if (nrows < 2 || width == 0 || mysql_stmt_field_count(stmt_) != 0 || !changes_rows(sql_.text) ||
      !c_.bulk_supported())
    return sdk::statement::execute_batch(params, nrows, info, failed_row);
  discard();
  c_.settle(this);
  c_.clear_cancel();
  info.session_changed = changes_session_ ? 1 : 0;
  if (!arrays_) arrays_ = std::make_unique<array_binder>();
  array_binder& arrays = *arrays_;
  const std::size_t budget =
      static_cast<std::size_t>(std::min<unsigned long long>(max_array_bytes, c_.max_allowed_packet() / 2));
  // A failed array is replayed row by row to name the failing row, which is
  // only safe when the failure left nothing behind. The arrays run in a
  // transaction of their own, or after a savepoint in the caller's, and a
  // rollback that warns it could not undo everything (a MyISAM or Aria table
  // keeps the rows before the failing one) rules the replay out: replaying
  // would store those rows twice.
  const bool own_tx = !c_.in_transaction();
  c_.run(own_tx ? "START TRANSACTION" : "SAVEPOINT dbr_batch", "starting a batch");
  try {
    info.affected_rows = run_arrays(params, nrows, width, arrays, budget);
  } catch (...) {
    failed_row = UINT64_MAX;
    const bool undone = undo_batch(own_tx);
    try {
      throw;
    } catch (const failed_array& f) {
      if (!undone)
        throw sdk::error(f.error)
            .message(std::string(f.error.what()) +
                     " (the batch's table is not transactional, e.g. MyISAM or Aria: rows of the batch before the "
                     "failing one may be stored, and the failing row is not known)");
      if (row_error(f.error)) locate_failure(params, width, f.from, f.to, failed_row);
      throw f.error;
    } catch (const sdk::error&) {
      if (failed_row == UINT64_MAX) failed_row = single_row_failed_;
      throw;
    }
  }
  c_.run(own_tx ? "COMMIT" : "RELEASE SAVEPOINT dbr_batch", "ending a batch");
}

bool my_statement::undo_batch(bool own_tx) noexcept {
  try {
    c_.run(own_tx ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT dbr_batch", "undoing a failed batch");
    // ER_WARNING_NOT_COMPLETE_ROLLBACK is the only warning a rollback gives.
    const bool complete = mysql_warning_count(c_.raw()) == 0;
    if (!own_tx) c_.run("RELEASE SAVEPOINT dbr_batch", "undoing a failed batch");
    return complete;
  } catch (const sdk::error&) {
    // The error ended the transaction already (a deadlock, a lost
    // connection): the server rolled it back whole.
    return true;
  }
}

std::int64_t my_statement::run_arrays(std::span<const dbr_value> params, std::uint64_t nrows, std::size_t width,
                                      array_binder& arrays, std::size_t budget) {
  single_row_failed_ = UINT64_MAX;
  std::int64_t total = 0;
  for (std::uint64_t at = 0; at < nrows;) {
    arrays.restart(params_.size());
    std::uint64_t end = at;
    std::size_t bytes = 0;
    for (; end < nrows && end - at < max_array_rows; ++end) {
      const dbr_value* row = params.data() + end * width;
      single_row_failed_ = end;
      for (std::size_t i = 0; i < width; ++i)
        if (row[i].type == DBR_TYPE_DOUBLE && !std::isfinite(row[i].u.f64))
          throw sdk::error(DBR_CAT_DATA, "mysql: parameter " + std::to_string(i + 1) +
                                             " is not a finite number, which MariaDB cannot store in a DOUBLE; "
                                             "store NULL instead")
              .sqlstate("22003");
      if (!arrays.fits(row, sql_.order)) break;  // a column changed its binding class
      const std::size_t size = row_bytes(row, width);
      if (end > at && bytes + size > budget) break;
      arrays.note(row, sql_.order);
      bytes += size;
    }
    single_row_failed_ = UINT64_MAX;
    if (end - at == 1) {
      // One row alone (a class change, or one large row): execute checks
      // its size against max_allowed_packet and says which parameter.
      dbr_exec_info one{};
      one.struct_size = sizeof one;
      single_row_failed_ = at;
      if (sdk::cursor* rows = execute(params.subspan(at * width, width), one)) rows->close();
      single_row_failed_ = UINT64_MAX;
      total = total < 0 || one.affected_rows < 0 ? -1 : total + one.affected_rows;
      at = end;
      continue;
    }
    const bool bound = arrays.bind(stmt_, params.data() + at * width, end - at, width, sql_.order, c_.zone());
    if (!bound || mysql_stmt_execute(stmt_) != 0) {
      sdk::error e = c_.stmt_error(stmt_, bound ? std::string_view{} : std::string_view("binding parameter arrays"));
      array_binder::unbind(stmt_);
      if (!bound) throw e;  // no row to blame: the arrays were refused whole
      throw failed_array{std::move(e), at, end};
    }
    array_binder::unbind(stmt_);
    const auto affected = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt_));
    total = total < 0 || affected < 0 ? -1 : total + affected;
    c_.track_session_state();
    at = end;
  }
  return total;
}

void my_statement::locate_failure(std::span<const dbr_value> params, std::size_t width, std::uint64_t from,
                                  std::uint64_t to, std::uint64_t& failed_row) {
  // On InnoDB the failed array changed nothing (one statement, rolled back
  // as one); replaying inside a savepoint that is rolled back keeps it so.
  const bool in_tx = c_.in_transaction();
  c_.run(in_tx ? "SAVEPOINT dbr_batch_probe" : "START TRANSACTION", "locating the failing row of a batch");
  std::optional<sdk::error> found;
  std::uint64_t row = from;
  for (; row < to && !found; ++row) {
    dbr_exec_info one{};
    one.struct_size = sizeof one;
    try {
      if (sdk::cursor* rows = execute(params.subspan(row * width, width), one)) rows->close();
    } catch (const sdk::error& e) {
      found = e;
    }
  }
  try {
    c_.run(in_tx ? "ROLLBACK TO SAVEPOINT dbr_batch_probe" : "ROLLBACK", "locating the failing row of a batch");
    if (in_tx) c_.run("RELEASE SAVEPOINT dbr_batch_probe", "locating the failing row of a batch");
  } catch (const sdk::error&) {
    // The row's error may have ended the transaction already; its error is the news.
    if (!found) throw;
  }
  if (found) {
    failed_row = row - 1;
    throw *found;
  }
}

}  // namespace dbridge_mysql
