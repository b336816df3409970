// Behaviour of CPython's lock_tests.RLockTests (and BaseLockTests), for triad::RLock.
#include "triad/threading/rlock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "primitives_test_util.hpp"
#include "triad/core/error.hpp"
#include "triad/threading/event.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(RLock, StartsUnlocked) {
  RLock lock;
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, Reacquire) {
  RLock lock;
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.acquire(false));
  EXPECT_TRUE(lock.acquire(true, 0s));
  lock.release();
  lock.release();
  lock.release();
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, ReleaseUnacquiredIsRuntimeError) {
  RLock lock;
  try {
    lock.release();
    FAIL() << "expected RuntimeError";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot release un-acquired lock");
  }
  lock.acquire();
  lock.acquire();
  lock.release();
  lock.release();
  EXPECT_THROW(lock.release(), RuntimeError);  // one more than acquired
}

TEST(RLock, ReleaseByAnotherThreadIsRuntimeError) {
  RLock lock;
  lock.acquire();
  bool threw = false;
  std::thread t([&] {
    try {
      lock.release();
    } catch (const RuntimeError& e) {
      threw = std::string(e.what()) == "cannot release un-acquired lock";
    }
  });
  t.join();
  EXPECT_TRUE(threw);
  EXPECT_TRUE(lock.locked());  // untouched
  lock.release();
}

TEST(RLock, OtherThreadsBlockUntilFullyReleased) {
  RLock lock;
  lock.acquire();
  lock.acquire();
  std::atomic<bool> fully_released{false};
  std::atomic<bool> saw{false};
  std::atomic<bool> try_failed{false};
  Event started;
  std::thread t([&] {
    try_failed = !lock.acquire(false);
    started.set();
    lock.acquire();
    saw = fully_released.load();
    lock.release();
  });
  started.wait();
  EXPECT_TRUE(try_failed);
  lock.release();  // count 1: still held
  EXPECT_TRUE(lock.locked());
  fully_released = true;
  lock.release();
  t.join();
  EXPECT_TRUE(saw);
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, NonOwnerTimedAcquireTimesOut) {
  RLock lock;
  lock.acquire();
  bool result = true;
  Clock::duration elapsed{};
  std::thread t([&] {
    const auto start = Clock::now();
    result = lock.acquire(true, 40ms);
    elapsed = Clock::now() - start;
    EXPECT_FALSE(lock.acquire(true, -1s));
    EXPECT_FALSE(lock.try_lock());
  });
  t.join();
  EXPECT_FALSE(result);
  test::expect_waited(elapsed, 40ms);
  lock.release();
}

TEST(RLock, NonBlockingWithTimeoutIsValueError) {
  RLock lock;
  EXPECT_THROW(lock.acquire(false, 1s), ValueError);
  lock.acquire();
  EXPECT_THROW(lock.acquire(false, 1s), ValueError);  // even when it would re-enter
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, NestedScopedLocks) {
  RLock lock;
  {
    std::scoped_lock outer(lock);
    {
      std::unique_lock inner(lock);
      EXPECT_TRUE(inner.owns_lock());
      std::unique_lock timed(lock, 1ms);
      EXPECT_TRUE(timed.owns_lock());
      std::unique_lock until(lock, std::chrono::system_clock::now());
      EXPECT_TRUE(until.owns_lock());
    }
    EXPECT_TRUE(lock.locked());
  }
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, MutualExclusionWithRecursion) {
  RLock lock;
  long counter = 0;
  const std::size_t iters = test::scaled(2000);
  {
    test::Bunch bunch(4, [&](std::size_t) {
      for (std::size_t i = 0; i < iters; ++i) {
        std::scoped_lock a(lock);
        std::scoped_lock b(lock);
        ++counter;
      }
    });
  }
  EXPECT_EQ(counter, static_cast<long>(4 * iters));
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, OwnershipFollowsTheOwnerIdHook) {
  // The green layer swaps the owner identity per green thread; two identities on one OS
  // thread must behave like two threads.
  RLock lock;
  lock.acquire();
  char other_context = 0;
  const auto prev = detail::exchange_owner_id(reinterpret_cast<std::uintptr_t>(&other_context));
  EXPECT_FALSE(lock.acquire(false));           // not re-entrant for another owner
  EXPECT_THROW(lock.release(), RuntimeError);  // nor releasable by it
  detail::exchange_owner_id(prev);
  lock.release();
  EXPECT_FALSE(lock.locked());
}

}  // namespace
}  // namespace triad
