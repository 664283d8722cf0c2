// SPDX-License-Identifier: Apache-2.0
// One loaded plugin library: its negotiated ABI minor, zero-extended copies of
// its vtables and its instance. Every core object made by a plugin holds a
// shared_ptr to this record so the code it calls stays mapped (docs/architecture.md, Lifetime).
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dbridge/plugin_catalog.hpp"

namespace dbridge::inline v1::detail {

struct plugin_record {
  std::string id;
  std::string version;
  std::string kind;          ///< "driver" | "pool" | "mapper"
  uint32_t kind_code = 0;    ///< DBR_KIND_*
  uint32_t negotiated_minor = 0;
  uint32_t threading = 0;    ///< DBR_THREADING_*
  uint64_t flags = 0;        ///< DBR_PF_*
  uint64_t capabilities = 0; ///< DBR_CAP_*
  std::vector<std::string> schemes;
  std::filesystem::path manifest_path;
  std::filesystem::path library_path;
  /// The manifest's URL rules for connect() (url_rules.cpp).
  bool url_path_style = false;
  std::vector<plugin_option> options;
  bool options_declared = false;

  /// Keeps the library mapped. Type-erased so Boost stays out of headers; by
  /// default the loader also parks a reference forever (never dlclose).
  std::shared_ptr<void> library;
  /// The instance made by the vtable's init(); released by shutdown() in the
  /// destructor.
  dbr_plugin* instance = nullptr;

  // Zero-extended copies (a NULL slot = unsupported). Only the tables of the
  // record's kind are filled; a capability table the plugin left NULL stays
  // all-zero here and has_* below says so.
  dbr_driver_vtable driver{};
  dbr_conn_vtable conn{};
  dbr_sql_vtable sql{};
  dbr_txn_vtable txn{};
  dbr_command_vtable command{};
  dbr_notify_vtable notify{};
  dbr_bulk_vtable bulk{};
  dbr_batch_vtable batch{};
  dbr_introspect_vtable introspect{};
  dbr_functions_vtable functions{};
  dbr_cursor_vtable cursor{};
  dbr_pool_vtable pool{};
  dbr_mapper_vtable mapper{};

  /// Held around every call into a DBR_THREADING_GLOBAL_SERIAL plugin.
  std::mutex serial_mutex;

  bool has(uint64_t cap) const noexcept { return (capabilities & cap) != 0; }

  plugin_record() = default;
  plugin_record(const plugin_record&) = delete;
  plugin_record& operator=(const plugin_record&) = delete;
  ~plugin_record();
};

/// Finds the plugin serving `scheme` (manifests only, then loads it on first
/// use; later calls return the same record). Throws not_found_error for an
/// unknown scheme (listing the known ones and the nearest) and
/// incompatible_error / internal_error for a package that fails to load.
std::shared_ptr<plugin_record> driver_for_scheme(std::string_view scheme);

/// Loads the plugin with this id and kind ("pool", "mapper"); same errors.
std::shared_ptr<plugin_record> plugin_by_id(std::string_view id, std::string_view kind);

}  // namespace dbridge::detail
