// SPDX-License-Identifier: Apache-2.0
// Semantic versions (https://semver.org): the version arithmetic the
// catalog and the package tools need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge::inline v1::detail {

/// A semantic version (https://semver.org), build metadata dropped.
struct semver {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre;  ///< pre-release identifiers
};
/// Strict MAJOR.MINOR.PATCH[-pre][+build]; nullopt when malformed.
std::optional<semver> parse_semver(std::string_view text);
/// <0, 0, >0 by semver precedence.
int compare(const semver& a, const semver& b) noexcept;
/// Compares two version strings; malformed ones sort before valid ones.
int compare_versions(std::string_view a, std::string_view b);

/// Checks `version` against a range such as ">=1.0, <2" (comma-separated
/// comparators >=, >, <=, <, =, ==, ^, ~; missing parts read as 0). Returns
/// nullopt when the range cannot be parsed (error filled), else whether it holds.
std::optional<bool> version_satisfies(std::string_view version, std::string_view range, std::string* error);

}  // namespace dbridge::detail
