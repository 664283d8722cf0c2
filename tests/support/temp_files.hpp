// SPDX-License-Identifier: Apache-2.0
// Files a test makes for itself: a fresh folder, a SQLite database file, and,
// for a suite that runs once per backend, the URL of that backend (a test
// server, or a SQLite file of the test's own). Each is removed when the
// object goes, so a failing test leaves nothing behind for the next one.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "test_server.hpp"

namespace dbridge::test {

/// A folder of its own in the temp folder (mkdtemp), removed with all it holds.
class temp_dir {
 public:
  explicit temp_dir(std::string_view stem = "dbridge-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(stem) + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A SQLite database file in the temp folder, named after the stem, the
/// process and a counter (so tests and processes never share one). It does not
/// exist at the start; it and its journal files are removed at the end.
class temp_sqlite_db {
 public:
  explicit temp_sqlite_db(std::string_view stem = "dbridge_test") {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            (std::string(stem) + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".db");
    remove_files();
  }
  ~temp_sqlite_db() { remove_files(); }
  temp_sqlite_db(const temp_sqlite_db&) = delete;
  temp_sqlite_db& operator=(const temp_sqlite_db&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// sqlite://<path>, with "?query" when a query is given.
  std::string url(const std::string& query = {}) const {
    return "sqlite://" + path_.string() + (query.empty() ? "" : "?" + query);
  }

 private:
  void remove_files() const {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path_.string() + suffix, ec);
  }
  std::filesystem::path path_;
};

/// One backend of a suite run once per backend: its name in the test names,
/// and the variable naming its server (null: a SQLite file of the test's own,
/// see use_backend).
struct backend {
  const char* name;
  const char* env;
};
inline void PrintTo(const backend& b, std::ostream* os) { *os << b.name; }

/// For a suite run once per backend, in SetUp: `url` becomes the URL of the
/// server that `server_var` names, or, where `server_var` is null, of a fresh
/// SQLite file that `file` keeps (named after `stem`). A missing server skips
/// (fails under CI=true, as DBRIDGE_REQUIRE_SERVER_ENV) and leaves `url`
/// empty, so SetUp goes on only when it is not:
///   dbridge::test::use_backend(GetParam().env, "dbr_x", url_, file_);
///   if (url_.empty()) return;
inline void use_backend(const char* server_var, std::string_view stem, std::string& url,
                        std::optional<temp_sqlite_db>& file) {
  url.clear();
  if (server_var == nullptr) {
    file.emplace(stem);
    url = file->url();
    return;
  }
  DBRIDGE_REQUIRE_SERVER_ENV(server_var);
  url = env_or_empty(server_var);
}

}  // namespace dbridge::test
