// SPDX-License-Identifier: Apache-2.0
// plugin.toml: reading and validating a manifest (DESIGN §4) without loading
// anything, plus the version arithmetic the catalog needs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/plugin_catalog.hpp"

// DBRIDGE_API here exports internals the first-party CLI and unit tests use;
// they are not API and carry no compatibility promise.
#include "dbridge/export.hpp"

namespace dbridge::detail {

/// The highest manifest_version this core understands.
inline constexpr std::int64_t manifest_version_supported = 1;

/// The core's own version (DBRIDGE_VERSION), e.g. "1.0.0".
std::string_view core_version() noexcept;

/// A semantic version (https://semver.org), build metadata dropped.
struct semver {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre;  ///< pre-release identifiers
};
/// Strict MAJOR.MINOR.PATCH[-pre][+build]; nullopt when malformed.
DBRIDGE_API std::optional<semver> parse_semver(std::string_view text);
/// <0, 0, >0 by semver precedence.
DBRIDGE_API int compare(const semver& a, const semver& b) noexcept;
/// Compares two version strings; malformed ones sort before valid ones.
DBRIDGE_API int compare_versions(std::string_view a, std::string_view b);

/// Checks `version` against a range such as ">=1.0, <2" (comma-separated
/// comparators >=, >, <=, <, =, ==, ^, ~; missing parts read as 0). Returns
/// nullopt when the range cannot be parsed (error filled), else whether it holds.
DBRIDGE_API std::optional<bool> version_satisfies(std::string_view version, std::string_view range, std::string* error);

struct manifest_result {
  std::optional<plugin_info> info;      ///< set when the manifest is valid
  std::vector<plugin_problem> problems; ///< one entry per error found
};

/// Where TOML text is unsafe to hand to toml++ and why: a NUL byte, invalid
/// UTF-8 (overlong forms, surrogates, code points above U+10FFFF, stray
/// bytes), or a non-ASCII character outside strings and comments (TOML 1.0
/// keys and values are ASCII there; toml++ 3.3.0, as Debian 12 ships it,
/// reaches undefined behaviour on some, e.g. "a\xef\xbb\xa8=1").
struct toml_text_problem {
  std::size_t line = 0, column = 0;  ///< 1-based; column in characters
  std::string what;
};
DBRIDGE_API std::optional<toml_text_problem> check_toml_text(std::string_view text) noexcept;

/// Reads and validates the manifest at `path` (never throws).
DBRIDGE_API manifest_result read_manifest(const std::filesystem::path& path) noexcept;
/// Validates manifest text as if it were at `path` (never throws).
manifest_result parse_manifest(std::string_view text, const std::filesystem::path& path) noexcept;

/// Why this core cannot use the plugin (ABI major, min_minor, requires.dbridge),
/// or nullopt when it can. Never loads anything.
DBRIDGE_API std::optional<plugin_problem> compatibility_problem(const plugin_info& info);

/// Capability names <-> DBR_CAP_* bits.
DBRIDGE_API std::uint64_t capability_bits(const std::vector<std::string>& names);
DBRIDGE_API std::vector<std::string> capability_names(std::uint64_t bits);
DBRIDGE_API const std::vector<std::string>& known_capabilities();

/// DBR_KIND_* / DBR_THREADING_* <-> manifest words (0 / "" when unknown).
DBRIDGE_API std::uint32_t kind_code(std::string_view kind) noexcept;
std::string kind_name(std::uint32_t code);
DBRIDGE_API std::uint32_t threading_code(std::string_view threading) noexcept;
DBRIDGE_API std::string threading_name(std::uint32_t code);

}  // namespace dbridge::detail
