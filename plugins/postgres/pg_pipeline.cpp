// SPDX-License-Identifier: Apache-2.0
// Batches on libpq's pipeline mode: statements are queued without waiting,
// results read back in order. Each statement gets its own Sync, so one
// failing statement is reported against itself and does not abort the
// others (outside an explicit transaction each runs in its own).
#include <cstring>
#include <string>

#include <dbridge/sdk/placeholders.hpp>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

void pg_connection::batch_begin() {
  if (in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: a batch is already open on this connection");
  settle();
  if (PQenterPipelineMode(conn_) != 1) raise(nullptr, "pipeline");
  in_batch_ = true;
  batch_queued_ = batch_read_ = 0;
  batch_rows_.reset();
}

void pg_connection::batch_add_sql(std::string_view sql, std::span<const dbr_value> params) {
  if (!in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: no batch is open; call begin first");
  check_param_count(params.size());
  param_buffers& p = batch_params_;
  p.resize(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const dbr_value& v = params[i];
    p.types[i] = 0;
    if (v.type == DBR_TYPE_NULL) {
      p.values[i] = nullptr;
      p.lengths[i] = 0;
      p.formats[i] = 0;
      continue;
    }
    // No Describe round trip here: the parameter types come from the values.
    std::string& b = p.data[i];
    b.clear();
    const Oid t = natural_type(v);
    if (t != 0 && encode_binary(t, v, b)) {
      p.types[i] = t;
      p.formats[i] = 1;
    } else {
      b.clear();
      render_text(v, b);
      check_text_param(b, i + 1);
      p.formats[i] = 0;
    }
    p.values[i] = b.data();
    p.lengths[i] = static_cast<int>(b.size());
  }
  const sdk::placeholder_plan plan =
      sdk::translate_placeholders(sql, sdk::postgres_lexis, sdk::native_placeholder::dollar, "postgres");
  const std::string text(plan.sql(sql));
  if (PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), p.types.data(), p.values.data(),
                        p.lengths.data(), p.formats.data(), 1) != 1 ||
      PQpipelineSync(conn_) != 1)
    raise(nullptr, "pipeline");
  ++batch_queued_;
}

void pg_connection::batch_add_command(const sdk::argv_view& args) {
  (void)args;
  sdk::unsupported("postgres", "command items in a batch; add SQL statements");
}

void pg_connection::batch_send() {
  if (!in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: no batch is open; call begin first");
  if (PQflush(conn_) < 0) raise(nullptr, "pipeline");
}

bool pg_connection::batch_next(dbr_batch_item& item, dbr_error* item_err) {
  if (!in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: no batch is open; call begin first");
  batch_rows_.reset();
  if (batch_read_ >= batch_queued_) return false;
  item.index = batch_read_;
  result_ptr main;
  // One statement yields its result, a NULL, then its Sync.
  for (;;) {
    PGresult* p = get_result();
    if (p == nullptr) {
      if (PQstatus(conn_) == CONNECTION_BAD) raise(nullptr, "pipeline");
      continue;
    }
    result_ptr r(p);
    if (r.status() == PGRES_PIPELINE_SYNC) break;
    if (main.get() == nullptr) main = std::move(r);
  }
  ++batch_read_;
  const ExecStatusType st = main.get() != nullptr ? main.status() : PGRES_FATAL_ERROR;
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
    if (const char* t = PQcmdTuples(main.get()); t != nullptr && *t != '\0') item.affected_rows = std::strtoll(t, nullptr, 10);
    if (st == PGRES_TUPLES_OK && PQnfields(main.get()) > 0) {
      batch_rows_ = std::make_unique<result_cursor>(*this, std::move(main));
      item.has_rows = 1;
      item.rows = reinterpret_cast<dbr_cursor*>(static_cast<sdk::cursor*>(batch_rows_.get()));
    }
    item.status = DBR_OK;
    return true;
  }
  sdk::error e = st == PGRES_PIPELINE_ABORTED
                     ? sdk::error(DBR_CAT_INVALID_STATE, "postgres: not run: an earlier statement of the pipeline failed")
                     : error_for(main.get(), "batch item " + std::to_string(item.index));
  item.status = e.fill(sdk::host(), item_err);
  return true;
}

void pg_connection::batch_end() {
  if (!in_batch_) return;
  batch_rows_.reset();
  while (batch_read_ < batch_queued_) {
    PGresult* p = get_result();
    if (p == nullptr) {
      if (PQstatus(conn_) == CONNECTION_BAD) break;
      continue;
    }
    if (PQresultStatus(p) == PGRES_PIPELINE_SYNC) ++batch_read_;
    PQclear(p);
  }
  in_batch_ = false;
  if (PQexitPipelineMode(conn_) != 1) raise(nullptr, "pipeline");
}

}  // namespace dbridge_postgres
