// SPDX-License-Identifier: Apache-2.0
// plugin.toml: reading and validating a manifest (docs/architecture.md, Discovery and manifests) without loading
// anything (the version arithmetic is semver.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/plugin_catalog.hpp"
#include "capability.hpp"
#include "semver.hpp"

namespace dbridge::inline v1::detail {

/// The highest manifest_version this core understands.
inline constexpr std::int64_t manifest_version_supported = 1;

/// The core's own version (DBRIDGE_VERSION), e.g. "1.0.0".
std::string_view core_version() noexcept;

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
std::optional<toml_text_problem> check_toml_text(std::string_view text) noexcept;

/// Reads and validates the manifest at `path` (never throws).
manifest_result read_manifest(const std::filesystem::path& path) noexcept;
/// Validates manifest text as if it were at `path` (never throws).
manifest_result parse_manifest(std::string_view text, const std::filesystem::path& path) noexcept;

/// Why this core cannot use the plugin (ABI major, min_minor, requires.dbridge),
/// or nullopt when it can. Never loads anything.
std::optional<plugin_problem> compatibility_problem(const plugin_info& info);

/// DBR_KIND_* / DBR_THREADING_* <-> manifest words (0 / "" when unknown).
std::uint32_t kind_code(std::string_view kind) noexcept;
std::string kind_name(std::uint32_t code);
std::uint32_t threading_code(std::string_view threading) noexcept;
std::string threading_name(std::uint32_t code);

}  // namespace dbridge::detail
