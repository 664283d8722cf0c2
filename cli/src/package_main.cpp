// SPDX-License-Identifier: Apache-2.0
// `dbridge-package`: the `plugin` and `repo` commands, which `dbridge` execs
// with its own arguments (exec_package.cpp). Only this program links
// libarchive, libcurl and libcrypto.
#include <functional>

#include "cli_app.hpp"

namespace dbridge::cli {
namespace {

int run_package_main(int argc, char** argv) {
  // Named `dbridge` so help and errors read as they do for `dbridge plugin ...`.
  CLI::App app{"dbridge plugin and repo commands (run by `dbridge plugin ...` and `dbridge repo ...`)", "dbridge"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("dbridge ") + DBRIDGE_VERSION);
  std::function<int()> action;
  plugin_cmd_options o;
  add_package_commands(app, o, [&](package_command c) { action = [&o, c] { return run_package_command(c, o); }; });
  return parse_and_run(app, argc, argv, action);
}

}  // namespace
}  // namespace dbridge::cli

int main(int argc, char** argv) { return dbridge::cli::guarded_main(argc, argv, dbridge::cli::run_package_main); }
