// SPDX-License-Identifier: Apache-2.0
// `dbridge doctor [SCHEME|URL]`: the full load report. Every folder searched,
// every manifest found, and each load step of each plugin with a fix-it line.
#include <fmt/format.h>

#include <dbridge/abi.h>

#include <algorithm>

#include "commands.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "dbridge/url.hpp"

namespace dbridge::cli {
namespace {

constexpr std::string_view good = "✓";
constexpr std::string_view bad = "✗";
constexpr std::string_view absent = "-";

// One row of the manifest list: a usable manifest or a broken package.
struct manifest_entry {
  std::filesystem::path path;
  const plugin_info* plugin = nullptr;
  const plugin_problem* problem = nullptr;
};

std::vector<manifest_entry> all_manifests(const std::vector<plugin_info>& plugins,
                                          const std::vector<plugin_problem>& problems) {
  std::vector<manifest_entry> all;
  for (const auto& p : plugins) all.push_back({p.manifest_path, &p, nullptr});
  for (const auto& b : problems) all.push_back({b.manifest_path, nullptr, &b});
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return all;
}

std::string indent_lines(std::string_view text, std::string_view prefix) {
  std::string r;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    r += prefix;
    r += text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    r += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return r;
}

}  // namespace

int run_doctor(const doctor_options& o) {
  auto& catalog = plugin_catalog::global();
  const auto dirs = catalog.search_path();
  const auto plugins = catalog.plugins();
  const auto problems = catalog.problems();
  const auto manifests = all_manifests(plugins, problems);

  // Which plugins get a load report: all of them, or those serving the target.
  std::vector<plugin_info> selected;
  std::optional<scheme_resolution> resolution;
  std::string scheme;
  if (!o.target.empty()) {
    scheme = scheme_of(o.target);
    resolution = catalog.resolve(scheme);
    if (resolution->plugin)
      selected.push_back(*resolution->plugin);
    else
      selected = resolution->candidates;  // none chosen: show why each one fails
  } else {
    selected = plugins;
  }

  std::vector<load_report> reports;
  reports.reserve(selected.size());
  for (const auto& p : selected) reports.push_back(catalog.diagnose(p));

  bool ok = std::all_of(reports.begin(), reports.end(), [](const load_report& r) { return r.ok; });
  // Finding nothing at all is the most common broken install, not "all good".
  const bool none_found = plugins.empty();
  if (none_found) ok = false;
  if (o.target.empty())
    ok = ok && problems.empty();
  else
    ok = ok && resolution->plugin.has_value();

  const std::string shown_target =
      o.target.find(':') != std::string::npos ? redact_url(o.target) : scheme;

  if (o.format == output_format::json) {
    ojson j = ojson::object();
    j["ok"] = ok;
    if (!o.target.empty()) {
      j["target"] = shown_target;
      j["scheme"] = scheme;
    }
    j["search_path"] = ojson::array();
    for (const auto& d : dirs)
      j["search_path"].push_back({{"path", d.path.string()}, {"origin", d.origin}, {"exists", d.exists}});
    j["manifests"] = ojson::array();
    for (const auto& m : manifests) {
      ojson e = {{"manifest", m.path.string()}, {"ok", m.plugin != nullptr}};
      if (m.plugin) {
        e["id"] = m.plugin->id;
        e["version"] = m.plugin->version;
      } else {
        e["problem"] = m.problem->message;
        e["fix"] = m.problem->fix;
      }
      j["manifests"].push_back(std::move(e));
    }
    j["plugins"] = ojson::array();
    for (const auto& r : reports) {
      ojson steps = ojson::array();
      for (const auto& s : r.steps)
        steps.push_back({{"name", s.name}, {"ok", s.ok}, {"detail", s.detail}, {"fix", s.fix}});
      j["plugins"].push_back({{"plugin", to_json(r.plugin)}, {"ok", r.ok}, {"steps", std::move(steps)}});
    }
    if (none_found) j["problem"] = "no plugin found in any folder of the search path";
    if (resolution && !resolution->plugin) {
      j["reason"] = resolution->reason;
      j["nearest"] = resolution->nearest;
    }
    out(json_text(j, 2) + "\n");
    return ok ? exit_ok : exit_failure;
  }

  out(fmt::format("dbridge {} (plugin ABI {}.{})\n", DBRIDGE_VERSION, DBR_ABI_MAJOR, DBR_ABI_MINOR));

  out("\nSearch path (in order):\n");
  text_table dt({"", "FOLDER", "FROM", ""});
  for (const auto& d : dirs)
    dt.add_row({std::string(d.exists ? good : absent), d.path.string(), d.origin, d.exists ? "" : "(does not exist)"});
  out(indent_lines(dt.render(false), "  "));

  out(fmt::format("\nManifests found ({}):\n", manifests.size()));
  if (manifests.empty()) out("  none: put plugin packages in one of the folders above, or set DBRIDGE_PLUGIN_PATH\n");
  for (const auto& m : manifests) {
    if (m.plugin) {
      out(fmt::format("  {} {}  {}\n", m.plugin->status == "broken" ? bad : good, m.path.string(),
                      plugin_label(*m.plugin)));
      for (const auto& w : m.plugin->warnings) out(indent_lines(w, "      warning: "));
    } else {
      out(fmt::format("  {} {}  broken\n", bad, m.path.string()));
      out(indent_lines(m.problem->message, "      problem: "));
      if (!m.problem->fix.empty()) out(indent_lines(m.problem->fix, "      fix: "));
    }
  }

  if (resolution && selected.empty()) {
    out(fmt::format("\nNo plugin serves scheme '{}' (from {}).\n", scheme, shown_target));
    if (!resolution->nearest.empty())
      out(fmt::format("  did you mean: {}\n", fmt::join(resolution->nearest, ", ")));
    const auto known = catalog.schemes();
    out(fmt::format("  known schemes: {}\n", known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
  } else if (resolution && !resolution->plugin) {
    out(fmt::format("\nNo plugin chosen for scheme '{}': {}\n", scheme, resolution->reason));
  }

  for (const auto& r : reports) {
    out(fmt::format("\nPlugin {}  {}\n", plugin_label(r.plugin), r.plugin.manifest_path.string()));
    for (const auto& s : r.steps) {
      std::string line = fmt::format("  {} {:<13}", s.ok ? good : bad, s.name);
      if (!s.detail.empty()) line += " " + s.detail;
      out(line + "\n");
      if (!s.ok && !s.fix.empty()) out(indent_lines(s.fix, "      fix: "));
    }
  }

  if (none_found) {
    out(fmt::format("\nProblems found: no plugin found in any of the {} folder(s) searched:\n", dirs.size()));
    for (const auto& d : dirs) out(fmt::format("  {} ({}{})\n", d.path.string(), d.origin, d.exists ? "" : ", missing"));
    out("  fix: install plugin packages into one of these folders, or set DBRIDGE_PLUGIN_PATH to a folder holding "
        "them\n");
    return exit_failure;
  }
  const auto failing = std::count_if(reports.begin(), reports.end(), [](const load_report& r) { return !r.ok; });
  out(fmt::format("\n{}: {} plugin(s) checked, {} failing to load, {} broken package(s).\n",
                  ok ? "All good" : "Problems found", reports.size(), failing, problems.size()));
  return ok ? exit_ok : exit_failure;
}

}  // namespace dbridge::cli
