// SPDX-License-Identifier: Apache-2.0
// Lists in messages: "a, b, c".
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <string_view>
#include <vector>

namespace dbridge::inline v1::detail {

inline std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  return fmt::to_string(fmt::join(v, sep));
}

}  // namespace dbridge::detail
