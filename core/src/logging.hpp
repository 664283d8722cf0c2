// SPDX-License-Identifier: Apache-2.0
// Where the core and plugins log. Quiet unless DBRIDGE_LOG names a level.
#pragma once

#include <cstdint>
#include <string_view>

namespace dbridge::inline v1::detail {

/// level: DBR_LOG_ERROR..DBR_LOG_DEBUG. Messages must already be redacted.
void log_line(uint32_t level, std::string_view source, std::string_view message) noexcept;

}  // namespace dbridge::detail
