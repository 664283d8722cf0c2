// SPDX-License-Identifier: Apache-2.0
// Batches on libpq's pipeline mode: statements are queued without waiting,
// results read back in order. Each statement gets its own Sync, so one
// failing statement is reported against itself and does not abort the
// others (outside an explicit transaction each runs in its own).
#include <sys/socket.h>

#include <cstring>
#include <string>

#include <dbridge/sdk/placeholders.hpp>
#include <dbridge/sdk/statement_effect.hpp>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

namespace {

// COPY FROM STDIN / TO STDOUT stream data outside the statement's reply; in a
// pipeline the server would read the statements queued after a COPY FROM
// STDIN as its data and drop the connection.
bool client_copy(std::string_view sql) {
  using namespace sdk::sql_words;
  bool copy = false, client = false;
  each_statement_start(sql, [&](std::string_view first, bool) { copy = copy || is(first, "COPY"); });
  if (copy)
    each_word(sql, [&](std::string_view w) {
      client = is(w, "STDIN") || is(w, "STDOUT");
      return !client;
    });
  return client;
}

}  // namespace

void pg_connection::lose_step(std::string_view context, std::string_view why) {
  std::string msg = "postgres: " + std::string(context) + ": " + std::string(why);
  msg += "; the connection was closed, since its replies could no longer be matched to its statements";
  out_of_step_ = "postgres: the connection was closed after a pipeline lost its place in the server's replies (" +
                 std::string(why) + "); open a new one";
  // libpq reads end-of-file at once and marks the connection bad, so nothing
  // can read a reply meant for another statement.
  if (const int fd = PQsocket(conn_); fd >= 0) {
    ::shutdown(fd, SHUT_RDWR);
    for (int i = 0; i < 64 && PQstatus(conn_) == CONNECTION_OK && PQconsumeInput(conn_) == 1; ++i) {
    }
  }
  throw sdk::error(DBR_CAT_CONNECTION, std::move(msg))
      .sqlstate("08006")
      .retry(batch_read_ < batch_queued_ ? DBR_RETRY_UNKNOWN_OUTCOME : DBR_RETRY_NEW_CONN)
      .connection_broken()
      .native(0, native_domain);
}

void pg_connection::pipeline_call_failed(std::string_view context, std::string_view why) {
  if (PQstatus(conn_) == CONNECTION_BAD) raise(nullptr, context);  // lost: error_for says so
  // In pipeline mode libpq keeps earlier statements' errors in its message
  // too: only the last line is this call's.
  std::string said = PQerrorMessage(conn_);
  while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
  if (const std::size_t nl = said.rfind('\n'); nl != std::string::npos) said.erase(0, nl + 1);
  lose_step(context, said.empty() ? std::string(why) : std::string(why) + " (libpq: " + said + ")");
}

result_ptr pg_connection::read_to_sync(std::string_view context) {
  // A statement's replies are its result, a NULL, then its Sync; the Sync
  // that opens a batch comes alone.
  result_ptr main;
  bool after_null = false;
  for (;;) {
    PGresult* p = get_result();
    if (p == nullptr) {
      if (PQstatus(conn_) == CONNECTION_BAD)
        raise(main.get() != nullptr && main.status() == PGRES_FATAL_ERROR ? main.get() : nullptr, context);
      if (after_null) lose_step(context, "libpq has no further result, yet the statement's Sync has not come back");
      after_null = true;
      continue;
    }
    after_null = false;
    result_ptr r(p);
    const ExecStatusType st = r.status();
    if (st == PGRES_PIPELINE_SYNC) return main;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY && st != PGRES_FATAL_ERROR &&
        st != PGRES_PIPELINE_ABORTED)
      lose_step(context, std::string("libpq returned ") + PQresStatus(st) + " where a statement's result was expected");
    if (main.get() == nullptr || (st == PGRES_FATAL_ERROR && main.status() != PGRES_FATAL_ERROR)) main = std::move(r);
  }
}

void pg_connection::batch_begin() {
  if (in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: a batch is already open on this connection");
  settle();
  batch_queued_ = batch_read_ = 0;
  batch_rows_.reset();
  if (PQenterPipelineMode(conn_) != 1)
    pipeline_call_failed("batch: PQenterPipelineMode", "the connection is busy with an unfinished result");
  // libpq 15 keeps single-row mode from the last streamed query for the
  // first statement queued in a pipeline (it resets it only when it sends
  // outside one, or moves to the next queued command), and that statement's
  // rows would come back one PGRES_SINGLE_TUPLE at a time. A leading Sync
  // is the first queued command instead; reading its reply first also
  // proves the replies in step.
  if (PQpipelineSync(conn_) != 1) pipeline_call_failed("batch: PQpipelineSync", "the opening Sync was not sent");
  batch_lead_sync_ = true;
  in_batch_ = true;
}

void pg_connection::batch_add_sql(std::string_view sql, std::span<const dbr_value> params) {
  if (!in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: no batch is open; call begin first");
  if (client_copy(sql))
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     "postgres: COPY ... FROM STDIN / TO STDOUT cannot run in a batch (it was not sent): use "
                     "dbridge::copy_in or dbridge::copy_out")
        .native(0, native_domain);
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
    check_timestamp_param(t, v, i + 1);
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
  const std::string context = "batch item " + std::to_string(batch_queued_);
  if (PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), p.types.data(), p.values.data(),
                        p.lengths.data(), p.formats.data(), 1) != 1)
    pipeline_call_failed(context + ": PQsendQueryParams", "the statement was not queued");
  ++batch_queued_;
  if (PQpipelineSync(conn_) != 1) pipeline_call_failed(context + ": PQpipelineSync", "its Sync was not queued");
}

void pg_connection::batch_add_command(const sdk::argv_view& args) {
  (void)args;
  sdk::unsupported("postgres", "command items in a batch; add SQL statements");
}

void pg_connection::batch_send() {
  if (!in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: no batch is open; call begin first");
  if (PQflush(conn_) < 0) pipeline_call_failed("batch send: PQflush", "the queued statements were not all sent");
}

bool pg_connection::batch_next(dbr_batch_item& item, dbr_error* item_err) {
  if (!in_batch_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: no batch is open; call begin first");
  batch_rows_.reset();
  if (batch_read_ >= batch_queued_) return false;
  item.index = batch_read_;
  const std::string context = "batch item " + std::to_string(item.index);
  if (batch_lead_sync_) {
    if (read_to_sync(context).get() != nullptr) lose_step(context, "a result came back for the batch's opening Sync");
    batch_lead_sync_ = false;
  }
  result_ptr main = read_to_sync(context);
  if (main.get() == nullptr) lose_step(context, "its Sync came back without the statement's result");
  ++batch_read_;
  const ExecStatusType st = main.status();
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) {
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
                     : error_for(main.get(), context);
  item.status = e.fill(sdk::host(), item_err);
  return true;
}

void pg_connection::batch_end() {
  if (!in_batch_) return;
  batch_rows_.reset();
  if (!out_of_step_.empty()) {  // shut and reported already
    in_batch_ = false;
    return;
  }
  // The unread replies are read and dropped: what runs next must find the
  // connection idle. A failure here leaves it lost or shut, never half-read.
  try {
    if (batch_lead_sync_ && read_to_sync("batch end").get() != nullptr)
      lose_step("batch end", "a result came back for the batch's opening Sync");
    batch_lead_sync_ = false;
    for (; batch_read_ < batch_queued_; ++batch_read_)
      if (read_to_sync("batch end").get() == nullptr)
        lose_step("batch end", "a Sync came back without its statement's result");
    if (PQexitPipelineMode(conn_) != 1)
      pipeline_call_failed("batch end: PQexitPipelineMode", "libpq would not leave pipeline mode with every reply read");
  } catch (...) {
    in_batch_ = false;
    throw;
  }
  in_batch_ = false;
}

}  // namespace dbridge_postgres
