// SPDX-License-Identifier: Apache-2.0
// Plugin discovery: which folders are searched, which manifests were found,
// which are broken and why, and a step-by-step load report (`dbridge doctor`).
// Listing reads manifests only; nothing is loaded until a scheme is used or a
// report is asked for.
#pragma once

#include "dbridge/export.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge::inline v1 {

/// One folder of the search path and where it came from.
struct search_dir {
  std::filesystem::path path;
  std::string origin;  ///< "DBRIDGE_PLUGIN_PATH", "config", "XDG_DATA_HOME", "install prefix", "build tree"
  bool exists = false;
  /// "env" (DBRIDGE_PLUGIN_PATH), "config" (plugin_path in dbridge.toml),
  /// "user" ($XDG_DATA_HOME/dbridge/plugins), "system" (<libdir of this
  /// libdbridge.so>/dbridge/plugins) or "build" (the build tree).
  std::string scope;
};

/// One URL option a driver declares in its manifest ([[driver.options]]).
struct plugin_option {
  std::string name;
  std::string type;                 ///< "string", "integer", "number" or "boolean"
  std::string default_value;        ///< as text; empty when the manifest gives none
  std::string summary;              ///< one line
  bool secret = false;              ///< redacted wherever the URL is shown
  std::vector<std::string> values;  ///< the only values allowed (empty = any of the type)
};

/// What a valid manifest says (docs/plugin-toml.md).
struct plugin_info {
  std::string id;
  std::string version;
  std::string kind;            ///< driver | pool | mapper
  std::string summary;
  std::uint32_t abi_major = 0;
  std::uint32_t abi_min_minor = 0;
  std::vector<std::string> schemes;
  std::vector<std::string> capabilities;
  std::string threading;
  std::filesystem::path manifest_path;
  std::filesystem::path library_path;  ///< absolute
  std::string sha256;
  std::string requires_dbridge;        ///< e.g. ">=1.0, <2"
  /// [driver] url_style: "authority" (scheme://user@host:port/db, the
  /// default) or "path" (scheme:///abs/path, the body is one file path).
  std::string url_style = "authority";
  /// [[driver.options]]; options_declared is false when the manifest lists
  /// none, and then the core passes every option on unchecked.
  std::vector<plugin_option> options;
  bool options_declared = false;
  /// "ok" (manifest valid; not loaded yet), "loaded", or "broken" (see problem).
  std::string status = "ok";
  std::string problem;
  /// Risky files of the package, each with its fix: a library or folder
  /// others may write to, a library symlinked out of its package folder.
  /// A world-writable one also makes the plugin "broken" unless the user
  /// config allows it ([security] allow_writable_plugins = true).
  std::vector<std::string> warnings;
  /// The scope of the search folder it was found in (search_dir::scope) and
  /// that folder.
  std::string scope;
  std::filesystem::path scope_dir;
  /// Where it was installed from: package.toml's [installed] from (a
  /// repository URL or a .dbrpkg file), "bundled" for a plugin without
  /// package.toml in the system or build scope, "unpackaged" for one
  /// without package.toml elsewhere, "package" when package.toml has no
  /// [installed] record.
  std::string installed_from;
};

/// One file checked by verify_plugin().
struct file_check {
  std::filesystem::path path;
  std::string expected;  ///< sha256 hex from the manifest or package.toml ("" for a file not listed)
  std::string actual;    ///< sha256 hex now ("" when unreadable or missing)
  bool ok = false;
  std::string problem;   ///< empty when ok
};

/// The result of re-hashing one installed plugin.
struct plugin_verification {
  plugin_info plugin;
  /// The library against the manifest's [library] sha256, then every file
  /// package.toml [files] lists, then files in the folder it does not list.
  std::vector<file_check> files;
  std::string problem;   ///< package.toml unreadable or malformed
  bool ok = false;       ///< every check passed
};

/// Re-reads and re-hashes the plugin's files on disk now (never the mapping
/// of a loaded library; never loads anything). Never throws.
DBRIDGE_API plugin_verification verify_plugin(const plugin_info& plugin);

/// A manifest that could not be used, and why.
struct plugin_problem {
  std::filesystem::path manifest_path;
  std::string message;  ///< names the file, line:column when known, and the field
  std::string fix;      ///< what to do about it
};

/// One step of loading a plugin.
struct load_step {
  std::string name;    ///< "manifest", "abi range", "library file", "checksum", "dependencies",
                       ///< "load", "entry symbol", "descriptor", "init"
  bool ok = false;
  std::string detail;
  std::string fix;     ///< empty when ok
};

struct load_report {
  plugin_info plugin;
  std::vector<load_step> steps;
  bool ok = false;
};

/// Why a URL maps to a plugin (`dbridge which`).
struct scheme_resolution {
  std::string scheme;
  std::optional<plugin_info> plugin;       ///< the winner
  std::vector<plugin_info> candidates;     ///< every plugin claiming the scheme
  std::string reason;                      ///< e.g. "only plugin declaring scheme 'sqlite'"
  std::vector<std::string> nearest;        ///< for an unknown scheme: closest known schemes
};

/// The process-wide catalog. Thread-safe.
class DBRIDGE_API plugin_catalog {
 public:
  static plugin_catalog& global();

  /// The search path in order (docs/architecture.md, Discovery and manifests), from the environment now.
  static std::vector<search_dir> default_search_path();
  /// The folder of an install scope, "user" ($XDG_DATA_HOME/dbridge/plugins)
  /// or "system" (<the folder of this libdbridge.so>/dbridge/plugins), which
  /// discovery reads and `dbridge plugin install` writes to, whether or not
  /// it exists; empty when it cannot be known (no absolute HOME or
  /// XDG_DATA_HOME; this library's own path). Another scope throws
  /// invalid_argument_error.
  static std::filesystem::path scope_folder(std::string_view scope);
  std::vector<search_dir> search_path() const;

  /// Valid manifests (all versions), sorted by id then version.
  std::vector<plugin_info> plugins() const;
  /// Every manifest that could not be used.
  std::vector<plugin_problem> problems() const;
  /// Every scheme some valid driver manifest declares, sorted.
  std::vector<std::string> schemes() const;

  /// Which plugin would serve this scheme, and why (never loads).
  scheme_resolution resolve(std::string_view scheme) const;

  /// Loads (if not yet loaded) and reports every step; never throws.
  load_report diagnose(const plugin_info& plugin);

  /// Forgets cached discovery results (not loaded libraries) and reads the
  /// manifests again, e.g. after DBRIDGE_PLUGIN_PATH changed (tests).
  void rescan();

 private:
  plugin_catalog() = default;
};

/// Up to `max` known schemes closest to `scheme` (edit distance), best first.
DBRIDGE_API std::vector<std::string> nearest_schemes(std::string_view scheme, const std::vector<std::string>& known,
                                         std::size_t max = 3);

}  // namespace dbridge
