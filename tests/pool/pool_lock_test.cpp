// SPDX-License-Identifier: Apache-2.0
// Stress of the pool's hand-written futex lock (core/src/pool/pool_lock.hpp):
// mutual exclusion under lock, try_lock and condition_variable_any waits,
// checked through a plain (non-atomic) counter whose final value must be
// exact. A lost wakeup shows as a hang, which the ctest timeout turns into
// a failure; a broken exclusion or ordering shows as a wrong count.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "pool/pool_lock.hpp"

using dbridge::detail::pool_lock;

namespace {

// Enough threads to keep some asleep in the kernel on a two-core machine,
// so the spin, the "sleepers" state and the wake on unlock all run.
constexpr int k_threads = 8;

template <class F>
void run_threads(int n, F&& body) {
  std::vector<std::thread> ts;
  ts.reserve(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) ts.emplace_back([&body, t] { body(t); });
  for (auto& t : ts) t.join();
}

}  // namespace

TEST(pool_lock, lock_unlock_keeps_a_plain_counter_exact) {
  pool_lock mu;
  std::uint64_t counter = 0;  // deliberately not atomic: the lock is what orders it
  constexpr int rounds = 150000;
  run_threads(k_threads, [&](int) {
    for (int i = 0; i < rounds; ++i) {
      std::lock_guard lk(mu);
      ++counter;
    }
  });
  EXPECT_EQ(counter, std::uint64_t{k_threads} * rounds);
}

TEST(pool_lock, long_critical_sections_put_waiters_to_sleep_and_wake_them) {
  // Holding the lock past the spin makes the others mark the word "held with
  // sleepers" and wait in the kernel: every unlock must wake one of them.
  pool_lock mu;
  std::uint64_t counter = 0;
  volatile std::uint64_t sink = 0;
  constexpr int rounds = 3000;
  run_threads(k_threads, [&](int) {
    for (int i = 0; i < rounds; ++i) {
      std::lock_guard lk(mu);
      const std::uint64_t before = counter;
      for (int k = 0; k < 4000; ++k) sink = sink + static_cast<std::uint64_t>(k);
      counter = before + 1;  // a torn read-modify-write across the loop would lose counts
    }
  });
  EXPECT_EQ(counter, std::uint64_t{k_threads} * rounds);
}

TEST(pool_lock, try_lock_succeeds_only_when_free_and_excludes_like_lock) {
  pool_lock mu;
  ASSERT_TRUE(mu.try_lock());
  bool other_got_it = true;
  std::thread([&] { other_got_it = mu.try_lock(); }).join();
  EXPECT_FALSE(other_got_it);
  mu.unlock();
  std::thread([&] {
    other_got_it = mu.try_lock();
    if (other_got_it) mu.unlock();
  }).join();
  EXPECT_TRUE(other_got_it);

  // Half the threads take it with lock, half with try_lock; a successful
  // try_lock must exclude exactly as lock does.
  std::uint64_t counter = 0;
  std::vector<std::uint64_t> taken(k_threads, 0);
  constexpr int rounds = 150000;
  run_threads(k_threads, [&](int t) {
    for (int i = 0; i < rounds; ++i) {
      if (t % 2 == 0) {
        std::lock_guard lk(mu);
        ++counter;
        ++taken[static_cast<std::size_t>(t)];
      } else if (mu.try_lock()) {
        ++counter;
        ++taken[static_cast<std::size_t>(t)];
        mu.unlock();
      }
    }
  });
  std::uint64_t expected = 0;
  for (auto n : taken) expected += n;
  EXPECT_EQ(counter, expected);
  EXPECT_EQ(taken[0], std::uint64_t{rounds});
  // A try_lock after everything ended must find the lock free.
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(pool_lock, condition_variable_any_waits_pass_a_token_round_robin) {
  // Each thread waits for its turn, as the pool's waiters do: every turn is a
  // wait that unlocks, sleeps and relocks through pool_lock.
  pool_lock mu;
  std::condition_variable_any cv;
  std::uint64_t turn = 0;  // guarded by mu
  constexpr int threads = 4, turns_each = 1500;
  std::vector<std::uint64_t> mine(threads, 0);
  run_threads(threads, [&](int t) {
    for (int i = 0; i < turns_each; ++i) {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return turn % threads == static_cast<std::uint64_t>(t); });
      ++turn;
      ++mine[static_cast<std::size_t>(t)];
      lk.unlock();
      cv.notify_all();
    }
  });
  EXPECT_EQ(turn, std::uint64_t{threads} * turns_each);
  for (auto n : mine) EXPECT_EQ(n, std::uint64_t{turns_each});
}

TEST(pool_lock, condition_variable_any_wait_for_times_out_with_the_lock_held) {
  pool_lock mu;
  std::condition_variable_any cv;
  std::unique_lock lk(mu);
  EXPECT_FALSE(cv.wait_for(lk, std::chrono::milliseconds(5), [] { return false; }));
  EXPECT_TRUE(lk.owns_lock());
  bool other_got_it = true;
  std::thread([&] { other_got_it = mu.try_lock(); }).join();
  EXPECT_FALSE(other_got_it);
}
