// SPDX-License-Identifier: Apache-2.0
// The capability names of the ABI's DBR_CAP_* bits.
#include "capability.hpp"

#include <dbridge/abi.h>

namespace dbridge::detail {

const char* capability_name(std::uint64_t cap) {
  switch (cap) {
    case DBR_CAP_SQL: return "sql";
    case DBR_CAP_TRANSACTIONS: return "transactions";
    case DBR_CAP_COMMAND: return "command";
    case DBR_CAP_NOTIFY: return "notify";
    case DBR_CAP_BULK: return "bulk";
    case DBR_CAP_BATCH: return "batch";
    case DBR_CAP_INTROSPECT: return "introspect";
    case DBR_CAP_FUNCTIONS: return "functions";
    case DBR_CAP_CANCEL: return "cancel";
    default: return nullptr;
  }
}

std::uint64_t capability_bit(std::string_view name) {
  for (std::uint64_t bit = 1; bit <= DBR_CAP_CANCEL; bit <<= 1)
    if (const char* n = capability_name(bit); n != nullptr && name == n) return bit;
  return 0;
}

}  // namespace dbridge::detail
