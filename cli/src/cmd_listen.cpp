// SPDX-License-Identifier: Apache-2.0
// `dbridge listen URL CHANNEL...`: LISTEN on channels and print each
// notification as it arrives (capability "notify"; PostgreSQL NOTIFY).
// Unlike `subscribe`, --timeout is an idle limit: it restarts with every
// notification, so a steady stream keeps the command running.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "notification_feed.hpp"

namespace dbridge::cli {
int run_listen(const listen_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  if (o.channels.empty()) throw usage_error("no channel given", "write e.g. dbridge listen postgresql://host/db orders");
  if (!(o.timeout_s >= 0)) throw usage_error("--timeout must be zero or more seconds");
  // A lost connection is replaced and LISTEN sent again (a note on stderr).
  notification_feed feed(o.url, "dbridge listen");
  for (const std::string& ch : o.channels) feed.on(ch);

  using clock = notification_feed::clock;
  const auto idle = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.timeout_s));
  auto deadline = clock::now() + idle;
  std::uint64_t received = 0;
  while (o.count == 0 || received < o.count) {
    auto n = feed.next(o.timeout_s > 0 ? std::optional(deadline) : std::nullopt);
    if (!n) break;
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
