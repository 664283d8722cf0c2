// SPDX-License-Identifier: Apache-2.0
// The user configuration (dbridge.toml) and the user's plugin folder: read
// from the environment and files alone, with no state of the core, so the
// package tools (dbridge-package) link this part of the core themselves.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dbridge/plugin_catalog.hpp"

namespace dbridge::inline v1::detail {

/// $XDG_CONFIG_HOME/dbridge/dbridge.toml
struct user_config {
  std::filesystem::path path;                ///< where it was looked for (empty: no HOME/XDG)
  bool found = false;
  std::vector<std::filesystem::path> plugin_path;  ///< plugin_path = [...]
  std::map<std::string, std::string> pins;         ///< [pins] id = "version"
  std::map<std::string, std::string> schemes;      ///< [schemes] scheme = "id"
  /// [security] allow_writable_plugins = true: load libraries in folders
  /// every user may write to (refused otherwise).
  bool allow_writable_plugins = false;
};

/// getenv through secure_getenv: empty in setuid/setgid programs, so a user
/// cannot point a privileged program at plugins of their choosing.
std::string secure_env(const char* name);

/// $VAR when it is absolute (the XDG spec ignores relative values), else
/// $HOME/<fallback_under_home>; empty when neither is usable.
std::filesystem::path xdg_dir(const char* var, const char* fallback_under_home);

/// Reads a dbridge.toml (tests call it directly). Problems are appended.
user_config read_user_config(const std::filesystem::path& path, std::vector<plugin_problem>& problems);

/// $XDG_DATA_HOME/dbridge/plugins (or ~/.local/share/dbridge/plugins): the
/// "user" scope; empty when neither variable is an absolute path.
std::filesystem::path user_plugin_dir();

}  // namespace dbridge::detail
