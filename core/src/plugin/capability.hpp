// SPDX-License-Identifier: Apache-2.0
// Capability names <-> the ABI's DBR_CAP_* bits: the one table the
// manifests, the loader's checks and the connection's messages read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge::inline v1::detail {

/// The name of one capability bit ("sql", "notify"...); nullptr for a bit
/// the core does not know.
const char* capability_name(std::uint64_t cap) noexcept;
/// The bit of a capability name; 0 when the name is unknown.
std::uint64_t capability_bit(std::string_view name) noexcept;

/// The bits of several names (unknown names add nothing).
std::uint64_t capability_bits(const std::vector<std::string>& names);
/// The names of the set bits, in table order; a bit the core does not know
/// reads as "unknown bit N".
std::vector<std::string> capability_names(std::uint64_t bits);
/// Every name, in table order.
const std::vector<std::string>& known_capabilities();

}  // namespace dbridge::detail
