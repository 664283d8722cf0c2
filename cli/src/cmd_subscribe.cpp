// SPDX-License-Identifier: Apache-2.0
// `dbridge subscribe URL CHANNEL...`: prints notifications as they arrive
// (Redis SUBSCRIBE / PSUBSCRIBE, PostgreSQL LISTEN).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "notification_feed.hpp"

namespace dbridge::cli {
int run_subscribe(const subscribe_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  if (o.channels.empty()) throw usage_error("no channel given", "write e.g. dbridge subscribe redis://host news");
  if (o.timeout_s < 0) throw usage_error("--timeout must be zero or more seconds");
  // A lost connection is replaced and every channel subscribed again (a note on stderr).
  notification_feed feed(o.url, "dbridge subscribe");
  for (const std::string& ch : o.channels) {
    if (o.pattern)
      feed.on_pattern(ch);
    else
      feed.on(ch);
  }
  using clock = notification_feed::clock;
  const bool bounded = o.timeout_s > 0;
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.timeout_s));
  std::uint64_t received = 0;
  while (o.count == 0 || received < o.count) {
    auto n = feed.next(bounded ? std::optional(deadline) : std::nullopt);
    if (!n) break;
    ++received;
    if (o.format == output_format::json) {
      ojson j{{"channel", n->channel}, {"payload", n->payload}};
      if (n->pattern) j["pattern"] = *n->pattern;
      if (n->sender_pid != 0) j["sender_pid"] = n->sender_pid;
      out(json_text(j) + "\n");
    } else {
      out(escape_controls(n->channel, true) + "\t" + escape_controls(n->payload, true) + "\n");
    }
    // Readers of a pipe see each message as it arrives.
    std::fflush(stdout);
  }
  if (o.count > 0 && received < o.count)
    return report_failure("timeout", fmt::format("received {} of {} messages within {} s", received, o.count, o.timeout_s),
                          "raise --timeout, or check that something publishes on the channel");
  return exit_ok;
}

}  // namespace dbridge::cli
