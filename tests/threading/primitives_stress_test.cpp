// Invariants of the primitives under 8 threads: mutual exclusion for Lock and RLock (with
// timed acquires racing hand-offs), never more than N holders of a Semaphore(N), nothing lost
// through a Condition, every index once per Barrier round. Iterations shrink under sanitizers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "primitives_test_util.hpp"
#include "triad/threading/barrier.hpp"
#include "triad/threading/condition.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/rlock.hpp"
#include "triad/threading/semaphore.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kThreads = 8;

// Records the largest number of threads seen inside a section at once.
struct Occupancy {
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  void enter() {
    const int now = inside.fetch_add(1) + 1;
    int seen = max_inside.load();
    while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
    }
  }
  void leave() { inside.fetch_sub(1); }
};

TEST(PrimitivesStress, LockMutualExclusion) {
  Lock lock;
  Occupancy occ;
  std::size_t counter = 0;  // plain: TSan reports a race if exclusion ever fails
  std::atomic<std::size_t> successes{0};
  const std::size_t iters = test::scaled(20000);
  {
    test::Bunch bunch(kThreads, [&](std::size_t id) {
      for (std::size_t i = 0; i < iters; ++i) {
        bool got = false;
        switch ((i + id) % 4) {
          case 0:
            got = lock.acquire();
            break;
          case 1:
            got = lock.acquire(false);
            break;
          case 2:
            got = lock.acquire(true, 50us);
            break;  // timeouts race hand-offs
          default:
            got = lock.try_lock_for(5ms);
            break;
        }
        if (!got) continue;
        occ.enter();
        ++counter;
        occ.leave();
        lock.release();
        successes.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  EXPECT_EQ(occ.max_inside.load(), 1);
  EXPECT_EQ(counter, successes.load());
  EXPECT_GE(successes.load(), kThreads * iters / 4);  // at least the blocking acquires
  EXPECT_FALSE(lock.locked());
}

TEST(PrimitivesStress, LockWaiterIsNotStarvedByABargingHog) {
  // A thread that re-acquires the lock in a tight loop would win every race against a woken
  // waiter; the periodic hand-off must still let the waiter in, every time.
  Lock lock;
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> hog_rounds{0};
  std::thread hog([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      lock.acquire();
      hog_rounds.fetch_add(1, std::memory_order_relaxed);
      lock.release();
    }
  });
  test::eventually([&] { return hog_rounds.load() > 100; });  // the hog is running
  const std::size_t wanted = test::scaled(200);
  std::size_t got = 0;
  for (std::size_t i = 0; i < wanted; ++i) {
    if (lock.acquire(true, 20s)) {  // each one well within the limit unless starved
      ++got;
      lock.release();
    }
  }
  stop = true;
  hog.join();
  EXPECT_EQ(got, wanted);
}

TEST(PrimitivesStress, SemaphoreWaiterIsNotStarvedByAHog) {
  Semaphore sem(1);
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> hog_rounds{0};
  std::thread hog([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      sem.acquire();
      hog_rounds.fetch_add(1, std::memory_order_relaxed);
      sem.release();
    }
  });
  test::eventually([&] { return hog_rounds.load() > 100; });
  const std::size_t wanted = test::scaled(200);
  std::size_t got = 0;
  for (std::size_t i = 0; i < wanted; ++i) {
    if (sem.acquire(true, 20s)) {
      ++got;
      sem.release();
    }
  }
  stop = true;
  hog.join();
  EXPECT_EQ(got, wanted);
  EXPECT_EQ(sem.value(), 1);
}

TEST(PrimitivesStress, RLockMutualExclusionWithRecursion) {
  RLock lock;
  Occupancy occ;
  std::size_t counter = 0;
  const std::size_t iters = test::scaled(10000);
  {
    test::Bunch bunch(kThreads, [&](std::size_t id) {
      for (std::size_t i = 0; i < iters; ++i) {
        if ((i + id) % 3 == 0 && !lock.acquire(true, 100us)) continue;
        if ((i + id) % 3 != 0) lock.acquire();
        lock.acquire();  // re-enter
        occ.enter();
        ++counter;
        occ.leave();
        lock.release();
        lock.release();
      }
    });
  }
  EXPECT_EQ(occ.max_inside.load(), 1);
  EXPECT_FALSE(lock.locked());
  EXPECT_GT(counter, 0U);
}

template <class Sem>
void semaphore_invariant(Sem& sem, int n) {
  Occupancy occ;
  const std::size_t iters = test::scaled(20000);
  {
    test::Bunch bunch(kThreads, [&](std::size_t id) {
      for (std::size_t i = 0; i < iters; ++i) {
        bool got = false;
        switch ((i + id) % 4) {
          case 0:
            got = sem.acquire();
            break;
          case 1:
            got = sem.try_acquire();
            break;
          case 2:
            got = sem.acquire(true, 50us);
            break;
          default:
            got = sem.try_acquire_for(5ms);
            break;
        }
        if (!got) continue;
        occ.enter();
        occ.leave();
        sem.release();
      }
    });
  }
  EXPECT_LE(occ.max_inside.load(), n);
  EXPECT_GE(occ.max_inside.load(), 1);
  EXPECT_EQ(sem.value(), n);  // every permit came back
}

TEST(PrimitivesStress, SemaphoreNeverMoreThanN) {
  Semaphore sem(3);
  semaphore_invariant(sem, 3);
}

TEST(PrimitivesStress, BoundedSemaphoreNeverMoreThanNAndNeverOverReleased) {
  BoundedSemaphore sem(2);
  semaphore_invariant(sem, 2);  // a spurious "released too many times" would throw here
}

TEST(PrimitivesStress, SemaphoreBatchReleasesLoseNoPermit) {
  // One releaser hands out permits in batches to 7 blocked acquirers.
  Semaphore sem(0);
  const std::size_t per_thread = test::scaled(5000);
  const std::size_t consumers = kThreads - 1;
  std::atomic<std::size_t> taken{0};
  {
    test::Bunch bunch(consumers, [&](std::size_t) {
      for (std::size_t i = 0; i < per_thread; ++i) {
        sem.acquire();
        taken.fetch_add(1, std::memory_order_relaxed);
      }
    });
    std::size_t given = 0;
    const std::size_t total = consumers * per_thread;
    while (given < total) {
      const std::size_t batch = std::min<std::size_t>(1 + given % 5, total - given);
      sem.release(batch);
      given += batch;
    }
  }
  EXPECT_EQ(taken.load(), consumers * per_thread);
  EXPECT_EQ(sem.value(), 0);
}

TEST(PrimitivesStress, ConditionProducersConsumersSeeEveryItemOnce) {
  Condition cond;
  std::deque<std::size_t> items;  // guarded by cond
  bool done = false;              // guarded by cond
  const std::size_t per_producer = test::scaled(20000);
  const std::size_t producers = kThreads / 2;
  std::vector<std::atomic<int>> seen(producers * per_producer);
  {
    test::Bunch consumers(kThreads / 2, [&](std::size_t id) {
      std::unique_lock guard(cond);
      for (;;) {
        if (!items.empty()) {
          seen[items.front()].fetch_add(1, std::memory_order_relaxed);
          items.pop_front();
          continue;
        }
        if (done) return;
        if (id % 2 == 0) {
          cond.wait();
        } else {
          cond.wait(100us);  // timeouts racing notifies
        }
      }
    });
    {
      test::Bunch bunch(producers, [&](std::size_t id) {
        for (std::size_t i = 0; i < per_producer; ++i) {
          std::scoped_lock guard(cond);
          items.push_back(id * per_producer + i);
          cond.notify();
        }
      });
    }
    std::scoped_lock guard(cond);
    done = true;
    cond.notify_all();
  }
  std::size_t wrong = 0;
  for (auto& s : seen) wrong += s.load() == 1 ? 0 : 1;
  EXPECT_EQ(wrong, 0U);
}

TEST(PrimitivesStress, BarrierRoundsGiveEveryIndexOnce) {
  std::size_t actions = 0;  // written only by the action; read after the rounds
  Barrier b(kThreads, [&] { ++actions; });
  const std::size_t rounds = test::scaled(2000);
  std::vector<std::atomic<std::size_t>> index_sum(rounds);
  {
    test::Bunch bunch(kThreads, [&](std::size_t) {
      for (std::size_t r = 0; r < rounds; ++r) index_sum[r].fetch_add(b.wait());
    });
  }
  std::size_t bad = 0;
  for (auto& s : index_sum) bad += s.load() == kThreads * (kThreads - 1) / 2 ? 0 : 1;
  EXPECT_EQ(bad, 0U);
  EXPECT_EQ(actions, rounds);
  EXPECT_FALSE(b.broken());
}

}  // namespace
}  // namespace triad
