// Behaviour of CPython's lock_tests.ConditionTests (and test_threading's condition parts),
// for triad::Condition.
#include "triad/threading/condition.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "primitives_test_util.hpp"
#include "triad/core/error.hpp"
#include "triad/threading/event.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

// Starts n waiters on `cond`, one at a time, each queued before the next starts: waiter i
// bumps `queued` while holding the lock and then waits, and wait() queues before it releases
// the lock, so once the main thread sees queued == i + 1 under the lock, waiter i is queued.
// Each waiter appends its index to `order` when it wakes.
struct Waiters {
  Waiters(Condition& c, std::size_t n) : cond(c) {
    for (std::size_t i = 0; i < n; ++i) {
      threads.emplace_back([this, i] {
        std::unique_lock guard(cond);
        ++queued;
        const bool notified = cond.wait();
        EXPECT_TRUE(notified);
        order.push_back(i);
      });
      test::eventually([&] {
        std::scoped_lock guard(cond);
        return queued == i + 1;
      });
    }
  }
  ~Waiters() { join(); }
  void join() {
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
  std::size_t woken() {
    std::scoped_lock guard(cond);
    return order.size();
  }

  Condition& cond;
  std::size_t queued = 0;          // guarded by cond
  std::vector<std::size_t> order;  // guarded by cond
  std::vector<std::thread> threads;
};

TEST(Condition, DefaultUsesAnRLock) {
  Condition cond;
  EXPECT_TRUE(cond.acquire());
  EXPECT_TRUE(cond.acquire());  // recursive
  bool other_failed = false;
  std::thread t([&] {
    other_failed = !cond.acquire(false);
    EXPECT_THROW(cond.release(), RuntimeError);  // not the owner
  });
  t.join();
  EXPECT_TRUE(other_failed);
  cond.release();
  cond.release();
  EXPECT_THROW(cond.release(), RuntimeError);
}

TEST(Condition, WithAnExternalLock) {
  Lock lock;
  Condition cond(lock);
  EXPECT_TRUE(cond.acquire());
  EXPECT_TRUE(lock.locked());
  EXPECT_FALSE(cond.acquire(false));  // a Lock is not recursive
  cond.release();
  EXPECT_FALSE(lock.locked());
  RLock rlock;
  Condition rcond(rlock);
  {
    std::scoped_lock guard(rcond);
    EXPECT_TRUE(rlock.locked());
  }
  EXPECT_FALSE(rlock.locked());
}

TEST(Condition, WaitAndNotifyNeedTheLock) {
  Condition cond;
  try {
    cond.wait();
    FAIL() << "expected RuntimeError";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot wait on un-acquired lock");
  }
  try {
    cond.notify();
    FAIL() << "expected RuntimeError";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot notify on un-acquired lock");
  }
  EXPECT_THROW(cond.notify_all(), RuntimeError);
  EXPECT_THROW(cond.wait_for([] { return false; }), RuntimeError);
  // Held by another thread is not held by us (RLock).
  cond.acquire();
  std::thread t([&] {
    EXPECT_THROW(cond.wait(0s), RuntimeError);
    EXPECT_THROW(cond.notify(), RuntimeError);
  });
  t.join();
  cond.release();
}

TEST(Condition, WithALockOwnedMeansLocked) {
  // Python's _is_owned for a plain Lock: locked by anyone counts.
  Lock lock;
  Condition cond(lock);
  EXPECT_THROW(cond.notify(), RuntimeError);
  lock.acquire();
  cond.notify();  // no waiters: nothing happens
  EXPECT_FALSE(cond.wait(0s));
  EXPECT_TRUE(lock.locked());
  lock.release();
}

TEST(Condition, WaitTimesOutAndReacquires) {
  Condition cond;
  std::unique_lock guard(cond);
  const auto start = Clock::now();
  EXPECT_FALSE(cond.wait(50ms));
  test::expect_waited(Clock::now() - start, 50ms);
  // Still ours: another thread cannot take it.
  std::thread t([&] { EXPECT_FALSE(cond.acquire(false)); });
  t.join();
}

TEST(Condition, ZeroAndNegativeTimeoutDoNotWait) {
  Condition cond;
  std::unique_lock guard(cond);
  EXPECT_FALSE(cond.wait(0s));
  EXPECT_FALSE(cond.wait(-1s));
  EXPECT_FALSE(cond.wait_for([] { return false; }, 0s));
  EXPECT_TRUE(cond.wait_for([] { return true; }, -1s));
}

TEST(Condition, NotifyWakesTheRequestedNumber) {
  Condition cond;
  Waiters w(cond, 5);
  {
    std::scoped_lock guard(cond);
    cond.notify(3);
  }
  test::eventually([&] { return w.woken() == 3; });
  EXPECT_EQ(w.woken(), 3U);
  {
    std::scoped_lock guard(cond);
    cond.notify(0);   // no-op
    cond.notify(10);  // more than are waiting
  }
  w.join();
  EXPECT_EQ(w.order.size(), 5U);
}

TEST(Condition, NotifyAllWakesEveryone) {
  Condition cond;
  Waiters w(cond, 4);
  {
    std::scoped_lock guard(cond);
    cond.notify_all();
  }
  w.join();
  EXPECT_EQ(w.order.size(), 4U);
  std::scoped_lock guard(cond);
  cond.notify_all();  // nobody left: fine
}

TEST(Condition, NotifyWakesInFifoOrder) {
  Condition cond;
  Waiters w(cond, 5);
  for (std::size_t k = 1; k <= 5; ++k) {
    {
      std::scoped_lock guard(cond);
      cond.notify();
    }
    test::eventually([&] { return w.woken() == k; });
  }
  w.join();
  EXPECT_EQ(w.order, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(Condition, WaitForReturnsOnceThePredicateHolds) {
  Condition cond;
  int state = 0;  // guarded by cond
  std::thread producer([&] {
    for (int i = 0; i < 5; ++i) {
      std::scoped_lock guard(cond);
      ++state;
      cond.notify_all();
    }
  });
  bool result = false;
  {
    std::unique_lock guard(cond);
    result = cond.wait_for([&] { return state == 5; }, 60s);
    EXPECT_EQ(state, 5);
  }
  producer.join();
  EXPECT_TRUE(result);
}

TEST(Condition, WaitForTimesOutWithPredicateFalse) {
  Condition cond;
  std::unique_lock guard(cond);
  int calls = 0;
  const auto start = Clock::now();
  EXPECT_FALSE(cond.wait_for(
      [&] {
        ++calls;
        return false;
      },
      40ms));
  test::expect_waited(Clock::now() - start, 40ms);
  EXPECT_GE(calls, 2);  // before the first wait and after the timeout
}

TEST(Condition, WaitForDeadlineIsComputedOnce) {
  // A stream of notifies that never satisfy the predicate must not extend the wait.
  Condition cond;
  std::atomic<bool> stop{false};
  std::thread noisy([&] {
    while (!stop) {
      std::scoped_lock guard(cond);
      cond.notify_all();
    }
  });
  Clock::duration elapsed{};
  {
    std::unique_lock guard(cond);
    const auto start = Clock::now();
    EXPECT_FALSE(cond.wait_for([] { return false; }, 60ms));
    elapsed = Clock::now() - start;
  }
  stop = true;
  noisy.join();
  test::expect_waited(elapsed, 60ms);
}

TEST(Condition, WaitFullyReleasesARecursiveRLockAndRestoresIt) {
  Condition cond;
  bool flag = false;
  cond.acquire();
  cond.acquire();
  cond.acquire();
  std::thread t([&] {
    std::scoped_lock guard(cond);  // possible only if wait() released all three levels
    flag = true;
    cond.notify();
  });
  EXPECT_TRUE(cond.wait_for([&] { return flag; }, 60s));
  t.join();
  cond.release();
  cond.release();
  std::thread probe([&] { EXPECT_FALSE(cond.acquire(false)); });  // still held at depth 1
  probe.join();
  cond.release();
  EXPECT_THROW(cond.release(), RuntimeError);  // count restored to exactly 3
}

TEST(Condition, WorksWithALockAndUniqueLock) {
  Lock lock;
  Condition cond(lock);
  std::vector<int> items;  // guarded by lock
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      std::scoped_lock guard(cond);
      items.push_back(i);
      cond.notify();
    }
  });
  {
    std::unique_lock guard(cond);
    EXPECT_TRUE(cond.wait_for([&] { return items.size() == 100; }, 60s));
  }
  producer.join();
  EXPECT_FALSE(lock.locked());
}

TEST(Condition, NotifiesRacingTimeoutsLoseNothing) {
  // Each notify(1) wakes a waiter that is still queued or is skipped if none is; timeouts
  // racing the notifies must neither lose a wake-up nor deliver one twice.
  Condition cond;
  const std::size_t rounds = test::scaled(300);
  std::size_t tokens = 0;  // guarded by cond
  std::size_t consumed = 0;
  std::thread consumer([&] {
    std::unique_lock guard(cond);
    while (consumed < rounds) {
      if (tokens > 0) {
        --tokens;
        ++consumed;
        continue;
      }
      cond.wait(1ms);  // frequently times out while a notify is in flight
    }
  });
  for (std::size_t i = 0; i < rounds; ++i) {
    std::scoped_lock guard(cond);
    ++tokens;
    cond.notify();
  }
  consumer.join();
  EXPECT_EQ(consumed, rounds);
  EXPECT_EQ(tokens, 0U);
}

}  // namespace
}  // namespace triad
