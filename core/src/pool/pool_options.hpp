// SPDX-License-Identifier: Apache-2.0
// Resolving pool settings (see pool.hpp for the order of precedence).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pool_impl.hpp"

namespace dbridge::inline v1::detail {

struct resolved_pool {
  std::string name;
  pool_config primary;
  std::vector<pool_config> replicas;
  replica_choice choice = replica_choice::round_robin;
};

/// Throws invalid_argument_error naming the setting, where it came from and
/// what to do.
resolved_pool resolve_pool(std::string_view url, const pool_options& o);

/// The URL without its pool_* query parameters (appended to `out`, decoded).
std::string strip_pool_params(std::string_view url, std::vector<std::pair<std::string, std::string>>& out);
std::int64_t parse_duration(std::string_view text, const std::string& what, const std::string& source);
std::uint32_t parse_count(std::string_view text, const std::string& what, const std::string& source);
bool parse_bool(std::string_view text, const std::string& what, const std::string& source);

}  // namespace dbridge::detail
