// SPDX-License-Identifier: Apache-2.0
#include "search_path.hpp"

#include <dlfcn.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <toml++/toml.h>

#include "manifest.hpp"

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

// secure_getenv: NULL in setuid/setgid programs, so a user cannot point a
// privileged program at plugins of their choosing.
std::string env(const char* name) {
  const char* v = ::secure_getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

fs::path home_dir() {
  std::string h = env("HOME");
  if (h.empty() || h[0] != '/') return {};
  return fs::path(h);
}

fs::path xdg_dir(const char* var, const char* fallback_under_home) {
  std::string v = env(var);
  // The XDG spec says relative values are invalid and must be ignored.
  if (!v.empty() && v[0] == '/') return fs::path(v);
  fs::path home = home_dir();
  if (home.empty()) return {};
  return home / fallback_under_home;
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

}  // namespace

user_config read_user_config(const fs::path& path, std::vector<plugin_problem>& problems) {
  user_config cfg;
  cfg.path = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) return cfg;
  cfg.found = true;
  auto problem = [&](const toml::node* at, std::string what, std::string fix) {
    std::string msg = path.string();
    if (at != nullptr && at->source().begin.line > 0) {
      msg += ":" + std::to_string(at->source().begin.line) + ":" + std::to_string(at->source().begin.column);
    }
    problems.push_back(plugin_problem{path, msg + ": " + what, std::move(fix)});
  };
  toml::table doc;
  try {
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) throw std::runtime_error("cannot read the file");
    if (auto bad = check_toml_text(text)) {
      problems.push_back(plugin_problem{
          path, path.string() + ":" + std::to_string(bad->line) + ":" + std::to_string(bad->column) + ": " + bad->what,
          "save the dbridge configuration as UTF-8 text without NUL bytes; quote keys that are not plain ASCII"});
      return cfg;
    }
    doc = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    problems.push_back(plugin_problem{
        path,
        path.string() + ":" + std::to_string(e.source().begin.line) + ":" + std::to_string(e.source().begin.column) +
            ": TOML syntax error: " + std::string(e.description()),
        "fix the TOML syntax of the dbridge configuration"});
    return cfg;
  } catch (const std::exception& e) {
    problems.push_back(plugin_problem{path, path.string() + ": cannot read: " + e.what(), "check the file"});
    return cfg;
  }
  if (const toml::node* pp = doc.get("plugin_path")) {
    if (!pp->is_array()) {
      problem(pp, "plugin_path must be an array of folder names", "write plugin_path = [\"/opt/dbridge/plugins\"]");
    } else {
      for (const toml::node& el : *pp->as_array()) {
        if (!el.is_string()) {
          problem(&el, "plugin_path entries must be strings", "write plugin_path = [\"/opt/dbridge/plugins\"]");
          continue;
        }
        std::string s(el.as_string()->get());
        if (s.rfind("~/", 0) == 0 && !home_dir().empty()) s = (home_dir() / s.substr(2)).string();
        if (s.empty() || s[0] != '/') {
          problem(&el, "plugin_path entry '" + s + "' is not an absolute path and is ignored",
                  "use absolute folders (or ~/...); plugins are never searched relative to the current directory");
          continue;
        }
        cfg.plugin_path.emplace_back(s);
      }
    }
  }
  auto string_table = [&](const char* key, std::map<std::string, std::string>& out, const char* fix) {
    const toml::node* n = doc.get(key);
    if (n == nullptr) return;
    if (!n->is_table()) {
      problem(n, std::string("[") + key + "] must be a table", fix);
      return;
    }
    for (const auto& [k, v] : *n->as_table()) {
      if (!v.is_string()) {
        problem(&v, std::string("[") + key + "] " + std::string(k.str()) + " must be a string", fix);
        continue;
      }
      out[std::string(k.str())] = std::string(v.as_string()->get());
    }
  };
  if (const toml::node* sec = doc.get("security")) {
    const char* fix = "write e.g. [security] allow_writable_plugins = true";
    if (!sec->is_table()) {
      problem(sec, "[security] must be a table", fix);
    } else {
      for (const auto& [k, v] : *sec->as_table()) {
        if (k.str() != "allow_writable_plugins") {
          problem(&v, "unknown setting [security] " + std::string(k.str()), fix);
        } else if (!v.is_boolean()) {
          problem(&v, "[security] allow_writable_plugins must be true or false", fix);
        } else {
          cfg.allow_writable_plugins = v.as_boolean()->get();
        }
      }
    }
  }
  string_table("pins", cfg.pins, "write e.g. [pins] postgres = \"1.2.0\"");
  string_table("schemes", cfg.schemes, "write e.g. [schemes] postgres = \"postgres\" (scheme = plugin id)");
  return cfg;
}

fs::path core_library_dir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&core_library_dir), &info) == 0 || info.dli_fname == nullptr) return {};
  // Resolves the soname symlink and a bin/../lib RPATH to the real folder.
  std::error_code ec;
  fs::path self = fs::weakly_canonical(fs::path(info.dli_fname), ec);
  if (ec || !self.is_absolute()) return {};
  return self.parent_path();
}

fs::path user_plugin_dir() {
  fs::path data_home = xdg_dir("XDG_DATA_HOME", ".local/share");
  return data_home.empty() ? data_home : data_home / "dbridge" / "plugins";
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

  std::string list = env("DBRIDGE_PLUGIN_PATH");
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
