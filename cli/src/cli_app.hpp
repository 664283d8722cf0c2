// SPDX-License-Identifier: Apache-2.0
// What `dbridge` and `dbridge-package` share on top of CLI11: the `plugin` and
// `repo` command lines (declared once, so `dbridge --help` lists what
// `dbridge-package` runs) and the parse/run/report frame of a main().
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "commands.hpp"

namespace dbridge::cli {

/// -f/--format: table or json, plus csv when with_csv.
CLI::Option* format_option(CLI::App* app, output_format& target, bool with_csv);

/// Declares `plugin pack|install|...|trust` and `repo index|keygen` on app,
/// parsing into o; chosen(c) runs when sub-command c is picked.
void add_package_commands(CLI::App& app, plugin_cmd_options& o,
                          const std::function<void(package_command)>& chosen);

/// Parses argv with app, then runs the action a callback picked and flushes
/// stdout: the exit status (exit_usage for a bad command line).
int parse_and_run(CLI::App& app, int argc, char** argv, const std::function<int()>& action);

/// Runs run(argc, argv) and turns every exception into one message on stderr
/// and an exit status, never a crash or a stack trace.
int guarded_main(int argc, char** argv, int (*run)(int, char**));

}  // namespace dbridge::cli
