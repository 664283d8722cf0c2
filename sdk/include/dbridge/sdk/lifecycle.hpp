// SPDX-License-Identifier: Apache-2.0
// The plugin-instance slots every plugin kind shares (init, shutdown,
// get_extension), written once so drivers, pool strategies and mappers cannot
// drift apart in how they catch exceptions at the boundary.
#pragma once

#include <dbridge/abi.h>

#include <atomic>
#include <cstdint>
#include <type_traits>

#include "dbridge/sdk/boundary.hpp"
#include "dbridge/sdk/error.hpp"
#include "dbridge/sdk/value.hpp"

namespace dbridge::sdk::detail {

/// T is the author's plugin class; a constructor taking `const param_list&`
/// receives the init options.
template <class T>
struct plugin_lifecycle {
  static T& plugin(dbr_plugin* p) noexcept { return *reinterpret_cast<T*>(p); }

  static std::int32_t init(const dbr_host* h, const dbr_param* opts, std::uint32_t n, dbr_plugin** out,
                           dbr_error* err) noexcept {
    if (h != nullptr) g_host.store(h, std::memory_order_release);
    return guard(err, [&] {
      if (out == nullptr) fail(DBR_CAT_INVALID_ARGUMENT, "init: out is NULL");
      T* t;
      if constexpr (std::is_constructible_v<T, const param_list&>)
        t = new T(param_list(opts, n));
      else
        t = new T();
      *out = reinterpret_cast<dbr_plugin*>(t);
      return DBR_OK;
    });
  }
  static void shutdown(dbr_plugin* p) noexcept {
    try {
      delete &plugin(p);
    } catch (...) {
      log_current_exception("shutdown");
    }
  }
  static const void* get_extension(dbr_plugin* p, const char* name) noexcept {
    try {
      return plugin(p).get_extension(name);
    } catch (...) {
      log_current_exception("get_extension");
      return nullptr;
    }
  }
};

}  // namespace dbridge::sdk::detail
