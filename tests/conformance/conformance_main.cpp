// SPDX-License-Identifier: Apache-2.0
// The suite's entry point. Besides GoogleTest's flags it takes
//   --url U          the driver under test (same as DBRIDGE_CONFORMANCE_URL)
//   --plugin-path P  folder(s) holding its plugin (same as DBRIDGE_PLUGIN_PATH)
//   --without F,...  what it declares it lacks (same as DBRIDGE_CONFORMANCE_WITHOUT)
// so `dbridge_conformance --plugin-path P --url U` is the whole run, and ends
// with a summary per area a plugin author can paste into a README.
#include <dbridge/url.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "conformance.hpp"

namespace {

struct area_result {
  int passed = 0, skipped = 0, failed = 0;
  std::vector<std::string> skips, failures;  // "test: reason"
};

// The driver case a test runs against: its parameter name starts with it.
std::string driver_of(std::string_view param) {
  std::string best;
  for (const auto& c : dbridge_conformance::cases)
    if (param.substr(0, std::strlen(c.name)) == c.name && std::strlen(c.name) > best.size()) best = c.name;
  return best.empty() ? std::string(param) : best;
}

std::string area_of(std::string_view suite, std::string_view name) {
  if (suite.find("edge_values") != std::string_view::npos) return "values";
  if (name.rfind("sql_", 0) == 0) return "sql";
  if (name.rfind("command_", 0) == 0) return "command";
  return "basics";
}

std::string first_line(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.remove_prefix(1);
  // GoogleTest's "Skipped\n" / file:line prefixes carry nothing for a reader.
  if (s.rfind("Skipped\n", 0) == 0) s.remove_prefix(8);
  return std::string(s.substr(0, s.find('\n')));
}

class summary : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& t) override {
    const std::string name = t.name();
    const auto slash = name.rfind('/');
    const std::string test = name.substr(0, slash);
    const std::string key = driver_of(slash == std::string::npos ? "" : name.substr(slash + 1)) + " " +
                            area_of(t.test_suite_name(), name);
    area_result& a = areas_[key];
    const ::testing::TestResult& r = *t.result();
    std::string why;
    for (int i = 0; i < r.total_part_count(); ++i)
      if (why.empty()) why = first_line(r.GetTestPartResult(i).message());
    if (r.Failed()) {
      ++a.failed;
      a.failures.push_back(test + ": " + dbridge::redact_url(why));
    } else if (r.Skipped()) {
      ++a.skipped;
      a.skips.push_back(test + ": " + dbridge::redact_url(why));
    } else {
      ++a.passed;
    }
  }
  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    if (areas_.empty()) return;
    std::printf("\n## dbridge conformance summary\n\n| driver | area | passed | skipped | failed |\n|---|---|---|---|---|\n");
    for (const auto& [key, a] : areas_) {
      const auto sp = key.find(' ');
      std::printf("| %s | %s | %d | %d | %d |\n", key.substr(0, sp).c_str(), key.substr(sp + 1).c_str(), a.passed,
                  a.skipped, a.failed);
    }
    print_list("Skipped", &area_result::skips);
    print_list("Failed", &area_result::failures);
    std::fflush(stdout);
  }

 private:
  void print_list(const char* title, std::vector<std::string> area_result::* list) const {
    bool any = false;
    for (const auto& [key, a] : areas_) {
      // The same reason for a whole area (a missing capability) is said once.
      std::map<std::string, int> seen;
      for (const auto& line : a.*list) {
        const auto colon = line.find(": ");
        ++seen[colon == std::string::npos ? line : line.substr(colon + 2)];
      }
      for (const auto& [reason, n] : seen) {
        if (!any) std::printf("\n%s:\n", title);
        any = true;
        std::printf("- %s: %d test%s: %s\n", key.c_str(), n, n == 1 ? "" : "s", reason.c_str());
      }
    }
  }
  std::map<std::string, area_result> areas_;
};

// Takes `--NAME VALUE` or `--NAME=VALUE` out of argv; true when found.
bool take_flag(int& argc, char** argv, const char* name, std::string& value) {
  const std::string flag = std::string("--") + name;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    int used = 0;
    if (a == flag && i + 1 < argc) {
      value = argv[i + 1];
      used = 2;
    } else if (a.rfind(flag + "=", 0) == 0) {
      value = std::string(a.substr(flag.size() + 1));
      used = 1;
    }
    if (used == 0) continue;
    for (int j = i; j + used <= argc; ++j) argv[j] = argv[j + used];
    argc -= used;
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using dbridge_conformance::waivable_features;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h")
      std::printf(
          "usage: %s [--plugin-path DIR[:DIR...]] [--url URL] [gtest flags]\n"
          "  --url URL          the driver under test (or DBRIDGE_CONFORMANCE_URL)\n"
          "  --plugin-path DIR  where its plugin is (or DBRIDGE_PLUGIN_PATH)\n"
          "  --without F[,F]    what it lacks, of: write (CREATE/DROP/INSERT), union_all\n"
          "                     (or DBRIDGE_CONFORMANCE_WITHOUT); its manifest's capabilities are always tested\n"
          "With --url only that driver's tests run; a summary table ends the run.\n\n",
          argv[0]);
  std::string url, plugin_path;
  const bool url_flag = take_flag(argc, argv, "url", url);
  if (url_flag) ::setenv("DBRIDGE_CONFORMANCE_URL", url.c_str(), 1);
  if (take_flag(argc, argv, "plugin-path", plugin_path)) ::setenv("DBRIDGE_PLUGIN_PATH", plugin_path.c_str(), 1);
  std::string without;
  if (take_flag(argc, argv, "without", without)) ::setenv("DBRIDGE_CONFORMANCE_WITHOUT", without.c_str(), 1);
  if (const char* w = std::getenv("DBRIDGE_CONFORMANCE_WITHOUT"); w != nullptr && *w != '\0') {
    for (const std::string_view f : dbridge_conformance::split_list(w)) {
      if (std::find(std::begin(waivable_features), std::end(waivable_features), f) == std::end(waivable_features)) {
        std::fprintf(stderr, "--without: '%.*s' is not something a driver may lack; use write or union_all "
                     "(capabilities come from the plugin's manifest)\n", static_cast<int>(f.size()), f.data());
        return 2;
      }
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  // A plugin author's run is about their driver only (an explicit filter wins).
  if (url_flag && GTEST_FLAG_GET(filter) == "*") GTEST_FLAG_SET(filter, "*/third_party*");
  ::testing::UnitTest::GetInstance()->listeners().Append(new summary);
  return RUN_ALL_TESTS();
}
