// SPDX-License-Identifier: Apache-2.0
// JSON normalisation shared by the graph model and the graph store.
#pragma once

#include <string>
#include <string_view>

namespace dbridge::inline v1::detail {

/// text parsed and written again with sorted keys and no spaces; invalid
/// JSON is an invalid_argument error.
std::string normalised_json(std::string_view text);

}  // namespace dbridge::detail
