// SPDX-License-Identifier: Apache-2.0
// `dbridge plugin check DIR`: the loader's own checks (manifest, ABI range,
// checksum, dependencies, load, descriptor against the manifest, init) run on
// one plugin folder. dbridge_add_plugin() runs it after every link, so a
// library that disagrees with its plugin.toml fails the build.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "commands.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "plugin/manifest.hpp"

namespace dbridge::cli {

namespace fs = std::filesystem;

int run_plugin_check(const plugin_cmd_options& o) {
  fs::path manifest = o.target;
  std::error_code ec;
  if (fs::is_directory(manifest, ec)) manifest /= "plugin.toml";
  auto m = detail::read_manifest(manifest);
  if (!m.info) {
    for (const auto& p : m.problems) out(fmt::format("✗ {}\n    fix: {}\n", p.message, p.fix));
    return report_failure("invalid_argument", fmt::format("{} is not a valid manifest", manifest.string()),
                          "fix the fields named above");
  }
  const load_report report = plugin_catalog::global().diagnose(*m.info);
  for (const auto& s : report.steps) {
    out(fmt::format("{} {}: {}\n", s.ok ? "✓" : "✗", s.name, s.detail));
    if (!s.ok && !s.fix.empty()) out(fmt::format("    fix: {}\n", s.fix));
  }
  // Every check of library against manifest comes before init; a plugin may
  // need init options (or a service) that a build does not have.
  const bool only_init_failed =
      !report.ok && !report.steps.empty() && report.steps.back().name == "init" &&
      std::all_of(report.steps.begin(), report.steps.end() - 1, [](const load_step& s) { return s.ok; });
  if (only_init_failed) {
    out("  (init without options failed; the library and plugin.toml agree)\n");
    return exit_ok;
  }
  if (!report.ok) {
    return report_failure("incompatible",
                          fmt::format("plugin '{}' in {} would not load: its library and plugin.toml must agree",
                                      m.info->id, manifest.parent_path().string()),
                          "fix what the failed step above names, then build again");
  }
  return exit_ok;
}

}  // namespace dbridge::cli
