// aio::Queue (include/triad/aio/queue.hpp): ports of test_asyncio/test_queues.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "triad/aio.hpp"
#include "triad/aio/queue.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

TEST(AioQueue, NowaitForms) {
  aio::Queue<int> q(2);
  EXPECT_TRUE(q.empty());
  q.put_nowait(1);
  q.put_nowait(2);
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put_nowait(3), triad::Full);
  EXPECT_EQ(q.get_nowait(), 1);
  EXPECT_EQ(q.get_nowait(), 2);
  EXPECT_THROW(q.get_nowait(), triad::Empty);
  EXPECT_EQ(q.qsize(), 0U);
}

TEST(AioQueue, ProducerConsumerWithBackPressure) {
  aio::Queue<int> q(1);
  std::vector<int> got;
  auto producer = [&]() -> aio::Task<void> {
    for (int i = 0; i < 10; ++i) co_await q.put(i);
  };
  auto consumer = [&]() -> aio::Task<void> {
    for (int i = 0; i < 10; ++i) {
      got.push_back(co_await q.get());
      q.task_done();
    }
  };
  auto body = [&]() -> aio::Task<void> {
    auto c = aio::create_task(consumer());
    co_await producer();
    co_await q.join();
    co_await c;
  };
  aio::run(body());
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(AioQueue, CancelledGetterLosesNothing) {
  aio::Queue<std::string> q;
  auto body = [&]() -> aio::Task<void> {
    auto a = aio::create_task(q.get());
    auto b = aio::create_task(q.get());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    q.put_nowait("x");  // wakes a
    a.cancel();         // a is cancelled before taking it: b gets the item
    EXPECT_THROW(co_await a, triad::CancelledError);
    EXPECT_EQ(co_await b, "x");
    EXPECT_THROW(co_await aio::wait_for(q.get(), 5ms), triad::TimeoutError);
  };
  aio::run(body());
}

TEST(AioQueue, TaskDoneTooManyTimes) {
  aio::Queue<int> q;
  try {
    q.task_done();
    ADD_FAILURE();
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "task_done() called too many times");
  }
}

TEST(AioQueue, MoveOnlyItems) {
  aio::Queue<std::unique_ptr<int>> q;
  auto body = [&]() -> aio::Task<int> {
    co_await q.put(std::make_unique<int>(5));
    auto p = co_await q.get();
    co_return *p;
  };
  EXPECT_EQ(aio::run(body()), 5);
}

}  // namespace
