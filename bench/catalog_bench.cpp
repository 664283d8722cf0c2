// SPDX-License-Identifier: Apache-2.0
// Listing installed plugins reads manifests only (and package.toml's
// [installed] record), never a library: 200 installed packages must list in
// well under 20 ms. Generates <tmp>/<id>-1.0.0/{plugin.toml, package.toml,
// library} folders the way `dbridge plugin install` lays them out.
//   build/bench/bench_catalog --benchmark_filter=catalog_list
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "dbridge/plugin_catalog.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* fake_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";

class installed_tree {
 public:
  explicit installed_tree(int count) {
    std::string tmpl = (fs::temp_directory_path() / "dbridge-bench-catalog-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    for (int i = 0; i < count; ++i) {
      const std::string id = "bench" + std::to_string(i);
      const fs::path dir = root_ / "plugins" / (id + "-1.0.0");
      fs::create_directories(dir);
      std::ofstream(dir / ("libdbridge_" + id + ".so")) << "not loaded by a listing\n";
      std::ofstream(dir / "plugin.toml")
          << "manifest_version = 1\n[plugin]\nid = \"" << id << "\"\nkind = \"driver\"\nversion = \"1.0.0\"\n"
          << "summary = \"generated for the listing benchmark\"\n[abi]\nmajor = 1\nmin_minor = 0\n"
          << "[library]\npath = \"libdbridge_" << id << ".so\"\nsha256 = \"" << fake_sha256 << "\"\n"
          << "[driver]\nschemes = [\"" << id << "\"]\ncapabilities = [\"sql\", \"transactions\"]\n"
          << "[runtime]\nthreading = \"per_connection\"\n[requires]\ndbridge = \">=1.0, <2\"\n";
      std::ofstream(dir / "package.toml")
          << "package_version = 1\n[package]\nid = \"" << id << "\"\nversion = \"1.0.0\"\n"
          << "platform = \"x86_64-linux-gnu\"\nabi_major = 1\nabi_min_minor = 0\n[files]\n"
          << "\"plugin.toml\" = \"" << fake_sha256 << "\"\n\"libdbridge_" << id << ".so\" = \"" << fake_sha256
          << "\"\n[installed]\nfrom = \"file:///srv/dbridge-repo\"\narchive_sha256 = \"" << fake_sha256 << "\"\n";
    }
    fs::create_directories(root_ / "empty-config");
    fs::create_directories(root_ / "empty-data");
    ::setenv("DBRIDGE_PLUGIN_PATH", (root_ / "plugins").c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (root_ / "empty-config").c_str(), 1);
    ::setenv("XDG_DATA_HOME", (root_ / "empty-data").c_str(), 1);
  }
  ~installed_tree() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  installed_tree(const installed_tree&) = delete;
  installed_tree& operator=(const installed_tree&) = delete;

 private:
  fs::path root_;
};

// A fresh scan each iteration: what `dbridge plugins` does once per run.
void catalog_list(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  installed_tree tree(count);
  auto& catalog = dbridge::plugin_catalog::global();
  std::size_t listed = 0;
  for (auto _ : state) {
    catalog.rescan();
    listed = 0;
    for (const auto& p : catalog.plugins())
      if (p.installed_from == "file:///srv/dbridge-repo") ++listed;
    benchmark::DoNotOptimize(listed);
  }
  if (listed != static_cast<std::size_t>(count))
    state.SkipWithError(("listed " + std::to_string(listed) + " of " + std::to_string(count)).c_str());
  state.counters["packages"] = static_cast<double>(listed);
}
BENCHMARK(catalog_list)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
