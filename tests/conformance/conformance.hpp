// SPDX-License-Identifier: Apache-2.0
// What every conformance test file shares: the drivers under test, where
// their URLs come from, and the fixture that connects to one of them.
#pragma once

#include <dbridge/command.hpp>
#include <dbridge/connection.hpp>
#include <dbridge/error.hpp>
#include <dbridge/plugin_catalog.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge_conformance {

struct driver_case {
  const char* name;
  const char* env;
  const char* default_url;
  bool required_in_ci;
};

inline const driver_case cases[] = {
    {"sqlite", "DBRIDGE_TEST_SQLITE_URL", "sqlite://:memory:", true},
    {"memkv", "DBRIDGE_TEST_MEMKV_URL", "memkv://conformance", true},
    {"postgres", "DBRIDGE_TEST_POSTGRES_URL", "", true},
    {"mysql", "DBRIDGE_TEST_MYSQL_URL", "", true},
    {"redis", "DBRIDGE_TEST_REDIS_URL", "", true},
    {"third_party", "DBRIDGE_CONFORMANCE_URL", "", false},
};

// Column types differ between SQL dialects; everything else the suite uses
// is portable SQL with $N placeholders, which every driver accepts.
struct dialect {
  std::string bytes = "BLOB", boolean = "BOOLEAN", timestamp = "TIMESTAMP", json = "JSON", text = "VARCHAR(200)";
};
inline dialect dialect_for(const std::string& scheme) {
  dialect d;
  if (scheme == "postgresql" || scheme == "postgres") {
    d.bytes = "BYTEA";
    d.json = "JSONB";
  } else if (scheme == "mysql" || scheme == "mariadb") {
    d.bytes = "LONGBLOB";
    d.timestamp = "DATETIME(6)";
  }
  return d;
}

inline std::string strip_spaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

// GTEST_SKIP must run in the test body itself to end it, hence a macro.
#define REQUIRE_CAPABILITY(cap)                                                                        \
  if (!has(cap)) GTEST_SKIP() << "the " << driver().name << " driver has no '" << (cap) << "' capability"

// The items of a comma-separated list.
inline std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> items;
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    items.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return items;
}
inline bool in_list(std::string_view list, std::string_view name) {
  const auto items = split_list(list);
  return std::find(items.begin(), items.end(), name) != items.end();
}

// The drivers built in this tree (set by CMake): CI insists on a server only
// for those; a driver not built here is simply not part of this run.
inline bool built_here(std::string_view name) {
#ifdef DBRIDGE_CONFORMANCE_BUILT
  return in_list(DBRIDGE_CONFORMANCE_BUILT, name);
#else
  (void)name;
  return true;
#endif
}

// What the suite uses beyond the capabilities a manifest declares, and a
// third-party driver may declare it lacks (DBRIDGE_CONFORMANCE_WITHOUT or
// --without, comma-separated): a read-only driver has no "write" (CREATE,
// DROP, INSERT). Capabilities are not in this list: what the manifest claims
// is always tested.
inline constexpr std::string_view waivable_features[] = {"write", "union_all"};
inline bool declared_without(std::string_view driver_name, std::string_view feature) {
  const char* without = std::getenv("DBRIDGE_CONFORMANCE_WITHOUT");
  return driver_name == "third_party" && without != nullptr && in_list(without, feature);
}
#define REQUIRE_FEATURE(feature)                                                                         \
  if (declared_without(driver().name, feature))                                                          \
  GTEST_SKIP() << "the driver under test declares it has no '" << (feature)                              \
               << "' support (DBRIDGE_CONFORMANCE_WITHOUT)"

inline void PrintTo(const driver_case& c, std::ostream* os) { *os << c.name; }

// The fixture: connected to the driver that driver() names.
class driver_fixture : public ::testing::Test {
 protected:
  virtual const driver_case& driver() const = 0;
  void SetUp() override { open(driver()); }
  void open(const driver_case& c) {
    const char* env = std::getenv(c.env);
    url_ = env != nullptr && *env != '\0' ? env : c.default_url;
    if (url_.empty()) {
      const char* ci = std::getenv("CI");
      if (c.required_in_ci && built_here(c.name) && ci != nullptr && std::string(ci) == "true")
        FAIL() << c.env << " is not set but CI=true: the " << c.name << " server must be running for CI";
      GTEST_SKIP() << c.env << " is not set; export it (scripts/ start test servers) to run the " << c.name
                   << " conformance tests";
    }
    try {
      db_.emplace(dbridge::connect(url_, {.opened_by = "conformance"}));
    } catch (const dbridge::error& e) {
      // Say why a plugin could not be used: the usual first hurdle for a
      // third-party author.
      std::string why;
      for (const auto& p : dbridge::plugin_catalog::global().problems())
        why += "\n  " + p.manifest_path.string() + ": " + p.message + (p.fix.empty() ? "" : " (" + p.fix + ")");
      FAIL() << "connect(" << c.name << ") failed: " << e.what() << why;
    }
    dialect_ = dialect_for(db_->scheme());
  }
  void TearDown() override {
    if (!db_) return;
    for (const auto& t : cleanup_) {
      try {
        db_->execute("DROP TABLE IF EXISTS " + t);
      } catch (const dbridge::error&) {
      }
    }
  }
  bool has(const char* cap) const { return db_->has_capability(cap); }
  // A fresh, prefixed table dropped after the test.
  std::string table(const std::string& base, const std::string& columns) {
    std::string name = "dbr_conf_" + base;
    cleanup_.push_back(name);
    db_->execute("DROP TABLE IF EXISTS " + name);
    db_->execute("CREATE TABLE " + name + " (" + columns + ")");
    return name;
  }
  dbridge::connection& db() { return *db_; }

  std::string url_;
  std::optional<dbridge::connection> db_;
  dialect dialect_;
  std::vector<std::string> cleanup_;
};

class conformance : public driver_fixture, public ::testing::WithParamInterface<driver_case> {
 protected:
  const driver_case& driver() const override { return GetParam(); }
};

}  // namespace dbridge_conformance
