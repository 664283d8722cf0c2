// SPDX-License-Identifier: Apache-2.0
// SHA-256 of plugin libraries and migration steps (OpenSSL libcrypto).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace dbridge::inline v1::detail {

/// Lowercase hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);

/// Lowercase hex SHA-256 of everything readable from fd, from offset 0 (pread,
/// so the caller's file offset is untouched). Throws resource_error on a read
/// error.
std::string sha256_hex_fd(int fd);

/// Same for a file by path.
std::string sha256_hex_file(const std::filesystem::path& path);

}  // namespace dbridge::detail
