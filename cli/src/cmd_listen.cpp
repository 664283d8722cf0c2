// SPDX-License-Identifier: Apache-2.0
// `dbridge listen URL CHANNEL...`: LISTEN on channels and print each
// notification as it arrives (capability "notify"; PostgreSQL NOTIFY).
// Unlike `subscribe`, --timeout is an idle limit: it restarts with every
// notification, so a steady stream keeps the command running.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/notify.hpp"

namespace dbridge::cli {
int run_listen(const listen_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  if (o.channels.empty()) throw usage_error("no channel given", "write e.g. dbridge listen postgresql://host/db orders");
  if (!(o.timeout_s >= 0)) throw usage_error("--timeout must be zero or more seconds");
  auto conn = connect(o.url, connect_options{.opened_by = "dbridge listen"});
  if (!conn.has_capability("notify"))
    throw_error(errc::unsupported, fmt::format("the {} driver ({}) has no notifications (capability \"notify\")",
                                               conn.scheme(), conn.plugin_id()));
  listener l(conn);
  for (const std::string& ch : o.channels) l.listen(ch);

  using clock = std::chrono::steady_clock;
  const auto idle = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.timeout_s));
  auto deadline = clock::now() + idle;
  std::uint64_t received = 0;
  while (o.count == 0 || received < o.count) {
    std::chrono::milliseconds wait = wait_forever;
    if (o.timeout_s > 0) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) break;
      wait = left;
    }
    auto n = l.wait(wait);
    if (!n) continue;
    ++received;
    if (o.format == output_format::json) {
      out(json_text(ojson{{"channel", n->channel}, {"payload", n->payload}, {"sender_pid", n->sender_pid}}) + "\n");
    } else {
      out(fmt::format("{}\t{}\t{}\n", escape_controls(n->channel, true), escape_controls(n->payload, true), n->sender_pid));
    }
    // Whoever reads a pipe sees each notification as it arrives.
    std::fflush(stdout);
    deadline = clock::now() + idle;
  }
  // Nothing at all within the limit is worth a non-zero status (a script
  // waiting for an event learns it never came); a quiet spell after some
  // notifications is the normal way to stop.
  if (received == 0 && o.timeout_s > 0)
    return report_failure("timeout", fmt::format("no notification on {} within {} s", fmt::join(o.channels, ", "), o.timeout_s),
                          "raise --timeout, or check that something sends NOTIFY on the channel");
  return exit_ok;
}

}  // namespace dbridge::cli
