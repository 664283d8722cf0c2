// SPDX-License-Identifier: Apache-2.0
// `dbridge subscribe URL CHANNEL...`: prints notifications as they arrive
// (Redis SUBSCRIBE / PSUBSCRIBE, PostgreSQL LISTEN).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/notify.hpp"

namespace dbridge::cli {
int run_subscribe(const subscribe_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  if (o.channels.empty()) throw usage_error("no channel given", "write e.g. dbridge subscribe redis://host news");
  if (o.timeout_s < 0) throw usage_error("--timeout must be zero or more seconds");
  auto conn = connect(o.url, connect_options{.opened_by = "dbridge subscribe"});
  listener l(conn);
  for (const std::string& ch : o.channels) {
    if (o.pattern)
      l.listen_pattern(ch);
    else
      l.listen(ch);
  }
  using clock = std::chrono::steady_clock;
  const bool bounded = o.timeout_s > 0;
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.timeout_s));
  std::uint64_t received = 0;
  while (o.count == 0 || received < o.count) {
    std::chrono::milliseconds wait = wait_forever;
    if (bounded) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) break;
      wait = left;
    }
    auto n = l.wait(wait);
    if (!n) continue;
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
