// SPDX-License-Identifier: Apache-2.0
// Installed plugin packages: the user and system scopes, installing an archive
// atomically under a lock, removing, listing and verifying.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "package_archive.hpp"
#include "package_manifest.hpp"

namespace dbridge::package {

enum class scope_kind { user, system };

/// user: $XDG_DATA_HOME/dbridge/plugins (or ~/.local/share/dbridge/plugins);
/// system: <libdir>/dbridge/plugins next to the libdbridge this process runs.
std::filesystem::path scope_dir(scope_kind scope);
const char* scope_name(scope_kind scope);

struct install_request {
  scope_kind scope = scope_kind::user;
  bool allow_downgrade = false;
  std::string from;                    ///< for [installed] from: URL, folder or archive path
  expected_identity expected;          ///< from the index or lock file
  std::string expected_archive_sha256; ///< "" when no index or lock names one
};

struct install_result {
  std::filesystem::path folder;
  std::string id, version;
  bool already_installed = false;
  std::vector<std::string> other_versions;  ///< of the same id in the scope
};

/// Checks and installs the archive into <scope>/<id>-<version>/: unpacked into
/// <scope>/.staging/ and renamed into place under <scope>/.lock, so a killed
/// install leaves the previous state and two installs at once serialize.
install_result install_archive(const std::filesystem::path& archive, const install_request& request);

struct installed_package {
  std::filesystem::path folder;
  package_info info;
};
/// Every folder of the scope that holds a package.toml, sorted by id, version.
std::vector<installed_package> list_installed(const std::filesystem::path& scope);

/// Removes ID (every version) or ID@VERSION from the scope; returns the
/// removed folders. A process that loaded the library keeps its mapping.
std::vector<std::filesystem::path> remove_installed(scope_kind scope, const std::string& id,
                                                    const std::string& version);

/// Problems of one installed package: files whose sha256 changed, libraries
/// that no longer resolve (with the Debian package to install).
std::vector<std::string> verify_installed(const installed_package& pkg);

/// "libpq.so.5 (apt-get install libpq5)" for each missing soname.
std::string describe_missing(const std::vector<std::string>& sonames, const package_info& info);

}  // namespace dbridge::package
