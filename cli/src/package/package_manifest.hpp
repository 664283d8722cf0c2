// SPDX-License-Identifier: Apache-2.0
// package.toml (read once, by core/src/plugin/package_record.hpp): what an installer needs beside the plugin
// folder itself: platform, ABI range, needed system libraries, sha256 of every
// file and, once installed, where it came from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/package_record.hpp"

namespace dbridge::package {

struct needed_library {
  std::string soname;  ///< e.g. libpq.so.5
  std::string debian;  ///< package providing it, a hint ("" when unknown)
};

struct installed_from {
  std::string from;            ///< repository URL, folder or archive path
  std::string archive_sha256;  ///< of the .dbrpkg
  std::string at;              ///< RFC 3339 UTC time
};

struct package_info {
  std::string id, version, platform, summary;
  std::int64_t abi_major = 0, abi_min_minor = 0;
  std::uint64_t unpacked_size = 0;  ///< sum of the sizes of every file, package.toml excluded
  std::vector<needed_library> needs;
  std::map<std::string, std::string> files;  ///< name -> sha256 hex
  std::optional<installed_from> installed;
};

inline constexpr std::int64_t package_format_version = 1;
/// The name package.toml has inside an archive and an installed folder.
inline constexpr std::string_view package_file_name = detail::package_file_name;

/// The platform this CLI was built for, e.g. "x86_64-linux-gnu".
std::string host_platform();
/// dbridge-<id>-<version>-<platform>.dbrpkg
std::string archive_file_name(const package_info& p);

/// Parses package.toml text (`where` names it in errors). Throws package_error
/// (bad_manifest) naming the key that is wrong.
package_info parse_package_toml(std::string_view text, const std::string& where);
package_info read_package_toml(const std::filesystem::path& path);
/// The TOML text of p (with [installed] when set).
std::string format_package_toml(const package_info& p);

/// Why this core (its ABI) cannot use p, or nullopt.
std::optional<std::string> abi_problem(std::int64_t abi_major, std::int64_t abi_min_minor);

/// True for ids of the form [a-z0-9][a-z0-9-]* (they become folder names).
bool valid_id(std::string_view id);

}  // namespace dbridge::package
