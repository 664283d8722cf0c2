// SPDX-License-Identifier: Apache-2.0
// A driver's manifest sets its URL rules (url_rules.cpp): url_style = "path"
// and declared [[driver.options]]. Exercised on a copy of the old-sql
// fixture package (a real C driver) whose manifest gains those fields, and on
// the manifest reader itself.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <dbridge/connection.hpp>
#include <dbridge/error.hpp>
#include <dbridge/plugin_catalog.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugin/manifest.hpp"
#include "temp_files.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path fixtures = DBRIDGE_FIXTURE_DIR;

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class url_rules : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(fixtures / "old-sql", dir_ / "plugins", fs::copy_options::recursive);
    const fs::path manifest = dir_ / "plugins" / "oldsql" / "plugin.toml";
    std::string text = read_all(manifest);
    const std::string caps = "capabilities = [\"sql\"]\n";
    const auto at = text.find(caps);
    ASSERT_NE(at, std::string::npos) << text;
    text.insert(at + caps.size(), R"(url_style = "path"

[[driver.options]]
name = "busy_wait"
type = "integer"
default = 5
summary = "Milliseconds to wait"

[[driver.options]]
name = "mode"
type = "string"
values = ["ro", "rw"]
summary = "Open mode"

[[driver.options]]
name = "cookie"
type = "integer"
secret = true
summary = "Session cookie"
)");
    std::ofstream(manifest) << text;
    ::setenv("DBRIDGE_PLUGIN_PATH", (dir_ / "plugins").c_str(), 1);
    dbridge::plugin_catalog::global().rescan();
  }
  void TearDown() override {
    ::unsetenv("DBRIDGE_PLUGIN_PATH");
    dbridge::plugin_catalog::global().rescan();
  }
  static std::string error_of(const std::string& url) {
    try {
      (void)dbridge::connect(url);
    } catch (const dbridge::invalid_argument_error& e) {
      return e.what();
    } catch (const std::exception& e) {
      return std::string("other error: ") + e.what();
    }
    return "no error";
  }
  dbridge::test::temp_dir folder_{"dbridge-url-rules"};
  const fs::path& dir_ = folder_.path();
};

TEST_F(url_rules, manifest_declares_style_and_options) {
  auto r = dbridge::detail::read_manifest(dir_ / "plugins" / "oldsql" / "plugin.toml");
  ASSERT_TRUE(r.info) << (r.problems.empty() ? "" : r.problems.front().message);
  EXPECT_EQ(r.info->url_style, "path");
  ASSERT_TRUE(r.info->options_declared);
  ASSERT_EQ(r.info->options.size(), 3u);
  EXPECT_EQ(r.info->options[0].name, "busy_wait");
  EXPECT_EQ(r.info->options[0].default_value, "5");
  EXPECT_EQ(r.info->options[1].values, (std::vector<std::string>{"ro", "rw"}));
  EXPECT_TRUE(r.info->options[2].secret);
}

TEST_F(url_rules, bad_declarations_are_manifest_errors) {
  const fs::path manifest = dir_ / "plugins" / "oldsql" / "plugin.toml";
  std::string text = read_all(manifest);
  text.replace(text.find("url_style = \"path\""), 18, "url_style = \"file\"");
  text.replace(text.find("type = \"integer\""), 16, "type = \"int32\"");
  std::ofstream(manifest) << text;
  auto r = dbridge::detail::read_manifest(manifest);
  EXPECT_FALSE(r.info);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].message.find("driver.url_style"), std::string::npos) << r.problems[0].message;
  EXPECT_NE(r.problems[1].message.find("unknown type 'int32'"), std::string::npos) << r.problems[1].message;
}

TEST_F(url_rules, path_style_keeps_the_leading_slash_and_shows_the_path_unescaped) {
  auto c = dbridge::connect("fixoldsql:///var/data/db");
  EXPECT_EQ(c.database(), "/var/data/db");
  EXPECT_EQ(c.redacted_url(), "fixoldsql:///var/data/db");
  // Not host:port at all: read as a path, where an authority parse fails.
  auto rel = dbridge::connect("fixoldsql://rel:dir/x.db");
  EXPECT_EQ(rel.database(), "rel:dir/x.db");
}

TEST_F(url_rules, unknown_option_names_the_nearest) {
  const std::string e = error_of("fixoldsql:///db?busy_wiat=3");
  EXPECT_NE(e.find("no URL option 'busy_wiat'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'busy_wait'"), std::string::npos) << e;
  EXPECT_NE(e.find("busy_wait, mode, cookie"), std::string::npos) << e;
}

TEST_F(url_rules, values_are_checked_against_the_declared_type) {
  std::string e = error_of("fixoldsql:///db?busy_wait=soon");
  EXPECT_NE(e.find("busy_wait='soon' is not an integer"), std::string::npos) << e;
  e = error_of("fixoldsql:///db?mode=rwc");
  EXPECT_NE(e.find("is not one of ro, rw"), std::string::npos) << e;
  EXPECT_NO_THROW(dbridge::connect("fixoldsql:///db?busy_wait=-3&mode=ro"));
}

TEST_F(url_rules, a_declared_secret_is_never_shown) {
  const std::string e = error_of("fixoldsql:///db?cookie=hunter2x");
  EXPECT_EQ(e.find("hunter2x"), std::string::npos) << e;
  EXPECT_NE(e.find("cookie=the value given is not an integer"), std::string::npos) << e;
  auto c = dbridge::connect("fixoldsql:///db?cookie=987654321");
  EXPECT_EQ(c.redacted_url().find("987654321"), std::string::npos) << c.redacted_url();
}

}  // namespace
