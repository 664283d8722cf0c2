// SPDX-License-Identifier: Apache-2.0
// The .dbrpkg archive (libarchive, tar + gzip): packing a plugin folder and
// extracting one, where the archive is hostile input.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "package_manifest.hpp"

namespace dbridge::package {

/// Packs the plugin folder `dir` (plugin.toml, its library, README*/LICENSE*)
/// into `outdir`/dbridge-<id>-<version>-<platform>.dbrpkg and returns its
/// path. Throws package_error.
std::filesystem::path pack_plugin(const std::filesystem::path& dir, const std::filesystem::path& outdir);

/// What the installer expects of an archive (from an index entry or a lock file).
struct expected_identity {
  std::string id, version;  ///< empty: anything
};

struct extracted_package {
  package_info info;
  std::vector<std::string> missing_libraries;  ///< DT_NEEDED sonames not found on this machine
};

/// Extracts `archive` into the existing empty folder `target`. Refuses (throws
/// package_error naming the entry) anything but plain files listed in
/// package.toml [files] with their sha256, more bytes than declared, a
/// package for another platform or ABI, and an identity other than
/// `expected`. Never writes outside `target`; on an error what was written
/// stays there for the caller to remove.
extracted_package extract_package(const std::filesystem::path& archive, const std::filesystem::path& target,
                                  const expected_identity& expected = {});

/// Reads only package.toml of an archive (no extraction, for `repo index`).
package_info peek_package(const std::filesystem::path& archive);

/// Lowercase sha256 hex of a file.
std::string file_sha256(const std::filesystem::path& path);

/// DT_NEEDED sonames of the library in `folder` that this machine cannot
/// resolve (the core's ELF reader). Throws package_error(wrong_platform) when
/// the file is not a shared object for this machine.
std::vector<std::string> unresolved_libraries(const std::filesystem::path& library);

}  // namespace dbridge::package
