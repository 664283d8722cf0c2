// SPDX-License-Identifier: Apache-2.0
// Pool hot path: acquire + release on a warm pool, one thread and eight, next
// to a bare mutex-and-vector pool (the floor) in the same run; and 1000
// concurrent callers on 50 PostgreSQL connections when a server is there.
// Run: build/bench/bench_pool --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Targets (issue 6): one thread < 100 ns median; 8 threads on pools of 8
// and 4 < 1 us per thread-iteration median on a 2-core machine.
#include <benchmark/benchmark.h>
#include <dbridge/pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bare_pool.hpp"

namespace {

void bare_mutex_pool(benchmark::State& state) {
  bare_pool p;
  for (auto _ : state) {
    int* c = p.acquire();
    benchmark::DoNotOptimize(c);
    p.release(c);
  }
}
BENCHMARK(bare_mutex_pool);

// The floor with eight threads on one bare pool of 8 (the baseline of pool_threads/max8).
bare_pool g_bare;
void bare_mutex_pool_threads(benchmark::State& state) {
  for (auto _ : state) {
    int* c = g_bare.acquire();
    benchmark::DoNotOptimize(c);
    g_bare.release(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bare_mutex_pool_threads)->Threads(8)->UseRealTime();

std::unique_ptr<dbridge::pool> make_warm(std::uint32_t max, const char* strategy) {
  auto p = std::make_unique<dbridge::pool>(
      "sqlite://:memory:", dbridge::pool_options{.max = max, .acquire_timeout = std::chrono::seconds(60),
                                                 .strategy = strategy});
  std::vector<dbridge::pooled_connection> warm;
  for (std::uint32_t i = 0; i < max; ++i) warm.push_back(p->acquire());
  return p;
}

void pool_acquire_release(benchmark::State& state, const char* strategy) {
  auto p = make_warm(8, strategy);
  for (auto _ : state) {
    auto c = p->acquire();
    benchmark::DoNotOptimize(c);
  }
  state.counters["total"] = p->metrics().total;
}
BENCHMARK_CAPTURE(pool_acquire_release, lifo, "lifo");
BENCHMARK_CAPTURE(pool_acquire_release, fifo, "fifo");

// The issue-17 workload: a warm pool of 8 PostgreSQL connections, one thread
// (the release asks the driver about a transaction only after a call).
void pool_acquire_release_pg(benchmark::State& state) {
  const char* url = std::getenv("DBRIDGE_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    state.SkipWithError("DBRIDGE_TEST_POSTGRES_URL is unset (scripts/servers start)");
    return;
  }
  dbridge::pool p(url, {.max = 8, .acquire_timeout = std::chrono::seconds(60)});
  {
    std::vector<dbridge::pooled_connection> warm;
    for (int i = 0; i < 8; ++i) warm.push_back(p.acquire());
  }
  for (auto _ : state) {
    auto c = p.acquire();
    benchmark::DoNotOptimize(c);
  }
  state.counters["total"] = p.metrics().total;
}
BENCHMARK(pool_acquire_release_pg);

std::unique_ptr<dbridge::pool> g_pool;

void setup_pool8(const benchmark::State&) { g_pool = make_warm(8, "lifo"); }
void setup_pool4(const benchmark::State&) { g_pool = make_warm(4, "lifo"); }
void teardown_pool(const benchmark::State&) { g_pool.reset(); }

void pool_threads(benchmark::State& state) {
  for (auto _ : state) {
    auto c = g_pool->acquire();
    benchmark::DoNotOptimize(c);
  }
  if (state.thread_index() == 0) {
    const auto m = g_pool->metrics();
    state.counters["wait_p50_ns"] = static_cast<double>(m.wait_p50.count());
    state.counters["wait_p99_ns"] = static_cast<double>(m.wait_p99.count());
    state.counters["wait_max_us"] = static_cast<double>(m.wait_max.count()) / 1e3;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(pool_threads)->Name("pool_threads/max8")->Threads(8)->Setup(setup_pool8)->Teardown(teardown_pool)->UseRealTime();
BENCHMARK(pool_threads)->Name("pool_threads/max4")->Threads(8)->Setup(setup_pool4)->Teardown(teardown_pool)->UseRealTime();

// 1000 callers at once on 50 connections, each running one short query.
void pg_thousand_waiters(benchmark::State& state) {
  const char* url = std::getenv("DBRIDGE_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    state.SkipWithError("DBRIDGE_TEST_POSTGRES_URL is unset (scripts/servers start)");
    return;
  }
  for (auto _ : state) {
    dbridge::pool p(url, {.max = 50, .acquire_timeout = std::chrono::seconds(120)});
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> ts;
    ts.reserve(1000);
    for (int i = 0; i < 1000; ++i)
      ts.emplace_back([&] {
        try {
          auto c = p.acquire();
          (void)c->query_one("SELECT 1");
          ++ok;
        } catch (...) {
          ++failed;
        }
      });
    for (auto& t : ts) t.join();
    const auto m = p.metrics();
    if (ok != 1000 || m.in_use != 0 || m.waiting != 0 || m.total > 50)
      state.SkipWithError("callers failed or connections leaked");
    state.counters["ok"] = ok.load();
    state.counters["failed"] = failed.load();
    state.counters["connections"] = m.total;
    state.counters["wait_p50_ms"] = static_cast<double>(m.wait_p50.count()) / 1e6;
    state.counters["wait_p99_ms"] = static_cast<double>(m.wait_p99.count()) / 1e6;
    state.counters["wait_max_ms"] = static_cast<double>(m.wait_max.count()) / 1e6;
  }
}
BENCHMARK(pg_thousand_waiters)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
