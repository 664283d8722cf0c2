// SPDX-License-Identifier: Apache-2.0
// Statement batches (abi.h, dbr_sql_vtable.execute_batch): the rows of a
// prepared statement that returns no rows go out as a libpq pipeline, a
// chunk of rows per round trip with one Sync per chunk.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

namespace {
// Rows queued before the replies are read: the replies of a chunk must fit
// the socket buffers, or the server would stop reading while we still write.
constexpr std::uint64_t pipeline_chunk = 1000;

std::int64_t affected_of(const PGresult* r) {
  const char* t = PQcmdTuples(const_cast<PGresult*>(r));
  std::int64_t rows = -1;
  if (t != nullptr && *t != '\0') std::from_chars(t, t + std::strlen(t), rows);
  return rows;
}
}  // namespace

void pg_statement::execute_batch(std::span<const dbr_value> params, std::uint64_t nrows, dbr_exec_info& info,
                                 std::uint64_t& failed_row) {
  const std::size_t width = param_types_.size();
  if (nrows < 2 || !plan_.cols.empty() || sql_prepare_ || params.size() != nrows * width)
    return sdk::statement::execute_batch(params, nrows, info, failed_row);
  // The first row runs alone: execute prepares a stale plan anew, refuses a
  // statement a session reset dropped, and frees the wire.
  failed_row = 0;
  dbr_exec_info one = info;
  one.affected_rows = -1;
  if (sdk::cursor* rows = execute(params.first(width), one)) rows->close();
  failed_row = UINT64_MAX;
  info.session_changed = one.session_changed;
  std::int64_t total = one.affected_rows;
  for (std::uint64_t at = 1; at < nrows; at += pipeline_chunk) {
    const std::uint64_t n = std::min(pipeline_chunk, nrows - at);
    const std::int64_t done = c_.pipeline_prepared(
        name_, at, n,
        [&](std::uint64_t i) -> const param_buffers& {
          encode(params.subspan((at + i) * width, width));
          return params_;
        },
        failed_row);
    total = total < 0 || done < 0 ? -1 : total + done;
  }
  info.affected_rows = total;
}

std::int64_t pg_connection::pipeline_prepared(const std::string& name, std::uint64_t base, std::uint64_t n,
                                              const std::function<const param_buffers&(std::uint64_t)>& row,
                                              std::uint64_t& failed_row) {
  settle();
  const char* context = "batch";
  if (PQenterPipelineMode(conn_) != 1)
    pipeline_call_failed("batch: PQenterPipelineMode", "the connection is busy with an unfinished result");
  batch_queued_ = n;
  batch_read_ = 0;
  std::uint64_t queued = 0;
  try {
    for (; queued < n; ++queued) {
      failed_row = base + queued;
      const param_buffers& p = row(queued);
      if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(p.values.size()), p.values.data(),
                              p.lengths.data(), p.formats.data(), 1) != 1)
        pipeline_call_failed("batch: PQsendQueryPrepared", "a row was not queued");
    }
    failed_row = UINT64_MAX;
  } catch (...) {
    // A row that cannot be encoded: what was queued runs up to here, as it
    // would have row by row, and the connection leaves pipeline mode idle.
    batch_queued_ = queued;
    if (PQpipelineSync(conn_) == 1) {
      for (std::uint64_t nulls = 0; nulls <= queued + 1;) {
        PGresult* r = get_result();
        if (r == nullptr) {
          if (PQstatus(conn_) == CONNECTION_BAD) break;
          ++nulls;
          continue;
        }
        const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync) break;
      }
    }
    PQexitPipelineMode(conn_);
    throw;
  }
  if (PQpipelineSync(conn_) != 1) pipeline_call_failed("batch: PQpipelineSync", "the Sync was not sent");
  std::int64_t total = 0;
  result_ptr first_error;
  std::uint64_t first_failed = UINT64_MAX;
  for (std::uint64_t i = 0; i < n; ++i) {
    PGresult* p = get_result();
    if (p == nullptr) {
      if (PQstatus(conn_) == CONNECTION_BAD) raise(nullptr, context);
      lose_step(context, "a row of the batch has no result");
    }
    result_ptr r(p);
    const ExecStatusType st = r.status();
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      const std::int64_t k = affected_of(r.get());
      total = total < 0 || k < 0 ? -1 : total + k;
    } else if (st == PGRES_FATAL_ERROR) {
      if (first_error.get() == nullptr) first_error = std::move(r), first_failed = base + i;
    } else if (st != PGRES_PIPELINE_ABORTED) {
      lose_step(context, std::string("libpq returned ") + PQresStatus(st) + " where a row's result was expected");
    }
    if (get_result() != nullptr) lose_step(context, "a row of the batch has more than one result");
    ++batch_read_;
  }
  {
    result_ptr sync(get_result());
    if (sync.get() == nullptr || sync.status() != PGRES_PIPELINE_SYNC)
      lose_step(context, "the batch's Sync did not come back after its rows");
  }
  if (PQexitPipelineMode(conn_) != 1)
    pipeline_call_failed("batch: PQexitPipelineMode", "libpq would not leave pipeline mode with every reply read");
  if (first_error.get() != nullptr) {
    failed_row = first_failed;
    raise(first_error.get(), {});
  }
  return total;
}

}  // namespace dbridge_postgres
