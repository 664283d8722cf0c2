// SPDX-License-Identifier: Apache-2.0
// Installing by id from repositories, and reproducible sets: a list file
// (dbridge-plugins.toml) and its lock file (dbridge-plugins.lock).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "installer.hpp"
#include "repository.hpp"

namespace dbridge::package {

struct repo_install {
  install_result result;
  std::string repository;      ///< where it came from
  std::string archive_sha256;  ///< of the package installed
};

/// Resolves id@spec in the repositories, fetches, checks and installs it.
/// `exact_sha256` (from a lock file) must then match the archive.
repo_install install_from_repositories(const std::vector<repository>& repos, const std::string& id,
                                       const std::string& spec, install_request request,
                                       const std::string& exact_sha256 = {});

struct sync_options {
  std::filesystem::path list;              ///< dbridge-plugins.toml
  scope_kind scope = scope_kind::user;
  bool allow_unsigned = false;
  std::vector<std::string> repositories;   ///< --repo, used when an entry names none
};

/// Installs exactly what the list names, honouring dbridge-plugins.lock beside
/// it (written on the first run, rewritten only when the list changes).
std::vector<repo_install> sync_from_list(const sync_options& o);

}  // namespace dbridge::package
