// SPDX-License-Identifier: Apache-2.0
// An example third-party driver: `series://` connections answer
// "SERIES <from> <to>" (numbers or $1/$2 parameters) with one row per integer:
// n, n*n and the number as text. It shows the least a SQL-shaped driver needs:
// a connection, prepare, a statement that binds parameters, and a cursor that
// streams rows without building them all first.
#include <dbridge/sdk/driver.hpp>
#include <dbridge/sdk/row_strings.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sdk = dbridge::sdk;

namespace {

// One operand of SERIES: a literal or a 1-based parameter number.
struct operand {
  std::int64_t literal = 0;
  std::uint32_t param = 0;
};

operand parse_operand(std::string_view tok) {
  operand op;
  const bool is_param = !tok.empty() && tok.front() == '$';
  if (is_param) tok.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec != std::errc() || end != tok.data() + tok.size() || (is_param && (v < 1 || v > 2)))
    throw sdk::error(DBR_CAT_SYNTAX, "expected an integer or $1/$2, got '" + std::string(tok) + "'");
  if (is_param) op.param = static_cast<std::uint32_t>(v);
  else op.literal = v;
  return op;
}

class series_cursor final : public sdk::cursor {
 public:
  void restart(std::int64_t from, std::int64_t to) {
    next_ = from;
    to_ = to;
  }
  std::span<const dbr_column> columns() override { return cols_; }
  std::int32_t fetch(std::uint32_t max_rows, dbr_rows& out) override {
    cells_.clear();
    labels_.next_batch();  // the previous batch's labels may go now
    std::uint64_t n = 0;
    for (; n < max_rows && next_ <= to_; ++n, ++next_) {
      cells_.push_back(sdk::make_int64(next_));
      cells_.push_back(sdk::make_int64(next_ * next_));
      cells_.push_back(labels_.text_of(next_));
    }
    if (n == 0) return DBR_DONE;
    out.ncols = 3;
    out.nrows = n;
    out.cells = cells_.data();
    return DBR_OK;
  }
  // Owned by its statement: closing only finishes the stream.
  void close() override { next_ = to_ + 1; }

 private:
  const dbr_column cols_[3] = {sdk::make_column("n", DBR_TYPE_INT64, "bigint", DBR_NULLABLE_NO),
                               sdk::make_column("square", DBR_TYPE_INT64, "bigint", DBR_NULLABLE_NO),
                               sdk::make_column("label", DBR_TYPE_TEXT, "text", DBR_NULLABLE_NO)};
  std::int64_t next_ = 1, to_ = 0;
  std::vector<dbr_value> cells_;
  sdk::row_strings labels_;
};

class series_statement final : public sdk::statement {
 public:
  series_statement(operand from, operand to) : from_(from), to_(to) {}
  std::uint32_t param_count() override { return std::max(from_.param, to_.param); }
  sdk::cursor* execute(std::span<const dbr_value> params, dbr_exec_info& info) override {
    if (params.size() != param_count())
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "SERIES expects " + std::to_string(param_count()) +
                                                     " parameter(s), got " + std::to_string(params.size()));
    cursor_.restart(resolve(from_, params), resolve(to_, params));
    info.affected_rows = -1;
    return &cursor_;
  }

 private:
  static std::int64_t resolve(const operand& op, std::span<const dbr_value> params) {
    if (op.param == 0) return op.literal;
    const dbr_value& v = params[op.param - 1];
    if (v.type != DBR_TYPE_INT64) throw sdk::error(DBR_CAT_DATA, "SERIES parameters must be integers");
    return v.u.i64;
  }
  operand from_, to_;
  series_cursor cursor_;
};

class series_connection final : public sdk::connection, public sdk::cap::sql {
 public:
  std::unique_ptr<sdk::statement> prepare(std::string_view sql, std::uint32_t) override {
    std::vector<std::string_view> words;
    for (std::size_t i = 0; i < sql.size();) {
      while (i < sql.size() && sql[i] == ' ') ++i;
      std::size_t j = sql.find(' ', i);
      if (j == std::string_view::npos) j = sql.size();
      if (j > i) words.push_back(sql.substr(i, j - i));
      i = j;
    }
    if (words.size() != 3 || words[0] != "SERIES")
      throw sdk::error(DBR_CAT_SYNTAX, "this driver understands only: SERIES <from> <to>");
    return std::make_unique<series_statement>(parse_operand(words[1]), parse_operand(words[2]));
  }
};

class series_driver final : public sdk::driver<series_connection> {
 public:
  static constexpr const char* schemes[] = {"series", nullptr};
  static constexpr sdk::plugin_info info{.id = DBRIDGE_PLUGIN_ID, .version = DBRIDGE_PLUGIN_VERSION, .schemes = schemes};
  std::unique_ptr<series_connection> connect(const dbr_url&) override { return std::make_unique<series_connection>(); }
};

}  // namespace

DBRIDGE_SDK_DRIVER(series_driver)
