// SPDX-License-Identifier: Apache-2.0
#include "package_error.hpp"

namespace dbridge::package {

const char* to_string(package_errc kind) noexcept {
  switch (kind) {
    case package_errc::unsafe_path: return "unsafe path";
    case package_errc::link_entry: return "link entry";
    case package_errc::special_file: return "special file";
    case package_errc::too_large: return "too large";
    case package_errc::unlisted_file: return "unlisted file";
    case package_errc::missing_file: return "missing file";
    case package_errc::checksum_mismatch: return "checksum mismatch";
    case package_errc::identity_mismatch: return "identity mismatch";
    case package_errc::wrong_platform: return "wrong platform";
    case package_errc::abi_incompatible: return "abi incompatible";
    case package_errc::missing_library: return "missing library";
    case package_errc::bad_manifest: return "bad manifest";
    case package_errc::bad_signature: return "bad signature";
    case package_errc::not_found: return "not found";
    case package_errc::already_installed: return "already installed";
    case package_errc::io: return "io";
  }
  return "unknown";
}

}  // namespace dbridge::package
