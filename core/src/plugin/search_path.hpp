// SPDX-License-Identifier: Apache-2.0
// Where plugins are looked for (docs/architecture.md, Discovery and manifests) and the user configuration that
// adds folders, pins versions and settles scheme conflicts.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dbridge/plugin_catalog.hpp"

// DBRIDGE_API here exports internals the first-party CLI and unit tests use;
// they are not API and carry no compatibility promise.
#include "dbridge/export.hpp"

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

struct search_setup {
  std::vector<search_dir> dirs;           ///< in search order, duplicates removed
  user_config config;
  std::vector<plugin_problem> problems;   ///< ignored entries, config errors
};

/// Computes the search path from the environment now (secure_getenv: a setuid
/// program sees none of the variables).
DBRIDGE_API search_setup compute_search_setup();

/// Reads a dbridge.toml (tests call it directly). Problems are appended.
DBRIDGE_API user_config read_user_config(const std::filesystem::path& path, std::vector<plugin_problem>& problems);

/// The folder this libdbridge.so lives in (dladdr), empty when unknown.
DBRIDGE_API std::filesystem::path core_library_dir();
/// <that folder>/dbridge/plugins: the "system" scope of a relocatable prefix.
DBRIDGE_API std::filesystem::path system_plugin_dir();
/// $XDG_DATA_HOME/dbridge/plugins (or ~/.local/share/dbridge/plugins): the
/// "user" scope; empty when neither variable is an absolute path.
DBRIDGE_API std::filesystem::path user_plugin_dir();

/// True when this libdbridge is the one in the build tree (DBRIDGE_BUILD_DIR).
DBRIDGE_API bool core_runs_from_build_tree();

/// The manifests of one search folder: plugin.toml in each immediate
/// subfolder (sorted by name), then plugin.toml in the folder itself.
std::vector<std::filesystem::path> manifests_in(const std::filesystem::path& dir);

}  // namespace dbridge::detail
