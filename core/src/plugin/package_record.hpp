// SPDX-License-Identifier: Apache-2.0
// package.toml: what `dbridge plugin install` keeps beside an installed
// plugin's manifest (where it came from, the sha256 of every file), and what
// a package archive says about itself. Bundled plugins (CMake install, build
// tree) have none. The one reader of the file: the core reads it to verify
// and list installed plugins, the package tool (cli/src/package) checks what
// it needs on top.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbridge::inline v1::detail {

/// What package.toml says, read leniently: a key that is absent or of
/// another type is empty, and only what makes the file unreadable (TOML
/// errors, a [files] that is not a table of strings) is a problem.
struct package_record {
  bool found = false;                 ///< the folder holds a package.toml
  std::string problem;                ///< unreadable or malformed (names the file), "" when fine
  std::size_t problem_line = 0;       ///< 1-based line of a TOML problem, 0 for others
  std::string problem_what;           ///< the problem without the file name and position

  std::optional<std::int64_t> package_version;
  /// [package]
  std::optional<std::string> id, version, platform, summary;
  std::optional<std::int64_t> abi_major, abi_min_minor, unpacked_size;
  /// [[needs]]: a soname is empty when the entry has none (or is not a table).
  struct need {
    std::optional<std::string> soname;
    std::string debian;
  };
  std::vector<need> needs;
  /// [files]: path relative to the folder, sha256 hex; sorted by path.
  std::vector<std::pair<std::string, std::string>> files;
  /// [installed], written by the installer.
  struct installed {
    std::string from, archive_sha256;
    std::string at;  ///< RFC 3339, as written
  };
  std::optional<installed> installed_table;
  std::string installed_from;         ///< [installed] from, "" when absent
};

inline constexpr const char* package_file_name = "package.toml";

/// Reads package.toml text; `where` names it in problem (never throws).
package_record parse_package_record(std::string_view text, const std::string& where) noexcept;
/// Reads <folder>/package.toml (never throws).
package_record read_package_record(const std::filesystem::path& folder) noexcept;

}  // namespace dbridge::detail
