// SPDX-License-Identifier: Apache-2.0
#include "cli_app.hpp"

#include <cerrno>
#include <cstring>
#include <new>
#include <sstream>

namespace dbridge::cli {

CLI::Option* format_option(CLI::App* app, output_format& target, bool with_csv) {
  auto* opt = app->add_option_function<std::string>(
      "-f,--format",
      [&target](const std::string& s) {
        target = s == "json" ? output_format::json : s == "csv" ? output_format::csv : output_format::table;
      },
      with_csv ? "Output format: table, json or csv (default table)" : "Output format: table or json (default table)");
  opt->check(with_csv ? CLI::IsMember({"table", "json", "csv"}) : CLI::IsMember({"table", "json"}));
  return opt;
}

void add_package_commands(CLI::App& app, plugin_cmd_options& o,
                          const std::function<void(package_command)>& chosen) {
  auto* plugin = app.add_subcommand("plugin", "Pack, install, remove, search, pin, verify and sync plugin packages");
  plugin->require_subcommand(1);
  auto scope_flags = [&o](CLI::App* c) {
    auto* user = c->add_flag("--user", o.user, "Under $XDG_DATA_HOME/dbridge/plugins (the default)");
    c->add_flag("--system", o.system, "Under the core's prefix: <libdir>/dbridge/plugins")->excludes(user);
  };
  auto repo_flags = [&o](CLI::App* c) {
    c->add_option("--repo", o.repos, "Repository: a folder, file:// or http(s):// URL (repeatable; default: "
                                     "[[repository]] of dbridge.toml)");
    c->add_flag("--allow-unsigned", o.allow_unsigned,
                "Accept a repository whose index.toml is not signed by a trusted key");
  };
  auto* pack = plugin->add_subcommand("pack", "Pack a plugin folder into dbridge-<id>-<version>-<platform>.dbrpkg");
  pack->add_option("dir", o.target, "Plugin folder (plugin.toml and its library)")->required();
  pack->add_option("-o,--output", o.outdir, "Folder to write the package into (default: current folder)");
  pack->callback([chosen] { chosen(package_command::pack); });
  auto* install = plugin->add_subcommand("install", "Install a package file, or the best ID[@VERSION-SPEC] of a repository");
  install->add_option("package", o.target, "FILE.dbrpkg or ID[@SPEC], e.g. postgres, postgres@^1.2")->required();
  scope_flags(install);
  repo_flags(install);
  install->add_flag("--allow-downgrade", o.allow_downgrade, "Install a version older than one installed");
  install->callback([chosen] { chosen(package_command::install); });
  auto* remove = plugin->add_subcommand("remove", "Remove an installed package (every version, or ID@VERSION)");
  remove->add_option("package", o.target, "ID or ID@VERSION")->required();
  scope_flags(remove);
  remove->callback([chosen] { chosen(package_command::remove); });
  auto* search = plugin->add_subcommand("search", "List the packages of the repositories (matching TEXT)");
  search->add_option("text", o.target, "Part of an id or summary");
  repo_flags(search);
  format_option(search, o.format, false);
  search->callback([chosen] { chosen(package_command::search); });
  auto* pin = plugin->add_subcommand("pin", "Use this installed version of a plugin ([pins] of dbridge.toml)");
  pin->add_option("id", o.target, "Plugin id")->required();
  pin->add_option("version", o.version, "Exact version, e.g. 1.2.0")->required();
  pin->callback([chosen] { chosen(package_command::pin); });
  auto* unpin = plugin->add_subcommand("unpin", "Forget the pin of a plugin (the highest version is used again)");
  unpin->add_option("id", o.target, "Plugin id")->required();
  unpin->callback([chosen] { chosen(package_command::unpin); });
  auto* verify = plugin->add_subcommand("verify", "Re-hash every installed file and check needed libraries; exit 1 on a problem");
  verify->add_option("id", o.target, "Only this plugin");
  verify->callback([chosen] { chosen(package_command::verify); });
  auto* sync = plugin->add_subcommand("sync", "Install exactly what dbridge-plugins.toml names; write or honour dbridge-plugins.lock");
  sync->add_option("file", o.target, "List file (default ./dbridge-plugins.toml)");
  scope_flags(sync);
  repo_flags(sync);
  sync->callback([chosen] { chosen(package_command::sync); });
  auto* check = plugin->add_subcommand(
      "check", "Run the loader's checks on one plugin folder (descriptor against plugin.toml, checksum, init)");
  check->add_option("dir", o.target, "Plugin folder (plugin.toml and its library), or its plugin.toml")->required();
  check->callback([chosen] { chosen(package_command::check); });
  auto* create = plugin->add_subcommand(
      "new", "Write a buildable out-of-tree plugin project: sources, plugin.toml, CMakeLists, conformance test");
  create->add_option("name", o.target, "Plugin id (also the folder written and, for a driver, its scheme)")->required();
  create->add_option("--kind", o.kind, "driver, pool or mapper (default driver)")
      ->check(CLI::IsMember({"driver", "pool", "mapper"}));
  create->add_option("--lang", o.lang, "c++ or c (default c++)")->check(CLI::IsMember({"c++", "c"}));
  create->add_option("-o,--output", o.outdir, "Folder to create the project in (default: ./NAME)");
  create->callback([chosen] { chosen(package_command::create); });
  auto* trust = plugin->add_subcommand("trust", "Trust a repository's Ed25519 public key");
  trust->add_option("keyfile", o.target, "Public key (PEM), as `dbridge repo keygen` writes it")->required();
  trust->callback([chosen] { chosen(package_command::trust); });

  auto* repo = app.add_subcommand("repo", "Make package repositories: key pairs and signed indexes");
  repo->require_subcommand(1);
  auto* index = repo->add_subcommand("index", "Write and sign index.toml for the .dbrpkg files of a folder");
  index->add_option("dir", o.target, "Repository folder")->required();
  index->add_option("--sign", o.key, "Ed25519 private key file")->required();
  index->callback([chosen] { chosen(package_command::repo_index); });
  auto* keygen = repo->add_subcommand("keygen", "Write an Ed25519 key pair: OUT (private, 0600) and OUT.pub");
  keygen->add_option("out", o.target, "Private key file to write")->required();
  keygen->callback([chosen] { chosen(package_command::repo_keygen); });
}

int parse_and_run(CLI::App& app, int argc, char** argv, const std::function<int()>& action) {
  // Before anything can echo an argument (CLI11's own errors included).
  for (int i = 1; i < argc; ++i) remember_secrets(argv[i]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream o, err;
    const int code = app.exit(e, o, err);
    std::fputs(scrub(o.str()).c_str(), stdout);
    std::fputs(scrub(err.str()).c_str(), stderr);
    return code == 0 ? exit_ok : exit_usage;
  }

  int rc = action ? action() : exit_usage;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    report_failure("resource", std::string("could not write the output: ") + std::strerror(errno));
    rc = exit_failure;
  }
  return rc;
}

int guarded_main(int argc, char** argv, int (*run)(int, char**)) {
  // Every failure ends here as one message and a status, never a crash or a
  // stack trace.
  try {
    return run(argc, argv);
  } catch (const usage_error& e) {
    std::string text = std::string("dbridge: usage error: ") + e.what() + "\n";
    if (!e.fix().empty()) text += "  fix: " + e.fix() + "\n";
    std::fputs(scrub(text).c_str(), stderr);
    return exit_usage;
  } catch (const dbridge::error& e) {
    return report_error(e);
  } catch (const std::bad_alloc&) {
    std::fputs("dbridge: resource error: out of memory\n", stderr);
    return exit_failure;
  } catch (const std::exception& e) {
    return report_failure("internal", e.what(), "this is a bug in dbridge or a plugin; please report it");
  } catch (...) {
    return report_failure("internal", "unknown exception", "this is a bug in dbridge or a plugin; please report it");
  }
}

}  // namespace dbridge::cli
