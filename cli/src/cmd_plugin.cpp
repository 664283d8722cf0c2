// SPDX-License-Identifier: Apache-2.0
// `dbridge plugin pack|install|remove|search|pin|unpin|verify|sync|trust` and
// `dbridge repo index|keygen`: thin wrappers over src/package/, linked into
// `dbridge-package` only.
#include <fmt/format.h>

#include <filesystem>
#include <functional>

#include "commands.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "plugin/manifest.hpp"
#include "plugin/semver.hpp"
#include "package/installer.hpp"
#include "package/package_archive.hpp"
#include "package/package_error.hpp"
#include "package/repository.hpp"
#include "package/sync.hpp"

namespace dbridge::cli {

namespace fs = std::filesystem;
namespace pkg = dbridge::package;

namespace {

pkg::scope_kind scope_of(const plugin_cmd_options& o) {
  return o.system ? pkg::scope_kind::system : pkg::scope_kind::user;
}

// Every package failure is reported the same way: its kind as the category.
int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const pkg::package_error& e) {
    return report_failure(pkg::to_string(e.kind()), e.what(), e.fix());
  }
}

std::vector<pkg::repository> open_repositories(const plugin_cmd_options& o) {
  std::vector<std::string> where = o.repos.empty() ? pkg::configured_repositories() : o.repos;
  if (where.empty()) {
    throw pkg::package_error(pkg::package_errc::not_found, "no repository given and none configured",
                             "pass --repo DIR|URL, or add [[repository]] url = \"...\" to " +
                                 pkg::user_config_path().string());
  }
  std::vector<pkg::repository> repos;
  for (const auto& w : where) repos.push_back(pkg::open_repository(w, o.allow_unsigned));
  return repos;
}

void say_installed(const pkg::install_result& r, pkg::scope_kind scope, const std::string& from) {
  if (r.already_installed) {
    out(fmt::format("{} {} is already installed ({}) in {}; nothing to do\n", r.id, r.version, pkg::scope_name(scope),
                    r.folder.string()));
    return;
  }
  out(fmt::format("installed {} {} ({}) from {} into {}\n", r.id, r.version, pkg::scope_name(scope), from,
                  r.folder.string()));
  if (!r.other_versions.empty()) {
    std::string others;
    for (const auto& v : r.other_versions) others += (others.empty() ? "" : ", ") + v;
    out(fmt::format("  also installed: {} (the highest is used unless pinned; `dbridge plugin remove {}@VERSION` "
                    "drops one)\n",
                    others, r.id));
  }
}

// The versions of `id` that discovery finds now (every scope and search
// folder: the set a pin chooses among), sorted.
std::vector<std::string> discovered_versions(const std::string& id) {
  auto& catalog = plugin_catalog::global();
  catalog.rescan();
  std::vector<std::string> have;
  for (const auto& p : catalog.plugins())
    if (p.id == id) have.push_back(p.version);
  return have;
}

// The installed version a pin to `version` selects: the catalog's rule
// (pick_version), equal by semver precedence.
std::optional<std::string> pinned_match(const std::vector<std::string>& have, const std::string& version) {
  for (const auto& v : have)
    if (v == version || detail::compare_versions(v, version) == 0) return v;
  return std::nullopt;
}

std::string join_versions(const std::vector<std::string>& have) {
  std::string s;
  for (const auto& v : have) s += (s.empty() ? "" : ", ") + v;
  return s;
}

bool looks_like_file(const std::string& target) {
  std::error_code ec;
  return (target.size() > 7 && target.compare(target.size() - 7, 7, ".dbrpkg") == 0) ||
         target.find('/') != std::string::npos || fs::is_regular_file(target, ec);
}

std::pair<std::string, std::string> split_at(const std::string& s) {
  auto at = s.find('@');
  if (at == std::string::npos) return {s, {}};
  return {s.substr(0, at), s.substr(at + 1)};
}

int run_plugin_pack(const plugin_cmd_options& o) {
  return guarded([&] {
    fs::path file = pkg::pack_plugin(o.target, o.outdir.empty() ? fs::current_path() : fs::path(o.outdir));
    out(file.string() + "\n");
    return exit_ok;
  });
}

int run_plugin_install(const plugin_cmd_options& o) {
  return guarded([&] {
    pkg::install_request req;
    req.scope = scope_of(o);
    req.allow_downgrade = o.allow_downgrade;
    if (looks_like_file(o.target)) {
      const fs::path file = fs::absolute(o.target);
      req.from = file.string();
      say_installed(pkg::install_archive(file, req), req.scope, req.from);
      return exit_ok;
    }
    auto [id, spec] = split_at(o.target);
    if (!pkg::valid_id(id)) {
      throw usage_error("'" + o.target + "' is neither a .dbrpkg file nor ID[@VERSION-SPEC]",
                        "e.g. dbridge plugin install postgres --repo dist/");
    }
    if (spec.empty()) {
      auto pins = pkg::read_pins();
      if (auto p = pins.find(id); p != pins.end()) spec = "=" + p->second;
    }
    auto repos = open_repositories(o);
    auto r = pkg::install_from_repositories(repos, id, spec, req);
    say_installed(r.result, req.scope, r.repository);
    return exit_ok;
  });
}

int run_plugin_remove(const plugin_cmd_options& o) {
  return guarded([&] {
    auto [id, version] = split_at(o.target);
    for (const auto& f : pkg::remove_installed(scope_of(o), id, version)) out("removed " + f.string() + "\n");
    // A pin to a version no longer installed would fail every connection
    // to the plugin; the same version may still be found in another scope.
    const auto pins = pkg::read_pins();
    if (auto pin = pins.find(id); pin != pins.end() && !pinned_match(discovered_versions(id), pin->second)) {
      pkg::write_pin(id, "");
      out(fmt::format("unpinned {} in {}: its pinned version {} is no longer installed\n", id,
                      pkg::user_config_path().string(), pin->second));
    }
    return exit_ok;
  });
}

int run_plugin_search(const plugin_cmd_options& o) {
  return guarded([&] {
    auto repos = open_repositories(o);
    ojson rows = ojson::array();
    text_table t({"ID", "VERSION", "PLATFORM", "ABI", "SUMMARY", "REPOSITORY"});
    for (const auto& r : repos) {
      for (const auto& e : r.entries) {
        if (!o.target.empty() && e.id.find(o.target) == std::string::npos &&
            e.summary.find(o.target) == std::string::npos)
          continue;
        const std::string abi = fmt::format("{}.{}+", e.abi_major, e.abi_min_minor);
        t.add_row({e.id, e.version, e.platform, abi, e.summary, r.location});
        rows.push_back(ojson{{"id", e.id}, {"version", e.version}, {"platform", e.platform},
                             {"abi_major", e.abi_major}, {"abi_min_minor", e.abi_min_minor}, {"summary", e.summary},
                             {"size", e.size}, {"sha256", e.sha256}, {"repository", r.location}});
      }
    }
    if (o.format == output_format::json) {
      out(rows.dump(2) + "\n");
    } else if (rows.empty()) {
      out("No packages" + (o.target.empty() ? std::string() : " matching '" + o.target + "'") + "\n");
    } else {
      out(t.render());
    }
    return exit_ok;
  });
}

int run_plugin_pin(const plugin_cmd_options& o) {
  return guarded([&] {
    if (!o.version.empty() && !detail::parse_semver(o.version)) {
      throw usage_error("'" + o.version + "' is not a version like 1.2.0", "pin an exact installed version");
    }
    if (o.version.empty()) {
      pkg::write_pin(o.target, "");
      out(fmt::format("unpinned {} in {}\n", o.target, pkg::user_config_path().string()));
      return exit_ok;
    }
    // A pin to something discovery cannot find fails every connection to
    // the plugin, so only an installed version may be pinned.
    const auto have = discovered_versions(o.target);
    if (have.empty()) {
      throw pkg::package_error(pkg::package_errc::not_found,
                               "cannot pin '" + o.target + "': no plugin with that id is installed",
                               "install it first (`dbridge plugin install " + o.target +
                                   "@=" + o.version + "`); `dbridge plugins` lists what is installed");
    }
    const auto match = pinned_match(have, o.version);
    if (!match) {
      throw pkg::package_error(pkg::package_errc::not_found,
                               "cannot pin " + o.target + " to " + o.version + ": that version is not installed (installed: " +
                                   join_versions(have) + ")",
                               "pin one of the installed versions, or install it first (`dbridge plugin install " +
                                   o.target + "@=" + o.version + "`)");
    }
    pkg::write_pin(o.target, *match);
    out(fmt::format("pinned {} to {} in {}\n", o.target, *match, pkg::user_config_path().string()));
    return exit_ok;
  });
}

int run_plugin_verify(const plugin_cmd_options& o) {
  return guarded([&] {
    int checked = 0, bad = 0;
    for (auto scope : {pkg::scope_kind::user, pkg::scope_kind::system}) {
      fs::path dir;
      try {
        dir = pkg::scope_dir(scope);
      } catch (const pkg::package_error&) {
        continue;  // no HOME: no user scope to check
      }
      for (const auto& p : pkg::list_installed(dir)) {
        if (!o.target.empty() && p.info.id != o.target) continue;
        ++checked;
        auto problems = pkg::verify_installed(p);
        if (problems.empty()) {
          out(fmt::format("ok       {} {} ({}) {}\n", p.info.id, p.info.version, pkg::scope_name(scope),
                          p.folder.string()));
        } else {
          ++bad;
          out(fmt::format("PROBLEM  {} {} ({}) {}\n", p.info.id, p.info.version, pkg::scope_name(scope),
                          p.folder.string()));
          for (const auto& line : problems) out("  " + line + "\n");
        }
      }
    }
    if (checked == 0) {
      return report_failure("not found",
                            o.target.empty() ? "no installed package to verify"
                                             : "no installed package '" + o.target + "'",
                            "install one with `dbridge plugin install`");
    }
    if (bad > 0) {
      std::fprintf(stderr, "dbridge: %d of %d installed packages have problems; reinstall them\n", bad, checked);
      return exit_failure;
    }
    return exit_ok;
  });
}

int run_plugin_sync(const plugin_cmd_options& o) {
  return guarded([&] {
    pkg::sync_options s;
    s.list = o.target.empty() ? fs::path("dbridge-plugins.toml") : fs::path(o.target);
    s.scope = scope_of(o);
    s.allow_unsigned = o.allow_unsigned;
    s.repositories = o.repos;
    for (const auto& r : pkg::sync_from_list(s)) say_installed(r.result, s.scope, r.repository);
    out("lock file: " + (s.list.parent_path() / "dbridge-plugins.lock").string() + "\n");
    return exit_ok;
  });
}

int run_plugin_trust(const plugin_cmd_options& o) {
  return guarded([&] {
    out("trusted " + pkg::trust_key(o.target).string() + "\n");
    return exit_ok;
  });
}

int run_repo_index(const plugin_cmd_options& o) {
  return guarded([&] {
    std::size_t n = pkg::write_repository_index(o.target, o.key);
    out(fmt::format("{}: {} packages, signed with {}\n", (fs::path(o.target) / "index.toml").string(), n, o.key));
    return exit_ok;
  });
}

int run_repo_keygen(const plugin_cmd_options& o) {
  return guarded([&] {
    pkg::generate_key_pair(o.target);
    out(fmt::format("private key: {} (keep it secret)\npublic key:  {}.pub (give it to users: dbridge plugin trust "
                    "{}.pub)\n",
                    o.target, o.target, o.target));
    return exit_ok;
  });
}

}  // namespace

int run_package_command(package_command c, const plugin_cmd_options& o) {
  switch (c) {
    case package_command::pack: return run_plugin_pack(o);
    case package_command::install: return run_plugin_install(o);
    case package_command::remove: return run_plugin_remove(o);
    case package_command::search: return run_plugin_search(o);
    case package_command::pin:
    case package_command::unpin: return run_plugin_pin(o);
    case package_command::verify: return run_plugin_verify(o);
    case package_command::sync: return run_plugin_sync(o);
    case package_command::trust: return run_plugin_trust(o);
    case package_command::repo_index: return run_repo_index(o);
    case package_command::repo_keygen: return run_repo_keygen(o);
    case package_command::check: return run_plugin_check(o);
    case package_command::create: return run_plugin_new(o);
  }
  return exit_usage;
}

}  // namespace dbridge::cli
