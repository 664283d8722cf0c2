// SPDX-License-Identifier: Apache-2.0
// Fuzz target: plugin.toml validation (core/src/plugin/manifest.cpp), including the
// text check that keeps toml++ away from input it mishandles.
#include <cstdint>
#include <string_view>

#include "plugin/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)dbridge::detail::check_toml_text(text);
  const auto result = dbridge::detail::parse_manifest(text, "/fuzz/package/plugin.toml");
  (void)result;
  return 0;
}
