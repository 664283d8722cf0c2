// SPDX-License-Identifier: Apache-2.0
// `dbridge inspect URL [TABLE]`: the tables of a database, or one table's
// columns, indexes and foreign keys (capability "introspect").
#include <fmt/format.h>

#include "commands.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::cli {
namespace {

void print_section(std::string_view title, text_table t) {
  out(fmt::format("\n{}:\n", title));
  if (t.rows() == 0) {
    out("  (none)\n");
    return;
  }
  const std::string text = t.render();
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    out("  " + text.substr(start, nl - start + 1));
    start = nl + 1;
  }
}

}  // namespace

int run_inspect(const inspect_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  const std::string shown = redact_url(o.url);
  connection conn = connect(o.url, connect_options{.opened_by = "dbridge inspect"});

  if (o.table.empty()) {
    result tables = conn.tables();
    if (o.format == output_format::json) {
      out(json_text({{"url", shown}, {"tables", result_to_json(tables)}}, 2) + "\n");
    } else {
      out(fmt::format("Tables in {}\n", shown));
      print_section("Tables", result_to_table(tables));
    }
    return exit_ok;
  }

  result cols = conn.columns(o.table);
  // Read the columns first: an empty list means no such table, and then
  // indexes and foreign keys are not worth asking for.
  if (o.format == output_format::json) {
    ojson columns = result_to_json(cols);
    if (columns.empty())
      return report_failure("not_found", fmt::format("table '{}' not found in {}", o.table, shown),
                            "run `dbridge inspect URL` to list the tables");
    result idx = conn.indexes(o.table);
    ojson indexes = result_to_json(idx);
    result fks = conn.foreign_keys(o.table);
    ojson foreign_keys = result_to_json(fks);
    out(json_text({{"url", shown},
                   {"table", o.table},
                   {"columns", std::move(columns)},
                   {"indexes", std::move(indexes)},
                   {"foreign_keys", std::move(foreign_keys)}},
                  2) +
        "\n");
    return exit_ok;
  }
  text_table columns = result_to_table(cols);
  if (columns.rows() == 0)
    return report_failure("not_found", fmt::format("table '{}' not found in {}", o.table, shown),
                          "run `dbridge inspect URL` to list the tables");
  result idx = conn.indexes(o.table);
  text_table indexes = result_to_table(idx);
  result fks = conn.foreign_keys(o.table);
  text_table foreign_keys = result_to_table(fks);
  out(fmt::format("Table {} in {}\n", o.table, shown));
  print_section("Columns", std::move(columns));
  print_section("Indexes", std::move(indexes));
  print_section("Foreign keys", std::move(foreign_keys));
  return exit_ok;
}

}  // namespace dbridge::cli
