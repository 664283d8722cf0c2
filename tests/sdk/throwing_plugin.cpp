// SPDX-License-Identifier: Apache-2.0
// Fixture: a driver built with the SDK whose every slot throws a
// std::runtime_error("boom <slot>"). Handles are still needed to reach the
// slots behind them, so a few factory slots succeed when asked nicely:
// init with option "ok", connect to database "ok", prepare "ok", list with
// table "ok", copy_in/copy_out with table/sql "ok"; everything else throws.
#include <dbridge/sdk/driver.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

namespace sdk = dbridge::sdk;

[[noreturn]] void boom(const char* slot) { throw std::runtime_error(std::string("boom ") + slot); }

class throwing_cursor final : public sdk::cursor {
 public:
  std::span<const dbr_column> columns() override { boom("describe"); }
  std::int32_t fetch(std::uint32_t, dbr_rows&) override { boom("fetch"); }
  bool next_result() override { boom("next_result"); }
  void close() override { boom("cursor_close"); }  // the SDK still frees it
};

class throwing_statement final : public sdk::statement {
 public:
  ~throwing_statement() override = default;
  std::uint32_t param_count() override { boom("param_count"); }
  std::uint32_t param_index(const char*) override { boom("param_index"); }
  sdk::cursor* execute(std::span<const dbr_value>, dbr_exec_info&) override { boom("execute"); }
};

class throwing_transfer final : public sdk::bulk_transfer {
 public:
  void write_rows(const dbr_value*, std::uint64_t) override { boom("copy_in_rows"); }
  std::int64_t finish() override { boom("copy_in_end"); }
  bool read_chunk(std::string_view&) override { boom("copy_out_next"); }
};

class throwing_connection final : public sdk::connection,
                                  public sdk::cap::sql,
                                  public sdk::cap::transactions,
                                  public sdk::cap::command,
                                  public sdk::cap::notify,
                                  public sdk::cap::bulk,
                                  public sdk::cap::batch,
                                  public sdk::cap::introspect,
                                  public sdk::cap::functions,
                                  public sdk::cap::cancel {
 public:
  void ping() override { boom("ping"); }
  void set_option(const char*, const dbr_value&) override { boom("set_option"); }
  dbr_value get_info(const char*) override { boom("get_info"); }
  std::unique_ptr<sdk::statement> prepare(std::string_view sql, std::uint32_t) override {
    if (sql == "ok") return std::make_unique<throwing_statement>();
    boom("prepare");
  }
  void execute_script(std::string_view) override { boom("execute_script"); }
  void begin(const dbr_txn_options&) override { boom("begin"); }
  void commit() override { boom("commit"); }
  void rollback() override { boom("rollback"); }
  void savepoint(const char*) override { boom("savepoint"); }
  void release_savepoint(const char*) override { boom("release_savepoint"); }
  void rollback_to_savepoint(const char*) override { boom("rollback_to_savepoint"); }
  bool in_transaction() override { boom("in_transaction"); }
  const dbr_reply* execute_command(const sdk::argv_view&) override { boom("command"); }
  void listen(std::string_view, std::uint32_t) override { boom("listen"); }
  void unlisten(std::string_view, std::uint32_t) override { boom("unlisten"); }
  void notify_channel(std::string_view, std::string_view) override { boom("notify"); }
  bool wait(std::int64_t, dbr_notification&) override { boom("wait"); }
  std::unique_ptr<sdk::bulk_transfer> copy_in(const char* table, std::span<const char* const>,
                                              const sdk::param_list&) override {
    if (std::string_view(table) == "ok") return std::make_unique<throwing_transfer>();
    boom("copy_in_begin");
  }
  std::unique_ptr<sdk::bulk_transfer> copy_out(std::string_view sql) override {
    if (sql == "ok") return std::make_unique<throwing_transfer>();
    boom("copy_out_begin");
  }
  void batch_begin() override { boom("batch_begin"); }
  void batch_add_sql(std::string_view, std::span<const dbr_value>) override { boom("add_sql"); }
  void batch_add_command(const sdk::argv_view&) override { boom("add_command"); }
  void batch_send() override { boom("send"); }
  bool batch_next(dbr_batch_item&, dbr_error*) override { boom("next"); }
  void batch_end() override { boom("end"); }
  std::unique_ptr<sdk::cursor> list(std::uint32_t, const char*, const char* table) override {
    if (table != nullptr && std::string_view(table) == "ok") return std::make_unique<throwing_cursor>();
    boom("list");
  }
  void create_scalar(const char*, std::int32_t, std::uint32_t, std::unique_ptr<sdk::host_function>) override {
    boom("create_scalar");
  }
  void cancel_running() override { boom("cancel"); }
};

// Destroying the connection throws too (from a helper, since destructors are
// noexcept): close() must survive it. We throw from the driver's
// get_extension and from init instead, which the SDK also guards.
class throwing_driver final : public sdk::driver<throwing_connection> {
 public:
  static constexpr const char* schemes[] = {"throwing", nullptr};
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID, .version = DBRIDGE_PLUGIN_VERSION,
                                         .schemes = schemes};
  explicit throwing_driver(const sdk::param_list& options) {
    if (options.find("ok") == nullptr) boom("init");
  }
  std::unique_ptr<throwing_connection> connect(const dbr_url& url) override {
    if (url.database != nullptr && std::string_view(url.database) == "ok") return std::make_unique<throwing_connection>();
    boom("connect");
  }
  const void* get_extension(const char*) override { boom("get_extension"); }
};

}  // namespace

DBRIDGE_SDK_DRIVER(throwing_driver)
