// SPDX-License-Identifier: Apache-2.0
// One run_* function per sub-command. main.cpp parses the command line into
// these option structs, so only main.cpp pays for CLI11's templates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "output.hpp"

namespace dbridge::cli {

struct plugins_options {
  output_format format = output_format::table;
  bool verify = false;  ///< re-hash the files on disk (plugin_catalog.hpp verify_plugin)
  std::string options_of;  ///< a plugin id: print only its declared URL options
};
int run_plugins(const plugins_options& o);

struct doctor_options {
  std::string target;  ///< scheme or URL; empty = every plugin
  output_format format = output_format::table;
};
int run_doctor(const doctor_options& o);

struct which_options {
  std::string target;  ///< URL or bare scheme
  bool options = false;  ///< also list the URL options the manifest declares
  output_format format = output_format::table;
};
int run_which(const which_options& o);

struct query_options {
  std::string url;
  std::string sql;
  std::vector<std::string> params;  ///< TYPE:VALUE or plain text, see parse_param
  output_format format = output_format::table;
};
int run_query(const query_options& o);

struct ping_options {
  std::string url;
  output_format format = output_format::table;
};
int run_ping(const ping_options& o);

struct inspect_options {
  std::string url;
  std::string table;  ///< empty = list the tables
  output_format format = output_format::table;
};
int run_inspect(const inspect_options& o);

struct version_options {
  output_format format = output_format::table;
};
int run_version(const version_options& o);

struct command_options {
  std::string url;
  std::vector<std::string> args;  ///< the command and its arguments, binary as given
  output_format format = output_format::table;
};
int run_command(const command_options& o);

struct subscribe_options {
  std::string url;
  std::vector<std::string> channels;
  bool pattern = false;      ///< channels are glob patterns (PSUBSCRIBE)
  std::uint64_t count = 0;   ///< stop after this many messages (0 = no limit)
  double timeout_s = 0;      ///< stop after this many seconds (0 = no limit)
  output_format format = output_format::table;
};
int run_subscribe(const subscribe_options& o);

struct listen_options {
  std::string url;
  std::vector<std::string> channels;
  std::uint64_t count = 0;   ///< stop after this many notifications (0 = no limit)
  double timeout_s = 0;      ///< stop after this many seconds without one (0 = no limit)
  output_format format = output_format::table;
};
int run_listen(const listen_options& o);

struct copy_options {
  std::string url;
  std::string table;                 ///< TABLE or SCHEMA.TABLE
  std::string from;                  ///< CSV to load ("-" = stdin)
  std::string to;                    ///< CSV to write ("-" = stdout)
  std::vector<std::string> columns;  ///< empty = every column (or the header's names)
  bool header = false;
  std::string delimiter = ",";
};
int run_copy(const copy_options& o);

struct migrate_cmd_options {
  std::string url;
  std::string dir;                  ///< NNNN_name.sql files (see dbridge::load_migrations)
  bool status = false;              ///< list steps and their state, change nothing
  bool dry_run = false;
  std::optional<std::int64_t> to;   ///< apply up to this version
  output_format format = output_format::table;
};
int run_migrate(const migrate_cmd_options& o);

/// `dbridge graph list|stats|export|import` (cmd_graph.cpp).
struct graph_cmd_options {
  std::string url;
  std::string name;    ///< the graph
  std::string file;    ///< export: output (empty or "-" = stdout); import: input ("-" = stdin)
  std::string format;  ///< json, jsonl or graphml; empty = from the file name (export: json)
  output_format output = output_format::table;  ///< list and stats
  std::uint64_t batch = 50000;  ///< import of JSON Lines: nodes and edges per write
};
enum class graph_command { list, stats, export_file, import_file };
int run_graph(graph_command c, const graph_cmd_options& o);

/// `dbridge plugin ...` and `dbridge repo ...` (cmd_plugin.cpp): one option
/// set, each sub-command reads the fields it has.
struct plugin_cmd_options {
  std::string target;              ///< DIR, FILE, ID[@SPEC], TEXT, KEYFILE or list file
  std::string version;             ///< pin
  std::string outdir;              ///< pack -o
  std::string key;                 ///< repo index --sign
  std::vector<std::string> repos;  ///< --repo (repeatable)
  bool user = false;               ///< --user (the default)
  bool system = false;             ///< --system
  bool allow_downgrade = false;
  bool allow_unsigned = false;
  std::string kind = "driver";     ///< plugin new --kind
  std::string lang = "c++";        ///< plugin new --lang
  output_format format = output_format::table;
};
enum class package_command { pack, install, remove, search, pin, unpin, verify, sync, trust, repo_index, repo_keygen,
                              check, create };
/// Runs in `dbridge-package` only, so libarchive, libcurl and libcrypto load
/// for these commands alone; `dbridge` execs it (exec_package_program).
int run_package_command(package_command c, const plugin_cmd_options& o);
/// `plugin check DIR` (cmd_plugin_check.cpp) and `plugin new NAME` (cmd_plugin_new.cpp).
int run_plugin_check(const plugin_cmd_options& o);
int run_plugin_new(const plugin_cmd_options& o);

/// Replaces this process with `dbridge-package` and the same arguments: the
/// build tree's sibling of this executable, else the installed
/// <libexecdir>/dbridge/dbridge-package. Returns only on failure, after
/// reporting it.
int exec_package_program(int argc, char** argv);

/// The scheme of a URL, or the text itself when it is a bare scheme name
/// ("sqlite"). Throws invalid_argument_error for anything else.
std::string scheme_of(const std::string& url_or_scheme);

/// Throws not_found_error, with the nearest known schemes as the fix, when no
/// plugin declares the URL's scheme; so every command reports it the same way
/// before anything is loaded.
void require_known_scheme(const dbridge::url& u);

}  // namespace dbridge::cli
