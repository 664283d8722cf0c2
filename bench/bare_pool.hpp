// SPDX-License-Identifier: Apache-2.0
// The floor any connection pool pays: lock, pop, unlock; lock, push, unlock.
// The raw baseline of the pool benchmarks (pool_bench.cpp) and probes (probe.cpp).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

struct bare_pool {
  // Any real pool lives in a process with more than one thread (dbridge's
  // has its maintainer). glibc leaves out the mutex's atomic instructions
  // while a process has a single thread, which would flatter the baseline
  // several times over: a second thread, parked, keeps the comparison fair.
  struct parked_thread {
    std::mutex m;
    std::condition_variable cv;
    bool stop = false;
    std::thread t{[this] {
      std::unique_lock lock(m);
      cv.wait(lock, [this] { return stop; });
    }};
    ~parked_thread() {
      {
        std::lock_guard lock(m);
        stop = true;
      }
      cv.notify_one();
      t.join();
    }
  } parked;
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
