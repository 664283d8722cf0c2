// SPDX-License-Identifier: Apache-2.0
// Loading one plugin package: ABI range, checksum of the open file, shared
// library dependencies, dlopen (Boost.DLL), entry symbol, descriptor checks,
// init. Every step is recorded for `dbridge doctor`.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/error.hpp"
#include "elf_reader.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "plugin_record.hpp"

namespace dbridge::inline v1::detail {

struct load_outcome {
  std::shared_ptr<plugin_record> record;  ///< null when a step failed
  std::vector<load_step> steps;
  errc category = errc::internal;         ///< of the failure
  std::string message;                    ///< the failure, ready for an exception (names plugin and path)
  std::string fix;
};

/// What the user configuration lets the loader accept.
struct load_policy {
  bool allow_writable = false;          ///< [security] allow_writable_plugins = true
  std::filesystem::path config_path;    ///< for messages: where to write that
};

/// One risky file of a plugin package: a library or folder others may write
/// to, or a library symlinked out of its package folder.
struct file_finding {
  std::filesystem::path path;
  std::string message;   ///< names the path and what is wrong
  std::string fix;       ///< e.g. "chmod o-w PATH"
  bool refuse = false;   ///< world-writable: not loaded unless the config allows it
};
/// Checks the package folder, the library's folder and the library file of
/// a manifest (never throws; unreadable paths are left to the load steps).
std::vector<file_finding> check_plugin_files(const plugin_info& info) noexcept;

/// Loads the plugin a valid manifest describes, once per library (later calls
/// return the same record); thread-safe; never throws.
load_outcome load_plugin(const plugin_info& info, const load_policy& policy = {}) noexcept;

/// The record already loaded for this manifest, if any (never loads).
std::shared_ptr<plugin_record> loaded_record(const plugin_info& info);
/// A driver loaded earlier in this process that serves `scheme`, if any
/// (its package may have been removed from disk since).
std::shared_ptr<plugin_record> loaded_driver_for_scheme(std::string_view scheme);
/// The last load failure of this manifest, if any ("" when none).
std::string load_failure(const plugin_info& info);
/// Forgets remembered failures (rescan: the package may have been fixed).
void forget_load_failures();

}  // namespace dbridge::detail
