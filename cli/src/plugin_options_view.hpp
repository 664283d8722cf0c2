// SPDX-License-Identifier: Apache-2.0
// The URL options a plugin declares in its manifest, as `which --options` and
// `plugins --options` print them.
#pragma once

#include <string>

#include "dbridge/plugin_catalog.hpp"
#include "output.hpp"

namespace dbridge::cli {

ojson options_json(const plugin_info& p);
std::string options_text(const plugin_info& p);

}  // namespace dbridge::cli
