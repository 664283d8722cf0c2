// SPDX-License-Identifier: Apache-2.0
// The `dbridge` command as users run it: exit statuses, JSON/CSV/table output,
// the doctor report on good and broken plugin folders, and password redaction.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "generated_passwords.hpp"
#include "temp_files.hpp"
#include "subprocess.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using dbridge::test::process_result;

namespace {

using dbridge::test::temp_dir;

class command : public ::testing::Test {
 protected:
  // Isolated from the user's own config and plugins: only the build tree's
  // plugins (and what a test adds through DBRIDGE_PLUGIN_PATH) are found.
  process_result run(const std::vector<std::string>& args,
                     std::map<std::string, std::optional<std::string>> env = {}) {
    env.try_emplace("DBRIDGE_PLUGIN_PATH", std::nullopt);
    env.try_emplace("XDG_CONFIG_HOME", (home_.path() / "config").string());
    env.try_emplace("XDG_DATA_HOME", (home_.path() / "data").string());
    process_result r = dbridge::test::run_process(DBRIDGE_EXE, args, env);
    // No command may ever end in a crash, whatever it was given.
    EXPECT_EQ(r.signal, 0) << "dbridge died from signal " << r.signal << "\nstderr: " << r.err;
    return r;
  }

  std::string db_url(const std::string& name = "test.db") const { return "sqlite://" + (dir_.path() / name).string(); }

  // Runs a query that must succeed and returns its parsed JSON output.
  json query_json(const std::string& url, const std::vector<std::string>& sql_and_params) {
    std::vector<std::string> args{"query", "--format", "json", url};
    args.insert(args.end(), sql_and_params.begin(), sql_and_params.end());
    const process_result r = run(args);
    EXPECT_EQ(r.exit_code, 0) << "stderr: " << r.err;
    return json::parse(r.out);
  }

  void exec_ok(const std::string& url, const std::string& sql) {
    const process_result r = run({"query", url, sql});
    ASSERT_EQ(r.exit_code, 0) << sql << "\nstderr: " << r.err;
  }

  temp_dir home_;
  temp_dir dir_;
};

std::string no_password_context(const process_result& r) { return "stdout: " + r.out + "\nstderr: " + r.err; }

// ---- command line -------------------------------------------------------------

TEST_F(command, no_command_is_a_usage_error) {
  const process_result r = run({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST_F(command, unknown_command_and_bad_option_are_usage_errors) {
  EXPECT_EQ(run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run({"plugins", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(run({"plugins", "--no-such-option"}).exit_code, 2);
  EXPECT_EQ(run({"query", db_url()}).exit_code, 2) << "SQL is required";
  EXPECT_EQ(run({"ping"}).exit_code, 2) << "URL is required";
}

TEST_F(command, help_exits_zero_and_documents_parameter_types) {
  const process_result top = run({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("doctor"), std::string::npos);
  const process_result q = run({"query", "--help"});
  EXPECT_EQ(q.exit_code, 0);
  EXPECT_NE(q.out.find("int:42"), std::string::npos) << q.out;
}

TEST_F(command, version_names_dbridge_and_abi) {
  const process_result r = run({"version", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("dbridge"), DBRIDGE_VERSION);
  EXPECT_EQ(j.at("abi").at("major"), 1);
}

TEST_F(command, malformed_parameter_is_a_usage_error_naming_it) {
  exec_ok(db_url(), "CREATE TABLE t(a)");
  const process_result r = run({"query", db_url(), "INSERT INTO t VALUES (?1), (?2)", "int:1", "int:abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("parameter 2"), std::string::npos) << r.err;
  EXPECT_EQ(run({"query", db_url(), "SELECT ?1", "hex:abc"}).exit_code, 2);
  EXPECT_EQ(run({"query", db_url(), "SELECT ?1", "null:x"}).exit_code, 2);
}

TEST_F(command, malformed_url_is_a_usage_error) {
  const process_result r = run({"ping", "postgresql://user@host:99999999/db"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(r.err.empty());
}

// ---- unknown schemes ----------------------------------------------------------

TEST_F(command, unknown_scheme_fails_and_suggests_the_nearest) {
  const process_result r = run({"query", "sqlit://" + (dir_.path() / "x.db").string(), "SELECT 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not_found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sqlite"), std::string::npos) << "nearest scheme missing: " << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(command, which_names_the_plugin_and_suggests_for_unknown) {
  const process_result ok = run({"which", "--format", "json", db_url()});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const json j = json::parse(ok.out);
  EXPECT_EQ(j.at("scheme"), "sqlite");
  EXPECT_EQ(j.at("plugin").at("id"), "sqlite");
  EXPECT_FALSE(j.at("reason").get<std::string>().empty());

  const process_result bad = run({"which", "sqlit:///x.db"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("sqlite"), std::string::npos) << bad.err;
}

TEST_F(command, plugins_options_prints_one_plugins_declarations) {
  const process_result t = run({"plugins", "--options", "sqlite"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("busy_timeout"), std::string::npos) << t.out;
  const process_result j = run({"plugins", "--options", "sqlite", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json doc = json::parse(j.out);
  ASSERT_FALSE(doc.at("plugins").empty()) << j.out;
  EXPECT_EQ(doc.at("plugins").at(0).at("id").get<std::string>(), "sqlite");
  EXPECT_TRUE(doc.at("plugins").at(0).at("options_declared").get<bool>());
  const process_result missing = run({"plugins", "--options", "no-such-plugin"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no-such-plugin"), std::string::npos) << missing.err;
}

TEST_F(command, which_options_lists_the_declared_url_options) {
  const process_result t = run({"which", "--options", "sqlite"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("busy_timeout"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Milliseconds to wait on a locked database"), std::string::npos) << t.out;
  const process_result j = run({"which", "--options", "--format", "json", "sqlite"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  bool mode = false;
  const json listed = json::parse(j.out);  // kept alive: the loop walks a reference into it
  for (const auto& o : listed.at("options"))
    if (o.at("name").get<std::string>() == "mode")
      mode = o.at("default").get<std::string>() == "rwc" && o.at("type").get<std::string>() == "string";
  EXPECT_TRUE(mode) << j.out;
  // The same declarations reject a misspelt option before the driver runs.
  const process_result typo = run({"query", db_url() + "?busy_timout=5", "SELECT 1"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("did you mean 'busy_timeout'"), std::string::npos) << typo.err;
}

// ---- query ----------------------------------------------------------------------

TEST_F(command, query_inserts_with_typed_parameters_and_selects_json) {
  const std::string url = db_url();
  exec_ok(url, "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, f REAL, n TEXT, b BLOB, s TEXT, u)");

  const json ins = query_json(url, {"INSERT INTO t(i, f, n, b, s, u) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "int:42",
                                    "float:1.5", "null:", "hex:00ff10", "héllo, \"world\"", "42"});
  EXPECT_EQ(ins.at("affected_rows"), 1);
  EXPECT_EQ(ins.at("last_insert_id"), 1);

  const json rows = query_json(url, {"SELECT i, f, n, b, s, u FROM t"});
  ASSERT_TRUE(rows.is_array());
  ASSERT_EQ(rows.size(), 1u);
  const json& row = rows[0];
  EXPECT_TRUE(row.at("i").is_number_integer());
  EXPECT_EQ(row.at("i"), 42);
  EXPECT_TRUE(row.at("f").is_number_float());
  EXPECT_DOUBLE_EQ(row.at("f").get<double>(), 1.5);
  EXPECT_TRUE(row.at("n").is_null());
  EXPECT_EQ(row.at("b"), "AP8Q") << "bytes 00 ff 10 in base64";
  EXPECT_EQ(row.at("s"), "héllo, \"world\"");
  // A plain parameter is text: an untyped column keeps it as text.
  EXPECT_TRUE(row.at("u").is_string());
  EXPECT_EQ(row.at("u"), "42");
}

TEST_F(command, json_keeps_column_order_and_distinguishes_duplicate_names) {
  const process_result r = run({"query", "--format", "json", db_url(), "SELECT 2 AS z, 1 AS a, 3 AS a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::size_t z = r.out.find("\"z\""), a = r.out.find("\"a\""), a2 = r.out.find("\"a_2\"");
  ASSERT_NE(z, std::string::npos) << r.out;
  ASSERT_NE(a, std::string::npos) << r.out;
  ASSERT_NE(a2, std::string::npos) << r.out;
  EXPECT_LT(z, a);
  EXPECT_LT(a, a2);
  EXPECT_EQ(json::parse(r.out).at(0).at("a_2"), 3);
}

TEST_F(command, json_infinities_are_strings) {
  const json rows = query_json(db_url(), {"SELECT 9e999 AS p, -9e999 AS m, 0.25 AS q"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("p"), "Infinity");
  EXPECT_EQ(rows[0].at("m"), "-Infinity");
  EXPECT_EQ(rows[0].at("q"), 0.25);
}

TEST_F(command, declared_types_render_as_json_types) {
  const std::string url = db_url();
  exec_ok(url, "CREATE TABLE d(flag BOOLEAN, day DATE, doc JSON)");
  exec_ok(url, "INSERT INTO d VALUES (1, '2024-02-29', '{\"a\":[1,2]}')");
  const json rows = query_json(url, {"SELECT flag, day, doc FROM d"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("flag"), true);
  EXPECT_EQ(rows[0].at("day"), "2024-02-29");
  EXPECT_EQ(rows[0].at("doc"), json::parse(R"({"a":[1,2]})")) << "JSON columns are embedded, not quoted";
}

TEST_F(command, empty_select_gives_empty_json_array) {
  const json rows = query_json(db_url(), {"SELECT 1 AS x WHERE 0"});
  EXPECT_EQ(rows, json::array());
}

TEST_F(command, csv_quotes_per_rfc4180) {
  const process_result r =
      run({"query", "--format", "csv", db_url(),
           "SELECT 'a,b' AS x, 'say \"hi\"' AS y, 'l1' || char(10) || 'l2' AS z, NULL AS n, '' AS e, 7 AS i"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "x,y,z,n,e,i\r\n\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\",,\"\",7\r\n");
}

// A stored value must not drive the terminal: C1 controls (8-bit CSI),
// bidirectional overrides and invalid UTF-8 are shown escaped, like ESC.
TEST_F(command, table_output_escapes_what_a_terminal_would_act_on) {
  const process_result r = run({"query", db_url(),
                                "SELECT char(155) || '2J' AS c1, char(8238) || 'abc' AS bidi, "
                                "CAST(x'9b324a' AS TEXT) AS raw, char(27) || '[31m' AS esc, 'é日本' AS fine"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\\u009b2J"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\u202eabc"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\x9b2J"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\x1b[31m"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("é日本"), std::string::npos) << r.out;
  for (const char* raw : {"\xc2\x9b", "\xe2\x80\xae", "\x1b", "\x9b"})
    EXPECT_EQ(r.out.find(raw), std::string::npos) << r.out;
}

TEST_F(command, table_output_is_aligned_and_counts_rows) {
  const std::string url = db_url();
  exec_ok(url, "CREATE TABLE t(name TEXT, qty INTEGER)");
  const process_result ins = run({"query", url, "INSERT INTO t VALUES ('apple', 5), ('kiwi', 12345)"});
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  EXPECT_NE(ins.out.find("2 rows affected"), std::string::npos) << ins.out;

  const process_result r = run({"query", url, "SELECT name, qty FROM t ORDER BY name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(r.out.substr(start, nl - start));
  ASSERT_EQ(lines.size(), 5u) << r.out;  // header, rule, 2 rows, count
  EXPECT_EQ(lines[0].find("name"), 0u);
  // Every row's second column starts where the header's does; numbers are
  // right-aligned, so they end together.
  const std::size_t qty_end = lines[0].size();
  EXPECT_EQ(lines[2].size(), qty_end) << r.out;
  EXPECT_EQ(lines[3].size(), qty_end) << r.out;
  EXPECT_EQ(lines[2].find("apple"), 0u);
  EXPECT_EQ(lines[4], "(2 rows)");
}

TEST_F(command, sql_error_is_reported_without_crash) {
  const process_result r = run({"query", db_url(), "SELEKT 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("dbridge: ", 0), 0u) << r.err;
  EXPECT_TRUE(r.out.empty());
}

// ---- ping and inspect -----------------------------------------------------------

TEST_F(command, ping_reports_ok_and_elapsed) {
  const process_result r = run({"ping", "--format", "json", db_url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("ok"), true);
  EXPECT_EQ(j.at("plugin"), "sqlite");
  EXPECT_GE(j.at("ping_ms").get<double>(), 0.0);
  const process_result t = run({"ping", db_url()});
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_EQ(t.out.rfind("ok: ", 0), 0u) << t.out;
}

TEST_F(command, ping_of_unreachable_database_exits_one) {
  // A database file in a folder that does not exist cannot be opened.
  const process_result r = run({"ping", db_url("missing/none.db")});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_FALSE(r.err.empty());
}

TEST_F(command, inspect_lists_tables_and_describes_one) {
  const std::string url = db_url();
  exec_ok(url, "CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
  exec_ok(url, "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), tag TEXT)");
  exec_ok(url, "CREATE UNIQUE INDEX child_tag ON child(tag)");

  const process_result all = run({"inspect", "--format", "json", url});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const json listing = json::parse(all.out);
  std::vector<std::string> names;
  for (const auto& t : listing.at("tables")) names.push_back(t.at("name").get<std::string>());
  EXPECT_NE(std::find(names.begin(), names.end(), "parent"), names.end()) << all.out;
  EXPECT_NE(std::find(names.begin(), names.end(), "child"), names.end());

  const process_result one = run({"inspect", "--format", "json", url, "child"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const json j = json::parse(one.out);
  ASSERT_EQ(j.at("columns").size(), 3u);
  EXPECT_EQ(j.at("columns")[1].at("name"), "parent_id");
  bool has_index = false;
  for (const auto& i : j.at("indexes")) has_index = has_index || i.at("name") == "child_tag";
  EXPECT_TRUE(has_index) << j.dump();
  ASSERT_EQ(j.at("foreign_keys").size(), 1u);
  EXPECT_EQ(j.at("foreign_keys")[0].at("ref_table"), "parent");

  const process_result text = run({"inspect", url, "child"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("Foreign keys"), std::string::npos);

  EXPECT_EQ(run({"inspect", url, "no_such_table"}).exit_code, 1);
}

// ---- plugins and doctor ----------------------------------------------------------

TEST_F(command, plugins_json_lists_sqlite) {
  const process_result r = run({"plugins", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const auto& plugins = j.at("plugins");
  const auto it = std::find_if(plugins.begin(), plugins.end(), [](const json& p) { return p.at("id") == "sqlite"; });
  ASSERT_NE(it, plugins.end()) << r.out;
  EXPECT_EQ(it->at("kind"), "driver");
  const auto& schemes = it->at("schemes");
  EXPECT_NE(std::find(schemes.begin(), schemes.end(), "sqlite"), schemes.end());
  EXPECT_TRUE(fs::exists(it->at("library").get<std::string>()));
  EXPECT_TRUE(j.at("broken").empty()) << r.out;
}

class broken_plugin_folder : public command {
 protected:
  void SetUp() override {
    const fs::path pkg = bad_.path() / "bad";
    fs::create_directories(pkg);
    manifest_ = pkg / "plugin.toml";
    std::ofstream(manifest_) << "manifest_version = 1\n[plugin]\nid = \"bad\"\nkind = \n";
  }
  std::map<std::string, std::optional<std::string>> env() const {
    return {{"DBRIDGE_PLUGIN_PATH", bad_.path().string()}};
  }
  temp_dir bad_;
  fs::path manifest_;
};

TEST_F(broken_plugin_folder, plugins_lists_the_broken_package_beside_the_good_ones) {
  const process_result r = run({"plugins", "--format", "json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j.at("broken").size(), 1u) << r.out;
  EXPECT_EQ(fs::path(j.at("broken")[0].at("manifest").get<std::string>()), manifest_);
  EXPECT_FALSE(j.at("broken")[0].at("problem").get<std::string>().empty());
  const auto& plugins = j.at("plugins");
  EXPECT_TRUE(std::any_of(plugins.begin(), plugins.end(), [](const json& p) { return p.at("id") == "sqlite"; }))
      << "one bad package must not hide the others";
}

TEST_F(broken_plugin_folder, doctor_reports_it_and_exits_one) {
  const process_result r = run({"doctor"}, env());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(manifest_.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("broken"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DBRIDGE_PLUGIN_PATH"), std::string::npos) << "folder origin missing: " << r.out;

  const process_result jr = run({"doctor", "--format", "json"}, env());
  EXPECT_EQ(jr.exit_code, 1);
  const json j = json::parse(jr.out);
  EXPECT_EQ(j.at("ok"), false);
  bool listed = false;
  for (const auto& m : j.at("manifests"))
    if (fs::path(m.at("manifest").get<std::string>()) == manifest_) {
      listed = true;
      EXPECT_EQ(m.at("ok"), false);
      EXPECT_FALSE(m.at("problem").get<std::string>().empty());
    }
  EXPECT_TRUE(listed) << jr.out;
  bool searched = false;
  for (const auto& d : j.at("search_path"))
    searched = searched || (fs::path(d.at("path").get<std::string>()) == bad_.path() && d.at("exists") == true &&
                            d.at("origin") == "DBRIDGE_PLUGIN_PATH");
  EXPECT_TRUE(searched) << jr.out;
}

TEST_F(command, doctor_shows_the_failing_load_step_with_a_fix) {
  // A valid manifest whose library is missing: listed, but every use fails.
  temp_dir plugins;
  fs::create_directories(plugins.path() / "nolib");
  std::ofstream(plugins.path() / "nolib" / "plugin.toml")
      << "manifest_version = 1\n[plugin]\nid = \"nolib\"\nkind = \"driver\"\nversion = \"0.1.0\"\n"
         "[abi]\nmajor = 1\nmin_minor = 0\n[library]\npath = \"libnolib.so\"\nsha256 = \""
      << std::string(64, '0')
      << "\"\n[driver]\nschemes = [\"nolib\"]\ncapabilities = [\"sql\"]\n[runtime]\nthreading = \"per_connection\"\n";
  const std::map<std::string, std::optional<std::string>> env{{"DBRIDGE_PLUGIN_PATH", plugins.path().string()}};

  const process_result r = run({"doctor", "--format", "json", "nolib"}, env);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j.at("plugins").size(), 1u) << r.out;
  const json& steps = j.at("plugins")[0].at("steps");
  const auto failed = std::find_if(steps.begin(), steps.end(), [](const json& s) { return s.at("ok") == false; });
  ASSERT_NE(failed, steps.end()) << r.out;
  EXPECT_FALSE(failed->at("fix").get<std::string>().empty()) << failed->dump();

  const process_result text = run({"doctor", "nolib"}, env);
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("✗"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("fix:"), std::string::npos) << text.out;

  const process_result q = run({"query", "nolib://x", "SELECT 1"}, env);
  EXPECT_EQ(q.exit_code, 1);
  EXPECT_NE(q.err.find("nolib"), std::string::npos) << q.err;
  EXPECT_EQ(run({"which", "nolib://x"}, env).exit_code, 1);
}

TEST_F(command, doctor_on_sqlite_passes_every_step) {
  const process_result r = run({"doctor", "--format", "json", "sqlite"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("ok"), true);
  ASSERT_EQ(j.at("plugins").size(), 1u);
  const json& report = j.at("plugins")[0];
  EXPECT_EQ(report.at("plugin").at("id"), "sqlite");
  ASSERT_FALSE(report.at("steps").empty());
  for (const auto& s : report.at("steps")) EXPECT_EQ(s.at("ok"), true) << s.dump();

  const process_result text = run({"doctor", db_url()});
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("✓"), std::string::npos);
  EXPECT_EQ(text.out.find("✗"), std::string::npos) << text.out;
}

TEST_F(command, doctor_on_unknown_scheme_suggests_nearest) {
  const process_result r = run({"doctor", "--format", "json", "sqlitee"});
  EXPECT_EQ(r.exit_code, 1);
  const json j = json::parse(r.out);
  const auto& nearest = j.at("nearest");
  EXPECT_NE(std::find(nearest.begin(), nearest.end(), "sqlite"), nearest.end()) << r.out;
}

// ---- passwords ---------------------------------------------------------------------

TEST_F(command, password_is_never_printed) {
  const std::string url = "postgresql://u:s3cret@127.0.0.1:1/db";
  // Port 1 refuses connections, so the commands that connect must fail; which
  // and doctor may succeed (when a postgres plugin is installed) or not, but
  // must never print the password either way.
  struct call {
    std::vector<std::string> args;
    bool must_fail;
  };
  for (const auto& [args, must_fail] : std::vector<call>{
           {{"ping", url}, true},
           {{"ping", "--format", "json", url}, true},
           {{"query", url, "SELECT 1"}, true},
           {{"inspect", url}, true},
           {{"which", url}, false},
           {{"doctor", url}, false},
           {{"version", url}, true},  // CLI11 echoes unexpected arguments
           {{"query", "postgresql://u:s3cret@[::1/db", "SELECT 1"}, true},  // malformed: parse error message
       }) {
    const process_result r = run(args);
    if (must_fail) {
      EXPECT_NE(r.exit_code, 0) << args[0];
    }
    EXPECT_EQ(r.out.find("s3cret"), std::string::npos) << no_password_context(r);
    EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << no_password_context(r);
  }
}

TEST_F(command, percent_encoded_password_is_never_printed) {
  // "p@ss:w0rd" in its encoded form; neither form may appear.
  const process_result r = run({"ping", "postgresql://u:p%40ss%3Aw0rd@127.0.0.1:1/db"});
  EXPECT_NE(r.exit_code, 0);
  for (const std::string& s : {r.out, r.err}) {
    EXPECT_EQ(s.find("p%40ss"), std::string::npos) << no_password_context(r);
    EXPECT_EQ(s.find("p@ss:w0rd"), std::string::npos) << no_password_context(r);
  }
}

// ---- issue 10 ------------------------------------------------------------------------

TEST_F(command, which_never_prints_a_password_of_any_punctuation_byte) {
  const process_result lt = run({"which", "postgresql://u:<Secret99@h/db"});
  EXPECT_EQ(lt.out.find("Secret99"), std::string::npos) << no_password_context(lt);
  EXPECT_EQ(lt.err.find("Secret99"), std::string::npos) << no_password_context(lt);
  EXPECT_NE((lt.out + lt.err).find("postgresql://u:***@h/db"), std::string::npos) << no_password_context(lt);

  const process_result mem = run({"which", "sqlite://:memory:"});
  EXPECT_EQ(mem.exit_code, 0) << mem.err;
  EXPECT_NE(mem.out.find("sqlite://:memory:"), std::string::npos) << mem.out;

  for (const auto& p : dbridge::test::printable_passwords(true)) {
    const process_result r = run({"which", "postgresql://app:" + p.minimal + "@db.example:5432/shop"});
    const std::string all = r.out + r.err;
    EXPECT_EQ(all.find(p.plain), std::string::npos) << no_password_context(r);
    EXPECT_EQ(all.find(p.minimal), std::string::npos) << no_password_context(r);
    EXPECT_NE(all.find("postgresql://app:***@db.example:5432/shop"), std::string::npos) << no_password_context(r);
  }
}

TEST_F(command, short_password_leaves_the_rest_of_the_message_alone) {
  // mysql://u:p@... used to print "reading initial communication ***acket":
  // now only the password itself is hidden, once.
  const process_result r = run({"ping", "postgresql://u:p@127.0.0.1:1/db?connect_timeout=1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("postgresql://u:***@127.0.0.1:1/db?connect_timeout=1"), std::string::npos) << r.err;
  std::size_t hidden = 0;
  for (std::size_t at = r.err.find("***"); at != std::string::npos; at = r.err.find("***", at + 3)) ++hidden;
  EXPECT_EQ(hidden, 1u) << r.err;
}

TEST_F(command, doctor_without_any_plugin_fails_and_lists_the_folders) {
  // A copy of libdbridge outside the build tree does not search the build's
  // plugin folder: with an empty home, nothing is found.
  temp_dir lib;
  const fs::path core = fs::canonical(DBRIDGE_CORE_LIB);
  for (const auto& e : fs::directory_iterator(core.parent_path()))
    if (e.path().filename().string().rfind("libdbridge.so", 0) == 0)
      fs::copy(e.path(), lib.path() / e.path().filename(), fs::copy_options::copy_symlinks);
  const std::map<std::string, std::optional<std::string>> env{{"LD_LIBRARY_PATH", lib.path().string()}};
  const process_result list = run({"plugins", "--format", "json"}, env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  if (!json::parse(list.out).at("plugins").empty()) GTEST_SKIP() << "plugins are installed system-wide here";

  const process_result r = run({"doctor"}, env);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out.find("All good"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no plugin found"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find((home_.path() / "data" / "dbridge" / "plugins").string()), std::string::npos) << r.out;

  const process_result jr = run({"doctor", "--format", "json"}, env);
  EXPECT_EQ(jr.exit_code, 1);
  const json j = json::parse(jr.out);
  EXPECT_EQ(j.at("ok"), false);
  EXPECT_FALSE(j.at("problem").get<std::string>().empty());
  EXPECT_FALSE(j.at("search_path").empty());
}

TEST_F(command, writable_plugin_is_shown_by_plugins_and_doctor) {
  const process_result list = run({"plugins", "--format", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  fs::path manifest;
  const json listed = json::parse(list.out);
  for (const auto& p : listed.at("plugins"))
    if (p.at("id") == "sqlite") manifest = p.at("manifest").get<std::string>();
  ASSERT_FALSE(manifest.empty()) << list.out;
  temp_dir plugins;
  const fs::path pkg = plugins.path() / "sqlite";
  fs::copy(manifest.parent_path(), pkg, fs::copy_options::recursive);
  fs::path lib;
  for (const auto& e : fs::directory_iterator(pkg))
    if (e.path().extension() == ".so") lib = e.path();
  ASSERT_FALSE(lib.empty());
  fs::permissions(lib, fs::perms::others_write, fs::perm_options::add);
  const std::map<std::string, std::optional<std::string>> env{{"DBRIDGE_PLUGIN_PATH", plugins.path().string()}};

  const process_result r = run({"plugins", "--format", "json"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool seen = false;
  const json with_copy = json::parse(r.out);
  for (const auto& p : with_copy.at("plugins")) {
    if (fs::path(p.at("manifest").get<std::string>()) != pkg / "plugin.toml") continue;
    seen = true;
    EXPECT_EQ(p.at("status"), "broken");
    EXPECT_NE(p.at("problem").get<std::string>().find("chmod go-w " + lib.string()), std::string::npos) << p.dump();
    EXPECT_FALSE(p.at("warnings").empty());
  }
  EXPECT_TRUE(seen) << r.out;
  const process_result text = run({"plugins"}, env);
  EXPECT_NE(text.out.find("writable by every user"), std::string::npos) << text.out;

  const process_result doc = run({"doctor"}, env);
  EXPECT_EQ(doc.exit_code, 1) << doc.out;
  EXPECT_NE(doc.out.find("warning: the library " + lib.string()), std::string::npos) << doc.out;
  EXPECT_NE(doc.out.find("permissions"), std::string::npos) << doc.out;

  // Allowed in the user config: loads, with the warning still shown.
  fs::create_directories(home_.path() / "config" / "dbridge");
  std::ofstream(home_.path() / "config" / "dbridge" / "dbridge.toml") << "[security]\nallow_writable_plugins = true\n";
  const process_result allowed = run({"query", "--format", "json", "sqlite://:memory:", "SELECT 1 AS x"}, env);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  const process_result doc2 = run({"doctor", "sqlite"}, env);
  EXPECT_EQ(doc2.exit_code, 0) << doc2.out;
  EXPECT_NE(doc2.out.find("warning:"), std::string::npos) << doc2.out;
}

// ---- scopes and --verify ------------------------------------------------------

class plugin_copies : public command {
 protected:
  // Copies the build tree's sqlite plugin folder to `dest` and returns the
  // copied library.
  fs::path copy_sqlite(const fs::path& dest) {
    const process_result list = run({"plugins", "--format", "json"});
    fs::path manifest;
    const json listed = json::parse(list.out);
    for (const auto& p : listed.at("plugins"))
      if (p.at("id") == "sqlite" && p.at("scope") == "build") manifest = p.at("manifest").get<std::string>();
    if (manifest.empty()) throw std::runtime_error("no sqlite plugin in the build tree: " + list.out);
    // The package's files only (the build folder also holds CMake's own).
    fs::create_directories(dest);
    fs::copy_file(manifest, dest / "plugin.toml");
    fs::copy_file(manifest.parent_path() / "libdbridge_sqlite.so", dest / "libdbridge_sqlite.so");
    return dest / "libdbridge_sqlite.so";
  }
  // The sha256 the copied manifest records for its library.
  static std::string manifest_sha256(const fs::path& folder) {
    std::ifstream in(folder / "plugin.toml");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("sha256", 0) == 0) return line.substr(line.find('"') + 1, 64);
    return {};
  }
  static const json* find(const json& plugins, const fs::path& manifest) {
    for (const auto& p : plugins)
      if (fs::path(p.at("manifest").get<std::string>()) == manifest) return &p;
    return nullptr;
  }
  temp_dir env_;
};

TEST_F(plugin_copies, scope_and_origin_name_env_user_and_build_folders) {
  copy_sqlite(env_.path() / "sqlite");
  const fs::path user = home_.path() / "data" / "dbridge" / "plugins" / "sqlite-9.9.9";
  copy_sqlite(user);
  std::ofstream(user / "package.toml") << "package_version = 1\n[package]\nid = \"sqlite\"\n"
                                          "[installed]\nfrom = \"file:///srv/repo\"\n";
  const process_result r = run({"plugins", "--format", "json"}, {{"DBRIDGE_PLUGIN_PATH", env_.path().string()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json* in_env = find(j.at("plugins"), env_.path() / "sqlite" / "plugin.toml");
  const json* in_user = find(j.at("plugins"), user / "plugin.toml");
  ASSERT_TRUE(in_env && in_user) << r.out;
  EXPECT_EQ(in_env->at("scope"), "env");
  EXPECT_EQ(in_env->at("installed_from"), "unpackaged");
  EXPECT_EQ(fs::path(in_env->at("scope_dir").get<std::string>()), env_.path());
  EXPECT_EQ(in_user->at("scope"), "user");
  EXPECT_EQ(in_user->at("installed_from"), "file:///srv/repo");
  bool bundled = false;
  for (const auto& p : j.at("plugins"))
    bundled = bundled || (p.at("scope") == "build" && p.at("installed_from") == "bundled");
  EXPECT_TRUE(bundled) << r.out;

  const process_result text = run({"plugins"}, {{"DBRIDGE_PLUGIN_PATH", env_.path().string()}});
  EXPECT_NE(text.out.find("SCOPE"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("file:///srv/repo"), std::string::npos) << text.out;
}

TEST_F(plugin_copies, verify_flags_a_tampered_library_and_exits_one) {
  const fs::path lib = copy_sqlite(env_.path() / "sqlite");
  const std::map<std::string, std::optional<std::string>> env{{"DBRIDGE_PLUGIN_PATH", env_.path().string()}};
  const process_result clean = run({"plugins", "--verify"}, env);
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out.find("CHANGED"), std::string::npos) << clean.out;

  std::ofstream(lib, std::ios::app | std::ios::binary) << '\0';
  const process_result plain = run({"plugins"}, env);
  EXPECT_EQ(plain.exit_code, 0) << "without --verify nothing is hashed";
  const process_result r = run({"plugins", "--verify"}, env);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("CHANGED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(lib.string() + " has sha256"), std::string::npos) << r.out;

  const process_result jr = run({"plugins", "--verify", "--format", "json"}, env);
  EXPECT_EQ(jr.exit_code, 1);
  const json listed = json::parse(jr.out);
  const json* entry = find(listed.at("plugins"), env_.path() / "sqlite" / "plugin.toml");
  ASSERT_NE(entry, nullptr) << jr.out;
  EXPECT_EQ(entry->at("verify").at("ok"), false);
  EXPECT_EQ(fs::path(entry->at("verify").at("files")[0].at("path").get<std::string>()), lib);
}

TEST_F(plugin_copies, verify_checks_every_file_package_toml_lists) {
  const fs::path pkg = home_.path() / "data" / "dbridge" / "plugins" / "sqlite-1.0.0";
  const fs::path lib = copy_sqlite(pkg);
  const std::string sha = manifest_sha256(pkg);
  ASSERT_EQ(sha.size(), 64u);
  std::ofstream(pkg / "README") << "hello\n";
  // sha256 of "hello\n"
  const std::string readme_sha = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  const process_result manifest_sum = dbridge::test::run_process("/usr/bin/sha256sum", {(pkg / "plugin.toml").string()});
  ASSERT_EQ(manifest_sum.exit_code, 0) << manifest_sum.err;
  std::ofstream(pkg / "package.toml") << "package_version = 1\n[files]\n\"" << lib.filename().string() << "\" = \""
                                      << sha << "\"\n\"README\" = \"" << readme_sha << "\"\n\"plugin.toml\" = \""
                                      << manifest_sum.out.substr(0, 64) << "\"\n";
  const process_result clean = run({"plugins", "--verify"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out;

  std::ofstream(pkg / "README", std::ios::app) << "changed\n";
  const process_result changed = run({"plugins", "--verify"});
  EXPECT_EQ(changed.exit_code, 1) << changed.out;
  EXPECT_NE(changed.out.find((pkg / "README").string() + " has sha256"), std::string::npos) << changed.out;

  std::ofstream(pkg / "README", std::ios::trunc) << "hello\n";
  std::ofstream(pkg / "extra.so") << "x";
  const process_result extra = run({"plugins", "--verify"});
  EXPECT_EQ(extra.exit_code, 1) << extra.out;
  EXPECT_NE(extra.out.find((pkg / "extra.so").string() + " is not part of the package"), std::string::npos)
      << extra.out;
}

}  // namespace
