// SPDX-License-Identifier: Apache-2.0
#include "user_config.hpp"

#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <toml++/toml.h>

#include "manifest.hpp"

namespace dbridge::inline v1::detail {

namespace fs = std::filesystem;

std::string secure_env(const char* name) {
  const char* v = ::secure_getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

namespace {

fs::path home_dir() {
  std::string h = secure_env("HOME");
  if (h.empty() || h[0] != '/') return {};
  return fs::path(h);
}

}  // namespace

fs::path xdg_dir(const char* var, const char* fallback_under_home) {
  std::string v = secure_env(var);
  // The XDG spec says relative values are invalid and must be ignored.
  if (!v.empty() && v[0] == '/') return fs::path(v);
  fs::path home = home_dir();
  if (home.empty()) return {};
  return home / fallback_under_home;
}

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

fs::path user_plugin_dir() {
  fs::path data_home = xdg_dir("XDG_DATA_HOME", ".local/share");
  return data_home.empty() ? data_home : data_home / "dbridge" / "plugins";
}

}  // namespace dbridge::detail
