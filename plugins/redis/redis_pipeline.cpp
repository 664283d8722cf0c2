// SPDX-License-Identifier: Apache-2.0
// Pipelines (capability "batch"): commands appended, sent in one write,
// their replies read back one by one.
#include <string>

#include "redis_plugin.hpp"

namespace dbridge_redis {

void redis_connection::batch_begin() {
  check_usable("batch");
  batch_open_ = true;
  batch_unsent_ = batch_unread_ = 0;
  batch_index_ = 0;
}

void redis_connection::batch_add_sql(std::string_view, std::span<const dbr_value>) {
  throw sdk::error(DBR_CAT_UNSUPPORTED, "redis has no SQL: queue commands with add_command");
}

void redis_connection::batch_add_command(const sdk::argv_view& args) {
  if (!batch_open_) throw sdk::error(DBR_CAT_INVALID_STATE, "add_command outside a batch");
  if (args.empty()) throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "a batch command needs at least its name");
  argp_.resize(args.size());
  argl_.resize(args.size());
  for (std::uint32_t i = 0; i < args.size(); ++i) {
    argp_[i] = args[i].data();
    argl_[i] = args[i].size();
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argp_.data(), argl_.data()) != REDIS_OK)
    fail_io("queueing a batch command");
  ++batch_unsent_;
}

void redis_connection::batch_send() {
  if (!batch_open_) throw sdk::error(DBR_CAT_INVALID_STATE, "send outside a batch");
  running_scope rs(*this);
  int done = 0;
  while (done == 0)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) fail_io("sending a batch");
  batch_unread_ += batch_unsent_;
  batch_unsent_ = 0;
}

bool redis_connection::batch_next(dbr_batch_item& item, dbr_error* item_err) {
  if (!batch_open_) throw sdk::error(DBR_CAT_INVALID_STATE, "next outside a batch");
  if (batch_unread_ == 0) return false;
  last_.reset();
  reply_ptr r = read_reply("reading a batch reply");
  --batch_unread_;
  item.index = batch_index_++;
  item.status = DBR_OK;
  if (r->type == REDIS_REPLY_ERROR) item.status = backend_error(str_of(r.get())).fill(sdk::host(), item_err);
  last_ = std::move(r);
  item.reply = view_.build(last_.get());
  return true;
}

void redis_connection::batch_end() {
  if (!batch_open_) return;
  // Queued commands never sent are dropped; replies on their way are drained
  // so the next command reads its own reply.
  if (batch_unsent_ > 0 && ctx_->obuf != nullptr) {
    // sds.h declares its functions without C linkage in C++; the inline
    // setter needs no symbol.
    sdssetlen(ctx_->obuf, 0);
    ctx_->obuf[0] = '\0';
  }
  batch_unsent_ = 0;
  batch_open_ = false;
  while (batch_unread_ > 0 && !broken_) {
    reply_ptr r = read_reply("draining a batch");
    --batch_unread_;
  }
  batch_unread_ = 0;
}

}  // namespace dbridge_redis
