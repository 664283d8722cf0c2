// SPDX-License-Identifier: Apache-2.0
// Manifest validation (docs/architecture.md, Discovery and manifests): every error names the manifest, the field
// and a fix; version arithmetic for plugin versions and requires.dbridge.
#include <dbridge/abi.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "plugin/manifest.hpp"
#include "temp_files.hpp"

namespace fs = std::filesystem;
using namespace dbridge::detail;

namespace {

class manifest : public ::testing::Test {
 protected:
  // Writes text as <dir>/<name>/plugin.toml and reads it back.
  manifest_result read(const std::string& text, const std::string& name = "pkg") {
    fs::create_directories(dir_ / name);
    path_ = dir_ / name / "plugin.toml";
    std::ofstream(path_) << text;
    return read_manifest(path_);
  }

  // The one problem of a manifest, checked to name the file and carry a fix.
  std::string only_problem(const manifest_result& r) {
    EXPECT_FALSE(r.info.has_value());
    EXPECT_EQ(r.problems.size(), 1u);
    if (r.problems.empty()) return {};
    const auto& p = r.problems.front();
    EXPECT_EQ(p.manifest_path, path_);
    EXPECT_NE(p.message.find(path_.string()), std::string::npos) << p.message;
    EXPECT_FALSE(p.fix.empty()) << p.message;
    return p.message;
  }

  dbridge::test::temp_dir folder_{"dbridge-manifest"};
  const fs::path& dir_ = folder_.path();
  fs::path path_;
};

const char* const good_sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string valid(const std::string& replace_from = "", const std::string& replace_to = "") {
  std::string text = std::string(R"(manifest_version = 1
[plugin]
id = "postgres"
kind = "driver"
version = "1.2.3"
summary = "PostgreSQL driver on libpq"
[abi]
major = 1
min_minor = 0
[library]
path = "libdbridge_postgres.so"
sha256 = ")") + good_sha + R"("
[driver]
schemes = ["postgresql", "postgres"]
capabilities = ["sql", "transactions", "notify", "cancel"]
[runtime]
threading = "per_connection"
[requires]
dbridge = ">=1.0, <2"
)";
  if (!replace_from.empty()) {
    auto pos = text.find(replace_from);
    if (pos == std::string::npos) throw std::runtime_error("test bug: no " + replace_from);
    text.replace(pos, replace_from.size(), replace_to);
  }
  return text;
}

}  // namespace

TEST_F(manifest, valid_manifest_reads_every_field) {
  auto r = read(valid());
  ASSERT_TRUE(r.info.has_value()) << (r.problems.empty() ? "" : r.problems[0].message);
  EXPECT_TRUE(r.problems.empty());
  const auto& i = *r.info;
  EXPECT_EQ(i.id, "postgres");
  EXPECT_EQ(i.kind, "driver");
  EXPECT_EQ(i.version, "1.2.3");
  EXPECT_EQ(i.summary, "PostgreSQL driver on libpq");
  EXPECT_EQ(i.abi_major, 1u);
  EXPECT_EQ(i.abi_min_minor, 0u);
  EXPECT_EQ(i.library_path, dir_ / "pkg" / "libdbridge_postgres.so");
  EXPECT_TRUE(i.library_path.is_absolute());
  EXPECT_EQ(i.sha256, good_sha);
  EXPECT_EQ(i.schemes, (std::vector<std::string>{"postgresql", "postgres"}));
  EXPECT_EQ(i.capabilities, (std::vector<std::string>{"sql", "transactions", "notify", "cancel"}));
  EXPECT_EQ(i.threading, "per_connection");
  EXPECT_EQ(i.requires_dbridge, ">=1.0, <2");
  EXPECT_EQ(i.manifest_path, path_);
  EXPECT_FALSE(compatibility_problem(i).has_value());
}

TEST_F(manifest, syntax_error_reports_line_and_column) {
  auto msg = only_problem(read("manifest_version = 1\n[plugin]\nid = \"x\nkind = \"driver\"\n"));
  EXPECT_NE(msg.find(path_.string() + ":3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("syntax"), std::string::npos) << msg;
}

TEST_F(manifest, newer_manifest_version_is_rejected_clearly) {
  auto msg = only_problem(read(valid("manifest_version = 1", "manifest_version = 2")));
  EXPECT_NE(msg.find("manifest_version"), std::string::npos);
  EXPECT_NE(msg.find("newer"), std::string::npos);
  EXPECT_NE(msg.find(":1:"), std::string::npos) << msg;
}

TEST_F(manifest, missing_manifest_version) {
  auto msg = only_problem(read(valid("manifest_version = 1", "")));
  EXPECT_NE(msg.find("'manifest_version'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
}

TEST_F(manifest, missing_plugin_table) {
  auto r = read("manifest_version = 1\n");
  ASSERT_FALSE(r.info);
  bool found = false;
  for (const auto& p : r.problems)
    if (p.message.find("missing table [plugin]") != std::string::npos) found = true;
  EXPECT_TRUE(found);
}

TEST_F(manifest, bad_id) {
  auto msg = only_problem(read(valid("id = \"postgres\"", "id = \"Postgres_SQL\"")));
  EXPECT_NE(msg.find("plugin.id"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Postgres_SQL"), std::string::npos) << msg;
  EXPECT_NE(msg.find(":3:"), std::string::npos) << msg;
}

TEST_F(manifest, wrong_type) {
  auto msg = only_problem(read(valid("id = \"postgres\"", "id = 42")));
  EXPECT_NE(msg.find("plugin.id"), std::string::npos) << msg;
  EXPECT_NE(msg.find("must be a string, found an integer"), std::string::npos) << msg;
}

TEST_F(manifest, missing_id) {
  auto msg = only_problem(read(valid("id = \"postgres\"", "")));
  EXPECT_NE(msg.find("plugin.id"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
}

TEST_F(manifest, unknown_kind) {
  auto r = read(valid("kind = \"driver\"", "kind = \"drivr\""));
  ASSERT_FALSE(r.info);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].message.find("unknown kind 'drivr'"), std::string::npos) << r.problems[0].message;
  EXPECT_NE(r.problems[0].message.find("plugin.kind"), std::string::npos);
  EXPECT_NE(r.problems[0].fix.find("driver"), std::string::npos);
}

TEST_F(manifest, version_not_semver) {
  auto msg = only_problem(read(valid("version = \"1.2.3\"", "version = \"1.2\"")));
  EXPECT_NE(msg.find("plugin.version"), std::string::npos) << msg;
  EXPECT_NE(msg.find("semantic version"), std::string::npos) << msg;
}

TEST_F(manifest, abi_fields) {
  auto msg = only_problem(read(valid("major = 1\n", "")));
  EXPECT_NE(msg.find("abi.major"), std::string::npos) << msg;
  msg = only_problem(read(valid("min_minor = 0", "min_minor = -1")));
  EXPECT_NE(msg.find("abi.min_minor"), std::string::npos) << msg;
  msg = only_problem(read(valid("min_minor = 0", "min_minor = \"0\"")));
  EXPECT_NE(msg.find("must be an integer, found a string"), std::string::npos) << msg;
}

TEST_F(manifest, library_path_rules) {
  auto msg = only_problem(read(valid("path = \"libdbridge_postgres.so\"", "path = \"/usr/lib/libx.so\"")));
  EXPECT_NE(msg.find("library.path"), std::string::npos) << msg;
  EXPECT_NE(msg.find("absolute"), std::string::npos) << msg;
  msg = only_problem(read(valid("path = \"libdbridge_postgres.so\"", "path = \"../other/libx.so\"")));
  EXPECT_NE(msg.find("'..'"), std::string::npos) << msg;
  msg = only_problem(read(valid("path = \"libdbridge_postgres.so\"", "")));
  EXPECT_NE(msg.find("library.path"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
  auto ok = read(valid("path = \"libdbridge_postgres.so\"", "path = \"lib/./libx.so\""));
  ASSERT_TRUE(ok.info);
  EXPECT_EQ(ok.info->library_path, dir_ / "pkg" / "lib" / "libx.so");
}

TEST_F(manifest, sha256_required_and_hex) {
  auto msg = only_problem(read(valid(std::string("sha256 = \"") + good_sha + "\"", "sha256 = \"abc\"")));
  EXPECT_NE(msg.find("library.sha256"), std::string::npos) << msg;
  EXPECT_NE(msg.find("64 hexadecimal"), std::string::npos) << msg;
  msg = only_problem(read(valid(std::string("sha256 = \"") + good_sha + "\"", "")));
  EXPECT_NE(msg.find("library.sha256"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
}

TEST_F(manifest, driver_schemes) {
  auto msg = only_problem(read(valid("schemes = [\"postgresql\", \"postgres\"]\n", "")));
  EXPECT_NE(msg.find("driver.schemes"), std::string::npos) << msg;
  msg = only_problem(read(valid("\"postgresql\", \"postgres\"", "\"postgresql\", \"9pg\"")));
  EXPECT_NE(msg.find("'9pg' is not a valid URL scheme"), std::string::npos) << msg;
  msg = only_problem(read(valid("\"postgresql\", \"postgres\"", "\"postgres\", \"postgres\"")));
  EXPECT_NE(msg.find("listed twice"), std::string::npos) << msg;
  msg = only_problem(read(valid("schemes = [\"postgresql\", \"postgres\"]", "schemes = []")));
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  msg = only_problem(read(valid("schemes = [\"postgresql\", \"postgres\"]", "schemes = \"postgres\"")));
  EXPECT_NE(msg.find("array of strings"), std::string::npos) << msg;
}

TEST_F(manifest, missing_driver_table_for_driver) {
  std::string text = valid();
  text.replace(text.find("[driver]"), std::string("[driver]").size(), "[drivers]");
  auto msg = only_problem(read(text));
  EXPECT_NE(msg.find("missing table [driver]"), std::string::npos) << msg;
}

TEST_F(manifest, driver_table_in_pool_is_an_error) {
  auto msg = only_problem(read(valid("kind = \"driver\"", "kind = \"pool\"")));
  EXPECT_NE(msg.find("only plugins of kind \"driver\""), std::string::npos) << msg;
}

TEST_F(manifest, pool_without_driver_table_is_valid) {
  std::string text = valid("kind = \"driver\"", "kind = \"pool\"");
  text = text.substr(0, text.find("[driver]")) + text.substr(text.find("[runtime]"));
  auto r = read(text);
  ASSERT_TRUE(r.info) << r.problems.at(0).message;
  EXPECT_EQ(r.info->kind, "pool");
  EXPECT_TRUE(r.info->schemes.empty());
}

TEST_F(manifest, unknown_capability) {
  auto r = read(valid("\"cancel\"]", "\"cancel\", \"teleport\"]"));
  auto msg = only_problem(r);
  EXPECT_NE(msg.find("driver.capabilities"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown capability 'teleport'"), std::string::npos) << msg;
  EXPECT_NE(r.problems[0].fix.find("introspect"), std::string::npos) << r.problems[0].fix;
}

TEST_F(manifest, threading_level) {
  auto msg = only_problem(read(valid("threading = \"per_connection\"", "threading = \"parallel\"")));
  EXPECT_NE(msg.find("runtime.threading"), std::string::npos) << msg;
  EXPECT_NE(msg.find("parallel"), std::string::npos) << msg;
  msg = only_problem(read(valid("threading = \"per_connection\"\n", "")));
  EXPECT_NE(msg.find("runtime.threading"), std::string::npos) << msg;
}

TEST_F(manifest, requires_range_must_parse) {
  auto msg = only_problem(read(valid(">=1.0, <2", "about one-ish")));
  EXPECT_NE(msg.find("requires.dbridge"), std::string::npos) << msg;
}

TEST_F(manifest, every_error_of_a_file_is_reported) {
  std::string text = valid("kind = \"driver\"", "kind = \"nope\"");
  text = text.replace(text.find("version = \"1.2.3\""), 17, "version = \"x\"");
  text = text.replace(text.find("threading = \"per_connection\""), 28, "threading = 3");
  auto r = read(text);
  EXPECT_FALSE(r.info);
  EXPECT_GE(r.problems.size(), 3u);
}

TEST_F(manifest, unknown_keys_are_ignored_for_forward_compatibility) {
  auto r = read(valid("[runtime]", "[future]\nx = 1\n[runtime]\nunload_safe = false"));
  ASSERT_TRUE(r.info) << r.problems.at(0).message;
}

TEST_F(manifest, compatibility_checks) {
  auto r = read(valid());
  ASSERT_TRUE(r.info);
  auto info = *r.info;
  info.abi_major = 2;
  auto p = compatibility_problem(info);
  ASSERT_TRUE(p);
  EXPECT_NE(p->message.find("ABI major 2"), std::string::npos) << p->message;
  info = *r.info;
  info.abi_min_minor = 9;
  p = compatibility_problem(info);
  ASSERT_TRUE(p);
  EXPECT_NE(p->message.find("1.9"), std::string::npos) << p->message;
  EXPECT_NE(p->fix.find("upgrade dbridge"), std::string::npos);
  info = *r.info;
  info.requires_dbridge = ">=2.0, <3";
  p = compatibility_problem(info);
  ASSERT_TRUE(p);
  EXPECT_NE(p->message.find("requires dbridge >=2.0, <3"), std::string::npos) << p->message;
}

TEST(semver, parse_and_compare) {
  EXPECT_TRUE(parse_semver("1.0.0"));
  EXPECT_TRUE(parse_semver("10.20.30-rc.1+build.5"));
  EXPECT_FALSE(parse_semver("1.0"));
  EXPECT_FALSE(parse_semver("01.0.0"));
  EXPECT_FALSE(parse_semver("1.0.0-"));
  EXPECT_FALSE(parse_semver("a.b.c"));
  EXPECT_LT(compare_versions("1.0.0", "1.2.0"), 0);
  EXPECT_LT(compare_versions("1.9.0", "1.10.0"), 0);
  EXPECT_LT(compare_versions("1.0.0-rc.1", "1.0.0"), 0);
  EXPECT_LT(compare_versions("1.0.0-alpha", "1.0.0-alpha.1"), 0);
  EXPECT_LT(compare_versions("1.0.0-2", "1.0.0-10"), 0);
  EXPECT_EQ(compare_versions("1.0.0+a", "1.0.0+b"), 0);
  EXPECT_GT(compare_versions("2.0.0", "1.99.99"), 0);
}

TEST(semver, ranges) {
  auto holds = [](const char* v, const char* r) {
    std::string err;
    auto ok = version_satisfies(v, r, &err);
    EXPECT_TRUE(ok.has_value()) << r << ": " << err;
    return ok.value_or(false);
  };
  EXPECT_TRUE(holds("1.0.0", ">=1.0, <2"));
  EXPECT_FALSE(holds("2.0.0", ">=1.0, <2"));
  EXPECT_FALSE(holds("0.9.0", ">=1.0, <2"));
  EXPECT_TRUE(holds("1.4.2", "^1.2"));
  EXPECT_FALSE(holds("2.0.0", "^1.2"));
  EXPECT_TRUE(holds("1.2.9", "~1.2"));
  EXPECT_FALSE(holds("1.3.0", "~1.2"));
  EXPECT_TRUE(holds("1.2.5", "=1.2"));
  EXPECT_TRUE(holds("1.0.0", "1"));
  EXPECT_TRUE(holds("1.0.0-rc.1", ">=1.0, <=1.0.0"));
  std::string err;
  EXPECT_FALSE(version_satisfies("1.0.0", ">=one", &err).has_value());
  EXPECT_NE(err.find(">=one"), std::string::npos);
  EXPECT_FALSE(version_satisfies("1.0.0", "", &err).has_value());
}

TEST(capabilities, names_and_bits) {
  EXPECT_EQ(capability_bits({"sql", "cancel"}), std::uint64_t{DBR_CAP_SQL | DBR_CAP_CANCEL});
  EXPECT_EQ(capability_names(DBR_CAP_NOTIFY | DBR_CAP_BULK), (std::vector<std::string>{"notify", "bulk"}));
  EXPECT_EQ(known_capabilities().size(), 9u);
  EXPECT_EQ(kind_code("mapper"), std::uint32_t{DBR_KIND_MAPPER});
  EXPECT_EQ(threading_code("free"), std::uint32_t{DBR_THREADING_FREE});
  EXPECT_EQ(threading_name(DBR_THREADING_GLOBAL_SERIAL), "global_serial");
}

// ---------------------------------------------------------------- issue 10
// Text toml++ 3.3.0 must never see: it reached __builtin_unreachable on
// "a\xef\xbb\xa8=1" (a non-ASCII bare key); invalid UTF-8 and NUL bytes are
// refused before parsing too, each with line and column.

TEST_F(manifest, non_ascii_bare_key_is_refused_before_toml_parsing) {
  auto msg = only_problem(read(std::string("manifest_version = 1\na\xef\xbb\xa8=1\n")));
  EXPECT_NE(msg.find(path_.string() + ":2:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("non-ASCII"), std::string::npos) << msg;
}

TEST_F(manifest, nul_and_invalid_utf8_name_line_and_column) {
  struct bad_text {
    std::string text, where;
  };
  const bad_text cases[] = {
      {std::string("id = \"a\0b\"\n", 11), ":1:8:"},           // NUL byte
      {"x = 1\ny = \"\xc0\xaf\"\n", ":2:6:"},                   // overlong '/'
      {"x = \"\xed\xa0\x80\"\n", ":1:6:"},                      // surrogate U+D800
      {"x = \"\xf4\x90\x80\x80\"\n", ":1:6:"},                  // above U+10FFFF
      {"x = \"ab\x80\"\n", ":1:8:"},                            // stray continuation byte
      {"# \xe2\x82\n", ":1:3:"},                                // truncated sequence in a comment
      {"x = \"\xc3\xa9\" \xc3\xa9 = 1\n", ":1:9:"},             // after a string, a bare non-ASCII key
      {"x = 0'\xc3\x92'\n", ":1:7:"},  // a quote inside a bare value starts no string (found by fuzz_manifest)
  };
  for (const auto& c : cases) {
    const std::string msg = only_problem(read(c.text));
    EXPECT_NE(msg.find(path_.string() + c.where), std::string::npos) << msg;
  }
}

TEST_F(manifest, non_ascii_in_strings_and_comments_is_fine) {
  auto r = read(valid("summary = \"PostgreSQL driver on libpq\"",
                      "summary = \"caf\xc3\xa9 \\\" \xe2\x82\xac\" # \xe2\x82\xac\nnote = '''\n\xef\xbb\xa8'''"));
  ASSERT_TRUE(r.info.has_value()) << (r.problems.empty() ? "" : r.problems[0].message);
  EXPECT_EQ(r.info->summary, "caf\xc3\xa9 \" \xe2\x82\xac");
}

TEST(toml_text, check_is_exact_about_positions) {
  EXPECT_FALSE(check_toml_text("a = \"\xf0\x9f\x98\x80\"\nb = 'x' # \xef\xbf\xbe\n").has_value());
  const auto p = check_toml_text("a = 1\nb = \"x\" \xc3\xa9");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->line, 2u);
  EXPECT_EQ(p->column, 9u);
}
