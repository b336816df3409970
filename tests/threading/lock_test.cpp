// Behaviour of CPython's lock_tests.BaseLockTests / LockTests, for triad::Lock.
#include "triad/threading/lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "primitives_test_util.hpp"
#include "triad/core/error.hpp"
#include "triad/threading/event.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(Lock, StartsUnlocked) {
  Lock lock;
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, AcquireRelease) {
  Lock lock;
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, NonBlockingAcquireFailsWhileHeld) {
  Lock lock;
  EXPECT_TRUE(lock.acquire(false));
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.try_lock());
  lock.release();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

TEST(Lock, NonBlockingWithTimeoutIsValueError) {
  Lock lock;
  try {
    lock.acquire(false, 1s);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "can't specify a timeout for a non-blocking call");
  }
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire(false, forever));  // an explicit "no timeout" is fine
  lock.release();
}

TEST(Lock, ZeroAndNegativeTimeoutsDoNotWait) {
  Lock lock;
  EXPECT_TRUE(lock.acquire(true, 0s));  // free: succeeds without waiting
  const auto start = Clock::now();
  EXPECT_FALSE(lock.acquire(true, 0s));
  EXPECT_FALSE(lock.acquire(true, -1s));
  EXPECT_FALSE(lock.acquire(-5ms));
  EXPECT_LT(Clock::now() - start, 5s);  // i.e. did not wait for the holder
  lock.release();
}

TEST(Lock, TimedAcquireTimesOut) {
  Lock lock;
  lock.acquire();
  bool result = true;
  Clock::duration elapsed{};
  std::thread t([&] {
    const auto start = Clock::now();
    result = lock.acquire(true, 50ms);
    elapsed = Clock::now() - start;
  });
  t.join();
  EXPECT_FALSE(result);
  test::expect_waited(elapsed, 50ms);
  EXPECT_TRUE(lock.locked());  // still ours
  lock.release();
  EXPECT_FALSE(lock.locked());  // and the timed-out waiter left no trace
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST(Lock, FloatSecondsTimeout) {
  Lock lock;
  lock.acquire();
  const auto start = Clock::now();
  EXPECT_FALSE(lock.acquire(triad::seconds(0.02)));
  test::expect_waited(Clock::now() - start, 20ms);
  lock.release();
}

TEST(Lock, BlockedAcquireProceedsAfterRelease) {
  Lock lock;
  lock.acquire();
  std::atomic<bool> released{false};
  std::atomic<bool> saw_release{false};
  Event started;
  std::thread t([&] {
    started.set();
    lock.acquire();
    saw_release = released.load();
    lock.release();
  });
  started.wait();
  released = true;
  lock.release();
  t.join();
  EXPECT_TRUE(saw_release);  // the acquire could only complete after the release
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, TimedAcquireSucceedsWhenReleasedInTime) {
  Lock lock;
  lock.acquire();
  bool result = false;
  Event started;
  std::thread t([&] {
    started.set();
    result = lock.acquire(true, 60s);
    if (result) lock.release();
  });
  started.wait();
  lock.release();
  t.join();
  EXPECT_TRUE(result);
}

TEST(Lock, ReleaseUnlockedIsRuntimeError) {
  Lock lock;
  try {
    lock.release();
    FAIL() << "expected RuntimeError";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "release unlocked lock");
  }
  lock.acquire();
  lock.release();
  EXPECT_THROW(lock.release(), RuntimeError);
  EXPECT_THROW(lock.unlock(), RuntimeError);
}

TEST(Lock, AnotherThreadMayRelease) {
  // Python: LockTests.test_different_thread — a Lock is not owned.
  Lock lock;
  lock.acquire();
  std::thread t([&] { lock.release(); });
  t.join();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST(Lock, NotReentrant) {
  // Python: LockTests.test_reacquire — the holder's second acquire blocks like anyone's,
  // until another thread releases the lock.
  Lock lock;
  lock.acquire();
  EXPECT_FALSE(lock.acquire(true, 10ms));
  Event phase;
  std::atomic<bool> got{false};
  std::thread t([&] {
    lock.acquire();  // held by main: blocks
    got = true;
    phase.set();
  });
  lock.release();  // lets t in
  phase.wait();
  EXPECT_TRUE(got);
  EXPECT_TRUE(lock.locked());
  lock.release();  // released by another thread than t, which is allowed
  t.join();
}

TEST(Lock, ContendedAcquireFromManyThreads) {
  Lock lock;
  long counter = 0;
  const std::size_t iters = test::scaled(2000);
  {
    test::Bunch bunch(5, [&](std::size_t) {
      for (std::size_t i = 0; i < iters; ++i) {
        lock.acquire();
        ++counter;  // a data race (and a TSan report) if mutual exclusion failed
        lock.release();
      }
    });
  }
  EXPECT_EQ(counter, static_cast<long>(5 * iters));
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, ManyTimedWaitersAllTimeOutAndLeaveItUsable) {
  Lock lock;
  lock.acquire();
  std::atomic<int> timed_out{0};
  {
    test::Bunch bunch(4, [&](std::size_t) {
      if (!lock.acquire(true, 30ms)) ++timed_out;
    });
  }
  EXPECT_EQ(timed_out.load(), 4);
  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

TEST(Lock, ScopedLockAndUniqueLock) {
  Lock a;
  Lock b;
  {
    std::scoped_lock guard(a, b);  // std::lock's deadlock avoidance over try_lock
    EXPECT_TRUE(a.locked());
    EXPECT_TRUE(b.locked());
  }
  EXPECT_FALSE(a.locked());
  EXPECT_FALSE(b.locked());
  {
    std::unique_lock guard(a);
    EXPECT_TRUE(guard.owns_lock());
    guard.unlock();
    EXPECT_FALSE(a.locked());
    EXPECT_TRUE(guard.try_lock());
  }
  EXPECT_FALSE(a.locked());
  a.acquire();
  {
    std::unique_lock guard(a, std::try_to_lock);
    EXPECT_FALSE(guard.owns_lock());
    std::unique_lock timed(a, 10ms);
    EXPECT_FALSE(timed.owns_lock());
    std::unique_lock until(a, std::chrono::system_clock::now() + 10ms);
    EXPECT_FALSE(until.owns_lock());
    std::unique_lock until_steady(a, std::chrono::steady_clock::now() - 1s);
    EXPECT_FALSE(until_steady.owns_lock());
  }
  a.release();
  EXPECT_TRUE(a.try_lock_for(1s));
  a.unlock();
  EXPECT_TRUE(a.try_lock_until(std::chrono::steady_clock::now() + 1s));
  a.unlock();
}

TEST(Lock, ScopeExitOnExceptionReleases) {
  // Python: test_with — the lock is released when the body raises.
  Lock lock;
  EXPECT_THROW(
      {
        std::scoped_lock guard(lock);
        throw std::runtime_error("body");
      },
      std::runtime_error);
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, UsableAsABinarySignalBetweenThreads) {
  // A pattern Python code relies on: one thread acquires, another releases.
  Lock signal;
  signal.acquire();
  int payload = 0;
  std::thread producer([&] {
    payload = 42;
    signal.release();
  });
  signal.acquire();  // blocks until the producer releases
  EXPECT_EQ(payload, 42);
  signal.release();
  producer.join();
}

}  // namespace
}  // namespace triad
