// Behaviour of CPython's lock_tests.BaseSemaphoreTests / SemaphoreTests /
// BoundedSemaphoreTests, for triad::Semaphore and triad::BoundedSemaphore.
#include "triad/threading/semaphore.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "primitives_test_util.hpp"
#include "triad/core/error.hpp"
#include "triad/threading/event.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(Semaphore, NegativeInitialValueIsValueError) {
  try {
    Semaphore s(-1);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "semaphore initial value must be >= 0");
  }
  EXPECT_THROW(BoundedSemaphore(-5), ValueError);
  Semaphore zero(0);
  EXPECT_EQ(zero.value(), 0);
  Semaphore def;
  EXPECT_EQ(def.value(), 1);
}

TEST(Semaphore, AcquireAndRelease) {
  Semaphore s(3);
  EXPECT_TRUE(s.acquire());
  EXPECT_TRUE(s.acquire());
  EXPECT_TRUE(s.acquire(false));
  EXPECT_EQ(s.value(), 0);
  EXPECT_FALSE(s.acquire(false));
  EXPECT_FALSE(s.try_acquire());
  s.release();
  EXPECT_TRUE(s.try_acquire());
  s.release(3);
  EXPECT_EQ(s.value(), 3);
}

TEST(Semaphore, ReleaseNeedsOneOrMore) {
  Semaphore s(0);
  try {
    s.release(0);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "n must be one or more");
  }
  EXPECT_EQ(s.value(), 0);
}

TEST(Semaphore, NonBlockingWithTimeoutIsValueError) {
  Semaphore s(1);
  try {
    s.acquire(false, 1s);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "can't specify a timeout for a non-blocking call");
  }
  EXPECT_EQ(s.value(), 1);
}

TEST(Semaphore, ZeroAndNegativeTimeoutsDoNotWait) {
  Semaphore s(0);
  EXPECT_FALSE(s.acquire(0s));
  EXPECT_FALSE(s.acquire(true, -1s));
  EXPECT_FALSE(s.try_acquire_for(0ms));
  EXPECT_FALSE(s.try_acquire_until(Clock::now() - 1s));
  s.release();
  EXPECT_TRUE(s.acquire(0s));  // available: succeeds without waiting
}

TEST(Semaphore, TimedAcquireTimesOut) {
  Semaphore s(0);
  auto start = Clock::now();
  EXPECT_FALSE(s.acquire(true, 40ms));
  test::expect_waited(Clock::now() - start, 40ms);
  start = Clock::now();
  EXPECT_FALSE(s.try_acquire_for(20ms));
  test::expect_waited(Clock::now() - start, 20ms);
  start = Clock::now();
  EXPECT_FALSE(s.try_acquire_until(std::chrono::system_clock::now() + 20ms));
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(s.value(), 0);
}

TEST(Semaphore, BlockedAcquireProceedsAfterRelease) {
  Semaphore s(0);
  std::atomic<bool> released{false};
  bool saw = false;
  Event started;
  std::thread t([&] {
    started.set();
    EXPECT_TRUE(s.acquire(true, 60s));
    saw = released.load();
  });
  started.wait();
  released = true;
  s.release();
  t.join();
  EXPECT_TRUE(saw);
  EXPECT_EQ(s.value(), 0);  // the permit went to the waiter
}

TEST(Semaphore, ReleaseNWakesNWaiters) {
  // Python: test_multirelease.
  Semaphore s(0);
  std::atomic<int> acquired{0};
  test::Bunch bunch(5, [&](std::size_t) {
    s.acquire();
    ++acquired;
  });
  s.release(2);
  test::eventually([&] { return acquired.load() == 2; });
  EXPECT_EQ(acquired.load(), 2);
  s.release(3);
  bunch.join();
  EXPECT_EQ(acquired.load(), 5);
  EXPECT_EQ(s.value(), 0);
}

TEST(Semaphore, ReleaseBeyondInitialValueIsAllowed) {
  // Python: SemaphoreTests.test_release_unacquired.
  Semaphore s(1);
  s.release();
  s.acquire();
  s.acquire();
  s.release(5);
  EXPECT_EQ(s.value(), 5);
}

TEST(Semaphore, ContendedAcquireNeverExceedsTheValue) {
  Semaphore s(3);
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  const std::size_t iters = test::scaled(2000);
  {
    test::Bunch bunch(6, [&](std::size_t) {
      for (std::size_t i = 0; i < iters; ++i) {
        s.acquire();
        const int now = ++inside;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        --inside;
        s.release();
      }
    });
  }
  EXPECT_LE(max_inside.load(), 3);
  EXPECT_EQ(s.value(), 3);
}

TEST(Semaphore, ManyTimedWaitersTimeOutCleanly) {
  Semaphore s(0);
  std::atomic<int> timed_out{0};
  {
    test::Bunch bunch(4, [&](std::size_t) {
      if (!s.acquire(true, 30ms)) ++timed_out;
    });
  }
  EXPECT_EQ(timed_out.load(), 4);
  s.release();  // nobody waits any more: the permit stays
  EXPECT_EQ(s.value(), 1);
  EXPECT_TRUE(s.try_acquire());
}

TEST(BoundedSemaphore, ReleaseTooManyTimesIsValueError) {
  BoundedSemaphore s(3);
  try {
    s.release();
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "Semaphore released too many times");
  }
  s.acquire();
  s.acquire();
  EXPECT_THROW(s.release(3), ValueError);  // would reach 4
  EXPECT_EQ(s.value(), 1);                 // nothing released
  s.release(2);
  EXPECT_EQ(s.value(), 3);
  EXPECT_THROW(s.release(), ValueError);
  Semaphore& base = s;  // the bound holds through the base class too
  EXPECT_THROW(base.release(), ValueError);
}

TEST(BoundedSemaphore, BoundedReleaseWakesWaiters) {
  BoundedSemaphore s(1);
  s.acquire();
  bool got = false;
  Event started;
  std::thread t([&] {
    started.set();
    got = s.acquire(true, 60s);
  });
  started.wait();
  s.release();
  t.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(s.value(), 0);
  s.release();
  EXPECT_THROW(s.release(), ValueError);
}

}  // namespace
}  // namespace triad
