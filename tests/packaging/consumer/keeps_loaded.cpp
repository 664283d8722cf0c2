// SPDX-License-Identifier: Apache-2.0
// A process that loaded the sqlite plugin keeps working while its package
// folder is replaced (rename into place) and then removed underneath it, and
// a new connection afterwards names the package to install.
// Usage: keeps_loaded <sqlite plugin folder> (it is replaced, then deleted)
#include <dbridge/connection.hpp>
#include <dbridge/error.hpp>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "keeps_loaded: " << what << "\n";
    ++failures;
  }
}

std::int64_t count(dbridge::connection& db) { return db.query_one("SELECT count(*) FROM t").get<std::int64_t>(0); }

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::cerr << "usage: keeps_loaded SQLITE_PLUGIN_FOLDER\n";
    return 2;
  }
  const fs::path folder = argv[1];
  auto db = dbridge::connect("sqlite://:memory:");
  db.execute("CREATE TABLE t(a INTEGER)");
  db.execute("INSERT INTO t VALUES (1)");

  // An upgrade as installers do it: the new folder is renamed into place.
  fs::copy(folder, fs::path(folder.string() + ".new"), fs::copy_options::recursive);
  fs::rename(folder, fs::path(folder.string() + ".old"));
  fs::rename(fs::path(folder.string() + ".new"), folder);
  fs::remove_all(fs::path(folder.string() + ".old"));
  db.execute("INSERT INTO t VALUES (2)");
  expect(count(db) == 2, "the open connection stopped working after its folder was replaced");
  auto second = dbridge::connect("sqlite://:memory:");
  expect(second.query_one("SELECT 40 + 2").get<std::int64_t>(0) == 42, "a new connection after the replacement failed");

  // Removal: the mapped library stays alive for what is already open.
  fs::remove_all(folder);
  for (int i = 3; i <= 5; ++i) db.execute("INSERT INTO t VALUES ($1)", {i});
  expect(count(db) == 5, "the open connection stopped working after its folder was removed");
  expect(second.query_one("SELECT 'still'").get<std::string>(0) == "still", "the second connection stopped working");

  try {
    auto third = dbridge::connect("sqlite://:memory:");
    expect(false, "a new connection succeeded after the plugin was removed");
  } catch (const dbridge::error& e) {
    const std::string msg = e.what();
    expect(msg.find("dbridge plugin install sqlite") != std::string::npos,
           "the error after removal does not name the package to install: " + msg);
  }
  if (failures == 0) std::cout << "keeps_loaded: ok\n";
  return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "keeps_loaded: " << e.what() << "\n";
  return 1;
}
