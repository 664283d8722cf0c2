// SPDX-License-Identifier: Apache-2.0
// The live connection registry (the seed's universe:connections) while a
// program runs: find every connection opened by one module, and warn when a
// pool is exhausted -- the two questions an operator asks first.
//
//   example_registry_watch [url]     (default: a temporary SQLite file)
#include <dbridge/pool.hpp>
#include <dbridge/registry.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

void show_module(const std::string& module) {
  const auto entries = dbridge::registry::global().opened_by(module);
  std::cout << "connections opened by " << module << ": " << entries.size() << "\n";
  for (const auto& e : entries)
    std::cout << "  #" << e.id << " " << e.driver << " " << e.driver_version << " " << e.redacted_url << " state="
              << dbridge::to_string(e.state) << " pool=" << (e.pool.empty() ? "-" : e.pool) << "\n";
}

// One warning per exhausted pool, found through any of its connections.
int warn_exhausted() {
  std::set<std::string> warned;
  for (const auto& e : dbridge::registry::global().list()) {
    if (!e.pool_stats || !e.pool_stats->exhausted() || !warned.insert(e.pool).second) continue;
    const auto& s = *e.pool_stats;
    std::cout << "WARNING: pool " << e.pool << " is exhausted: " << s.in_use << "/" << s.max << " in use, "
              << s.waiting << " callers waiting\n";
  }
  return static_cast<int>(warned.size());
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("dbr_registry_watch_" + std::to_string(::getpid()) + ".db");
  const std::string url = argc > 1 ? argv[1] : "sqlite://" + file.string();
  int status = 0;
  try {
    dbridge::pool billing(url, {.max = 2, .acquire_timeout = std::chrono::seconds(5), .name = "billing-pool",
                                .opened_by = "billing"});
    dbridge::pool reports(url, {.max = 3, .name = "reports-pool", .opened_by = "reports"});

    auto r1 = reports.acquire();
    auto b1 = billing.acquire();
    auto b2 = billing.acquire();
    show_module("billing");
    show_module("reports");

    // A third billing caller has to wait: the pool is now exhausted.
    std::thread late([&] { auto b3 = billing.acquire(); });
    while (billing.metrics().waiting == 0) std::this_thread::yield();
    const int warnings = warn_exhausted();
    b1.release();  // the waiter gets it
    late.join();
    if (warnings != 1) {
      std::cerr << "expected one exhausted pool, saw " << warnings << "\n";
      status = 1;
    }
    if (warn_exhausted() != 0) {
      std::cerr << "the pool should no longer be exhausted\n";
      status = 1;
    }
    std::cout << "registry as JSON:\n" << dbridge::registry::global().to_json() << "\n";
    std::cout << "billing health:\n" << billing.health().to_json() << "\n";
  } catch (const dbridge::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    status = 1;
  }
  std::error_code ec;
  std::filesystem::remove(file, ec);
  return status;
}
