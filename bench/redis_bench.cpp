// SPDX-License-Identifier: Apache-2.0
// dbridge's Redis driver against raw hiredis, same process, same server
// (DBRIDGE_TEST_REDIS_URL).
// Run: DBRIDGE_TEST_REDIS_URL=redis://:pw@127.0.0.1:PORT/0 build/bench/bench_redis
//        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Targets (issue 5): 100k SET+GET round trips within 1.05x of raw hiredis;
// 100k SETs pipelined in batches of 1000 within 1.10x of raw pipelining.
#include <benchmark/benchmark.h>
#include <dbridge/batch.hpp>
#include <dbridge/connection.hpp>
#include <dbridge/redis.hpp>
#include <dbridge/url.hpp>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int ops = 100000;
constexpr int pipeline_depth = 1000;

std::string server_url() {
  const char* u = std::getenv("DBRIDGE_TEST_REDIS_URL");
  if (u == nullptr || *u == '\0') throw std::runtime_error("set DBRIDGE_TEST_REDIS_URL (scripts/servers starts a server)");
  return u;
}

/// Keys and values made once, so both sides format the same bytes.
const std::vector<std::string>& keys() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v;
    v.reserve(ops);
    for (int i = 0; i < ops; ++i) v.push_back("bench:" + std::to_string(i));
    return v;
  }();
  return k;
}
const std::string value = "value-of-sixteen";

redisContext* raw_connect() {
  const dbridge::url u = dbridge::parse_url(server_url());
  redisContext* c = redisConnect(u.hosts.at(0).host.c_str(), u.hosts.at(0).port ? u.hosts.at(0).port : 6379);
  if (c == nullptr || c->err != 0) throw std::runtime_error("hiredis cannot connect");
  if (u.password) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %b", u.password->data(), u.password->size()));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) throw std::runtime_error("hiredis AUTH failed");
    freeReplyObject(r);
  }
  if (!u.database.empty() && u.database != "0") {
    auto* r = static_cast<redisReply*>(redisCommand(c, "SELECT %s", u.database.c_str()));
    freeReplyObject(r);
  }
  return c;
}

// The work of each benchmark over keys [from, to), shared by the sequential
// and the paired runs so both measure exactly the same thing.
std::size_t raw_set_get_range(redisContext* c, int from, int to) {
  const auto& k = keys();
  std::size_t total = 0;
  for (int i = from; i < to; ++i) {
    const char* set_argv[] = {"SET", k[i].c_str(), value.c_str()};
    const std::size_t set_len[] = {3, k[i].size(), value.size()};
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, 3, set_argv, set_len));
    if (r == nullptr) throw std::runtime_error("SET failed");
    freeReplyObject(r);
    const char* get_argv[] = {"GET", k[i].c_str()};
    const std::size_t get_len[] = {3, k[i].size()};
    r = static_cast<redisReply*>(redisCommandArgv(c, 2, get_argv, get_len));
    if (r == nullptr) throw std::runtime_error("GET failed");
    // Copy out, as any real caller does with a value it keeps.
    std::string got(r->str, r->len);
    total += got.size();
    freeReplyObject(r);
  }
  return total;
}

std::size_t dbridge_set_get_range(dbridge::connection& db, int from, int to) {
  const auto& k = keys();
  std::size_t total = 0;
  for (int i = from; i < to; ++i) {
    db.command({"SET", k[i], value});
    total += db.command({"GET", k[i]}).str.size();
  }
  return total;
}

/// One pipeline of SETs for keys [base, base + pipeline_depth).
void raw_pipeline(redisContext* c, int base) {
  const auto& k = keys();
  for (int i = base; i < base + pipeline_depth; ++i) {
    const char* argv[] = {"SET", k[i].c_str(), value.c_str()};
    const std::size_t len[] = {3, k[i].size(), value.size()};
    redisAppendCommandArgv(c, 3, argv, len);
  }
  for (int i = 0; i < pipeline_depth; ++i) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) throw std::runtime_error("pipelined SET failed");
    freeReplyObject(r);
  }
}

void dbridge_pipeline(dbridge::connection& db, int base) {
  const auto& k = keys();
  std::size_t failed = 0;
  dbridge::batch b(db);
  for (int i = base; i < base + pipeline_depth; ++i) b.add_command({"SET", k[i], value});
  b.send();
  while (const dbridge::batch_item* it = b.next()) failed += it->ok() ? 0 : 1;
  if (failed != 0) throw std::runtime_error("pipelined SETs failed");
}

void raw_set_get(benchmark::State& state) {
  redisContext* c = raw_connect();
  std::size_t total = 0;
  for (auto _ : state) total += raw_set_get_range(c, 0, ops);
  benchmark::DoNotOptimize(total);
  redisFree(c);
}
BENCHMARK(raw_set_get)->Unit(benchmark::kMillisecond)->Iterations(1);

void dbridge_set_get_command(benchmark::State& state) {
  auto db = dbridge::connect(server_url());
  std::size_t total = 0;
  for (auto _ : state) total += dbridge_set_get_range(db, 0, ops);
  benchmark::DoNotOptimize(total);
}
BENCHMARK(dbridge_set_get_command)->Unit(benchmark::kMillisecond)->Iterations(1);

void dbridge_set_get_helpers(benchmark::State& state) {
  auto db = dbridge::connect(server_url());
  dbridge::redis r(db);
  const auto& k = keys();
  std::size_t total = 0;
  for (auto _ : state) {
    for (int i = 0; i < ops; ++i) {
      r.set(k[i], value);
      total += r.get(k[i])->size();
    }
  }
  benchmark::DoNotOptimize(total);
}
BENCHMARK(dbridge_set_get_helpers)->Unit(benchmark::kMillisecond)->Iterations(1);

void raw_pipelined_set(benchmark::State& state) {
  redisContext* c = raw_connect();
  for (auto _ : state)
    for (int base = 0; base < ops; base += pipeline_depth) raw_pipeline(c, base);
  redisFree(c);
}
BENCHMARK(raw_pipelined_set)->Unit(benchmark::kMillisecond)->Iterations(1);

void dbridge_pipelined_set(benchmark::State& state) {
  auto db = dbridge::connect(server_url());
  for (auto _ : state)
    for (int base = 0; base < ops; base += pipeline_depth) dbridge_pipeline(db, base);
}
BENCHMARK(dbridge_pipelined_set)->Unit(benchmark::kMillisecond)->Iterations(1);

// --- paired: the same work, raw and dbridge interleaved ----------------------
// Server, loopback and client share two cores, so two benchmarks run one after
// the other see different machines. Each pair below does a chunk of raw work
// and the same chunk through dbridge back to back (order alternating) and
// reports the median of the per-chunk ratios; the 100k operations of each
// target are split into 100 chunks per side.
//   build/bench/bench_redis --benchmark_filter=paired
using pair_clock = std::chrono::steady_clock;

template <class Raw, class Ours>
void run_pairs(benchmark::State& state, int chunks, Raw&& raw, Ours&& ours) {
  std::vector<double> raw_ms, ours_ms, ratio;
  auto timed = [](auto& f, int chunk) {
    const auto t0 = pair_clock::now();
    f(chunk);
    return std::chrono::duration<double, std::milli>(pair_clock::now() - t0).count();
  };
  for (auto _ : state) {
    for (int chunk = 0; chunk < chunks; ++chunk) {
      double a, b;
      if (chunk % 2 == 0) {
        a = timed(raw, chunk);
        b = timed(ours, chunk);
      } else {
        b = timed(ours, chunk);
        a = timed(raw, chunk);
      }
      raw_ms.push_back(a);
      ours_ms.push_back(b);
      ratio.push_back(b / a);
    }
  }
  auto sum = [](const std::vector<double>& v) {
    double t = 0;
    for (double x : v) t += x;
    return t;
  };
  state.counters["raw_total_ms"] = sum(raw_ms);
  state.counters["dbridge_total_ms"] = sum(ours_ms);
  std::sort(ratio.begin(), ratio.end());
  state.counters["ratio_median"] = ratio.empty() ? 0.0 : ratio[ratio.size() / 2];
  state.counters["ratio_of_totals"] = sum(ours_ms) / sum(raw_ms);
}

void paired_set_get(benchmark::State& state) {
  constexpr int chunk_ops = 1000;
  redisContext* c = raw_connect();
  auto db = dbridge::connect(server_url());
  std::size_t total = 0;
  run_pairs(
      state, ops / chunk_ops,
      [&](int chunk) { total += raw_set_get_range(c, chunk * chunk_ops, (chunk + 1) * chunk_ops); },
      [&](int chunk) { total += dbridge_set_get_range(db, chunk * chunk_ops, (chunk + 1) * chunk_ops); });
  benchmark::DoNotOptimize(total);
  redisFree(c);
}
BENCHMARK(paired_set_get)->Unit(benchmark::kMillisecond)->Iterations(1);

void paired_pipelined_set(benchmark::State& state) {
  redisContext* c = raw_connect();
  auto db = dbridge::connect(server_url());
  run_pairs(
      state, ops / pipeline_depth, [&](int chunk) { raw_pipeline(c, chunk * pipeline_depth); },
      [&](int chunk) { dbridge_pipeline(db, chunk * pipeline_depth); });
  redisFree(c);
}
BENCHMARK(paired_pipelined_set)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
