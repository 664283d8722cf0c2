// SPDX-License-Identifier: Apache-2.0
// Capability names <-> the ABI's DBR_CAP_* bits.
#include "capability.hpp"

#include <dbridge/abi.h>

#include <array>

namespace dbridge::inline v1::detail {

namespace {
struct cap_name {
  const char* name;
  std::uint64_t bit;
};
constexpr std::array<cap_name, 9> caps = {{{"sql", DBR_CAP_SQL},
                                           {"transactions", DBR_CAP_TRANSACTIONS},
                                           {"command", DBR_CAP_COMMAND},
                                           {"notify", DBR_CAP_NOTIFY},
                                           {"bulk", DBR_CAP_BULK},
                                           {"batch", DBR_CAP_BATCH},
                                           {"introspect", DBR_CAP_INTROSPECT},
                                           {"functions", DBR_CAP_FUNCTIONS},
                                           {"cancel", DBR_CAP_CANCEL}}};
}  // namespace

const char* capability_name(std::uint64_t cap) noexcept {
  for (const auto& c : caps)
    if (c.bit == cap) return c.name;
  return nullptr;
}

std::uint64_t capability_bit(std::string_view name) noexcept {
  for (const auto& c : caps)
    if (name == c.name) return c.bit;
  return 0;
}

std::uint64_t capability_bits(const std::vector<std::string>& names) {
  std::uint64_t bits = 0;
  for (const auto& n : names) bits |= capability_bit(n);
  return bits;
}

std::vector<std::string> capability_names(std::uint64_t bits) {
  std::vector<std::string> out;
  for (const auto& c : caps)
    if (bits & c.bit) {
      out.emplace_back(c.name);
      bits &= ~c.bit;
    }
  for (int i = 0; i < 64; ++i)
    if (bits & (std::uint64_t{1} << i)) out.push_back("unknown bit " + std::to_string(i));
  return out;
}

const std::vector<std::string>& known_capabilities() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& c : caps) v.emplace_back(c.name);
    return v;
  }();
  return names;
}

}  // namespace dbridge::detail
