// SPDX-License-Identifier: Apache-2.0
// The client API of the "batch" capability (pipelines).
#include "dbridge/batch.hpp"

#include <dbridge/abi.h>

#include <cstring>

#include "connection_impl.hpp"

namespace dbridge::inline v1 {

namespace {

constexpr int max_reply_depth = 64;

void copy_reply(const dbr_reply* r, reply& out, int depth) {
  out.type = reply_type::nil;
  out.integer = 0;
  out.number = 0;
  out.str.clear();
  out.elements.clear();
  if (r == nullptr) return;
  if (depth > max_reply_depth) throw_error(errc::data, "a batch reply nests deeper than 64 levels");
  if (r->type > DBR_REPLY_BIGNUM)
    throw_error(errc::data, "the driver returned a batch reply with unknown type " + std::to_string(r->type));
  out.type = static_cast<reply_type>(r->type);
  out.integer = r->integer;
  out.number = r->dval;
  if (r->str != nullptr) out.str.assign(r->str, r->len);
  if (r->elements > 0 && r->element != nullptr) {
    out.elements.resize(r->elements);
    for (std::uint64_t i = 0; i < r->elements; ++i) copy_reply(r->element[i], out.elements[i], depth + 1);
  }
}

detail::connection_impl& batch_impl(connection* conn) {
  detail::connection_impl& c = detail::impl_of(*conn);
  c.require(DBR_CAP_BATCH, reinterpret_cast<const void*>(c.rec->batch.begin), "batch");
  return c;
}

}  // namespace

void batch_item::throw_if_error() const {
  if (error) throw_error(*error);
}

batch::batch(connection& conn) : conn_(&conn) {
  detail::connection_impl& c = batch_impl(conn_);
  detail::call_guard g(c);
  detail::abi_error err;
  const int32_t rc = c.rec->batch.begin(c.conn, err);
  if (rc < 0) c.fail(rc, err, "batch");
  open_ = true;
}

batch::~batch() {
  try {
    end();
  } catch (...) {
    // Leaving batch mode failed: the connection was lost, and its next call says so.
  }
}

batch& batch::add(std::string_view sql, params p) {
  detail::connection_impl& c = batch_impl(conn_);
  if (!open_) throw_error(errc::invalid_state, "this batch has ended; start a new one");
  if (c.rec->batch.add_sql == nullptr) c.unsupported("batch sql");
  detail::check_sql_text(sql, c.rec->id);
  detail::call_guard g(c);
  dbr_value stack[16];
  const dbr_value* vals = c.bind(p, stack, 16);
  detail::abi_error err;
  // Batch items carry no session report (dbr_batch_item has no such field):
  // the core's generic rule decides for every driver.
  if (sdk::sql_changes_session(sql, sdk::generic_sql_dialect)) c.session_dirty = true;
  const int32_t rc = c.rec->batch.add_sql(c.conn, sql.data(), sql.size(), vals, static_cast<std::uint32_t>(p.size()), err);
  if (rc < 0) c.fail(rc, err, sql);
  ++queued_;
  return *this;
}

batch& batch::add_command(std::span<const std::string_view> argv) {
  detail::connection_impl& c = batch_impl(conn_);
  if (!open_) throw_error(errc::invalid_state, "this batch has ended; start a new one");
  if (c.rec->batch.add_command == nullptr) c.unsupported("batch commands");
  if (argv.empty()) throw_error(errc::invalid_argument, "add_command() needs at least the command name");
  constexpr std::size_t small = 8;
  const char* ptr_buf[small];
  std::uint64_t len_buf[small];
  std::vector<const char*> ptr_big;
  std::vector<std::uint64_t> len_big;
  const char** ptrs = ptr_buf;
  std::uint64_t* lens = len_buf;
  if (argv.size() > small) {
    ptr_big.resize(argv.size());
    len_big.resize(argv.size());
    ptrs = ptr_big.data();
    lens = len_big.data();
  }
  for (std::size_t i = 0; i < argv.size(); ++i) {
    ptrs[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  detail::call_guard g(c);
  detail::abi_error err;
  if (sdk::command_changes_session(argv[0], sdk::generic_session_commands)) c.session_dirty = true;
  const int32_t rc = c.rec->batch.add_command(c.conn, static_cast<std::uint32_t>(argv.size()), ptrs, lens, err);
  if (rc < 0) c.fail(rc, err, argv[0]);
  ++queued_;
  return *this;
}

void batch::send() {
  detail::connection_impl& c = batch_impl(conn_);
  if (!open_) throw_error(errc::invalid_state, "this batch has ended; start a new one");
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  const int32_t rc = c.rec->batch.send(c.conn, err);
  if (rc < 0) c.fail(rc, err, "batch send");
  unread_ += queued_;
  queued_ = 0;
}

const batch_item* batch::next() {
  if (!open_ || unread_ == 0) return nullptr;
  detail::connection_impl& c = batch_impl(conn_);
  detail::call_guard g(c);
  detail::abi_error err;
  detail::abi_error item_err;
  dbr_batch_item it;
  std::memset(&it, 0, sizeof it);
  it.struct_size = sizeof it;
  it.affected_rows = -1;
  const int32_t rc = c.rec->batch.next(c.conn, &it, item_err, err);
  if (rc < 0) c.fail(rc, err, "batch next");
  if (rc == DBR_DONE) {
    unread_ = 0;
    return nullptr;
  }
  --unread_;
  item_.index = it.index;
  item_.affected_rows = it.affected_rows;
  item_.columns.clear();
  item_.rows.clear();
  item_.error.reset();
  copy_reply(it.reply, item_.result, 0);
  if (it.status < 0) {
    item_.error = item_err.to_info(it.status, c.rec->id, "batch item " + std::to_string(it.index));
    // A failed item carries its error in error, not as a reply.
    if (item_.result.type == reply_type::error) item_.result = reply{};
  }
  if (it.has_rows != 0 && it.rows != nullptr) {
    // Drained now: the cursor is only borrowed until the next call.
    uint32_t ncols = 0;
    const dbr_column* cols = nullptr;
    int32_t drc = c.rec->cursor.describe(it.rows, &ncols, &cols, err);
    if (drc < 0) c.fail(drc, err, "batch item rows");
    item_.columns.reserve(ncols);
    for (uint32_t i = 0; i < ncols; ++i) {
      column_info ci;
      if (cols[i].name != nullptr) ci.name = cols[i].name;
      ci.type = static_cast<value_type>(cols[i].type);
      if (cols[i].native_type != nullptr) ci.native_type = cols[i].native_type;
      if (cols[i].nullable != DBR_NULLABLE_UNKNOWN) ci.nullable = cols[i].nullable == DBR_NULLABLE_YES;
      item_.columns.push_back(std::move(ci));
    }
    for (;;) {
      dbr_rows rows;
      std::memset(&rows, 0, sizeof rows);
      rows.struct_size = sizeof rows;
      const int32_t frc = c.rec->cursor.fetch(it.rows, 256, &rows, err);
      if (frc < 0) c.fail(frc, err, "batch item rows");
      if (frc == DBR_DONE) break;
      for (std::uint64_t r = 0; r < rows.nrows; ++r) {
        std::vector<value> row;
        row.reserve(rows.ncols);
        for (std::uint32_t k = 0; k < rows.ncols; ++k) row.push_back(value::from_abi(rows.cells[r * rows.ncols + k]));
        item_.rows.push_back(std::move(row));
      }
    }
  }
  return &item_;
}

std::vector<batch_item> batch::execute() {
  send();
  std::vector<batch_item> out;
  out.reserve(unread_);
  while (const batch_item* it = next()) out.push_back(*it);
  return out;
}

void batch::end() {
  if (!open_) return;
  open_ = false;
  queued_ = unread_ = 0;
  if (!conn_->is_open()) return;
  detail::connection_impl& c = detail::impl_of(*conn_);
  if (c.rec->batch.end == nullptr) return;
  detail::call_guard g(c);
  detail::abi_error err;
  const int32_t rc = c.rec->batch.end(c.conn, err);
  if (rc < 0) c.fail(rc, err, "batch end");
}

}  // namespace dbridge
