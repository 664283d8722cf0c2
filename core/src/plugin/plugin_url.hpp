// SPDX-License-Identifier: Apache-2.0
// A parsed URL as the plugin ABI's dbr_url: C views of the url's strings.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <vector>

#include "dbridge/url.hpp"

namespace dbridge::inline v1::detail {

/// Borrows from the url it was made from, which must outlive it; its
/// pointers point into itself, so it neither copies nor moves.
class plugin_url {
 public:
  explicit plugin_url(const url& u);
  plugin_url(const plugin_url&) = delete;
  plugin_url& operator=(const plugin_url&) = delete;
  const dbr_url* get() const noexcept { return &du_; }

 private:
  std::vector<dbr_param> options_;
  std::vector<const char*> hosts_;
  std::vector<std::uint32_t> ports_;
  dbr_url du_;
};

}  // namespace dbridge::detail
