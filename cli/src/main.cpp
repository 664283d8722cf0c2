// SPDX-License-Identifier: Apache-2.0
// `dbridge`: list and verify plugins, run queries, inspect schemas, check
// health. This file only parses the command line; each command lives in its
// own cmd_*.cpp and shares the printing code in output.cpp.
#include <functional>

#include "cli_app.hpp"

namespace dbridge::cli {
namespace {

constexpr const char* main_footer = R"(
Exit status: 0 success, 1 runtime failure (or `doctor` found a problem), 2 bad command line.
Plugins are searched in DBRIDGE_PLUGIN_PATH (colon-separated) first, then the user config
($XDG_CONFIG_HOME/dbridge/dbridge.toml), $XDG_DATA_HOME/dbridge/plugins, the install prefix
and, when run from a build tree, its plugin folder. Passwords in URLs are never printed.)";

constexpr const char* query_footer = R"(
Parameters bind to $1, $2, ... on every SQL driver (or ?1, ?2, ...; ? in order; :name, the first
distinct name taking the first value; one style per statement) and are TEXT unless written TYPE:VALUE:
  int:42  float:1.5  bool:true  null:  text:int:7 (the text "int:7")  hex:DEADBEEF  base64:3q2+7w==
  decimal:12.50  json:{"a":1}
A plain 42 is the text "42" (SQLite converts it for INTEGER/REAL columns; untyped columns keep text).
A parameter starting with '-' must follow `--`.

Output: table (aligned, NULL shown as NULL), json (array of row objects: numbers, null, true/false,
bytes as base64, decimals as exact strings, dates/times ISO-8601, JSON columns embedded, NaN and
infinities as strings), csv (RFC 4180, CRLF line ends, NULL as an empty field, "" for empty text).
A statement without result columns prints "N rows affected" or {"affected_rows":N,"last_insert_id":ID}.)";

int run_main(int argc, char** argv) {
  CLI::App app{"dbridge: list and verify database driver plugins, run queries, inspect schemas", "dbridge"};
  app.footer(main_footer);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("dbridge ") + DBRIDGE_VERSION);

  std::function<int()> action;

  plugins_options plugins_o;
  auto* plugins = app.add_subcommand("plugins", "List every discovered plugin and every broken package (reads manifests only)");
  format_option(plugins, plugins_o.format, false);
  plugins->add_flag("--verify", plugins_o.verify,
                    "Re-hash each plugin's library and every file its package.toml lists; exit 1 on a mismatch");
  plugins->add_option("--options", plugins_o.options_of,
                      "Print the URL options plugin ID declares in its manifest (every installed version)");
  plugins->callback([&] { action = [&] { return run_plugins(plugins_o); }; });

  doctor_options doctor_o;
  auto* doctor = app.add_subcommand(
      "doctor", "Report every folder searched, every manifest found and each load step of each plugin, with fixes");
  doctor->add_option("target", doctor_o.target, "Only the plugin serving this SCHEME or URL");
  format_option(doctor, doctor_o.format, false);
  doctor->footer("\nExit status 0 when everything checked is fine, 1 otherwise.");
  doctor->callback([&] { action = [&] { return run_doctor(doctor_o); }; });

  which_options which_o;
  auto* which = app.add_subcommand("which", "Name the plugin that would serve a URL, and why");
  which->add_option("url", which_o.target, "URL (or bare scheme)")->required();
  which->add_flag("--options", which_o.options,
                  "Also list the URL options the driver declares (name, type, default, summary; read from its manifest)");
  format_option(which, which_o.format, false);
  which->callback([&] { action = [&] { return run_which(which_o); }; });

  query_options query_o;
  auto* query = app.add_subcommand("query", "Run one SQL statement with positional parameters");
  query->add_option("url", query_o.url, "Database URL, e.g. sqlite:///tmp/app.db")->required();
  query->add_option("sql", query_o.sql, "One SQL statement")->required();
  query->add_option("params", query_o.params, "Parameters, in order: text, or TYPE:VALUE (see below)");
  format_option(query, query_o.format, true);
  query->footer(query_footer);
  query->callback([&] { action = [&] { return run_query(query_o); }; });

  ping_options ping_o;
  auto* ping = app.add_subcommand("ping", "Connect and make one round trip; exit 1 when the database is down");
  ping->add_option("url", ping_o.url, "Database URL")->required();
  format_option(ping, ping_o.format, false);
  ping->callback([&] { action = [&] { return run_ping(ping_o); }; });

  inspect_options inspect_o;
  auto* inspect = app.add_subcommand("inspect", "List tables, or one table's columns, indexes and foreign keys");
  inspect->add_option("url", inspect_o.url, "Database URL")->required();
  inspect->add_option("table", inspect_o.table, "Table to describe");
  format_option(inspect, inspect_o.format, false);
  inspect->callback([&] { action = [&] { return run_inspect(inspect_o); }; });

  command_options command_o;
  auto* command = app.add_subcommand("command", "Run one command of a command-shaped backend (Redis) and print its reply");
  command->add_option("url", command_o.url, "Database URL, e.g. redis://:password@localhost:6379/0")->required();
  command->add_option("args", command_o.args, "The command and its arguments, e.g. GET key")->required();
  format_option(command, command_o.format, false);
  command->footer("\nJSON: nil as null, integers as numbers, strings as strings or {\"base64\": ...} when not valid "
                  "UTF-8, arrays as arrays.\nAn error reply goes to stderr with exit status 1. Arguments starting "
                  "with '-' must follow `--`.");
  command->callback([&] { action = [&] { return run_command(command_o); }; });

  subscribe_options subscribe_o;
  auto* subscribe = app.add_subcommand("subscribe", "Print messages published on channels as they arrive");
  subscribe->add_option("url", subscribe_o.url, "Database URL")->required();
  subscribe->add_option("channels", subscribe_o.channels, "Channels to listen to")->required();
  subscribe->add_flag("-p,--pattern", subscribe_o.pattern, "The channels are glob patterns (Redis PSUBSCRIBE)");
  subscribe->add_option("-n,--count", subscribe_o.count, "Exit after N messages (exit 1 if --timeout ends first)");
  subscribe->add_option("-t,--timeout", subscribe_o.timeout_s, "Exit after S seconds (decimals allowed)");
  format_option(subscribe, subscribe_o.format, false);
  subscribe->footer("\nOne line per message: CHANNEL<TAB>PAYLOAD (escaped), or one JSON object per line with "
                    "channel, payload and pattern.\nA lost connection is replaced and the channels subscribed again; a note on "
                    "stderr says messages sent meanwhile may be missing.");
  subscribe->callback([&] { action = [&] { return run_subscribe(subscribe_o); }; });

  listen_options listen_o;
  auto* listen = app.add_subcommand("listen", "LISTEN on channels and print each notification as it arrives");
  listen->add_option("url", listen_o.url, "Database URL, e.g. postgresql://user@localhost/app")->required();
  listen->add_option("channels", listen_o.channels, "Channels to listen on")->required();
  listen->add_option("-n,--count", listen_o.count, "Exit after N notifications");
  listen->add_option("-t,--timeout", listen_o.timeout_s,
                     "Exit after S seconds without a notification (restarts with each one; decimals allowed)");
  listen
      ->add_option_function<std::string>(
          "-f,--format",
          [&listen_o](const std::string& s) {
            listen_o.format = s == "json" ? output_format::json : output_format::table;
          },
          "Output format: text or json (default text)")
      ->check(CLI::IsMember({"text", "table", "json"}));
  listen->footer("\nOne line per notification, flushed as it arrives: CHANNEL<TAB>PAYLOAD<TAB>SENDER_PID (escaped),\n"
                 "or one JSON object per line: {\"channel\":...,\"payload\":...,\"sender_pid\":...}.\n"
                 "Exit status: 0 after --count notifications, or when --timeout passes after at least one;\n"
                 "1 when --timeout passes with none at all (a timeout error on stderr).\n"
                 "A lost connection is replaced and LISTEN sent again; a note on stderr says notifications sent\n"
                 "meanwhile may be missing.");
  listen->callback([&] { action = [&] { return run_listen(listen_o); }; });

  copy_options copy_o;
  auto* copy = app.add_subcommand("copy", "Bulk-load a CSV file into a table (PostgreSQL binary COPY), or export one");
  copy->add_option("url", copy_o.url, "Database URL")->required();
  copy->add_option("table", copy_o.table, "TABLE or SCHEMA.TABLE")->required();
  auto* copy_from = copy->add_option("--from", copy_o.from, "CSV file to load (- for stdin)");
  copy->add_option("--to", copy_o.to, "CSV file to write (- for stdout)")->excludes(copy_from);
  copy->add_option("--columns", copy_o.columns, "Columns the fields fill, in order: a,b,c (default: all)")
      ->delimiter(',')
      ->allow_extra_args(false);
  copy->add_flag("--header", copy_o.header,
                 "The first line names the columns (used as --columns unless given); --to writes one");
  copy->add_option("--delimiter", copy_o.delimiter, "Field delimiter: one character, or tab (default ,)");
  copy->footer(R"(
CSV as in RFC 4180: fields may be quoted, "" inside quotes is a quote, quoted fields may hold delimiters
and line breaks; CRLF or LF line ends; empty lines are skipped. An empty unquoted field is NULL, "" is
empty text. Each field is converted to its column's type (from the table's introspection):
  integers, floats (NaN, Infinity), numeric (exact), bool (true/false, t/f, yes/no, on/off, 1/0),
  date YYYY-MM-DD, time HH:MM[:SS[.ffffff]], timestamp YYYY-MM-DD[ T]HH:MM:SS[.ffffff],
  timestamptz the same plus Z or +HH[:MM] (none = UTC), interval (P1DT2H or '1 day 02:00:00'),
  uuid, json, bytea (\x hex, else the bytes as written), arrays {a,"b c",NULL}; other types as text.
A bad value stops the load with its line and column and exit status 1; nothing is stored.
A progress bar is drawn on stderr when it is a terminal; "N rows copied in T s" is printed at the end
(on stderr when the data goes to stdout).)");
  copy->callback([&] { action = [&] { return run_copy(copy_o); }; });

  migrate_cmd_options migrate_o;
  auto* migrate = app.add_subcommand("migrate", "Apply a folder of NNNN_name.sql schema migrations, each once");
  migrate->add_option("url", migrate_o.url, "Database URL (PostgreSQL, MariaDB or SQLite)")->required();
  migrate->add_option("dir", migrate_o.dir, "Folder of NNNN_name.sql files")->required();
  auto* migrate_status = migrate->add_flag("--status", migrate_o.status, "List each migration and its state; change nothing");
  migrate->add_flag("--dry-run", migrate_o.dry_run, "Show what would run; change nothing")->excludes(migrate_status);
  migrate->add_option_function<std::int64_t>(
      "--to", [&migrate_o](std::int64_t v) { migrate_o.to = v; }, "Apply migrations up to this VERSION only");
  format_option(migrate, migrate_o.format, false);
  migrate->footer(R"(
Files are applied in version order: NNNN_name.sql, or NNNN_name.postgresql.sql / .mysql.sql / .sqlite.sql
for one dialect (taking the plain file's place there). Each is recorded with its SHA-256 in the table
dbridge_schema_migrations and never runs twice; editing an applied file is an error naming it.
A database lock lets one migrator run at a time. On PostgreSQL and SQLite each migration runs in its
own transaction (a failure leaves nothing behind); MariaDB commits DDL at once. --status exits 1
when an applied migration was changed.)");
  migrate->callback([&] { action = [&] { return run_migrate(migrate_o); }; });

  graph_cmd_options graph_o;
  auto* graph = app.add_subcommand("graph", "List, count, export and import graphs kept by a graph-mapper plugin");
  graph->require_subcommand(1);
  auto graph_cmd = [&](CLI::App* c, graph_command which) {
    c->add_option("url", graph_o.url, "Database URL (its scheme picks the mapper)")->required();
    c->callback([&, which] { action = [&, which] { return run_graph(which, graph_o); }; });
  };
  auto* graph_list = graph->add_subcommand("list", "Every stored graph with its node and edge counts");
  graph_cmd(graph_list, graph_command::list);
  format_option(graph_list, graph_o.output, false);
  auto* graph_stats = graph->add_subcommand("stats", "What one graph holds");
  graph_cmd(graph_stats, graph_command::stats);
  graph_stats->add_option("name", graph_o.name, "Graph name")->required();
  format_option(graph_stats, graph_o.output, false);
  auto* graph_export = graph->add_subcommand("export", "Write a graph to a file (streamed: any size)");
  graph_cmd(graph_export, graph_command::export_file);
  graph_export->add_option("name", graph_o.name, "Graph name")->required();
  graph_export->add_option("-o,--output", graph_o.file, "File to write (default: stdout)");
  graph_export->add_option("--format", graph_o.format, "json, jsonl or graphml (default: from -o's name, else json)")
      ->check(CLI::IsMember({"json", "jsonl", "graphml"}));
  auto* graph_import = graph->add_subcommand("import", "Replace (or create) a graph from a file, atomically");
  graph_cmd(graph_import, graph_command::import_file);
  graph_import->add_option("name", graph_o.name, "Graph name")->required();
  graph_import->add_option("file", graph_o.file, "GraphML, JSON or JSON Lines file (- for stdin)")->required();
  graph_import->add_option("--format", graph_o.format, "json, jsonl or graphml (default: from the file name)")
      ->check(CLI::IsMember({"json", "jsonl", "graphml"}));
  graph_import->add_option("--batch", graph_o.batch,
                           "JSON Lines: nodes and edges per write; a larger file streams in batches (default 50000)")
      ->check(CLI::PositiveNumber);
  graph->footer(R"(
Formats: graphml (keys value and labels on nodes, type, weight and properties on edges; files of
other tools are read too, their attributes becoming the node value / edge properties object),
json ({"name","directed","nodes":[{"id","value","labels"}],"edges":[{"from","to","type","weight",
"properties"}]}; NetworkX node-link "links"/"source"/"target" are read too) and jsonl (a "graph"
line, then one "node" or "edge" object per line). Progress is shown on stderr when it is a terminal.
A JSON Lines file of more than --batch nodes and edges streams: the first batch replaces the graph,
the rest are merged (nodes, then edges), so the file must list each node before the edges naming it,
as export writes it, and a reader may see the graph partly imported.)");

  plugin_cmd_options pkg_o;
  // Run by dbridge-package, so only these commands load its libraries.
  add_package_commands(app, pkg_o, [&](package_command) { action = [&] { return exec_package_program(argc, argv); }; });

  version_options version_o;
  auto* version = app.add_subcommand("version", "Print the versions of dbridge and its plugin ABI");
  format_option(version, version_o.format, false);
  version->callback([&] { action = [&] { return run_version(version_o); }; });

  return parse_and_run(app, argc, argv, action);
}

}  // namespace
}  // namespace dbridge::cli

int main(int argc, char** argv) { return dbridge::cli::guarded_main(argc, argv, dbridge::cli::run_main); }
