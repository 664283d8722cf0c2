// SPDX-License-Identifier: Apache-2.0
// Where plugins are looked for (docs/architecture.md, Discovery and manifests): the environment, the
// user configuration (user_config.hpp), the user and system scopes and the build tree.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "dbridge/plugin_catalog.hpp"
#include "user_config.hpp"

namespace dbridge::inline v1::detail {

struct search_setup {
  std::vector<search_dir> dirs;           ///< in search order, duplicates removed
  user_config config;
  std::vector<plugin_problem> problems;   ///< ignored entries, config errors
};

/// Computes the search path from the environment now (secure_getenv: a setuid
/// program sees none of the variables).
search_setup compute_search_setup();

/// The folder this libdbridge.so lives in (dladdr), empty when unknown.
std::filesystem::path core_library_dir();
/// <that folder>/dbridge/plugins: the "system" scope of a relocatable prefix.
std::filesystem::path system_plugin_dir();
/// True when this libdbridge is the one in the build tree (DBRIDGE_BUILD_DIR).
bool core_runs_from_build_tree();

/// The manifests of one search folder: plugin.toml in each immediate
/// subfolder (sorted by name), then plugin.toml in the folder itself.
std::vector<std::filesystem::path> manifests_in(const std::filesystem::path& dir);

}  // namespace dbridge::detail
