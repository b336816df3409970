// Awaiting the foundation primitives (include/triad/aio/blocking.hpp): Event, Lock, Semaphore,
// Queue from tasks, woken from other OS threads; timeouts and cancellation at every park.
#include <gtest/gtest.h>

#if TRIAD_AIO_HAVE_BLOCKING

#include <atomic>
#include <thread>
#include <vector>

#include "triad/aio.hpp"
#include "triad/aio/blocking.hpp"
#include "triad/queue/queue.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/semaphore.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

TEST(Blocking, EventSetFromAnotherThreadWhileTheLoopRuns) {
  triad::Event ev;
  int ticks = 0;
  std::thread setter;
  auto ticker = [&]() -> aio::Task<void> {
    for (int i = 0; i < 5; ++i) {
      ++ticks;
      co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    }
    setter = std::thread([&] { ev.set(); });
  };
  auto body = [&]() -> aio::Task<bool> {
    auto t = aio::create_task(ticker());
    const bool ok = co_await aio::wait(ev);  // parks: the ticker keeps running
    co_await t;
    co_return ok;
  };
  EXPECT_TRUE(aio::run(body()));
  setter.join();
  EXPECT_EQ(ticks, 5);
}

TEST(Blocking, AlreadySetNeverSuspends) {
  triad::Event ev;
  ev.set();
  EXPECT_TRUE(aio::run([&]() -> aio::Task<bool> { co_return co_await aio::wait(ev); }()));
}

TEST(Blocking, Timeout) {
  triad::Event ev;
  EXPECT_FALSE(aio::run([&]() -> aio::Task<bool> { co_return co_await aio::wait(ev, 10ms); }()));
  triad::Queue<int> q;
  EXPECT_THROW(aio::run([&]() -> aio::Task<int> { co_return co_await aio::get(q, 10ms); }()), triad::Empty);
}

TEST(Blocking, LockContendedWithAThread) {
  triad::Lock lock;
  lock.acquire();
  std::thread releaser;
  auto body = [&]() -> aio::Task<bool> {
    releaser = std::thread([&] { lock.release(); });
    const bool ok = co_await aio::acquire(lock);
    lock.release();
    co_return ok;
  };
  EXPECT_TRUE(aio::run(body()));
  releaser.join();
}

TEST(Blocking, QueueProducerThreadConsumerTasks) {
  triad::Queue<int> q;
  constexpr int kItems = 200;
  std::thread producer;
  auto consumer = [&](std::atomic<int>& sum) -> aio::Task<void> {
    for (;;) {
      const int v = co_await aio::get(q);
      if (v < 0) co_return;
      sum += v;
    }
  };
  std::atomic<int> sum{0};
  auto body = [&]() -> aio::Task<void> {
    auto a = aio::create_task(consumer(sum));
    auto b = aio::create_task(consumer(sum));
    producer = std::thread([&] {
      for (int i = 1; i <= kItems; ++i) q.put(i);
      q.put(-1);
      q.put(-1);
    });
    co_await aio::gather(a, b);
  };
  aio::run(body());
  producer.join();
  EXPECT_EQ(sum.load(), kItems * (kItems + 1) / 2);
}

TEST(Blocking, PutOnAFullQueue) {
  triad::Queue<int> q(1);
  q.put(1);
  std::thread getter;
  auto body = [&]() -> aio::Task<void> {
    getter = std::thread([&] { EXPECT_EQ(q.get(), 1); });
    co_await aio::put(q, 2);
    EXPECT_THROW(co_await aio::put(q, 3, 5ms), triad::Full);
  };
  aio::run(body());
  getter.join();
  EXPECT_EQ(q.get(), 2);
}

TEST(Blocking, CancellationInterruptsThePark) {
  triad::Event ev;
  triad::Semaphore sem(0);
  aio::EventLoop loop;
  auto waiter = [&]() -> aio::Task<bool> { co_return co_await aio::wait(ev); };
  auto t = loop.create_task(waiter());
  loop.call_later(2ms, [&] { t.cancel(); });
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_TRUE(t.cancelled());
  // The primitive is clean afterwards: set() wakes nobody stale, later waits work.
  ev.set();
  EXPECT_TRUE(ev.wait(0s));
  auto sem_waiter = [&]() -> aio::Task<bool> { co_return co_await aio::acquire(sem); };
  auto s = loop.create_task(sem_waiter());
  loop.call_later(2ms, [&] { s.cancel(); });
  EXPECT_THROW(loop.run_until_complete(s), triad::CancelledError);
  sem.release();
  EXPECT_TRUE(sem.acquire(true, 0s));  // the permit was not consumed by the cancelled waiter
}

TEST(Blocking, ReadyPrimitivesNeedNoGreenletAndNoSuspension) {
  triad::Event ev;
  ev.set();
  triad::Lock lock;
  triad::Semaphore sem(1);
  triad::Queue<int> q(1);
  q.put(5);
  const std::size_t before = aio::detail::blocking_calls_started();
  auto body = [&]() -> aio::Task<int> {
    EXPECT_TRUE(co_await aio::wait(ev));
    co_await ev;
    EXPECT_TRUE(co_await aio::acquire(lock));
    EXPECT_TRUE(lock.locked());
    lock.release();
    co_await lock;
    EXPECT_TRUE(lock.locked());
    lock.release();
    co_await sem;
    sem.release();
    const int v = co_await aio::get(q);
    co_await aio::put(q, v + 1);  // room again: put at once
    co_return co_await aio::get(q);
  };
  EXPECT_EQ(aio::run(body()), 6);
  EXPECT_EQ(aio::detail::blocking_calls_started(), before);  // every call took its fast path
}

TEST(Blocking, CoAwaitTheFoundationPrimitives) {
  triad::Lock lock;
  triad::Semaphore sem(0);
  triad::Event ev;
  lock.acquire();
  std::thread helper;
  auto body = [&]() -> aio::Task<int> {
    // The helper releases the lock, then the semaphore, then sets the event; each await
    // completes whether it parks first or finds the primitive ready.
    helper = std::thread([&] {
      lock.release();
      sem.release();
      ev.set();
    });
    co_await lock;
    EXPECT_TRUE(lock.locked());
    lock.release();
    co_await sem;
    co_await ev;
    co_return 1;
  };
  EXPECT_EQ(aio::run(body()), 1);
  helper.join();
  EXPECT_FALSE(lock.locked());
  EXPECT_FALSE(sem.acquire(false));  // the one permit was taken by the task
}

// A primitive whose wait has no deadline (Queue::get/put, Condition::wait) re-parks after a
// timed-out park that its deadline did not explain: the cancellation must end the wait with
// CancelledError instead of being seen as a spurious timeout over and over.
TEST(Blocking, CancellationEndsAWaitWithoutADeadline) {
  triad::Queue<int> q;
  triad::Queue<int> full(1);
  full.put(0);
  auto body = [&]() -> aio::Task<void> {
    // The coroutine lambdas outlive their tasks (a task refers to its lambda's captures).
    auto get_one = [&]() -> aio::Task<int> { co_return co_await aio::get(q); };
    auto put_one = [&]() -> aio::Task<void> { co_await aio::put(full, 1); };
    auto get_generic = [&]() -> aio::Task<int> {
      co_return co_await aio::blocking([&] { return q.get(); });
    };
    auto getter = aio::create_task(get_one());
    auto putter = aio::create_task(put_one());
    auto generic = aio::create_task(get_generic());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration: the three tasks park
    getter.cancel();
    putter.cancel();
    generic.cancel();
    EXPECT_THROW(co_await getter, triad::CancelledError);
    EXPECT_THROW(co_await putter, triad::CancelledError);
    EXPECT_THROW(co_await generic, triad::CancelledError);
    EXPECT_TRUE(getter.cancelled());
    EXPECT_TRUE(generic.cancelled());
  };
  aio::run(body());
  // Nothing stale waits on either queue: a put is there for the next get, the full queue
  // still holds only its first item.
  q.put(5);
  EXPECT_EQ(q.get(true, 0s), 5);
  EXPECT_EQ(full.qsize(), 1u);
  EXPECT_EQ(full.get(true, 0s), 0);
}

TEST(Blocking, CoAwaitLockCancelledWhileParkedLeavesTheLockAlone) {
  triad::Lock lock;
  lock.acquire();  // held by this thread for the whole run: the task must park
  const std::size_t before = aio::detail::blocking_calls_started();
  auto body = [&]() -> aio::Task<void> {
    auto waiter = [&]() -> aio::Task<void> { co_await lock; };
    auto t = aio::create_task(waiter());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration: the waiter runs first and parks
    EXPECT_EQ(aio::detail::blocking_calls_started(), before + 1);
    t.cancel();
    EXPECT_THROW(co_await t, triad::CancelledError);
  };
  aio::run(body());
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_TRUE(lock.acquire(false));  // nobody stale holds or waits for it
  lock.release();
}

TEST(Blocking, GenericBlockingCall) {
  triad::Event ev;
  std::thread th;
  auto body = [&]() -> aio::Task<int> {
    th = std::thread([&] { ev.set(); });
    co_return co_await aio::blocking([&] { return ev.wait(5s) ? 7 : 0; });
  };
  EXPECT_EQ(aio::run(body()), 7);
  th.join();
}

TEST(Blocking, ManyConcurrentWaitersOneSet) {
  triad::Event ev;
  std::thread th;
  auto waiter = [&]() -> aio::Task<bool> { co_return co_await aio::wait(ev); };
  auto body = [&]() -> aio::Task<int> {
    std::vector<aio::TaskHandle<bool>> hs;
    for (int i = 0; i < 50; ++i) hs.push_back(aio::create_task(waiter()));
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    th = std::thread([&] { ev.set(); });
    auto rs = co_await aio::gather(std::move(hs));
    int n = 0;
    for (bool b : rs) n += b ? 1 : 0;
    co_return n;
  };
  EXPECT_EQ(aio::run(body()), 50);
  th.join();
}

}  // namespace

#endif  // TRIAD_AIO_HAVE_BLOCKING
