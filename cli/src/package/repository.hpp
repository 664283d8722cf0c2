// SPDX-License-Identifier: Apache-2.0
// Repositories: a folder, file:// or http(s):// URL holding .dbrpkg files and
// index.toml, signed with Ed25519 (index.toml.sig). Keys, signing, fetching
// (libcurl) and resolving ID[@SPEC] to one index entry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace dbridge::package {

struct index_entry {
  std::string id, version, platform, file, sha256, summary;
  std::int64_t abi_major = 0, abi_min_minor = 0;
  std::uint64_t size = 0;
};

struct repository {
  std::string location;  ///< as the user wrote it (folder, file:// or http(s):// URL)
  std::string base;      ///< absolute folder, or URL without a trailing '/'
  bool remote = false;   ///< http(s)
  std::vector<index_entry> entries;
  std::string signed_by;  ///< the trusted key file that verified the index ("" when unsigned and allowed)
};

/// Builds index.toml from every *.dbrpkg in dir and signs it with the Ed25519
/// private key file (index.toml.sig). Returns the number of packages.
std::size_t write_repository_index(const std::filesystem::path& dir, const std::filesystem::path& private_key);

/// Writes an Ed25519 key pair: `out` (private, PEM, mode 0600) and `out`.pub.
void generate_key_pair(const std::filesystem::path& out);

/// $XDG_CONFIG_HOME/dbridge/trusted-keys (or ~/.config/dbridge/trusted-keys).
std::filesystem::path trusted_keys_dir();
/// Copies a public key file into trusted_keys_dir(); returns where.
std::filesystem::path trust_key(const std::filesystem::path& public_key);

/// Fetches and checks index.toml (+ .sig against every trusted key); throws
/// package_error(bad_signature) unless signed by a trusted key or allow_unsigned.
repository open_repository(const std::string& location, bool allow_unsigned);

/// The package file of an entry, checked for size and sha256: the file itself
/// for a folder, else downloaded into `scratch`.
std::filesystem::path fetch_package(const repository& repo, const index_entry& entry,
                                    const std::filesystem::path& scratch);

/// The highest version of `id` for this platform and ABI that satisfies `spec`
/// (e.g. "^1.2", "1.0.0"; "" = any). Throws package_error(not_found) saying
/// why each candidate was passed over.
std::pair<const repository*, const index_entry*> resolve(const std::vector<repository>& repos,
                                                         const std::string& id, const std::string& spec);

/// [[repository]] url = ... of the user dbridge.toml.
std::vector<std::string> configured_repositories();
/// $XDG_CONFIG_HOME/dbridge/dbridge.toml
std::filesystem::path user_config_path();

/// Sets (or, with version "", removes) `id = "version"` in the [pins] table of
/// the user dbridge.toml, keeping every other line of the file as it was.
void write_pin(const std::string& id, const std::string& version);
/// [pins] of the user dbridge.toml.
std::map<std::string, std::string> read_pins();

}  // namespace dbridge::package
