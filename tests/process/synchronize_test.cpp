// Cross-process Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier.
// Ports _test_multiprocessing._TestLock/_TestSemaphore/_TestEvent/_TestCondition/_TestBarrier,
// plus the crash case: a lock holder killed with SIGKILL.
#include "triad/process/synchronize.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "process/leak_check.hpp"
#include "triad/process/connection.hpp"
#include "triad/process/process.hpp"
#include "triad/process/sharedctypes.hpp"

namespace tp = triad::process;
using namespace std::chrono_literals;

namespace {

class SyncTest : public tp::testing::LeakCheckedTest {};

TEST_F(SyncTest, LockBasics) {
  tp::Lock lock;
  EXPECT_TRUE(lock.acquire());
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.acquire(true, 10ms));
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_THROW(lock.release(), triad::ValueError);
  EXPECT_FALSE(lock.locked());
}

TEST_F(SyncTest, LockMayBeReleasedByAnotherThread) {
  tp::Lock lock;
  lock.acquire();
  std::thread([&] { lock.release(); }).join();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST_F(SyncTest, LockExcludesAChildProcess) {
  tp::Lock lock;
  tp::Value<long> counter(0, false);
  constexpr int kN = 2000;
  auto work = [&] {
    for (int i = 0; i < kN; ++i) {
      std::lock_guard<tp::Lock> g(lock);
      long v = counter.get_obj();
      counter.get_obj() = v + 1;
    }
  };
  tp::Process p(work);
  p.start();
  work();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(counter.value(), 2L * kN);
}

TEST_F(SyncTest, RLockRecursion) {
  tp::RLock r;
  EXPECT_TRUE(r.acquire());
  EXPECT_TRUE(r.acquire());
  EXPECT_EQ(r.count(), 2u);
  std::thread([&] {
    EXPECT_FALSE(r.acquire(false));
    EXPECT_THROW(r.release(), triad::RuntimeError);
  }).join();
  r.release();
  r.release();
  EXPECT_THROW(r.release(), triad::RuntimeError);
}

TEST_F(SyncTest, KilledHolderGivesAbandonedLockErrorThenTheLockWorks) {
  tp::Lock lock;
  tp::Event held;
  tp::Process p([&] {
    lock.acquire();
    held.set();
    for (;;) ::pause();
  });
  p.start();
  ASSERT_TRUE(held.wait(30s));
  EXPECT_FALSE(lock.acquire(false)) << "the holder lives";
  p.kill();
  p.join();
  EXPECT_THROW(lock.acquire(), triad::AbandonedLockError);
  EXPECT_TRUE(lock.acquire(false)) << "usable again";
  lock.release();
}

TEST_F(SyncTest, WaiterNoticesAHolderKilledWhileItWaits) {
  tp::RLock lock;
  tp::Event held;
  tp::Process p([&] {
    lock.acquire();
    lock.acquire();
    held.set();
    for (;;) ::pause();
  });
  p.start();
  ASSERT_TRUE(held.wait(30s));
  std::atomic<int> outcome{0};
  std::thread waiter([&] {
    try {
      lock.acquire();
      outcome = 1;
    } catch (const triad::AbandonedLockError&) {
      outcome = 2;
    }
  });
  // The waiter is (or soon will be) asleep on the futex; kill the holder; the zombie is
  // recognised as dead even before it is reaped.
  p.kill();
  waiter.join();
  p.join();
  EXPECT_EQ(outcome.load(), 2);
  EXPECT_TRUE(lock.acquire(false));
  EXPECT_EQ(lock.count(), 1u);
  lock.release();
}

TEST_F(SyncTest, SemaphoreCounts) {
  tp::Semaphore s(2);
  EXPECT_EQ(s.get_value(), 2);
  EXPECT_TRUE(s.acquire());
  EXPECT_TRUE(s.acquire(false));
  EXPECT_FALSE(s.acquire(false));
  EXPECT_FALSE(s.acquire(true, 10ms));
  s.release();
  EXPECT_EQ(s.get_value(), 1);
  s.release(3);
  EXPECT_EQ(s.get_value(), 4);
  EXPECT_THROW(tp::Semaphore(-1), triad::ValueError);
}

TEST_F(SyncTest, BoundedSemaphoreRefusesExtraRelease) {
  tp::BoundedSemaphore s(1);
  EXPECT_THROW(s.release(), triad::ValueError);
  s.acquire();
  s.release();
  EXPECT_EQ(s.get_value(), 1);
}

TEST_F(SyncTest, SemaphoreAcrossProcesses) {
  tp::Semaphore s(0);
  tp::Process p([&] { s.release(); });
  p.start();
  EXPECT_TRUE(s.acquire(true, 30s));
  p.join();
}

TEST_F(SyncTest, EventAcrossProcesses) {
  tp::Event ev, back;
  EXPECT_FALSE(ev.is_set());
  EXPECT_FALSE(ev.wait(10ms));
  tp::Process p([&] {
    if (ev.wait(30s)) back.set();
  });
  p.start();
  ev.set();
  EXPECT_TRUE(back.wait(30s));
  p.join();
  ev.clear();
  EXPECT_FALSE(ev.is_set());
}

TEST_F(SyncTest, ConditionNotifyAcrossProcesses) {
  tp::Condition cond;
  tp::Value<int> state(0, false);
  tp::Process p([&] {
    std::lock_guard<tp::Condition> g(cond);
    state.get_obj() = 1;
    cond.notify_all();
    cond.wait_for([&] { return state.get_obj() == 2; }, 30s);
    state.get_obj() = 3;
    cond.notify_all();
  });
  p.start();
  {
    std::unique_lock<tp::Condition> g(cond);
    ASSERT_TRUE(cond.wait_for([&] { return state.get_obj() == 1; }, 30s));
    state.get_obj() = 2;
    cond.notify();
    ASSERT_TRUE(cond.wait_for([&] { return state.get_obj() == 3; }, 30s));
  }
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(SyncTest, ConditionMisuseAndTimeout) {
  tp::Condition cond;
  EXPECT_THROW(cond.wait(), triad::RuntimeError);
  EXPECT_THROW(cond.notify(), triad::RuntimeError);
  cond.acquire();
  cond.acquire();  // the default lock is an RLock
  EXPECT_FALSE(cond.wait(10ms));
  cond.release();
  cond.release();
  tp::Lock l;
  tp::Condition c2(l);
  l.acquire();
  EXPECT_FALSE(c2.wait(1ms));
  EXPECT_TRUE(l.is_mine());
  l.release();
}

TEST_F(SyncTest, BarrierAcrossProcesses) {
  tp::Barrier b(3);
  tp::Value<int> sum(0);
  auto party = [&] {
    const auto i = b.wait(30s);
    std::lock_guard<tp::RLock> g(sum.get_lock());
    sum.get_obj() += static_cast<int>(i);
  };
  tp::Process p1(party), p2(party);
  p1.start();
  p2.start();
  party();
  p1.join();
  p2.join();
  EXPECT_EQ(sum.value(), 0 + 1 + 2) << "indices 0..parties-1";
  EXPECT_EQ(p1.exitcode(), 0);
}

TEST_F(SyncTest, BarrierActionTimeoutAbortReset) {
  int ran = 0;
  tp::Barrier b(1, [&] { ++ran; });
  EXPECT_EQ(b.wait(), 0u);
  EXPECT_EQ(ran, 1);
  tp::Barrier b2(2);
  EXPECT_THROW(b2.wait(10ms), triad::BrokenBarrierError);
  EXPECT_TRUE(b2.broken());
  EXPECT_THROW(b2.wait(), triad::BrokenBarrierError);
  b2.reset();
  EXPECT_FALSE(b2.broken());
  b2.abort();
  EXPECT_THROW(b2.wait(), triad::BrokenBarrierError);
  EXPECT_THROW(tp::Barrier(0), triad::ValueError);
  tp::Barrier b3(2);
  std::thread t([&] { EXPECT_THROW(b3.wait(), triad::BrokenBarrierError); });
  while (b3.n_waiting() != 1) std::this_thread::yield();
  b3.reset();
  t.join();
}

TEST_F(SyncTest, ValueAndArray) {
  tp::Value<double> v(1.5);
  tp::Array<int> a{1, 2, 3};
  tp::Array<char> text(16);
  tp::Process p([&] {
    v.set_value(2.5);
    for (std::size_t i = 0; i < a.size(); ++i) a.set(i, a.get(i) * 10);
    std::memcpy(text.data(), "héllo", 7);
  });
  p.start();
  p.join();
  EXPECT_EQ(v.value(), 2.5);
  EXPECT_EQ(a.to_vector(), (std::vector<int>{10, 20, 30}));
  EXPECT_STREQ(text.data(), "héllo");
  EXPECT_THROW((void)a.get(3), triad::ValueError);
}

}  // namespace
