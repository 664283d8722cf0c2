// SPDX-License-Identifier: Apache-2.0
// `dbridge version`.
#include <fmt/format.h>

#include <dbridge/abi.h>

#include "commands.hpp"

namespace dbridge::cli {

int run_version(const version_options& o) {
  if (o.format == output_format::json)
    out(json_text({{"dbridge", DBRIDGE_VERSION}, {"abi", {{"major", DBR_ABI_MAJOR}, {"minor", DBR_ABI_MINOR}}}}) +
        "\n");
  else
    out(fmt::format("dbridge {}\nplugin ABI {}.{}\n", DBRIDGE_VERSION, DBR_ABI_MAJOR, DBR_ABI_MINOR));
  return exit_ok;
}

}  // namespace dbridge::cli
