// SPDX-License-Identifier: Apache-2.0
// The one error type of packages, repositories and installs: what went wrong
// (a kind the tests and callers can test), the entry or file concerned, and a
// fix the user can act on.
#pragma once

#include <stdexcept>
#include <string>

#include "dbridge/url.hpp"

namespace dbridge::package {

enum class package_errc {
  unsafe_path,        ///< absolute path, `..`, or a subfolder in an archive entry
  link_entry,         ///< symlink or hard link in an archive
  special_file,       ///< device, fifo, socket or folder entry
  too_large,          ///< more bytes than declared (decompression bomb) or than the index says
  unlisted_file,      ///< an archive file that package.toml [files] does not name
  missing_file,       ///< a file [files] names that the archive or folder lacks
  checksum_mismatch,  ///< sha256 of a file or archive differs from the declared one
  identity_mismatch,  ///< id/version of plugin.toml, package.toml and the index entry disagree
  wrong_platform,     ///< built for another platform or CPU
  abi_incompatible,   ///< ABI range this core cannot serve
  missing_library,    ///< a needed shared library is not on this machine
  bad_manifest,       ///< package.toml, plugin.toml, index.toml or a list file is malformed
  bad_signature,      ///< index signature missing, invalid or from an untrusted key
  not_found,          ///< no such package, version, repository or file
  already_installed,  ///< refused downgrade, or the installed copy of this version came from another archive
  io,                 ///< the file system or network failed
};

/// Short lowercase name of a kind, e.g. "unsafe path" (for messages and tests).
const char* to_string(package_errc kind) noexcept;

class package_error : public std::runtime_error {
 public:
  // Messages name repository URLs, which may carry user:password@: redacted
  // here, once, so no package error can print a password.
  package_error(package_errc kind, std::string message, std::string fix = {})
      : std::runtime_error(redact_url(message)), kind_(kind), fix_(redact_url(fix)) {}
  package_errc kind() const noexcept { return kind_; }
  const std::string& fix() const noexcept { return fix_; }

 private:
  package_errc kind_;
  std::string fix_;
};

}  // namespace dbridge::package
