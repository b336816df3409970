// wait, as_completed (include/triad/aio/wait.hpp): ports of the WaitTests and as_completed
// tests of test_asyncio/test_tasks.py.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

aio::Task<int> value_after(int v, int ms) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  co_return v;
}
aio::Task<int> fail_after(int ms) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  throw std::runtime_error("failed");
}

TEST(Wait, AllCompleted) {
  aio::run([]() -> aio::Task<void> {
    std::vector<aio::TaskHandle<int>> hs{aio::create_task(value_after(1, 10)),
                                         aio::create_task(value_after(2, 1))};
    auto [done, pending] = co_await aio::wait(hs);
    EXPECT_EQ(done.size(), 2U);
    EXPECT_TRUE(pending.empty());
  }());
}

TEST(Wait, SeedFormWithCoroutines) {
  aio::EventLoop loop;
  std::vector<aio::Task<int>> ts;
  ts.push_back(value_after(1, 5));
  ts.push_back(value_after(2, 1));
  auto r = loop.run_until_complete(aio::wait(std::move(ts)));
  EXPECT_EQ(r.done.size(), 2U);
  EXPECT_EQ(r.done[0].result() + r.done[1].result(), 3);
}

TEST(Wait, FirstCompleted) {
  aio::run([]() -> aio::Task<void> {
    std::vector<aio::TaskHandle<int>> hs{aio::create_task(value_after(1, 100000)),
                                         aio::create_task(value_after(2, 1))};
    auto [done, pending] = co_await aio::wait(hs, triad::forever, aio::FIRST_COMPLETED);
    EXPECT_EQ(done.size(), 1U);
    EXPECT_EQ(done[0].result(), 2);
    EXPECT_EQ(pending.size(), 1U);
    EXPECT_FALSE(pending[0].done());
    pending[0].cancel();
  }());
}

TEST(Wait, FirstException) {
  aio::run([]() -> aio::Task<void> {
    std::vector<aio::TaskHandle<int>> hs{aio::create_task(value_after(1, 100000)),
                                         aio::create_task(fail_after(1))};
    auto [done, pending] = co_await aio::wait(hs, triad::forever, aio::FIRST_EXCEPTION);
    EXPECT_EQ(done.size(), 1U);
    EXPECT_NE(done[0].exception(), nullptr);
    EXPECT_EQ(pending.size(), 1U);
    pending[0].cancel();
  }());
}

TEST(Wait, TimeoutLeavesPendingAndRaisesNothing) {
  aio::run([]() -> aio::Task<void> {
    std::vector<aio::TaskHandle<int>> hs{aio::create_task(value_after(1, 100000)),
                                         aio::create_task(value_after(2, 1))};
    auto [done, pending] = co_await aio::wait(hs, 30ms);
    EXPECT_EQ(done.size(), 1U);
    EXPECT_EQ(pending.size(), 1U);
    pending[0].cancel();
  }());
}

TEST(Wait, EmptyIsValueError) {
  aio::run([]() -> aio::Task<void> {
    try {
      co_await aio::wait(std::vector<aio::TaskHandle<int>>{});
      ADD_FAILURE();
    } catch (const triad::ValueError& e) {
      EXPECT_STREQ(e.what(), "Set of Tasks/Futures is empty.");
    }
  }());
}

TEST(Wait, CancellingTheWaiterLeavesChildren) {
  aio::EventLoop loop;
  aio::TaskHandle<int> child;
  // A named lambda: a coroutine lambda's captures live in the lambda object, which
  // must outlive the task.
  auto waiter_body = [&]() -> aio::Task<void> {
    child = aio::create_task(value_after(1, 100000));
    std::vector<aio::TaskHandle<int>> hs;
    hs.push_back(child);
    co_await aio::wait(std::move(hs));
  };
  auto waiter = loop.create_task(waiter_body());
  loop.call_later(5ms, [&] { waiter.cancel(); });
  EXPECT_THROW(loop.run_until_complete(waiter), triad::CancelledError);
  EXPECT_FALSE(child.done());
  child.cancel();
}

TEST(AsCompleted, CompletionOrder) {
  aio::run([]() -> aio::Task<void> {
    std::vector<aio::Task<int>> ts;
    ts.push_back(value_after(3, 30));
    ts.push_back(value_after(1, 1));
    ts.push_back(value_after(2, 15));
    auto it = aio::as_completed(std::move(ts));
    std::vector<int> got;
    while (it) {
      auto h = co_await it.next();
      got.push_back(h.result());
    }
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
    EXPECT_THROW(co_await it.next(), triad::RuntimeError);
  }());
}

TEST(AsCompleted, Timeout) {
  aio::run([]() -> aio::Task<void> {
    std::vector<aio::TaskHandle<int>> hs{aio::create_task(value_after(1, 1)),
                                         aio::create_task(value_after(2, 100000))};
    auto it = aio::as_completed(hs, 30ms);
    auto first = co_await it.next();
    EXPECT_EQ(first.result(), 1);
    EXPECT_THROW(co_await it.next(), triad::TimeoutError);
    hs[1].cancel();
  }());
}

}  // namespace
