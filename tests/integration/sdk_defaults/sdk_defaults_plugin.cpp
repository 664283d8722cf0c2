// SPDX-License-Identifier: Apache-2.0
// Fixture: a driver written as a third party would, keeping every SDK default
// it can. Its transactions override only savepoint(), and its statement owns
// its one cursor as a member and keeps cursor::close() as the SDK has it.
#include <dbridge/sdk/driver.hpp>

#include <memory>
#include <string_view>

namespace {

namespace sdk = dbridge::sdk;

class answer_cursor final : public sdk::cursor {
 public:
  answer_cursor() : cols_{sdk::make_column("answer", DBR_TYPE_INT64, "int")} {}
  void rewind() noexcept { done_ = false; }
  std::span<const dbr_column> columns() override { return cols_; }
  std::int32_t fetch(std::uint32_t, dbr_rows& out) override {
    if (done_) return DBR_DONE;
    done_ = true;
    out.ncols = 1;
    out.nrows = 1;
    out.cells = &cell_;
    return DBR_OK;
  }

 private:
  dbr_column cols_[1];
  dbr_value cell_ = sdk::make_int64(42);
  bool done_ = false;
};

class answer_statement final : public sdk::statement {
 public:
  std::uint32_t param_count() override { return 0; }
  sdk::cursor* execute(std::span<const dbr_value>, dbr_exec_info&) override {
    rows_.rewind();
    return &rows_;
  }

 private:
  answer_cursor rows_;  // owned by the statement, not a heap object of its own
};

class defaults_connection final : public sdk::connection, public sdk::cap::sql, public sdk::cap::transactions {
 public:
  std::unique_ptr<sdk::statement> prepare(std::string_view, std::uint32_t) override {
    return std::make_unique<answer_statement>();
  }
  void begin(const dbr_txn_options&) override { in_txn_ = true; }
  void commit() override { in_txn_ = false; }
  void rollback() override { in_txn_ = false; }
  void savepoint(const char*) override {}
  bool in_transaction() override { return in_txn_; }

 private:
  bool in_txn_ = false;
};

class defaults_driver final : public sdk::driver<defaults_connection> {
 public:
  static constexpr const char* schemes[] = {"sdkdefaults", nullptr};
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID, .version = DBRIDGE_PLUGIN_VERSION,
                                         .schemes = schemes};
  explicit defaults_driver(const sdk::param_list&) {}
  std::unique_ptr<defaults_connection> connect(const dbr_url&) override {
    return std::make_unique<defaults_connection>();
  }
};

}  // namespace

DBRIDGE_SDK_DRIVER(defaults_driver)
