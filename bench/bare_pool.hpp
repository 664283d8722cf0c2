// SPDX-License-Identifier: Apache-2.0
// The floor any connection pool pays: lock, pop, unlock; lock, push, unlock.
// The raw baseline of the pool benchmarks (pool_bench.cpp) and probes (probe.cpp).
#pragma once

#include <mutex>
#include <vector>

struct bare_pool {
  std::mutex mu;
  std::vector<int*> idle;
  std::vector<int> slots = std::vector<int>(8);
  bare_pool() {
    for (auto& s : slots) idle.push_back(&s);
  }
  int* acquire() {
    std::lock_guard lock(mu);
    int* p = idle.back();
    idle.pop_back();
    return p;
  }
  void release(int* p) {
    std::lock_guard lock(mu);
    idle.push_back(p);
  }
};
