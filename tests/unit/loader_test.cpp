// SPDX-License-Identifier: Apache-2.0
// The loader and catalog against fixture plugins built by tests/fixtures:
// one good driver and one package for each way a package can be broken.
// Each test points DBRIDGE_PLUGIN_PATH at its own fixture folders.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "plugin/host.hpp"
#include "plugin/loader.hpp"
#include "plugin/plugin_record.hpp"
#include "plugin/search_path.hpp"
#include "temp_files.hpp"

namespace fs = std::filesystem;
using dbridge::plugin_catalog;
using dbridge::detail::driver_for_scheme;

namespace {

const fs::path fixtures = DBRIDGE_FIXTURE_DIR;

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

class loader : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(home_ / "config" / "dbridge");
    fs::create_directories(home_ / "data");
    ::setenv("XDG_CONFIG_HOME", (home_ / "config").c_str(), 1);
    ::setenv("XDG_DATA_HOME", (home_ / "data").c_str(), 1);
    ::unsetenv("DBRIDGE_PLUGIN_PATH");
    ASSERT_TRUE(fs::is_directory(fixtures / "good")) << "fixtures not built: " << fixtures;
  }
  void TearDown() override {
    ::unsetenv("DBRIDGE_PLUGIN_PATH");
    plugin_catalog::global().rescan();
  }

  // Searches exactly these folders (fixture cases or absolute paths).
  void use(std::initializer_list<std::string> folders) {
    std::string path;
    for (const auto& f : folders) {
      if (!path.empty()) path += ':';
      path += f[0] == '/' ? f : (fixtures / f).string();
    }
    ::setenv("DBRIDGE_PLUGIN_PATH", path.c_str(), 1);
    plugin_catalog::global().rescan();
  }

  void config(const std::string& text) {
    std::ofstream(home_ / "config" / "dbridge" / "dbridge.toml") << text;
    plugin_catalog::global().rescan();
  }

  // A private copy of a fixture case, so its library is loaded fresh here.
  fs::path copy_case(const std::string& name) {
    fs::path dst = home_ / ("copy-" + name + "-" + std::to_string(copies_++));
    fs::copy(fixtures / name, dst, fs::copy_options::recursive);
    return dst;
  }

  template <typename E>
  std::string load_error(const std::string& scheme, dbridge::errc category) {
    try {
      driver_for_scheme(scheme);
    } catch (const E& e) {
      EXPECT_EQ(e.category(), category) << e.what();
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception for " << scheme << ": " << e.what();
      return {};
    }
    ADD_FAILURE() << "scheme " << scheme << " loaded";
    return {};
  }

  const dbridge::plugin_info* find_plugin(const std::vector<dbridge::plugin_info>& list, const std::string& id) {
    for (const auto& p : list)
      if (p.id == id) return &p;
    return nullptr;
  }

  dbridge::test::temp_dir home_dir_{"dbridge-loader"};
  const fs::path& home_ = home_dir_.path();
  int copies_ = 0;
};

}  // namespace

TEST_F(loader, good_plugin_loads_once_and_connect_fails_cleanly) {
  use({"good"});
  auto rec = driver_for_scheme("fixgood");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->id, "fixture-good");
  EXPECT_EQ(rec->version, "1.0.0");
  EXPECT_EQ(rec->kind, "driver");
  EXPECT_EQ(rec->kind_code, std::uint32_t{DBR_KIND_DRIVER});
  EXPECT_EQ(rec->negotiated_minor, 0u);
  EXPECT_EQ(rec->threading, std::uint32_t{DBR_THREADING_PER_CONNECTION});
  EXPECT_TRUE(rec->has(DBR_CAP_CANCEL));
  EXPECT_FALSE(rec->has(DBR_CAP_SQL));
  EXPECT_EQ(rec->schemes, std::vector<std::string>{"fixgood"});
  EXPECT_TRUE(rec->library);
  EXPECT_NE(rec->instance, nullptr);
  EXPECT_EQ(rec->library_path, fixtures / "good" / "good" / "libdbrfix_good.so");
  // The plugin left sql NULL: the zero-filled copy says unsupported.
  EXPECT_EQ(rec->sql.prepare, nullptr);
  ASSERT_NE(rec->conn.connect, nullptr);
  EXPECT_EQ(driver_for_scheme("fixgood"), rec);
  EXPECT_EQ(driver_for_scheme("FixGood"), rec);

  dbr_url url{};
  url.struct_size = sizeof url;
  url.scheme = "fixgood";
  url.raw = "fixgood://h/db";
  dbr_conn* conn = nullptr;
  dbridge::detail::abi_error err;
  int32_t rc = rec->conn.connect(rec->instance, &url, &conn, err);
  EXPECT_EQ(rc, DBR_E_CONNECTION);
  EXPECT_EQ(conn, nullptr);
  auto info = err.to_info(rc, rec->id);
  EXPECT_EQ(info.category, dbridge::errc::connection);
  EXPECT_EQ(info.sqlstate, "08001");
  EXPECT_TRUE(contains(info.message, "connection refused"));

  auto listed = plugin_catalog::global().plugins();
  auto* p = find_plugin(listed, "fixture-good");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status, "loaded");
  // Loaded for real: the dynamic loader knows the file.
  void* h = ::dlopen(rec->library_path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  EXPECT_NE(h, nullptr);
  if (h) ::dlclose(h);
}

TEST_F(loader, diagnose_reports_every_step) {
  fs::path dir = copy_case("good");
  use({dir.string()});
  auto plugins = plugin_catalog::global().plugins();
  auto* p = find_plugin(plugins, "fixture-good");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status, "ok");
  auto report = plugin_catalog::global().diagnose(*p);
  EXPECT_TRUE(report.ok);
  std::vector<std::string> names;
  for (const auto& s : report.steps) {
    names.push_back(s.name);
    EXPECT_TRUE(s.ok) << s.name << ": " << s.detail;
    EXPECT_FALSE(s.detail.empty()) << s.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"manifest", "abi range", "library file", "permissions", "checksum",
                                             "dependencies", "load", "entry symbol", "descriptor", "init"}));
  EXPECT_EQ(report.plugin.status, "loaded");
  // Asking again reports the loaded plugin without loading twice.
  auto again = plugin_catalog::global().diagnose(*p);
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.steps.back().name, "load");
  EXPECT_TRUE(contains(again.steps.back().detail, "already loaded"));
}

TEST_F(loader, concurrent_first_use_loads_once) {
  fs::path dir = copy_case("good");
  use({dir.string()});
  std::vector<std::shared_ptr<dbridge::detail::plugin_record>> got(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i) threads.emplace_back([&, i] { got[i] = driver_for_scheme("fixgood"); });
  for (auto& t : threads) t.join();
  for (const auto& r : got) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r, got.front());
  }
}

TEST_F(loader, unknown_scheme_lists_available_and_nearest) {
  use({"good"});
  auto msg = load_error<dbridge::not_found_error>("fixgod", dbridge::errc::not_found);
  EXPECT_TRUE(contains(msg, "no plugin serves scheme 'fixgod'")) << msg;
  EXPECT_TRUE(contains(msg, "available:")) << msg;
  EXPECT_TRUE(contains(msg, "fixgood")) << msg;
  EXPECT_TRUE(contains(msg, "did you mean 'fixgood'?")) << msg;
  EXPECT_TRUE(contains(msg, (fixtures / "good").string())) << msg;
  auto r = plugin_catalog::global().resolve("fixgod");
  EXPECT_FALSE(r.plugin);
  EXPECT_EQ(r.nearest, std::vector<std::string>{"fixgood"});
}

TEST(nearest, schemes_by_edit_distance) {
  std::vector<std::string> known{"mysql", "postgres", "postgresql", "redis", "sqlite"};
  auto n = dbridge::nearest_schemes("postgress", known);
  ASSERT_FALSE(n.empty());
  EXPECT_EQ(n.front(), "postgres");
  EXPECT_EQ(dbridge::nearest_schemes("sqlit", known, 1), std::vector<std::string>{"sqlite"});
  EXPECT_EQ(dbridge::nearest_schemes("mysqll", known).front(), "mysql");
  EXPECT_EQ(dbridge::nearest_schemes("rdeis", known).front(), "redis");
  EXPECT_TRUE(dbridge::nearest_schemes("zzzzzzzz", known).empty());
}

TEST_F(loader, entry_claims_another_abi_major) {
  use({"abi-major2"});
  auto msg = load_error<dbridge::incompatible_error>("fixabi", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "ABI major 2")) << msg;
  EXPECT_TRUE(contains(msg, "manifest says 1")) << msg;
  EXPECT_TRUE(contains(msg, "fixture-abi2")) << msg;
}

TEST_F(loader, manifest_for_another_abi_major_is_refused_before_loading) {
  fs::path dir = copy_case("manifest-major2");
  use({dir.string()});
  auto msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "ABI major 2")) << msg;
  auto plugins = plugin_catalog::global().plugins();
  auto* p = find_plugin(plugins, "fixture-good");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status, "broken");
  void* h = ::dlopen((dir / "abi2" / "libdbrfix_good.so").c_str(), RTLD_LAZY | RTLD_NOLOAD);
  EXPECT_EQ(h, nullptr) << "the library was loaded although its ABI range excludes this core";
}

TEST_F(loader, entry_refuses_the_core) {
  use({"entry-refuses"});
  auto msg = load_error<dbridge::incompatible_error>("fixrefuses", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "DBR_E_INCOMPATIBLE")) << msg;
  EXPECT_TRUE(contains(msg, "refused this core")) << msg;
}

TEST_F(loader, newer_minor_is_refused_before_loading) {
  fs::path dir = copy_case("newer-minor");
  use({dir.string()});
  auto msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "needs plugin ABI 1." + std::to_string(DBR_ABI_MINOR + 1))) << msg;
  EXPECT_TRUE(contains(msg, "upgrade dbridge")) << msg;
  auto plugins = plugin_catalog::global().plugins();
  auto* p = find_plugin(plugins, "fixture-good");
  ASSERT_NE(p, nullptr);
  auto report = plugin_catalog::global().diagnose(*p);
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.steps.empty());
  EXPECT_EQ(report.steps.back().name, "abi range");
  EXPECT_FALSE(report.steps.back().ok);
  EXPECT_FALSE(report.steps.back().fix.empty());
  void* h = ::dlopen((dir / "newer" / "libdbrfix_good.so").c_str(), RTLD_LAZY | RTLD_NOLOAD);
  EXPECT_EQ(h, nullptr) << "the library was loaded although its ABI range excludes this core";
}

TEST_F(loader, requires_a_newer_dbridge) {
  use({"requires-newer"});
  auto msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "requires dbridge >=2.0, <3")) << msg;
}

TEST_F(loader, missing_entry_symbol) {
  use({"no-entry"});
  auto msg = load_error<dbridge::incompatible_error>("fixnoentry", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "does not export dbridge_plugin_entry_v1")) << msg;
  EXPECT_TRUE(contains(msg, "dbridge_plugin_entry_v2")) << msg;
}

TEST_F(loader, descriptor_disagrees_with_manifest) {
  use({"id-mismatch"});
  auto msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "id: library says 'fixture-good'")) << msg;
  EXPECT_TRUE(contains(msg, "says 'fixture-other'")) << msg;

  use({"version-mismatch"});
  msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "version: library says '1.0.0'")) << msg;
  EXPECT_TRUE(contains(msg, "'2.0.0'")) << msg;

  use({"scheme-mismatch"});
  msg = load_error<dbridge::incompatible_error>("fixother", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "schemes: library says [fixgood]")) << msg;
  EXPECT_TRUE(contains(msg, "[fixother]")) << msg;

  use({"caps-mismatch"});
  msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "capabilities: library says [cancel]")) << msg;
  EXPECT_TRUE(contains(msg, "[sql, cancel]")) << msg;

  use({"threading-mismatch"});
  msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "threading: library says per_connection")) << msg;
  EXPECT_TRUE(contains(msg, "says free")) << msg;
}

TEST_F(loader, checksum_mismatch) {
  use({"checksum"});
  auto msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "checksum mismatch")) << msg;
  EXPECT_TRUE(contains(msg, std::string(64, '0'))) << msg;
  EXPECT_TRUE(contains(msg, "reinstall")) << msg;
}

TEST_F(loader, library_that_is_not_a_shared_object) {
  use({"not-elf"});
  auto msg = load_error<dbridge::incompatible_error>("fixtext", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "not a shared library")) << msg;
  EXPECT_TRUE(contains(msg, "libdbrfix_text.so")) << msg;
}

TEST_F(loader, missing_dependency_is_named_with_a_fix) {
  use({"missing-dep"});
  auto msg = load_error<dbridge::not_found_error>("fixneedsdep", dbridge::errc::not_found);
  EXPECT_TRUE(contains(msg, "libdbrfix_dep.so")) << msg;
  EXPECT_TRUE(contains(msg, "not installed")) << msg;
  auto plugins = plugin_catalog::global().plugins();
  auto* p = find_plugin(plugins, "fixture-needsdep");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status, "broken");
  auto report = plugin_catalog::global().diagnose(*p);
  EXPECT_FALSE(report.ok);
  auto dep = std::find_if(report.steps.begin(), report.steps.end(),
                          [](const dbridge::load_step& s) { return s.name == "dependencies"; });
  ASSERT_NE(dep, report.steps.end());
  EXPECT_FALSE(dep->ok);
  EXPECT_TRUE(contains(dep->detail, "libdbrfix_dep.so")) << dep->detail;
  EXPECT_TRUE(contains(dep->fix, "libdbrfix_dep.so")) << dep->fix;
}

TEST(missing_library_fix, names_debian_packages) {
  EXPECT_TRUE(contains(dbridge::detail::missing_library_fix({"libpq.so.5"}), "apt-get install libpq5"));
  auto both = dbridge::detail::missing_library_fix({"libmariadb.so.3", "libfoo.so.9"});
  EXPECT_TRUE(contains(both, "apt-get install libmariadb3"));
  EXPECT_TRUE(contains(both, "libfoo.so.9"));
}

TEST_F(loader, init_failure_carries_the_plugins_message) {
  use({"init-fails"});
  auto msg = load_error<dbridge::resource_error>("fixinitfail", dbridge::errc::resource);
  EXPECT_TRUE(contains(msg, "init failed")) << msg;
  EXPECT_TRUE(contains(msg, "license file /nonexistent/fixture.lic is missing")) << msg;
}

TEST_F(loader, catalog_lists_good_plugins_next_to_broken_ones) {
  fs::path extra = home_ / "extra";
  fs::create_directories(extra / "syntax");
  fs::create_directories(extra / "nokind");
  std::ofstream(extra / "syntax" / "plugin.toml") << "manifest_version = 1\n[plugin\nid = \"x\"\n";
  std::ofstream(extra / "nokind" / "plugin.toml") << "manifest_version = 1\n[plugin]\nid = \"nokind\"\n";
  ::setenv("DBRIDGE_PLUGIN_PATH", ((fixtures / "mixed").string() + ":" + extra.string() + ":relative/ignored").c_str(), 1);
  plugin_catalog::global().rescan();

  auto& catalog = plugin_catalog::global();
  auto plugins = catalog.plugins();
  auto* good = find_plugin(plugins, "fixture-good");
  auto* text = find_plugin(plugins, "fixture-text");
  ASSERT_NE(good, nullptr);
  ASSERT_NE(text, nullptr);
  EXPECT_NE(good->status, "broken");

  auto problems = catalog.problems();
  auto has_problem = [&](const std::string& where, const std::string& what) {
    return std::any_of(problems.begin(), problems.end(), [&](const dbridge::plugin_problem& p) {
      return contains(p.manifest_path.string(), where) && contains(p.message, what) && !p.fix.empty();
    });
  };
  EXPECT_TRUE(has_problem("syntax/plugin.toml", "plugin.toml:2:")) << "syntax error with line";
  EXPECT_TRUE(has_problem("nokind/plugin.toml", "plugin.kind"));
  EXPECT_TRUE(has_problem("relative/ignored", "not an absolute path"));

  // The broken ones do not stop the good one from loading...
  EXPECT_EQ(driver_for_scheme("fixgood")->id, "fixture-good");
  // ...and a failed load is remembered on its own entry.
  EXPECT_THROW(driver_for_scheme("fixtext"), dbridge::incompatible_error);
  plugins = catalog.plugins();
  EXPECT_EQ(find_plugin(plugins, "fixture-good")->status, "loaded");
  EXPECT_EQ(find_plugin(plugins, "fixture-text")->status, "broken");
  EXPECT_TRUE(contains(find_plugin(plugins, "fixture-text")->problem, "not a shared library"));
  auto schemes = catalog.schemes();
  EXPECT_NE(std::find(schemes.begin(), schemes.end(), "fixgood"), schemes.end());
  EXPECT_NE(std::find(schemes.begin(), schemes.end(), "fixtext"), schemes.end());
}

TEST_F(loader, highest_version_wins_unless_pinned) {
  use({"versions"});
  auto r = plugin_catalog::global().resolve("fixgood");
  ASSERT_TRUE(r.plugin);
  EXPECT_EQ(r.plugin->version, "1.2.0");
  EXPECT_EQ(r.candidates.size(), 2u);
  EXPECT_TRUE(contains(r.reason, "highest")) << r.reason;
  EXPECT_EQ(driver_for_scheme("fixgood")->version, "1.2.0");

  config("[pins]\nfixture-good = \"1.0.0\"\n");
  r = plugin_catalog::global().resolve("fixgood");
  ASSERT_TRUE(r.plugin);
  EXPECT_EQ(r.plugin->version, "1.0.0");
  EXPECT_TRUE(contains(r.reason, "pinned")) << r.reason;
  EXPECT_EQ(driver_for_scheme("fixgood")->version, "1.0.0");

  config("[pins]\nfixture-good = \"3.0.0\"\n");
  EXPECT_THROW(driver_for_scheme("fixgood"), dbridge::invalid_argument_error);
}

TEST_F(loader, two_plugins_claiming_a_scheme_need_the_config) {
  use({"conflict"});
  auto r = plugin_catalog::global().resolve("fixdup");
  EXPECT_FALSE(r.plugin);
  EXPECT_EQ(r.candidates.size(), 2u);
  EXPECT_TRUE(contains(r.reason, "fixture-dup-a")) << r.reason;
  EXPECT_TRUE(contains(r.reason, "fixture-dup-b")) << r.reason;
  auto msg = load_error<dbridge::invalid_argument_error>("fixdup", dbridge::errc::invalid_argument);
  EXPECT_TRUE(contains(msg, "claimed by several plugins")) << msg;
  auto problems = plugin_catalog::global().problems();
  EXPECT_TRUE(std::any_of(problems.begin(), problems.end(), [](const dbridge::plugin_problem& p) {
    return contains(p.message, "scheme 'fixdup' is claimed") && contains(p.fix, "[schemes]");
  }));

  config("[schemes]\nfixdup = \"fixture-dup-b\"\n");
  r = plugin_catalog::global().resolve("fixdup");
  ASSERT_TRUE(r.plugin);
  EXPECT_EQ(r.plugin->id, "fixture-dup-b");
  EXPECT_TRUE(contains(r.reason, "dbridge.toml")) << r.reason;
}

TEST_F(loader, never_searches_the_current_directory) {
  fs::path dir = copy_case("good");
  fs::path old = fs::current_path();
  fs::current_path(dir / "good");  // holds plugin.toml and the library
  plugin_catalog::global().rescan();
  EXPECT_THROW(driver_for_scheme("fixgood"), dbridge::not_found_error);
  fs::current_path(dir);
  plugin_catalog::global().rescan();
  EXPECT_THROW(driver_for_scheme("fixgood"), dbridge::not_found_error);
  fs::current_path(old);
}

TEST_F(loader, search_path_order) {
  ::setenv("DBRIDGE_PLUGIN_PATH", "/opt/a:relative/b::/opt/c", 1);
  std::ofstream(home_ / "config" / "dbridge" / "dbridge.toml")
      << "plugin_path = [\"/opt/from-config\", \"not/absolute\"]\n";
  auto setup = dbridge::detail::compute_search_setup();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& d : setup.dirs) got.emplace_back(d.path.string(), d.origin);
  ASSERT_GE(got.size(), 5u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"/opt/a", "DBRIDGE_PLUGIN_PATH"}));
  EXPECT_EQ(got[1], (std::pair<std::string, std::string>{"/opt/c", "DBRIDGE_PLUGIN_PATH"}));
  EXPECT_EQ(got[2], (std::pair<std::string, std::string>{"/opt/from-config", "config"}));
  EXPECT_EQ(got[3], (std::pair<std::string, std::string>{(home_ / "data" / "dbridge" / "plugins").string(),
                                                         "XDG_DATA_HOME"}));
  EXPECT_EQ(got[4].second, "install prefix");
  // These tests run the core from the build tree, so its plugins come last.
  EXPECT_TRUE(dbridge::detail::core_runs_from_build_tree());
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[5].second, "build tree");
  std::vector<std::string> scopes;
  for (const auto& d : setup.dirs) scopes.push_back(d.scope);
  EXPECT_EQ(scopes, (std::vector<std::string>{"env", "env", "config", "user", "system", "build"}));
  // The system folder follows the binary the core runs in (libdbridge.so; here
  // the test, which links the core's objects), not the configured prefix.
  EXPECT_EQ(setup.dirs[4].path, dbridge::detail::core_library_dir() / "dbridge" / "plugins");
  Dl_info self{};
  ASSERT_NE(::dladdr(reinterpret_cast<void*>(&dbridge::detail::core_library_dir), &self), 0);
  EXPECT_EQ(dbridge::detail::core_library_dir(), fs::canonical(self.dli_fname).parent_path());
  EXPECT_EQ(setup.problems.size(), 2u);
  EXPECT_EQ(plugin_catalog::default_search_path().size(), got.size());
}

TEST_F(loader, scope_folders_are_the_user_and_system_search_folders) {
  ::unsetenv("DBRIDGE_PLUGIN_PATH");
  const auto dirs = plugin_catalog::default_search_path();
  auto in_scope = [&](std::string_view scope) {
    for (const auto& d : dirs)
      if (d.scope == scope) return d.path;
    return fs::path();
  };
  EXPECT_EQ(plugin_catalog::scope_folder("user"), home_ / "data" / "dbridge" / "plugins");
  EXPECT_EQ(plugin_catalog::scope_folder("user"), in_scope("user"));
  EXPECT_EQ(plugin_catalog::scope_folder("system"), dbridge::detail::core_library_dir() / "dbridge" / "plugins");
  EXPECT_EQ(plugin_catalog::scope_folder("system"), in_scope("system"));
  EXPECT_THROW((void)plugin_catalog::scope_folder("build"), dbridge::invalid_argument_error);
  const char* home = ::getenv("HOME");
  const std::string saved = home != nullptr ? home : "";
  ::unsetenv("XDG_DATA_HOME");
  ::unsetenv("HOME");
  EXPECT_TRUE(plugin_catalog::scope_folder("user").empty());
  if (home != nullptr) ::setenv("HOME", saved.c_str(), 1);
}

TEST_F(loader, config_errors_are_problems) {
  std::ofstream(home_ / "config" / "dbridge" / "dbridge.toml") << "plugin_path = \"/x\"\n[pins]\na = 1\n";
  std::vector<dbridge::plugin_problem> problems;
  auto cfg = dbridge::detail::read_user_config(home_ / "config" / "dbridge" / "dbridge.toml", problems);
  EXPECT_TRUE(cfg.found);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(contains(problems[0].message, "dbridge.toml:1:")) << problems[0].message;
  EXPECT_TRUE(contains(problems[1].message, "[pins] a must be a string")) << problems[1].message;
}

// dbr_exec_info grew (first_max, has_first, first) after plugins were written
// against its first 32 bytes. Such a plugin never fills the first batch, and
// the core must notice and fetch every row itself.
TEST_F(loader, plugin_built_against_the_shorter_exec_info_still_streams_every_row) {
  use({"old-sql"});
  auto db = dbridge::connect("fixoldsql://nowhere/db");
  std::vector<std::int64_t> seen;
  for (const auto& row : db.query("count 3")) seen.push_back(row.get<std::int64_t>(0));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3}));

  auto none = db.query("count 0");
  EXPECT_EQ(none.next(), nullptr);
  ASSERT_EQ(none.columns().size(), 1u);
  EXPECT_EQ(none.columns()[0].name, "n");

  auto st = db.prepare("count 2");
  for (int round = 0; round < 3; ++round) {
    auto r = st.query();
    const auto* first = r.next();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->get<std::int64_t>("n"), 1);
    const auto* second = r.next();
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(second->get<std::int64_t>(0), 2);
    EXPECT_EQ(r.next(), nullptr);
  }
}

// A driver built from the frozen 1.3 header has no execute_batch slot: the
// core runs execute_many one execute per row, names the failing row, and the
// rows before it stay applied as they would row by row.
TEST_F(loader, a_driver_without_the_batch_slot_runs_execute_many_row_by_row) {
  use({"old-sql-v13"});
  auto db = dbridge::connect("fixoldsql13://nowhere/db");
  auto add = db.prepare("add ?");
  const std::vector<dbridge::value> ok = {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, std::int64_t{4}};
  EXPECT_EQ(add.execute_many(ok).affected_rows, 4);
  EXPECT_EQ(db.query_one("show").get<std::int64_t>(0), 10);
  const std::vector<dbridge::value> bad = {std::int64_t{100}, std::string("x"), std::int64_t{1000}};
  std::uint64_t failed = 0;
  try {
    (void)add.execute_many(bad, &failed);
    FAIL() << "a text value went through";
  } catch (const dbridge::data_error& e) {
    EXPECT_EQ(e.info().message.rfind("row 1: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(db.query_one("show").get<std::int64_t>(0), 110);
}

// ---------------------------------------------------------------- issue 10
// Who may change a plugin's code: a library or folder every user may write to
// is refused unless the user config allows it; group-writable files and a
// library symlinked out of its package are loaded with a warning.

TEST_F(loader, world_writable_library_is_refused_unless_the_config_allows_it) {
  const fs::path dir = copy_case("good");
  const fs::path lib = dir / "good" / "libdbrfix_good.so";
  fs::permissions(lib, fs::perms::others_write, fs::perm_options::add);
  use({dir.string()});
  const auto listed = plugin_catalog::global().plugins();
  const auto* p = find_plugin(listed, "fixture-good");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status, "broken");
  EXPECT_TRUE(contains(p->problem, lib.string())) << p->problem;
  EXPECT_TRUE(contains(p->problem, "chmod go-w " + lib.string())) << p->problem;
  ASSERT_FALSE(p->warnings.empty());

  const std::string msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, lib.string())) << msg;
  EXPECT_TRUE(contains(msg, "chmod go-w")) << msg;
  EXPECT_TRUE(contains(msg, "allow_writable_plugins")) << msg;
  const auto report = plugin_catalog::global().diagnose(*p);
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.steps.empty());
  EXPECT_EQ(report.steps.back().name, "permissions");
  EXPECT_FALSE(report.steps.back().ok);

  config("[security]\nallow_writable_plugins = true\n");
  const auto allowed = plugin_catalog::global().plugins();
  const auto* q = find_plugin(allowed, "fixture-good");
  ASSERT_NE(q, nullptr);
  EXPECT_NE(q->status, "broken") << q->problem;
  EXPECT_FALSE(q->warnings.empty());
  EXPECT_TRUE(driver_for_scheme("fixgood"));
}

TEST_F(loader, world_writable_package_folder_is_refused) {
  const fs::path dir = copy_case("good");
  fs::permissions(dir / "good", fs::perms::others_write, fs::perm_options::add);
  use({dir.string()});
  const std::string msg = load_error<dbridge::incompatible_error>("fixgood", dbridge::errc::incompatible);
  EXPECT_TRUE(contains(msg, "plugin folder " + (dir / "good").string())) << msg;
  EXPECT_TRUE(contains(msg, "chmod go-w " + (dir / "good").string())) << msg;
}

TEST_F(loader, group_writable_or_symlinked_libraries_load_with_a_warning) {
  const fs::path dir = copy_case("good");
  const fs::path lib = dir / "good" / "libdbrfix_good.so";
  fs::permissions(lib, fs::perms::group_write, fs::perm_options::add);
  use({dir.string()});
  auto listed = plugin_catalog::global().plugins();
  const auto* p = find_plugin(listed, "fixture-good");
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->status, "broken") << p->problem;
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_TRUE(contains(p->warnings[0], "writable by its group")) << p->warnings[0];
  EXPECT_TRUE(contains(p->warnings[0], "chmod g-w " + lib.string())) << p->warnings[0];
  EXPECT_TRUE(driver_for_scheme("fixgood"));

  // The library moved elsewhere, a symlink left in its place.
  const fs::path dir2 = copy_case("good");
  const fs::path elsewhere = home_ / "elsewhere";
  fs::create_directories(elsewhere);
  fs::rename(dir2 / "good" / "libdbrfix_good.so", elsewhere / "libdbrfix_good.so");
  fs::create_symlink(elsewhere / "libdbrfix_good.so", dir2 / "good" / "libdbrfix_good.so");
  const auto info = [&] {
    use({dir2.string()});
    return *find_plugin(plugin_catalog::global().plugins(), "fixture-good");
  }();
  ASSERT_EQ(info.warnings.size(), 1u);
  EXPECT_TRUE(contains(info.warnings[0], "symlink to " + (elsewhere / "libdbrfix_good.so").string()))
      << info.warnings[0];
  EXPECT_NE(info.status, "broken");
}

TEST_F(loader, built_packages_are_not_refused_with_the_build_umask) {
  use({"good"});
  const auto listed = plugin_catalog::global().plugins();
  const auto* p = find_plugin(listed, "fixture-good");
  ASSERT_NE(p, nullptr);
  for (const auto& f : dbridge::detail::check_plugin_files(*p)) EXPECT_FALSE(f.refuse) << f.message;
}

TEST_F(loader, security_config_errors_are_problems) {
  std::ofstream(home_ / "config" / "dbridge" / "dbridge.toml")
      << "[security]\nallow_writable_plugins = \"yes\"\nother = 1\n";
  std::vector<dbridge::plugin_problem> problems;
  auto cfg = dbridge::detail::read_user_config(home_ / "config" / "dbridge" / "dbridge.toml", problems);
  EXPECT_FALSE(cfg.allow_writable_plugins);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(contains(problems[0].message, "dbridge.toml:2:")) << problems[0].message;
}

TEST_F(loader, user_config_with_a_non_ascii_bare_key_is_a_problem_not_undefined_behaviour) {
  std::ofstream(home_ / "config" / "dbridge" / "dbridge.toml") << "plugin_path = []\na\xef\xbb\xa8=1\n";
  std::vector<dbridge::plugin_problem> problems;
  dbridge::detail::read_user_config(home_ / "config" / "dbridge" / "dbridge.toml", problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(contains(problems[0].message, "dbridge.toml:2:2:")) << problems[0].message;
}
