// SPDX-License-Identifier: Apache-2.0
// The capability names of the ABI's DBR_CAP_* bits.
#pragma once

#include <cstdint>
#include <string_view>

namespace dbridge::detail {

/// The name of one capability bit ("sql", "notify"...); nullptr for a bit
/// the core does not know.
const char* capability_name(std::uint64_t cap);
/// The bit of a capability name; 0 when the name is unknown.
std::uint64_t capability_bit(std::string_view name);

}  // namespace dbridge::detail
