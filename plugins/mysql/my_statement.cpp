// SPDX-License-Identifier: Apache-2.0
// Prepared statements on the binary protocol and their cursor. Rows stream
// with mysql_stmt_fetch straight off the wire (never mysql_stmt_store_result
// up front), one row per fetch, the cells borrowing the column buffers. A
// connection carries one unread result at a time: when something else needs
// the wire, the rest of the streaming result (and any later result sets of a
// CALL) is copied into memory and stays readable.
#include <cstring>
#include <string>

#include <errmsg.h>

#include <dbridge/sdk/statement_effect.hpp>

#include "my_plugin.hpp"

namespace dbridge_mysql {

my_statement::my_statement(my_connection& c, MYSQL_STMT* stmt, translated_sql sql, std::size_t markers)
    : c_(c), stmt_(stmt), sql_(std::move(sql)), changes_session_(sdk::sql_changes_session(sql_.text, my_session_dialect)) {
  params_.resize(markers);
}

my_statement::~my_statement() {
  discard();
  c_.forget(this);
  mysql_stmt_close(stmt_);
}

void my_statement::raise(std::string_view context) { c_.raise(stmt_, context); }

std::span<const dbr_column> my_statement::columns() {
  if (from_store_) return stored_.empty() ? std::span<const dbr_column>() : std::span<const dbr_column>(stored_.front().cols);
  return plan_.columns();
}

void my_statement::start_set(column_plan& p) {
  MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
  p.build(meta, c_.zero_date(), c_.zone());
  if (meta != nullptr) mysql_free_result(meta);
  p.bind(stmt_);
  if (&p == &plan_) cells_.resize(p.size());
  set_done_ = false;
}

void my_statement::finish_wire() noexcept {
  if (!streaming_) return;
  streaming_ = false;
  c_.forget(this);
}

bool my_statement::advance_on_wire(column_plan& p) {
  // Skip what is left of the current set; the protocol has no way to jump.
  if (!set_done_) {
    for (;;) {
      const int rc = mysql_stmt_fetch(stmt_);
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) {
        set_done_ = true;
        sdk::error e = c_.stmt_error(stmt_, "reading a result");
        finish_wire();
        throw e;
      }
    }
    set_done_ = true;
  }
  while (mysql_stmt_more_results(stmt_)) {
    const int rc = mysql_stmt_next_result(stmt_);
    if (rc > 0) {
      sdk::error e = c_.stmt_error(stmt_, "reading the next result set");
      finish_wire();
      throw e;
    }
    if (rc < 0) break;
    if (mysql_stmt_field_count(stmt_) > 0) {
      if (&p == &plan_) first_plan_ = false;
      start_set(p);
      return true;
    }
  }
  finish_wire();
  return false;
}

void my_statement::discard() noexcept {
  stored_.clear();
  from_store_ = false;
  arena_.reset();
  if (streaming_) {
    try {
      while (advance_on_wire(plan_)) {
      }
    } catch (...) {
      // The error belongs to rows nobody will read; the wire is free either way.
    }
    finish_wire();
  }
  set_done_ = true;
  mysql_stmt_free_result(stmt_);
}

namespace {

std::size_t payload_size(const dbr_value& v) noexcept {
  switch (v.type) {
    case DBR_TYPE_TEXT:
    case DBR_TYPE_JSON:
    case DBR_TYPE_DECIMAL: return static_cast<std::size_t>(v.u.str.len);
    case DBR_TYPE_BYTES: return static_cast<std::size_t>(v.u.bin.len);
    default: return 16;
  }
}

// The server never reads a packet over max_allowed_packet: it drops the
// connection, and the client reports only "server has gone away". Whether
// the statement ran would then look unknown; here nothing is sent.
void check_packet_size(my_connection& c, std::span<const dbr_value> params) {
  // 1024 is the smallest max_allowed_packet a server accepts: below it no
  // round trip is spent asking.
  constexpr std::size_t smallest_limit = 1024;
  constexpr std::size_t overhead_per_param = 16;  // type, length prefix, null bitmap
  std::size_t total = 32, biggest = 0, biggest_at = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::size_t n = payload_size(params[i]);
    total += n + overhead_per_param;
    if (n > biggest) {
      biggest = n;
      biggest_at = i;
    }
  }
  if (total < smallest_limit) return;
  const unsigned long long limit = c.max_allowed_packet();
  if (total <= limit) return;
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                   "mysql: the parameters take " + std::to_string(total) + " bytes (the largest, parameter " +
                       std::to_string(biggest_at + 1) + ", " + std::to_string(biggest) +
                       " bytes), over the server's max_allowed_packet of " + std::to_string(limit) +
                       " bytes; nothing was sent")
      .field(DBR_ERRF_HINT, "send smaller values, or raise max_allowed_packet on the server (SET GLOBAL "
                            "max_allowed_packet = ...; it applies to new connections)");
}

}  // namespace

sdk::cursor* my_statement::execute(std::span<const dbr_value> params, dbr_exec_info& info) {
  if (params.size() != sql_.nparams)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     "mysql: the statement takes " + std::to_string(sql_.nparams) + " parameter(s) (" +
                         sdk::placeholder_detail::spelled(sql_.style) + ") but " + std::to_string(params.size()) + " were given");
  discard();
  c_.settle(this);
  c_.clear_cancel();
  check_packet_size(c_, params);
  info.session_changed = changes_session_ ? 1 : 0;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    const std::uint32_t src = sql_.source(k);
    params_.set(k, params[src], src + 1, c_.zone());
  }
  if (params_.size() > 0 && mysql_stmt_bind_param(stmt_, params_.binds()) != 0) raise("binding parameters");
  if (mysql_stmt_execute(stmt_) != 0) {
    if (mysql_stmt_errno(stmt_) != CR_NEW_STMT_METADATA) raise({});
    // The server ran it and is sending a result of another shape. A read
    // runs again, prepared anew; a write must not run twice.
    reprepare_after_new_metadata();
    if (!sdk::sql_only_reads(sql_.text))
      throw sdk::error(DBR_CAT_INVALID_STATE,
                       "mysql: a table this statement uses changed its columns since it was prepared; the statement "
                       "ran but its result was discarded (it is prepared anew for the next run)")
          .native(CR_NEW_STMT_METADATA, native_domain);
    if (params_.size() > 0 && mysql_stmt_bind_param(stmt_, params_.binds()) != 0) raise("binding parameters");
    if (mysql_stmt_execute(stmt_) != 0) raise({});
  }
  c_.track_session_state();
  if (mysql_stmt_field_count(stmt_) == 0) {
    info.affected_rows = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt_));
    const unsigned long long id = mysql_stmt_insert_id(stmt_);
    if (id != 0) {
      info.last_insert_id = static_cast<std::int64_t>(id);  // the bits; unsigned says how to read them
      info.has_last_insert_id = 1;
      info.last_insert_id_unsigned = 1;
    }
    // A CALL without result sets still ends with a status result.
    if (mysql_stmt_more_results(stmt_)) {
      streaming_ = true;
      c_.set_streaming(this);
      if (advance_on_wire(plan_)) {
        info.affected_rows = -1;
        return this;
      }
    }
    return nullptr;
  }
  streaming_ = true;
  c_.set_streaming(this);
  // A re-executed statement's first result set usually has the columns it
  // had last time: then the plan and its binds stay. Binds of other types
  // would convert every value into the old ones (1.5 read as 1).
  if (first_plan_ && plan_.size() == mysql_stmt_field_count(stmt_) && plan_fits()) {
    set_done_ = false;
  } else {
    start_set(plan_);
    first_plan_ = true;
  }
  return this;
}

bool my_statement::plan_fits() {
  // The statement's own metadata, as the execute just updated it; no copy.
  MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
  const bool fits = plan_.describes(meta);
  if (meta != nullptr) mysql_free_result(meta);
  return fits;
}

void my_statement::reprepare_after_new_metadata() {
  // Freeing the result reads its rows off the wire; the round trip with a
  // known answer proves nothing else was left behind.
  mysql_stmt_free_result(stmt_);
  if (!c_.proven_in_sync())
    throw sdk::error(DBR_CAT_CONNECTION,
                     "mysql: a table this statement uses changed its columns since it was prepared, and the "
                     "connection lost its place in the protocol; it is closed (run the statement on a new one)")
        .retry(DBR_RETRY_UNKNOWN_OUTCOME)
        .connection_broken()
        .native(CR_NEW_STMT_METADATA, native_domain);
  MYSQL_STMT* fresh = mysql_stmt_init(c_.raw());
  if (fresh == nullptr) throw sdk::error(DBR_CAT_RESOURCE, "mysql: out of memory creating a statement");
  mysql_stmt_close(stmt_);
  stmt_ = fresh;
  first_plan_ = false;
  if (mysql_stmt_prepare(stmt_, sql_.text.data(), sql_.text.size()) != 0) raise("prepare");
}

std::int32_t my_statement::fetch(std::uint32_t max_rows, dbr_rows& out) {
  (void)max_rows;  // one row per call: the cells borrow the bound buffers
  if (from_store_) {
    if (stored_.empty()) return DBR_DONE;
    stored_set& s = stored_.front();
    if (s.ncols == 0 || s.next * s.ncols >= s.cells.size()) return DBR_DONE;
    const std::size_t avail = s.cells.size() / s.ncols - s.next;
    const std::size_t n = max_rows != 0 && avail > max_rows ? max_rows : avail;
    out.ncols = static_cast<std::uint32_t>(s.ncols);
    out.nrows = n;
    out.cells = s.cells.data() + s.next * s.ncols;
    s.next += n;
    return DBR_OK;
  }
  if (set_done_) return DBR_DONE;
  const int rc = mysql_stmt_fetch(stmt_);
  if (rc == MYSQL_NO_DATA) {
    set_done_ = true;
    if (!mysql_stmt_more_results(stmt_)) finish_wire();
    return DBR_DONE;
  }
  if (rc == 1) {
    set_done_ = true;
    sdk::error e = c_.stmt_error(stmt_, "reading a result");
    if (!mysql_stmt_more_results(stmt_)) finish_wire();
    throw e;
  }
  plan_.decode(stmt_, rc == MYSQL_DATA_TRUNCATED, cells_.data());
  out.ncols = static_cast<std::uint32_t>(cells_.size());
  out.nrows = 1;
  out.cells = cells_.data();
  return DBR_OK;
}

bool my_statement::next_result() {
  if (from_store_) {
    if (!stored_.empty()) stored_.pop_front();
    return !stored_.empty();
  }
  if (!streaming_) return false;
  return advance_on_wire(plan_);
}

namespace {

// Repoints a cell's bytes at a copy in a (the cell array itself stays put).
void keep_in(arena& a, dbr_value& v) {
  if (v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_DECIMAL || v.type == DBR_TYPE_JSON) {
    v.u.str.ptr = a.keep({v.u.str.ptr, static_cast<std::size_t>(v.u.str.len)}).data();
  } else if (v.type == DBR_TYPE_BYTES) {
    v.u.bin.ptr = reinterpret_cast<const std::uint8_t*>(
        a.keep({reinterpret_cast<const char*>(v.u.bin.ptr), static_cast<std::size_t>(v.u.bin.len)}).data());
  }
}

}  // namespace

void my_statement::store_current(column_plan& p, stored_set& s) {
  const auto cols = p.columns();
  s.ncols = cols.size();
  for (const dbr_column& col : cols) {
    dbr_column copy = col;
    copy.name = arena_.keep(std::string_view(col.name, std::strlen(col.name) + 1)).data();
    copy.native_type = arena_.keep(std::string_view(col.native_type, std::strlen(col.native_type) + 1)).data();
    s.cols.push_back(copy);
  }
  scratch_.resize(s.ncols);
  while (!set_done_) {
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA) {
      set_done_ = true;
      break;
    }
    if (rc == 1) {
      set_done_ = true;
      sdk::error e = c_.stmt_error(stmt_, "reading a result");
      finish_wire();
      throw e;
    }
    p.decode(stmt_, rc == MYSQL_DATA_TRUNCATED, scratch_.data());
    for (dbr_value v : scratch_) {
      keep_in(arena_, v);
      s.cells.push_back(v);
    }
  }
}

void my_statement::detach() {
  if (!streaming_ || from_store_) return;
  // The row the caller holds borrows the column buffers the copying is
  // about to overwrite: move its bytes out first, in place.
  for (dbr_value& v : cells_) keep_in(arena_, v);
  // The current set's columns stay described by plan_ (the caller may hold
  // them); later sets get their own plan.
  stored_.emplace_back();
  store_current(plan_, stored_.back());
  while (advance_on_wire(later_plan_)) {
    stored_.emplace_back();
    store_current(later_plan_, stored_.back());
  }
  from_store_ = true;
  finish_wire();
}

// ------------------------------------------------------------ prepare
std::unique_ptr<sdk::statement> my_connection::prepare(std::string_view sql, std::uint32_t flags) {
  (void)flags;  // every statement is server-side prepared; the core caches them
  translated_sql t = sdk::translate_placeholders(sql, sdk::mariadb_lexis, sdk::native_placeholder::question, "mysql");
  if (t.nparams > 65535)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: the statement takes " + std::to_string(t.nparams) +
                                                   " parameters; MariaDB takes at most 65535");
  if (!t.rewritten) t.text.assign(sql);  // kept to prepare again after a schema change
  settle();
  MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
  if (stmt == nullptr) throw sdk::error(DBR_CAT_RESOURCE, "mysql: out of memory creating a statement");
  if (mysql_stmt_prepare(stmt, t.text.data(), t.text.size()) != 0) {
    sdk::error e = error_for(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), "prepare");
    // Preparing changes no data: lost or not, it is safe to run again.
    if (e.category() == DBR_CAT_CONNECTION) e.retry(DBR_RETRY_NEW_CONN);
    mysql_stmt_close(stmt);
    throw e;
  }
  const std::size_t markers = t.order.empty() ? t.nparams : t.order.size();
  if (mysql_stmt_param_count(stmt) != markers) {
    const unsigned long n = mysql_stmt_param_count(stmt);
    mysql_stmt_close(stmt);
    throw sdk::error(DBR_CAT_INTERNAL, "mysql: the server counts " + std::to_string(n) + " placeholders, the driver " +
                                           std::to_string(markers));
  }
  return std::make_unique<my_statement>(*this, stmt, std::move(t), markers);
}

}  // namespace dbridge_mysql
