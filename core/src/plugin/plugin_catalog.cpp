// SPDX-License-Identifier: Apache-2.0
// The process-wide plugin catalog: discovery (manifests only), resolution of
// a scheme to one plugin, and the entry points the client API uses to get a
// loaded plugin.
#include "dbridge/plugin_catalog.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "dbridge/error.hpp"
#include "join.hpp"
#include "loader.hpp"
#include "manifest.hpp"
#include "package_record.hpp"
#include "plugin_record.hpp"
#include "search_path.hpp"

namespace dbridge::inline v1 {

namespace fs = std::filesystem;
using detail::compare_versions;
using detail::join;

namespace {

struct discovery {
  detail::search_setup setup;
  std::vector<plugin_info> plugins;         // sorted by id, then version
  std::vector<plugin_problem> problems;
};

struct catalog_state {
  std::mutex mu;
  std::shared_ptr<const discovery> current;  // null until the first scan
  std::map<std::string, std::shared_ptr<detail::plugin_record>> by_scheme;
};

catalog_state& cstate() {
  static catalog_state* s = new catalog_state();  // leaked: records must not die in static destructors
  return *s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return out;
}

// Reads only package.toml's [installed] from, not its file hashes.
std::string installed_from(const plugin_info& info, const search_dir& dir) {
  const auto pkg = detail::read_package_record(info.manifest_path.parent_path());
  if (!pkg.found) return dir.scope == "system" || dir.scope == "build" ? "bundled" : "unpackaged";
  return pkg.installed_from.empty() ? std::string("package") : pkg.installed_from;
}

std::shared_ptr<const discovery> scan() {
  auto d = std::make_shared<discovery>();
  d->setup = detail::compute_search_setup();
  d->problems = d->setup.problems;
  std::set<std::pair<std::string, std::string>> seen;  // (id, version): the earlier folder wins
  for (const auto& dir : d->setup.dirs) {
    if (!dir.exists) continue;
    for (const auto& manifest : detail::manifests_in(dir.path)) {
      auto result = detail::read_manifest(manifest);
      if (!result.info) {
        for (auto& p : result.problems) d->problems.push_back(std::move(p));
        continue;
      }
      plugin_info info = std::move(*result.info);
      info.scope = dir.scope;
      info.scope_dir = dir.path;
      info.installed_from = installed_from(info, dir);
      if (!seen.insert({info.id, info.version}).second) {
        info.status = "broken";
        info.problem = "shadowed: the same id and version was found earlier in the search path";
      } else if (auto incompatible = detail::compatibility_problem(info)) {
        info.status = "broken";
        info.problem = incompatible->message + "; fix: " + incompatible->fix;
      } else {
        std::error_code ec;
        if (!fs::is_regular_file(info.library_path, ec)) {
          info.status = "broken";
          info.problem = "library file " + info.library_path.string() +
                         " not found (library.path in the manifest); fix: reinstall the plugin";
        }
        for (const auto& f : detail::check_plugin_files(info)) {
          info.warnings.push_back(f.message + "; fix: " + f.fix);
          if (f.refuse && !d->setup.config.allow_writable_plugins && info.status != "broken") {
            info.status = "broken";
            info.problem = f.message + ", so it is not loaded; fix: " + f.fix +
                           ", or set [security] allow_writable_plugins = true in the dbridge config";
          }
        }
      }
      d->plugins.push_back(std::move(info));
    }
  }
  std::stable_sort(d->plugins.begin(), d->plugins.end(), [](const plugin_info& a, const plugin_info& b) {
    if (a.id != b.id) return a.id < b.id;
    return compare_versions(a.version, b.version) < 0;
  });

  // Two different plugins claiming one scheme need a decision in the config.
  std::map<std::string, std::vector<const plugin_info*>> claims;
  for (const auto& p : d->plugins)
    if (p.kind == "driver")
      for (const auto& s : p.schemes) claims[s].push_back(&p);
  for (const auto& [scheme, list] : claims) {
    std::vector<std::string> ids;
    for (const auto* p : list)
      if (std::find(ids.begin(), ids.end(), p->id) == ids.end()) ids.push_back(p->id);
    if (ids.size() < 2 || d->setup.config.schemes.count(scheme)) continue;
    std::vector<std::string> where;
    for (const auto* p : list) where.push_back("'" + p->id + "' (" + p->manifest_path.string() + ")");
    std::string cfg = d->setup.config.path.empty() ? std::string("$XDG_CONFIG_HOME/dbridge/dbridge.toml")
                                                   : d->setup.config.path.string();
    d->problems.push_back(plugin_problem{
        list.front()->manifest_path, "scheme '" + scheme + "' is claimed by several plugins: " + join(where),
        "choose one in " + cfg + ": [schemes] " + scheme + " = \"" + ids.front() + "\", or uninstall the others"});
  }
  return d;
}

std::shared_ptr<const discovery> current() {
  auto& s = cstate();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.current) s.current = scan();
  return s.current;
}

detail::load_policy policy(const discovery& d) {
  return {d.setup.config.allow_writable_plugins, d.setup.config.path};
}

plugin_info with_status(plugin_info p) {
  if (detail::loaded_record(p)) {
    p.status = "loaded";
    p.problem.clear();
  } else if (p.status != "broken") {
    std::string failure = detail::load_failure(p);
    if (!failure.empty()) {
      p.status = "broken";
      p.problem = failure;
    }
  }
  return p;
}

bool compatible(const plugin_info& p) {
  if (p.status == "broken") return false;
  return !detail::load_failure(p).size();
}

// Chooses among versions of one id: the pinned one, else the highest usable.
// Falls back to the highest broken one so loading it explains what is wrong.
std::optional<plugin_info> pick_version(const std::vector<const plugin_info*>& versions, const discovery& d,
                                        std::string& reason, std::string& error) {
  if (versions.empty()) return std::nullopt;
  const std::string& id = versions.front()->id;
  auto pin = d.setup.config.pins.find(id);
  if (pin != d.setup.config.pins.end()) {
    for (const auto* p : versions) {
      if (p->version == pin->second || compare_versions(p->version, pin->second) == 0) {
        reason = "version " + p->version + " pinned in " + d.setup.config.path.string();
        return *p;
      }
    }
    std::vector<std::string> have;
    for (const auto* p : versions) have.push_back(p->version);
    error = "'" + id + "' is pinned to version " + pin->second + " in " + d.setup.config.path.string() +
            ", but the installed versions are " + join(have);
    return std::nullopt;
  }
  const plugin_info* best = nullptr;
  for (const auto* p : versions)
    if (compatible(*p) && (!best || compare_versions(p->version, best->version) > 0)) best = p;
  if (best) {
    reason = versions.size() == 1 ? "the only installed version"
                                  : "the highest compatible of " + std::to_string(versions.size()) + " versions";
    return *best;
  }
  best = versions.front();
  for (const auto* p : versions)
    if (compare_versions(p->version, best->version) > 0) best = p;
  reason = "no installed version is usable; this is the newest";
  return *best;
}

std::string searched(const discovery& d) {
  std::vector<std::string> dirs;
  for (const auto& s : d.setup.dirs) dirs.push_back(s.path.string() + (s.exists ? "" : " (missing)"));
  return dirs.empty() ? std::string("no folder") : join(dirs);
}

}  // namespace

// ------------------------------------------------------------ plugin_catalog

plugin_catalog& plugin_catalog::global() {
  static plugin_catalog* c = new plugin_catalog();
  return *c;
}

std::vector<search_dir> plugin_catalog::default_search_path() { return detail::compute_search_setup().dirs; }

fs::path plugin_catalog::scope_folder(std::string_view scope) {
  if (scope == "user") return detail::user_plugin_dir();
  if (scope == "system") return detail::system_plugin_dir();
  throw_error(errc::invalid_argument, "unknown install scope '" + std::string(scope) + "': use \"user\" or \"system\"");
}

std::vector<search_dir> plugin_catalog::search_path() const { return current()->setup.dirs; }

std::vector<plugin_info> plugin_catalog::plugins() const {
  auto d = current();
  std::vector<plugin_info> out;
  out.reserve(d->plugins.size());
  for (const auto& p : d->plugins) out.push_back(with_status(p));
  return out;
}

std::vector<plugin_problem> plugin_catalog::problems() const { return current()->problems; }

std::vector<std::string> plugin_catalog::schemes() const {
  auto d = current();
  std::set<std::string> all;
  for (const auto& p : d->plugins)
    if (p.kind == "driver")
      for (const auto& s : p.schemes) all.insert(s);
  return {all.begin(), all.end()};
}

scheme_resolution plugin_catalog::resolve(std::string_view scheme_in) const {
  auto d = current();
  scheme_resolution r;
  r.scheme = lower(scheme_in);
  for (const auto& p : d->plugins)
    if (p.kind == "driver" && std::find(p.schemes.begin(), p.schemes.end(), r.scheme) != p.schemes.end())
      r.candidates.push_back(with_status(p));
  if (r.candidates.empty()) {
    r.nearest = nearest_schemes(r.scheme, schemes());
    r.reason = "no plugin declares scheme '" + r.scheme + "'";
    return r;
  }
  std::vector<std::string> ids;
  for (const auto& p : r.candidates)
    if (std::find(ids.begin(), ids.end(), p.id) == ids.end()) ids.push_back(p.id);
  std::string chosen;
  std::string why_id;
  if (auto it = d->setup.config.schemes.find(r.scheme); it != d->setup.config.schemes.end()) {
    if (std::find(ids.begin(), ids.end(), it->second) == ids.end()) {
      r.reason = d->setup.config.path.string() + " maps scheme '" + r.scheme + "' to plugin '" + it->second +
                 "', which does not declare it; plugins declaring it: " + join(ids);
      return r;
    }
    chosen = it->second;
    why_id = "chosen for scheme '" + r.scheme + "' in " + d->setup.config.path.string();
  } else if (ids.size() > 1) {
    r.reason = "scheme '" + r.scheme + "' is claimed by several plugins (" + join(ids) +
               "); choose one in the config: [schemes] " + r.scheme + " = \"" + ids.front() + "\"";
    return r;
  } else {
    chosen = ids.front();
    why_id = "the only plugin declaring scheme '" + r.scheme + "'";
  }
  std::vector<const plugin_info*> versions;
  for (const auto& p : r.candidates)
    if (p.id == chosen) versions.push_back(&p);
  std::string why_version, error;
  r.plugin = pick_version(versions, *d, why_version, error);
  r.reason = r.plugin ? why_id + "; " + why_version : error;
  return r;
}

load_report plugin_catalog::diagnose(const plugin_info& plugin) {
  load_report report;
  try {
    report.plugin = plugin;
    auto out = detail::load_plugin(plugin, policy(*current()));
    report.steps = std::move(out.steps);
    report.ok = out.record != nullptr;
    report.plugin = with_status(plugin);
  } catch (const std::exception& e) {
    report.ok = false;
    report.steps.push_back(load_step{"load", false, e.what(), "report this as a dbridge bug"});
  } catch (...) {
    report.ok = false;
  }
  return report;
}

void plugin_catalog::rescan() {
  auto& s = cstate();
  auto fresh = scan();
  detail::forget_load_failures();
  std::lock_guard<std::mutex> lock(s.mu);
  s.current = std::move(fresh);
  s.by_scheme.clear();
}

std::vector<std::string> nearest_schemes(std::string_view scheme, const std::vector<std::string>& known,
                                         std::size_t max) {
  // Optimal string alignment distance: typos are mostly one edit or a swap.
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    return d[a.size()][b.size()];
  };
  std::string s = lower(scheme.substr(0, 64));
  const std::size_t limit = std::max<std::size_t>(2, s.size() / 3);
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& k : known) {
    std::size_t dist = distance(s, k.substr(0, 64));
    if (dist <= limit && dist > 0) scored.emplace_back(dist, k);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [dist, k] : scored) {
    if (out.size() >= max) break;
    out.push_back(k);
  }
  return out;
}

// ------------------------------------------------- entry points for the core

namespace detail {

std::shared_ptr<plugin_record> driver_for_scheme(std::string_view scheme_in) {
  const std::string scheme = lower(scheme_in);
  auto& s = cstate();
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (auto it = s.by_scheme.find(scheme); it != s.by_scheme.end()) {
      // Connections already made keep the mapped library; a new one notices
      // a package removed or upgraded underneath the process (one stat, no
      // file of the loaded plugin is opened again).
      std::error_code ec;
      if (fs::exists(it->second->manifest_path, ec) || ec) return it->second;
      removed = true;
    }
  }
  auto& catalog = plugin_catalog::global();
  if (removed) catalog.rescan();
  auto d = current();
  scheme_resolution r = catalog.resolve(scheme);
  if (!r.plugin) {
    if (r.candidates.empty()) {
      std::vector<std::string> known = catalog.schemes();
      std::string msg = "no plugin serves scheme '" + scheme + "'; available: " +
                        (known.empty() ? std::string("none") : join(known));
      if (!r.nearest.empty()) msg += "; did you mean '" + r.nearest.front() + "'?";
      msg += " (searched: " + searched(*d) + ")";
      std::size_t broken = d->problems.size();
      for (const auto& p : d->plugins)
        if (p.status == "broken") ++broken;
      if (broken) msg += "; " + std::to_string(broken) + " plugin problem(s) found: run `dbridge doctor " + scheme + "`";
      if (auto gone = loaded_driver_for_scheme(scheme)) {
        msg += "; plugin '" + gone->id + "' " + gone->version + " served it in this process but " +
               gone->manifest_path.parent_path().string() + " has been removed. Fix: install it again with " +
               "`dbridge plugin install " + gone->id + "`";
      } else {
        msg += ". Fix: install the plugin for '" + scheme + "' or set DBRIDGE_PLUGIN_PATH to its folder";
      }
      throw_error(errc::not_found, std::move(msg));
    }
    throw_error(errc::invalid_argument, "cannot choose a plugin for scheme '" + scheme + "': " + r.reason);
  }
  auto out = load_plugin(*r.plugin, policy(*d));
  if (!out.record) throw_error(out.category, out.message);
  std::lock_guard<std::mutex> lock(s.mu);
  // A rescan may have happened meanwhile; only cache against the same discovery.
  if (s.current == d) s.by_scheme[scheme] = out.record;
  return out.record;
}

std::shared_ptr<plugin_record> plugin_by_id(std::string_view id, std::string_view kind) {
  auto d = current();
  std::vector<plugin_info> matches;
  for (const auto& p : d->plugins)
    if (p.id == id && p.kind == kind) matches.push_back(with_status(p));
  if (matches.empty()) {
    std::vector<std::string> same_kind;
    for (const auto& p : d->plugins)
      if (p.kind == kind && std::find(same_kind.begin(), same_kind.end(), p.id) == same_kind.end())
        same_kind.push_back(p.id);
    throw_error(errc::not_found, "no " + std::string(kind) + " plugin with id '" + std::string(id) +
                                     "' is installed; installed " + std::string(kind) + " plugins: " +
                                     (same_kind.empty() ? std::string("none") : join(same_kind)) +
                                     " (searched: " + searched(*d) + ")");
  }
  std::vector<const plugin_info*> versions;
  for (const auto& p : matches) versions.push_back(&p);
  std::string reason, error;
  auto chosen = pick_version(versions, *d, reason, error);
  if (!chosen) throw_error(errc::invalid_argument, error);
  auto out = load_plugin(*chosen, policy(*d));
  if (!out.record) throw_error(out.category, out.message);
  return out.record;
}

}  // namespace detail

}  // namespace dbridge
