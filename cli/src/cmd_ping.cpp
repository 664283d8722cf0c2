// SPDX-License-Identifier: Apache-2.0
// `dbridge ping URL`: connect, one round trip, timings.
#include <fmt/format.h>

#include <chrono>

#include "commands.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::cli {
namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int run_ping(const ping_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  const std::string shown = redact_url(o.url);
  const auto start = std::chrono::steady_clock::now();
  std::optional<connection> conn;
  try {
    require_known_scheme(u);
    conn.emplace(connect(o.url, connect_options{.opened_by = "dbridge ping"}));
  } catch (const dbridge::error& e) {
    // Scripts reading JSON still get an answer on stdout; the reason goes to stderr.
    if (o.format == output_format::json)
      out(json_text({{"ok", false},
                     {"url", shown},
                     {"error", {{"category", to_string(e.category())}, {"message", scrub(e.info().message)}}}}) +
          "\n");
    throw;
  }
  const double connect_ms = ms_since(start);
  const auto ping_start = std::chrono::steady_clock::now();
  const bool up = conn->ping();
  const double ping_ms = ms_since(ping_start);

  if (o.format == output_format::json) {
    out(json_text({{"ok", up},
                   {"url", shown},
                   {"plugin", conn->plugin_id()},
                   {"plugin_version", conn->plugin_version()},
                   {"connect_ms", connect_ms},
                   {"ping_ms", ping_ms}}) +
        "\n");
  } else {
    out(fmt::format("{}: {} via {} {} (connect {:.2f} ms, round trip {:.2f} ms)\n", up ? "ok" : "down", shown,
                    conn->plugin_id(), conn->plugin_version(), connect_ms, ping_ms));
  }
  if (!up)
    return report_failure("connection", fmt::format("{} did not answer the ping", shown),
                          default_fix(errc::connection));
  return exit_ok;
}

}  // namespace dbridge::cli
