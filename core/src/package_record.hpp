// SPDX-License-Identifier: Apache-2.0
// package.toml: what `dbridge plugin install` keeps beside an installed
// plugin's manifest (where it came from, the sha256 of every file). Bundled
// plugins (CMake install, build tree) have none.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace dbridge::detail {

struct package_record {
  bool found = false;                 ///< the folder holds a package.toml
  std::string installed_from;         ///< [installed] from, "" when absent
  /// [files]: path relative to the folder, sha256 hex; sorted by path.
  std::vector<std::pair<std::string, std::string>> files;
  std::string problem;                ///< unreadable or malformed (names the file)
};

inline constexpr const char* package_file_name = "package.toml";

/// Reads <folder>/package.toml (never throws).
package_record read_package_record(const std::filesystem::path& folder) noexcept;

}  // namespace dbridge::detail
