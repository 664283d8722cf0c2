// SPDX-License-Identifier: Apache-2.0
// `dbridge migrate URL DIR [--status] [--dry-run] [--to VERSION]`: applies a
// folder of NNNN_name.sql files through dbridge::migrate.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/migrate.hpp"

namespace dbridge::cli {
namespace {

std::string version_text(const std::optional<std::int64_t>& v) { return v ? fmt::format("{:04}", *v) : "none"; }

int print_status(connection& conn, const std::vector<migration>& steps, output_format f) {
  const std::vector<migration_status> status = migration_status_of(conn, steps);
  bool changed = false;
  for (const auto& s : status) changed |= s.st == migration_status::state::changed;
  if (f == output_format::json) {
    ojson rows = ojson::array();
    for (const auto& s : status)
      rows.push_back({{"version", s.version},
                      {"name", s.name},
                      {"state", to_string(s.st)},
                      {"checksum", s.checksum},
                      {"applied_checksum", s.applied_checksum},
                      {"applied_at", s.applied_at.empty() ? ojson(nullptr) : ojson(s.applied_at)}});
    out(json_text(rows) + "\n");
  } else {
    text_table t({"version", "name", "state", "applied_at"});
    for (const auto& s : status)
      t.add_row({fmt::format("{:04}", s.version), s.name, std::string(to_string(s.st)), s.applied_at});
    out(t.render());
  }
  if (changed)
    return report_failure("invalid_state", "an applied migration was changed since it ran (state \"changed\")",
                          "restore the applied file and put the change in a new migration");
  return exit_ok;
}

}  // namespace

int run_migrate(const migrate_cmd_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  std::vector<std::string> near_misses;
  const std::vector<migration> steps = load_migrations(o.dir, near_misses);
  for (const std::string& f : near_misses)
    std::fputs(fmt::format("dbridge: warning: ignoring {} in {}\n", f, o.dir).c_str(), stderr);
  connection conn = connect(o.url, connect_options{.opened_by = "dbridge migrate"});
  if (o.status) return print_status(conn, steps, o.format);

  const bool text = o.format != output_format::json;
  migrate_options mo;
  mo.to = o.to;
  mo.dry_run = o.dry_run;
  bool mid_line = false;
  mo.progress = [&](const migration_event& e) {
    if (e.what == migration_event::kind::lock_wait) {
      std::fputs("dbridge: waiting for another migrator to release the migration lock...\n", stderr);
      return;
    }
    if (!text) return;
    const std::string head = fmt::format("[{}/{}] {}", e.index, e.count, e.step->label());
    switch (e.what) {
      case migration_event::kind::planned: out("would apply " + head + "\n"); break;
      case migration_event::kind::started:
        out(head + " ... ");
        std::fflush(stdout);
        mid_line = true;
        break;
      case migration_event::kind::applied:
        out(fmt::format("ok ({:.0f} ms)\n", std::chrono::duration<double, std::milli>(e.elapsed).count()));
        mid_line = false;
        break;
      case migration_event::kind::lock_wait: break;
    }
  };
  migrate_result res;
  try {
    res = migrate(conn, steps, mo);
  } catch (...) {
    if (mid_line) out("failed\n");
    throw;
  }

  if (!text) {
    ojson applied = ojson::array();
    for (std::int64_t v : res.applied) applied.push_back(v);
    out(json_text({{"dry_run", o.dry_run},
                   {o.dry_run ? "would_apply" : "applied", applied},
                   {"already_applied", res.already_applied},
                   {"current_version", res.current_version ? ojson(*res.current_version) : ojson(nullptr)}}) +
        "\n");
  } else if (res.applied.empty()) {
    out(fmt::format("up to date: {} migrations applied, version {}\n", res.already_applied,
                    version_text(res.current_version)));
  } else {
    out(fmt::format("{} {} migration{} ({} applied before); now at version {}\n",
                    o.dry_run ? "would apply" : "applied", res.applied.size(), res.applied.size() == 1 ? "" : "s",
                    res.already_applied, version_text(res.current_version)));
  }
  return exit_ok;
}

}  // namespace dbridge::cli
