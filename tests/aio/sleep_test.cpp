// sleep (include/triad/aio/sleep.hpp): ports of the sleep tests of test_asyncio/test_tasks.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

TEST(Sleep, ReturnsTheResultAfterTheDelay) {
  aio::run([]() -> aio::Task<void> {
    auto& loop = aio::get_running_loop();
    const double t0 = loop.time();
    std::string r = co_await aio::sleep(20ms, std::string("done"));  // ok-sleep: sleep is the subject
    EXPECT_EQ(r, "done");
    EXPECT_GE(loop.time() - t0, 0.019);
  }());
}

TEST(Sleep, ZeroYieldsToOtherTasksInFifoOrder) {
  std::vector<int> order;
  auto worker = [&](int id) -> aio::Task<void> {
    for (int i = 0; i < 2; ++i) {
      order.push_back(id * 10 + i);
      co_await aio::sleep(0s);  // ok-sleep: yielding is the subject
    }
  };
  auto body = [&]() -> aio::Task<void> {
    auto a = aio::create_task(worker(1));
    auto b = aio::create_task(worker(2));
    co_await aio::gather(a, b);
  };
  aio::run(body());
  EXPECT_EQ(order, (std::vector<int>{10, 20, 11, 21}));
}

TEST(Sleep, NegativeDelayIsAYield) {
  aio::run([]() -> aio::Task<void> {
    co_await aio::sleep(-5s);  // ok-sleep: a negative delay returns at the next iteration
  }());
}

TEST(Sleep, ShorterDelaysWakeFirst) {
  std::vector<int> order;
  auto sleeper = [&](int ms) -> aio::Task<void> {
    co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timer order is the subject
    order.push_back(ms);
  };
  auto body = [&]() -> aio::Task<void> {
    auto a = aio::create_task(sleeper(30));
    auto b = aio::create_task(sleeper(1));
    auto c = aio::create_task(sleeper(15));
    co_await aio::gather(a, b, c);
  };
  aio::run(body());
  EXPECT_EQ(order, (std::vector<int>{1, 15, 30}));
}

TEST(Sleep, CancelledSleepLeavesNoTimer) {
  aio::EventLoop loop;
  auto t = loop.create_task([]() -> aio::Task<void> { co_await aio::sleep(1000s); }());  // ok-sleep: never ends by itself; the test cancels it
  loop.call_soon([&] { t.cancel(); });
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_EQ(loop.reactor().timer_count(), 0U);
}

TEST(Sleep, InsideAnInlineAwaitedCoroutine) {
  // The sleep suspends the task that awaits the coroutine inline.
  aio::EventLoop loop;
  auto direct = []() -> aio::Task<void> { co_await aio::sleep(0s); };  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
  auto outer = [&]() -> aio::Task<void> {
    auto t = direct();
    co_await t;
  };
  loop.run_until_complete(outer());
  SUCCEED();
}

TEST(Sleep, OutsideATaskIsRuntimeError) {
  auto direct = []() -> aio::Task<void> { co_await aio::sleep(0s); };  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
  auto t = direct();
  // Resuming the frame by hand (no loop, no task): sleep raises, the exception is carried.
  auto h = t.release();
  h.resume();
  EXPECT_TRUE(h.done());
  EXPECT_THROW(std::rethrow_exception(h.promise().exc_), triad::RuntimeError);
  h.destroy();
}

}  // namespace
