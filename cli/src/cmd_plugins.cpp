// SPDX-License-Identifier: Apache-2.0
// `dbridge plugins`: what the manifests say, without loading any library;
// with --verify, whether the files on disk still match their hashes.
#include <fmt/format.h>

#include <algorithm>

#include "commands.hpp"
#include "plugin_options_view.hpp"
#include "dbridge/plugin_catalog.hpp"

namespace dbridge::cli {

namespace {

// `plugins --options ID`: the manifest's option declarations of every
// installed version of one plugin, without loading its library.
int print_declared_options(const std::vector<plugin_info>& plugins, const plugins_options& o) {
  std::vector<const plugin_info*> found;
  for (const auto& p : plugins)
    if (p.id == o.options_of) found.push_back(&p);
  if (found.empty()) {
    return report_failure("not_found", fmt::format("no installed plugin has id '{}'", o.options_of),
                          "`dbridge plugins` lists the installed ids");
  }
  if (o.format == output_format::json) {
    ojson list = ojson::array();
    for (const auto* p : found)
      list.push_back({{"id", p->id}, {"version", p->version}, {"options_declared", p->options_declared},
                      {"options", options_json(*p)}});
    out(json_text(ojson{{"plugins", std::move(list)}}, 2) + "\n");
    return exit_ok;
  }
  for (const auto* p : found) out(fmt::format("{} {}\n", p->id, p->version) + options_text(*p));
  return exit_ok;
}

}  // namespace

int run_plugins(const plugins_options& o) {
  auto& catalog = plugin_catalog::global();
  const auto plugins = catalog.plugins();
  if (!o.options_of.empty()) return print_declared_options(plugins, o);
  const auto problems = catalog.problems();

  std::vector<plugin_verification> checks;
  if (o.verify)
    for (const auto& p : plugins) checks.push_back(verify_plugin(p));
  const bool verified = std::all_of(checks.begin(), checks.end(), [](const auto& c) { return c.ok; });
  const int status = verified ? exit_ok : exit_failure;

  if (o.format == output_format::json) {
    ojson j = ojson::object();
    j["plugins"] = ojson::array();
    for (std::size_t i = 0; i < plugins.size(); ++i) {
      ojson e = to_json(plugins[i]);
      if (o.verify) {
        ojson files = ojson::array();
        for (const auto& f : checks[i].files)
          files.push_back({{"path", f.path.string()}, {"expected", f.expected}, {"actual", f.actual},
                           {"ok", f.ok}, {"problem", f.problem}});
        e["verify"] = {{"ok", checks[i].ok}, {"problem", checks[i].problem}, {"files", std::move(files)}};
      }
      j["plugins"].push_back(std::move(e));
    }
    j["broken"] = ojson::array();
    for (const auto& b : problems)
      j["broken"].push_back({{"manifest", b.manifest_path.string()}, {"problem", b.message}, {"fix", b.fix}});
    out(json_text(j, 2) + "\n");
    return status;
  }

  if (plugins.empty()) {
    out("No plugins found. Searched:\n");
    for (const auto& d : catalog.search_path())
      out(fmt::format("  {} ({}{})\n", d.path.string(), d.origin, d.exists ? "" : ", missing"));
    out("Set DBRIDGE_PLUGIN_PATH to a folder holding plugin packages; `dbridge doctor` explains more.\n");
  } else {
    std::vector<std::string> head{"ID", "VERSION", "KIND", "ABI", "SCHEMES", "CAPABILITIES", "STATUS", "SCOPE", "FROM"};
    if (o.verify) head.push_back("FILES");
    head.push_back("MANIFEST");
    text_table t(head);
    for (std::size_t i = 0; i < plugins.size(); ++i) {
      const auto& p = plugins[i];
      std::vector<std::string> row{p.id, p.version, p.kind, fmt::format("{}.{}+", p.abi_major, p.abi_min_minor),
                                   fmt::format("{}", fmt::join(p.schemes, ",")),
                                   fmt::format("{}", fmt::join(p.capabilities, ",")), p.status, p.scope,
                                   p.installed_from};
      if (o.verify) row.push_back(checks[i].ok ? "match" : "CHANGED");
      row.push_back(p.manifest_path.string());
      t.add_row(std::move(row));
    }
    out(t.render());
    // Problems are too long for a table cell: listed below it instead.
    for (std::size_t i = 0; i < plugins.size(); ++i) {
      const auto& p = plugins[i];
      if (!p.problem.empty()) out(fmt::format("\n{}: {}\n", plugin_label(p), p.problem));
      for (const auto& w : p.warnings) out(fmt::format("\n{}: warning: {}\n", plugin_label(p), w));
      if (!o.verify) continue;
      if (!checks[i].problem.empty()) out(fmt::format("\n{}: verify: {}\n", plugin_label(p), checks[i].problem));
      for (const auto& f : checks[i].files)
        if (!f.ok) out(fmt::format("\n{}: verify: {}\n", plugin_label(p), f.problem));
    }
    if (o.verify && !verified)
      out("\nSome installed files no longer match their recorded sha256: reinstall those plugins.\n");
  }
  if (!problems.empty()) {
    out(fmt::format("\nBroken packages ({}):\n", problems.size()));
    for (const auto& b : problems) {
      out(fmt::format("  {}\n    problem: {}\n", b.manifest_path.string(), b.message));
      if (!b.fix.empty()) out(fmt::format("    fix: {}\n", b.fix));
    }
  }
  return status;
}

}  // namespace dbridge::cli
