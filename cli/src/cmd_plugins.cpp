// SPDX-License-Identifier: Apache-2.0
// `dbridge plugins`: what the manifests say, without loading any library.
#include <fmt/format.h>

#include "commands.hpp"
#include "dbridge/plugin_catalog.hpp"

namespace dbridge::cli {

int run_plugins(const plugins_options& o) {
  auto& catalog = plugin_catalog::global();
  const auto plugins = catalog.plugins();
  const auto problems = catalog.problems();

  if (o.format == output_format::json) {
    ojson j = ojson::object();
    j["plugins"] = ojson::array();
    for (const auto& p : plugins) j["plugins"].push_back(to_json(p));
    j["broken"] = ojson::array();
    for (const auto& b : problems)
      j["broken"].push_back({{"manifest", b.manifest_path.string()}, {"problem", b.message}, {"fix", b.fix}});
    out(json_text(j, 2) + "\n");
    return exit_ok;
  }

  if (plugins.empty()) {
    out("No plugins found. Searched:\n");
    for (const auto& d : catalog.search_path())
      out(fmt::format("  {} ({}{})\n", d.path.string(), d.origin, d.exists ? "" : ", missing"));
    out("Set DBRIDGE_PLUGIN_PATH to a folder holding plugin packages; `dbridge doctor` explains more.\n");
  } else {
    text_table t({"ID", "VERSION", "KIND", "ABI", "SCHEMES", "CAPABILITIES", "STATUS", "MANIFEST"});
    for (const auto& p : plugins)
      t.add_row({p.id, p.version, p.kind, fmt::format("{}.{}+", p.abi_major, p.abi_min_minor),
                 fmt::format("{}", fmt::join(p.schemes, ",")), fmt::format("{}", fmt::join(p.capabilities, ",")),
                 p.status, p.manifest_path.string()});
    out(t.render());
    // Problems are too long for a table cell: listed below it instead.
    for (const auto& p : plugins) {
      if (!p.problem.empty()) out(fmt::format("\n{}: {}\n", plugin_label(p), p.problem));
      for (const auto& w : p.warnings) out(fmt::format("\n{}: warning: {}\n", plugin_label(p), w));
    }
  }
  if (!problems.empty()) {
    out(fmt::format("\nBroken packages ({}):\n", problems.size()));
    for (const auto& b : problems) {
      out(fmt::format("  {}\n    problem: {}\n", b.manifest_path.string(), b.message));
      if (!b.fix.empty()) out(fmt::format("    fix: {}\n", b.fix));
    }
  }
  return exit_ok;
}

}  // namespace dbridge::cli
