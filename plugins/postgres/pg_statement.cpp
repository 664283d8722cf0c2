// SPDX-License-Identifier: Apache-2.0
// Prepared statements and their cursor: parameters encoded per the types the
// server inferred, results in binary, streamed in single-row mode so a large
// result never sits in memory (a statement that keeps returning at most one
// row reads it whole instead: see whole_after). A warm cursor allocates
// nothing but libpq's per-row PGresult.
#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>
#include <string>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

// ------------------------------------------------------------ column plans
void column_plan::build(pg_connection& c, const PGresult* desc, bool from_result) {
  const int n = PQnfields(desc);
  names.assign(static_cast<std::size_t>(n), std::string());
  type_names.assign(static_cast<std::size_t>(n), std::string());
  codecs.assign(static_cast<std::size_t>(n), codec::text_raw);
  elems.assign(static_cast<std::size_t>(n), codec::text_raw);
  format = 1;
  auto text_form = [&](int i) {
    const Oid t = PQftype(desc, i);
    codecs[i] = text_codec(t);
    if (codecs[i] == codec::t_array) elems[i] = text_codec(array_element(t));
  };
  for (int i = 0; i < n; ++i) {
    const Oid t = PQftype(desc, i);
    names[i] = PQfname(desc, i);
    type_names[i] = c.type_name(t);
    codec k = codec::text_raw;
    if (from_result) {
      if (PQfformat(desc, i) == 0)
        text_form(i);
      else if (binary_codec(t, k) || c.sends_text(t))
        codecs[i] = k;
      else
        codecs[i] = codec::bytea;  // an unknown type's wire bytes, as they are
    } else if (binary_codec(t, k) || c.sends_text(t)) {
      codecs[i] = k;
    } else {
      format = 0;
    }
  }
  if (format == 0 && !from_result) {
    // libpq asks for one format for all columns: a type we cannot decode in
    // binary (money, tsvector, a user type...) sends the whole statement to
    // text, whose typed columns are parsed back into their types.
    for (int i = 0; i < n; ++i) text_form(i);
  }
  zoned.clear();
  for (int i = 0; i < n; ++i) {
    const Oid t = PQftype(desc, i);
    if (codecs[i] == codec::timestamptz || (codecs[i] == codec::array && array_element(t) == oid::timestamptz))
      zoned.push_back(static_cast<std::size_t>(i));
  }
  cols.clear();
  for (int i = 0; i < n; ++i) {
    dbr_column col = sdk::make_column(names[i].c_str(), codec_type(codecs[i]), type_names[i].c_str());
    const Oid t = PQftype(desc, i);
    const int mod = PQfmod(desc, i);
    if ((t == oid::varchar || t == oid::bpchar) && mod > 4) col.max_length = mod - 4;
    if (t == oid::numeric && mod >= 4) {
      col.precision = ((mod - 4) >> 16) & 0xFFFF;
      col.scale = (mod - 4) & 0xFFFF;
    }
    cols.push_back(col);
  }
  self_contained = true;
  for (codec k : codecs)
    if (k == codec::array) self_contained = false;
}

void column_plan::decode_row(const PGresult* r, int row, dbr_value* out, arena& a) const {
  const int n = static_cast<int>(codecs.size());
  for (int i = 0; i < n; ++i) {
    if (PQgetisnull(r, row, i)) {
      out[i] = sdk::make_null();
      continue;
    }
    decode_cell(codecs[i], PQgetvalue(r, row, i), PQgetlength(r, row, i), out[i], a, elems[i]);
  }
}

void column_plan::apply_zone(pg_connection& c, dbr_value* cells, std::size_t nrows) const {
  if (zoned.empty()) return;
  session_zone& z = c.zone();
  const std::size_t nc = codecs.size();
  for (std::size_t r = 0; r < nrows; ++r)
    for (std::size_t i : zoned) z.apply(cells[r * nc + i]);
}

namespace {
inline std::uint32_t load_be32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}
}  // namespace

// Copy is a template argument: the per-row streaming loop keeps no branch for it.
template <bool Copy>
inline void column_plan::decode_row_fast(const PGresult* r, int row, dbr_value* out, arena& a) const {
  const int n = static_cast<int>(codecs.size());
  for (int i = 0; i < n; ++i) {
    // A NULL reports length 0, so only empty values need the NULL check.
    const int len = PQgetlength(r, row, i);
    if (len == 0 && PQgetisnull(r, row, i)) {
      out[i] = sdk::make_null();
      continue;
    }
    const char* p = PQgetvalue(r, row, i);
    dbr_value& v = out[i];
    // The commonest cells inline; everything else (and every malformed
    // value, for its message) through decode_cell.
    switch (codecs[i]) {
      case codec::int4:
        if (len != 4) break;
        v.type = DBR_TYPE_INT64;
        v.flags = 0;
        v.u.i64 = static_cast<std::int32_t>(load_be32(p));
        continue;
      case codec::int8:
        if (len != 8) break;
        v.type = DBR_TYPE_INT64;
        v.flags = 0;
        v.u.i64 = static_cast<std::int64_t>((std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4));
        continue;
      case codec::text_raw: {
        const char* at = p;
        if constexpr (Copy) {
          char* c = a.chars(static_cast<std::size_t>(len));
          std::memcpy(c, p, static_cast<std::size_t>(len));
          at = c;
        }
        v.type = DBR_TYPE_TEXT;
        v.flags = 0;
        v.u.str.ptr = at;
        v.u.str.len = static_cast<std::uint64_t>(len);
        continue;
      }
      default:
        break;
    }
    decode_cell(codecs[i], p, len, v, a, elems[i]);
    if constexpr (!Copy) continue;
    switch (v.type) {
      case DBR_TYPE_TEXT:
      case DBR_TYPE_JSON:
      case DBR_TYPE_DECIMAL:
      case DBR_TYPE_BYTES:
        // str and bin share their layout.
        if (v.u.str.ptr >= p && v.u.str.ptr <= p + len && v.u.str.len != 0) {
          char* copy = a.chars(static_cast<std::size_t>(v.u.str.len));
          std::memcpy(copy, v.u.str.ptr, static_cast<std::size_t>(v.u.str.len));
          v.u.str.ptr = copy;
        }
        break;
      default:
        break;
    }
  }
}

void column_plan::decode_row_owned(const PGresult* r, int row, dbr_value* out, arena& a) const {
  decode_row_fast<true>(r, row, out, a);
}

inline void column_plan::decode_row_in_place(const PGresult* r, int row, dbr_value* out, arena& a) const {
  decode_row_fast<false>(r, row, out, a);
}

// ------------------------------------------------------------ result cursor
result_cursor::result_cursor(pg_connection& c, result_ptr r) : c_(c), res_(std::move(r)) {
  plan_.build(c, res_.get(), true);
}

std::int32_t result_cursor::fetch(std::uint32_t max_rows, dbr_rows& out) {
  const int total = PQntuples(res_.get());
  if (next_ >= total) return DBR_DONE;
  int n = total - next_;
  if (max_rows != 0 && static_cast<std::uint32_t>(n) > max_rows) n = static_cast<int>(max_rows);
  const std::size_t nc = plan_.cols.size();
  arena_.reset();
  cells_.resize(static_cast<std::size_t>(n) * nc);
  for (int k = 0; k < n; ++k) plan_.decode_row(res_.get(), next_ + k, cells_.data() + k * nc, arena_);
  plan_.apply_zone(c_, cells_.data(), static_cast<std::size_t>(n));
  next_ += n;
  out.ncols = static_cast<std::uint32_t>(nc);
  out.nrows = static_cast<std::uint64_t>(n);
  out.cells = cells_.data();
  return DBR_OK;
}

// ------------------------------------------------------------ statements
pg_statement::pg_statement(pg_connection& c, std::string name, std::string sql, const PGresult* desc)
    : c_(c), name_(std::move(name)), sql_(std::move(sql)), generation_(c.generation()) {
  adopt(desc);
}

void pg_statement::adopt(const PGresult* desc) {
  param_types_.assign(static_cast<std::size_t>(PQnparams(desc)), 0);
  for (std::size_t i = 0; i < param_types_.size(); ++i) param_types_[i] = PQparamtype(desc, static_cast<int>(i));
  plan_.build(c_, desc);
  params_.resize(param_types_.size());
  nparams_ = param_types_.size();
  ncols_ = plan_.cols.size();
  whole_able_ = plan_.self_contained && !plan_.cols.empty();
  // The first rows' buffers now, not after the first result: allocated
  // above a result's blocks, they would keep every freed result from
  // returning to the heap's top.
  if (!plan_.cols.empty()) {
    cells_.resize(plan_.cols.size());  // one row always fits (run_whole relies on it)
    arena_.chars(1);
    arena_.reset();
  }
}

void pg_statement::reprepare() {
  std::string name = c_.next_statement_name();
  result_ptr desc = c_.parse(name, sql_);
  c_.forget_statement(this, name_, generation_);
  name_ = std::move(name);
  generation_ = c_.generation();
  adopt(desc.get());
  stale_ = false;
}

namespace {
// The commonest parameter, an integer key, in binary without encode_param's
// general dispatch, into its 8-byte slot; its bytes, or nullptr when it
// needs encode_param (other types, out of range).
const char* put_int(Oid target, std::int64_t v, std::uint64_t& slot, int& len) {
  if (target == oid::int8)
    len = 8;
  else if (target == oid::int4 && v >= INT32_MIN && v <= INT32_MAX)
    len = 4;
  else
    return nullptr;
  // Network order: the value's low len bytes, most significant first.
  slot = __builtin_bswap64(static_cast<std::uint64_t>(v));
  return reinterpret_cast<const char*>(&slot) + (8 - len);
}

// The server re-plans a prepared statement by itself when a table it reads
// changes, but refuses to run it when that changes its result's columns.
bool plan_gone_stale(const PGresult* r) noexcept {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char* where = PQresultErrorField(r, PG_DIAG_SOURCE_FUNCTION);
  return state != nullptr && std::strcmp(state, "0A000") == 0 &&
         (where == nullptr || std::strcmp(where, "RevalidateCachedQuery") == 0);
}
}  // namespace

pg_statement::~pg_statement() {
  discard();
  c_.forget_statement(this, name_, generation_);
}

void pg_statement::release_batch() noexcept {
  for (PGresult* r : batch_) PQclear(r);
  batch_.clear();
}

void pg_statement::discard_held() noexcept {
  if (!batch_.empty()) release_batch();
  if (!buffered_.empty()) {
    for (PGresult* r : buffered_) PQclear(r);
    buffered_.clear();
  }
  if (failed_.get() != nullptr) failed_ = result_ptr();
  if (whole_.get() != nullptr) whole_ = result_ptr();
  if (streaming_) {
    while (PGresult* r = c_.get_result()) {
      if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) ++rows_seen_;
      PQclear(r);
    }
    streaming_ = false;
    c_.set_streaming(nullptr);
    note_rows();
  }
  finished_ = true;
  held_ = holding::nothing;
}

PGresult* pg_statement::read_wire() {
  if (!streaming_) return nullptr;
  PGconn* conn = c_.raw();
  for (;;) {
    PGresult* r = c_.get_result();
    const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_COMMAND_OK;
    if (r != nullptr && st == PGRES_SINGLE_TUPLE) {
      ++rows_seen_;
      return r;
    }
    if (r != nullptr && (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR)) {
      if (failed_.get() == nullptr)
        failed_ = result_ptr(r);
      else
        PQclear(r);
      continue;  // libpq ends every command with a NULL result
    }
    if (r != nullptr) {  // the final TUPLES_OK (or COMMAND_OK): the stream is over
      PQclear(r);
      continue;
    }
    streaming_ = false;
    c_.set_streaming(nullptr);
    note_rows();
    if (failed_.get() == nullptr && PQstatus(conn) == CONNECTION_BAD) failed_ = result_ptr(PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR));
    return nullptr;
  }
}

inline bool pg_statement::read_whole() {
  // The usual answer, one TUPLES_OK then the end, without the general loop.
  // A run starts with nothing held (discard, or refused's reset): whole_ and
  // failed_ are empty here. whole_next_ is the caller's to set.
  PGresult* r = c_.get_result();
  if (r != nullptr && PQresultStatus(r) == PGRES_TUPLES_OK) [[likely]] {
    whole_ = result_ptr(r);
    r = c_.get_result();
    if (r == nullptr) [[likely]] {
      rows_seen_ = static_cast<std::uint64_t>(PQntuples(whole_.get()));
      // note_rows() when reading whole (small_runs_ is at whole_after).
      if (rows_seen_ > 1) small_runs_ = 0;
      return true;
    }
  }
  read_whole_rest(r);
  return failed_.get() == nullptr;
}

void pg_statement::read_whole_rest(PGresult* r) {
  PGconn* conn = c_.raw();
  for (; r != nullptr; r = c_.get_result()) {
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && whole_.get() == nullptr) {
      whole_ = result_ptr(r);
    } else if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) &&
               failed_.get() == nullptr) {
      failed_ = result_ptr(r);
    } else {
      PQclear(r);
    }
  }
  if (failed_.get() != nullptr) whole_ = result_ptr();
  // A lost connection ends without any result (a result means it answered).
  if (whole_.get() == nullptr && failed_.get() == nullptr && PQstatus(conn) == CONNECTION_BAD)
    failed_ = result_ptr(PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR));
  rows_seen_ = whole_.get() != nullptr ? static_cast<std::uint64_t>(PQntuples(whole_.get())) : 0;
  whole_next_ = 0;
  note_rows();
}

PGresult* pg_statement::next_row() {
  if (!buffered_.empty()) {
    PGresult* r = buffered_.front();
    buffered_.pop_front();
    return r;
  }
  if (PGresult* r = read_wire()) return r;
  finished_ = true;
  if (failed_.get() != nullptr) {
    result_ptr f = std::move(failed_);
    c_.raise(f.get());
  }
  return nullptr;
}

void pg_statement::detach() {
  while (PGresult* r = read_wire()) buffered_.push_back(r);
}

void pg_statement::refuse_call(std::size_t nparams) const {
  if (nparams != param_types_.size())
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: the statement takes " + std::to_string(param_types_.size()) +
                                                   " parameter(s) ($1..$n) but " + std::to_string(nparams) +
                                                   " were given");
  throw sdk::error(DBR_CAT_INVALID_STATE,
                   "postgres: this prepared statement was dropped when the pool reset the connection's session "
                   "(DISCARD ALL, after a SQL-level PREPARE); prepare it again");
}

void pg_statement::encode(std::span<const dbr_value> params) { encode_inline(params); }

// The integer fast path inline; everything else through encode_general.
inline void pg_statement::encode_inline(std::span<const dbr_value> params) {
  const std::size_t n = params.size();
  for (std::size_t i = 0; i < n; ++i) {
    const dbr_value& v = params[i];
    if (v.type == DBR_TYPE_INT64) {
      if (const char* at = put_int(param_types_[i], v.u.i64, params_.ints[i], params_.lengths[i])) {
        params_.values[i] = at;
        params_.formats[i] = 1;
        continue;
      }
    }
    encode_general(i, v);
  }
}

void pg_statement::encode_general(std::size_t i, const dbr_value& v) {
  if (v.type == DBR_TYPE_NULL) {
    params_.values[i] = nullptr;
    params_.lengths[i] = 0;
    params_.formats[i] = 0;
    return;
  }
  std::string& b = params_.data[i];
  params_.formats[i] = encode_param(param_types_[i], v, b, i + 1);
  params_.values[i] = b.data();
  params_.lengths[i] = static_cast<int>(b.size());
}

inline void pg_statement::send(std::size_t nparams) {
  if (PQsendQueryPrepared(c_.raw(), name_.c_str(), static_cast<int>(nparams), params_.values.data(),
                          params_.lengths.data(), params_.formats.data(), plan_.format) != 1) [[unlikely]]
    throw c_.unsent_error({});
}

inline sdk::cursor* pg_statement::run_whole(std::span<const dbr_value> params, dbr_exec_info& info) {
  info.session_changed = changes_session_ ? 1 : 0;
  if (sql_prepare_) c_.note_sql_prepare();
  encode_inline(params);
  send(params.size());
  if (!read_whole()) [[unlikely]] {
    finished_ = true;
    return nullptr;
  }
  // The first batch, as fetch reads a whole result.
  dbr_rows& rows = info.first;
  rows.struct_size = sizeof(dbr_rows);
  info.has_first = 1;
  const int n = static_cast<int>(std::min<std::uint64_t>(rows_seen_, info.first_max));
  if (n <= 0) {
    whole_ = result_ptr();
    finished_ = true;
    held_ = holding::whole_only;
    rows.ncols = 0;
    rows.nrows = 0;
    rows.cells = nullptr;
    return this;
  }
  finished_ = false;
  const std::size_t nc = ncols_;
  arena_.reset();
  if (n > 1 && cells_.size() < static_cast<std::size_t>(n) * nc) cells_.resize(static_cast<std::size_t>(n) * nc);
  const PGresult* w = whole_.get();
  try {
    for (int k = 0; k < n; ++k) plan_.decode_row_in_place(w, k, cells_.data() + static_cast<std::size_t>(k) * nc, arena_);
    plan_.apply_zone(c_, cells_.data(), static_cast<std::size_t>(n));
  } catch (...) {
    discard();  // the cursor was never handed out
    throw;
  }
  whole_next_ = n;
  held_ = holding::whole_only;
  rows.ncols = static_cast<std::uint32_t>(nc);
  rows.nrows = static_cast<std::uint64_t>(n);
  rows.cells = cells_.data();
  return this;
}

// Inline in the SDK's execute thunk (pg_driver below names pg_statement); the
// vtable's copy serves calls through sdk::statement.
[[gnu::always_inline]] inline sdk::cursor* pg_statement::execute(std::span<const dbr_value> params,
                                                                 dbr_exec_info& info) {
  // params.size() is the described count, which the protocol bounds: no
  // check_param_count here.
  if (params.size() != nparams_ || generation_ != c_.generation()) [[unlikely]]
    refuse_call(params.size());
  discard();
  held_ = holding::any;
  c_.settle(this);
  if (stale_) [[unlikely]] reprepare();
  if (small_runs_ >= whole_after && whole_able_ && info.first_max != 0) [[likely]] {
    if (sdk::cursor* cur = run_whole(params, info)) [[likely]] return cur;
    return refused(params, info);
  }
  if (run(params, info)) return ran(info);
  return refused(params, info);
}

sdk::cursor* pg_statement::refused(std::span<const dbr_value> params, dbr_exec_info& info) {
  if (!plan_gone_stale(failed_.get())) {
    result_ptr f = std::move(failed_);
    c_.raise(f.get());
  }
  stale_ = true;
  // Outside a transaction a refused statement changed nothing: it runs again,
  // parsed anew. Inside one, the server has aborted the transaction (and the
  // session is left in it, failed); outside, the session is idle again.
  const bool in_transaction = PQtransactionStatus(c_.raw()) != PQTRANS_IDLE;
  if (in_transaction)
    throw sdk::error(DBR_CAT_TXN_CONFLICT,
                     "postgres: a table this statement reads changed its columns since the statement was prepared "
                     "(cached plan must not change result type), and the server aborted the transaction: roll it "
                     "back and run it again (the statement is prepared anew)")
        .sqlstate("0A000")
        .retry(DBR_RETRY_SAME_CONN)
        .native(0, native_domain);
  failed_ = result_ptr();
  reprepare();
  if (params.size() != param_types_.size())
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: the statement now takes " +
                                                   std::to_string(param_types_.size()) + " parameter(s) but " +
                                                   std::to_string(params.size()) + " were given");
  if (run(params, info)) return ran(info);
  result_ptr f = std::move(failed_);
  c_.raise(f.get());
}

sdk::cursor* pg_statement::ran(dbr_exec_info& info) {
  if (plan_.cols.empty()) return nullptr;
  // The first batch rides on execute (see dbr_exec_info.first_max), read
  // here rather than by the SDK through a virtual fetch.
  if (info.first_max != 0) {
    dbr_rows& rows = info.first;
    rows.struct_size = sizeof(dbr_rows);
    rows.ncols = 0;
    rows.nrows = 0;
    rows.cells = nullptr;
    try {
      if (fetch(info.first_max, rows) == DBR_DONE) {
        rows.nrows = 0;
        rows.cells = nullptr;
      }
    } catch (...) {
      discard();  // the cursor was never handed out
      throw;
    }
    info.has_first = 1;
  }
  return this;
}

bool pg_statement::run(std::span<const dbr_value> params, dbr_exec_info& info) {
  info.session_changed = changes_session_ ? 1 : 0;
  if (sql_prepare_) c_.note_sql_prepare();
  const std::size_t n = params.size();
  encode_inline(params);
  send(n);
  PGconn* conn = c_.raw();
  if (plan_.cols.empty()) {
    result_ptr last = c_.finish_command({});
    if (last.get() != nullptr) {
      const char* t = PQcmdTuples(last.get());
      std::int64_t rows = 0;
      if (t != nullptr && *t != '\0' && std::from_chars(t, t + std::strlen(t), rows).ec == std::errc())
        info.affected_rows = rows;
    }
    return true;
  }
  rows_seen_ = 0;
  if (small_runs_ >= whole_after) {
    read_whole();
    whole_next_ = 0;
    finished_ = whole_.get() == nullptr;
  } else {
    PQsetSingleRowMode(conn);
    streaming_ = true;
    finished_ = false;
    c_.set_streaming(this);
    // Read the first row now so that errors surface from execute.
    if (PGresult* first = read_wire()) {
      buffered_.push_back(first);
      return true;
    }
    finished_ = true;
  }
  if (failed_.get() == nullptr) return true;
  if (plan_gone_stale(failed_.get())) return false;
  result_ptr f = std::move(failed_);
  c_.raise(f.get());
}

std::int32_t pg_statement::fetch(std::uint32_t max_rows, dbr_rows& out) {
  release_batch();
  arena_.reset();
  const std::size_t nc = plan_.cols.size();
  if (PGresult* w = whole_.get()) {
    const int total = PQntuples(w);
    const int n = std::min(total - whole_next_, static_cast<int>(std::min<std::uint32_t>(max_rows, INT32_MAX)));
    if (n <= 0) {
      whole_ = result_ptr();
      finished_ = true;
      return DBR_DONE;
    }
    if (cells_.size() < static_cast<std::size_t>(n) * nc) cells_.resize(static_cast<std::size_t>(n) * nc);
    // The result lives until the next fetch or close, so arrays' cells may borrow from it.
    for (int k = 0; k < n; ++k) {
      dbr_value* row = cells_.data() + static_cast<std::size_t>(k) * nc;
      if (plan_.self_contained)
        plan_.decode_row_in_place(w, whole_next_ + k, row, arena_);
      else
        plan_.decode_row(w, whole_next_ + k, row, arena_);
    }
    whole_next_ += n;
    plan_.apply_zone(c_, cells_.data(), static_cast<std::size_t>(n));
    out.ncols = static_cast<std::uint32_t>(nc);
    out.nrows = static_cast<std::uint64_t>(n);
    out.cells = cells_.data();
    return DBR_OK;
  }
  if (plan_.self_contained) {
    // Each single-row PGresult is decoded and freed before the next is read:
    // holding a batch of them would make every malloc of the next ones miss
    // the allocator's fast path (and hold more memory).
    std::size_t k = 0;
    while (k < max_rows) {
      PGresult* r = next_row();
      if (r == nullptr) break;
      result_ptr owned(r);
      if (cells_.size() < (k + 1) * nc) cells_.resize((k + 1) * nc);
      plan_.decode_row_owned(r, 0, cells_.data() + k * nc, arena_);
      ++k;
    }
    if (k == 0) return DBR_DONE;
    plan_.apply_zone(c_, cells_.data(), k);
    out.ncols = static_cast<std::uint32_t>(nc);
    out.nrows = k;
    out.cells = cells_.data();
    return DBR_OK;
  }
  while (batch_.size() < max_rows) {
    PGresult* r = next_row();
    if (r == nullptr) break;
    batch_.push_back(r);
  }
  if (batch_.empty()) return DBR_DONE;
  cells_.resize(batch_.size() * nc);
  for (std::size_t k = 0; k < batch_.size(); ++k) plan_.decode_row(batch_[k], 0, cells_.data() + k * nc, arena_);
  plan_.apply_zone(c_, cells_.data(), batch_.size());
  out.ncols = static_cast<std::uint32_t>(nc);
  out.nrows = batch_.size();
  out.cells = cells_.data();
  return DBR_OK;
}

void pg_statement::close() { discard(); }

// ------------------------------------------------------------ driver
// Here, beside pg_statement::execute, so that the execute thunk gets it inline
// (statement_type, see sdk::detail::exact_statement).
class pg_driver final : public sdk::driver<pg_connection> {
 public:
  using statement_type = pg_statement;
  static constexpr const char* schemes[] = {"postgresql", "postgres", nullptr};
  static constexpr sdk::plugin_info info{
      .id = DBRIDGE_PLUGIN_ID,
      .version = DBRIDGE_PLUGIN_VERSION,
      .threading = DBR_THREADING_PER_CONNECTION,
      .flags = DBR_PF_CANCEL_ANY_THREAD,  // PQcancel is thread-safe by design
      .schemes = schemes,
  };
  pg_driver() {
    if (PQisthreadsafe() == 0)
      throw sdk::error(DBR_CAT_INCOMPATIBLE, "postgres: libpq was built without thread safety");
  }
  std::unique_ptr<pg_connection> connect(const dbr_url& url) override { return std::make_unique<pg_connection>(url); }
};

}  // namespace dbridge_postgres

DBRIDGE_SDK_DRIVER(dbridge_postgres::pg_driver)
