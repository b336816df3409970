// aio::Lock, Event, Semaphore, BoundedSemaphore (include/triad/aio/sync.hpp): ports of
// test_asyncio/test_locks.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "triad/aio.hpp"
#include "triad/aio/sync.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

TEST(AioLock, FifoAndRelease) {
  aio::Lock lock;
  std::vector<int> order;
  auto worker = [&](int id) -> aio::Task<void> {
    co_await lock.acquire();
    order.push_back(id);
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    lock.release();
  };
  auto body = [&]() -> aio::Task<void> {
    co_await aio::gather(worker(1), worker(2), worker(3));
    EXPECT_FALSE(lock.locked());
    EXPECT_THROW(lock.release(), triad::RuntimeError);
  };
  aio::run(body());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(AioLock, CancelledWaiterPassesTheWakeUp) {
  aio::Lock lock;
  auto body = [&]() -> aio::Task<void> {
    co_await lock.acquire();
    auto a = aio::create_task(lock.acquire());
    auto b = aio::create_task(lock.acquire());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    lock.release();  // wakes a...
    a.cancel();      // ...which is cancelled before it runs: b must get the lock
    EXPECT_THROW(co_await a, triad::CancelledError);
    EXPECT_TRUE(co_await b);
    EXPECT_TRUE(lock.locked());
    lock.release();
  };
  aio::run(body());
}

TEST(AioLock, BoundToOneLoop) {
  aio::Lock lock;
  auto hold = [&]() -> aio::Task<void> {
    co_await lock.acquire();
    auto w = aio::create_task(lock.acquire());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    w.cancel();
    EXPECT_THROW(co_await w, triad::CancelledError);
  };
  aio::run(hold());
  // lock is still held and bound to the first (closed) loop.
  EXPECT_THROW(aio::run([&]() -> aio::Task<void> { co_await lock.acquire(); }()), triad::RuntimeError);
}

TEST(AioEvent, WaitSetClear) {
  aio::Event ev;
  int woken = 0;
  auto waiter = [&]() -> aio::Task<void> {
    EXPECT_TRUE(co_await ev.wait());
    ++woken;
  };
  auto body = [&]() -> aio::Task<void> {
    auto a = aio::create_task(waiter());
    auto b = aio::create_task(waiter());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    EXPECT_EQ(woken, 0);
    ev.set();
    co_await aio::gather(a, b);
    EXPECT_TRUE(ev.is_set());
    ev.clear();
    EXPECT_FALSE(ev.is_set());
    EXPECT_THROW(co_await aio::wait_for(ev.wait(), 5ms), triad::TimeoutError);
  };
  aio::run(body());
  EXPECT_EQ(woken, 2);
}

TEST(AioSemaphore, LimitsConcurrency) {
  aio::Semaphore sem(2);
  int inside = 0, most = 0;
  auto worker = [&]() -> aio::Task<void> {
    co_await sem.acquire();
    ++inside;
    most = std::max(most, inside);
    co_await aio::sleep(1ms);  // ok-sleep: holds the permit while others queue
    --inside;
    sem.release();
  };
  auto body = [&]() -> aio::Task<void> {
    std::vector<aio::Task<void>> ws;
    for (int i = 0; i < 6; ++i) ws.push_back(worker());
    co_await aio::gather(std::move(ws));
  };
  aio::run(body());
  EXPECT_EQ(most, 2);
  EXPECT_EQ(sem.value(), 2);
  EXPECT_THROW(aio::Semaphore(-1), triad::ValueError);
}

TEST(AioSemaphore, CancelledAfterWakeGivesThePermitBack) {
  aio::Semaphore sem(0);
  auto body = [&]() -> aio::Task<void> {
    auto a = aio::create_task(sem.acquire());
    auto b = aio::create_task(sem.acquire());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    sem.release();  // wakes a
    a.cancel();
    EXPECT_THROW(co_await a, triad::CancelledError);
    EXPECT_TRUE(co_await b);  // the permit went to b
  };
  aio::run(body());
}

TEST(AioBoundedSemaphore, ReleasedTooManyTimes) {
  aio::BoundedSemaphore sem(1);
  try {
    sem.release();
    ADD_FAILURE();
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "BoundedSemaphore released too many times");
  }
}

}  // namespace
