// SPDX-License-Identifier: Apache-2.0
// `dbridge which URL`: which plugin would serve a URL, and why. Never loads.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "commands.hpp"
#include "plugin_options_view.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "dbridge/url.hpp"

namespace dbridge::cli {

std::string scheme_of(const std::string& url_or_scheme) {
  if (url_or_scheme.find(':') != std::string::npos) return parse_cli_url(url_or_scheme).scheme;
  // A bare scheme, as RFC 3986 spells one.
  const bool valid = !url_or_scheme.empty() && std::isalpha(static_cast<unsigned char>(url_or_scheme[0])) &&
                     std::all_of(url_or_scheme.begin(), url_or_scheme.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '+' || c == '-' || c == '.';
                     });
  if (!valid)
    throw usage_error(fmt::format("'{}' is neither a URL nor a scheme name", redact_url(url_or_scheme)),
                      "give a URL such as sqlite:///tmp/app.db, or a scheme such as sqlite");
  std::string s = url_or_scheme;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

namespace {

// The package that usually serves a scheme: the first-party drivers are named
// after their main scheme, third-party ones by convention too.
std::string package_for_scheme(const std::string& scheme) {
  if (scheme == "postgresql") return "postgres";
  if (scheme == "mariadb") return "mysql";
  if (scheme == "rediss") return "redis";
  return scheme;
}

std::string unknown_scheme_fix(const scheme_resolution& r, const std::string& scheme) {
  std::string fix;
  // A near miss is a typo; otherwise the driver is most likely not installed.
  if (!r.nearest.empty()) {
    fix = fmt::format("did you mean {}? ", fmt::join(r.nearest, ", "));
  } else {
    fix = fmt::format("install its driver: `dbridge plugin install {}` (see `dbridge plugin search`); ",
                      package_for_scheme(scheme));
  }
  const auto known = plugin_catalog::global().schemes();
  fix += known.empty() ? "no plugin is installed: set DBRIDGE_PLUGIN_PATH, or run `dbridge doctor`"
                       : fmt::format("known schemes: {}", fmt::join(known, ", "));
  return fix;
}

}  // namespace

void require_known_scheme(const dbridge::url& u) {
  const scheme_resolution r = plugin_catalog::global().resolve(u.scheme);
  // Known but unusable schemes are left to connect(), which says why.
  if (!r.candidates.empty()) return;
  error_info info;
  info.category = errc::not_found;
  info.native_domain = "dbridge";
  info.message = fmt::format("no plugin serves scheme '{}' (in {})", u.scheme, redact_url(u.raw));
  info.hint = unknown_scheme_fix(r, u.scheme);
  throw_error(std::move(info));
}

int run_which(const which_options& o) {
  const std::string scheme = scheme_of(o.target);
  const bool is_url = o.target.find(':') != std::string::npos;
  const std::string shown = is_url ? redact_url(o.target) : scheme;
  const scheme_resolution r = plugin_catalog::global().resolve(scheme);

  if (o.format == output_format::json) {
    ojson j = ojson::object();
    j["target"] = shown;
    j["scheme"] = r.scheme.empty() ? scheme : r.scheme;
    j["plugin"] = r.plugin ? to_json(*r.plugin) : ojson(nullptr);
    j["reason"] = r.reason;
    j["candidates"] = ojson::array();
    for (const auto& c : r.candidates) j["candidates"].push_back(to_json(c));
    j["nearest"] = r.nearest;
    if (o.options && r.plugin) {
      j["options_declared"] = r.plugin->options_declared;
      j["options"] = options_json(*r.plugin);
    }
    out(json_text(j, 2) + "\n");
  } else if (r.plugin) {
    const plugin_info& p = *r.plugin;
    out(fmt::format("{} -> {}\n", shown, plugin_label(p)));
    out(fmt::format("  why:      {}\n", r.reason));
    out(fmt::format("  manifest: {}\n", p.manifest_path.string()));
    out(fmt::format("  library:  {}\n", p.library_path.string()));
    if (p.status == "broken") out(fmt::format("  status:   broken: {}\n", p.problem));
    if (o.options) out(options_text(p));
    for (const auto& c : r.candidates) {
      if (c.manifest_path == p.manifest_path) continue;
      out(fmt::format("  also claimed by: {} ({})\n", plugin_label(c), c.manifest_path.string()));
    }
  }
  if (r.plugin && r.plugin->status == "broken")
    return report_failure("not_found",
                          fmt::format("{} would serve '{}' but cannot load: {}", plugin_label(*r.plugin), scheme,
                                      r.plugin->problem),
                          fmt::format("`dbridge doctor {}` shows each load step", scheme));
  if (r.plugin) return exit_ok;

  if (r.candidates.empty())
    return report_failure("not_found", fmt::format("no plugin serves scheme '{}' (in {})", scheme, shown),
                          unknown_scheme_fix(r, scheme));
  std::vector<std::string> names;
  for (const auto& c : r.candidates) names.push_back(fmt::format("{} at {}", plugin_label(c), c.manifest_path.string()));
  return report_failure("invalid_state",
                        fmt::format("no plugin chosen for scheme '{}': {} (candidates: {})", scheme, r.reason,
                                    fmt::join(names, "; ")),
                        "pin one in $XDG_CONFIG_HOME/dbridge/dbridge.toml or remove the others; `dbridge doctor " +
                            scheme + "` shows why each one failed");
}

}  // namespace dbridge::cli
