// SPDX-License-Identifier: Apache-2.0
#include "search_path.hpp"

#include <dlfcn.h>
#include <stdlib.h>

#include <algorithm>
#include <iterator>
#include <set>

namespace dbridge::inline v1::detail {

namespace fs = std::filesystem;

#ifndef DBRIDGE_PLUGIN_DIR_FROM_LIBDIR
#define DBRIDGE_PLUGIN_DIR_FROM_LIBDIR "dbridge/plugins"
#endif
#ifndef DBRIDGE_BUILD_PLUGIN_DIR
#define DBRIDGE_BUILD_PLUGIN_DIR ""
#endif
#ifndef DBRIDGE_BUILD_DIR
#define DBRIDGE_BUILD_DIR ""
#endif

namespace {

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

}  // namespace

fs::path core_library_dir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&core_library_dir), &info) == 0 || info.dli_fname == nullptr) return {};
  // Resolves the soname symlink and a bin/../lib RPATH to the real folder.
  std::error_code ec;
  fs::path self = fs::weakly_canonical(fs::path(info.dli_fname), ec);
  if (ec || !self.is_absolute()) return {};
  return self.parent_path();
}

fs::path system_plugin_dir() {
  fs::path lib = core_library_dir();
  return lib.empty() ? fs::path() : lib / DBRIDGE_PLUGIN_DIR_FROM_LIBDIR;
}

bool core_runs_from_build_tree() {
  std::string build = DBRIDGE_BUILD_DIR;
  if (build.empty()) return false;
  fs::path self = core_library_dir();
  if (self.empty()) return false;
  std::error_code ec;
  fs::path root = fs::weakly_canonical(fs::path(build), ec);
  if (ec) return false;
  auto [r, s] = std::mismatch(root.begin(), root.end(), self.begin(), self.end());
  return r == root.end();
}

search_setup compute_search_setup() {
  search_setup setup;
  std::set<fs::path> seen;
  auto add = [&](const fs::path& p, const char* origin, const char* scope) {
    fs::path norm = p.lexically_normal();
    if (norm.has_filename() == false && norm.has_parent_path()) norm = norm.parent_path();
    std::error_code ec;
    fs::path key = fs::weakly_canonical(norm, ec);
    if (ec) key = norm;
    if (!seen.insert(key).second) return;
    setup.dirs.push_back(search_dir{norm, origin, is_dir(norm), scope});
  };

  std::string list = secure_env("DBRIDGE_PLUGIN_PATH");
  std::size_t i = 0;
  while (!list.empty() && i <= list.size()) {
    std::size_t e = list.find(':', i);
    if (e == std::string::npos) e = list.size();
    std::string item = list.substr(i, e - i);
    if (!item.empty()) {
      if (item[0] != '/') {
        setup.problems.push_back(plugin_problem{
            fs::path(item),
            "DBRIDGE_PLUGIN_PATH entry '" + item + "' is not an absolute path and is ignored",
            "use absolute folders in DBRIDGE_PLUGIN_PATH; plugins are never searched relative to the current "
            "directory"});
      } else {
        add(fs::path(item), "DBRIDGE_PLUGIN_PATH", "env");
      }
    }
    i = e + 1;
  }

  fs::path config_home = xdg_dir("XDG_CONFIG_HOME", ".config");
  if (!config_home.empty()) {
    setup.config = read_user_config(config_home / "dbridge" / "dbridge.toml", setup.problems);
    for (const auto& p : setup.config.plugin_path) add(p, "config", "config");
  }
  if (fs::path user = user_plugin_dir(); !user.empty()) add(user, "XDG_DATA_HOME", "user");
  // The prefix this libdbridge.so was installed to, wherever that folder has
  // been moved since (never the configure-time prefix).
  if (fs::path system = system_plugin_dir(); !system.empty()) add(system, "install prefix", "system");
  if (std::string build_plugins = DBRIDGE_BUILD_PLUGIN_DIR; !build_plugins.empty() && core_runs_from_build_tree()) {
    add(fs::path(build_plugins), "build tree", "build");
  }
  return setup;
}

std::vector<fs::path> manifests_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  std::vector<fs::path> subdirs;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (it->is_directory(e2)) subdirs.push_back(it->path());
  }
  // readdir order is arbitrary; sort so discovery is reproducible.
  std::sort(subdirs.begin(), subdirs.end());
  for (const auto& sub : subdirs) {
    fs::path m = sub / "plugin.toml";
    std::error_code e3;
    if (fs::is_regular_file(m, e3)) out.push_back(m);
  }
  fs::path direct = dir / "plugin.toml";
  if (fs::is_regular_file(direct, ec)) out.push_back(direct);
  return out;
}

}  // namespace dbridge::detail
