// shield (include/triad/aio/shield.hpp): ports of the shield tests of test_asyncio/test_tasks.py.
#include <gtest/gtest.h>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

aio::Task<int> value_after(int v, int ms) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  co_return v;
}

TEST(Shield, OuterCancelledInnerContinues) {
  aio::EventLoop loop;
  aio::TaskHandle<int> inner;
  // A named lambda: a coroutine lambda's captures live in the lambda object, which
  // must outlive the task.
  auto outer_body = [&]() -> aio::Task<int> {
    inner = aio::create_task(value_after(5, 20));
    co_return co_await aio::shield(inner);
  };
  auto outer = loop.create_task(outer_body());
  loop.call_later(2ms, [&] { outer.cancel(); });
  EXPECT_THROW(loop.run_until_complete(outer), triad::CancelledError);
  EXPECT_FALSE(inner.cancelled());
  EXPECT_EQ(loop.run_until_complete(inner), 5);
}

TEST(Shield, InnerCancelledPropagates) {
  aio::run([]() -> aio::Task<void> {
    auto inner = aio::create_task(value_after(5, 100000));
    auto s = aio::shield(inner);
    inner.cancel();
    EXPECT_THROW(co_await s, triad::CancelledError);
    EXPECT_EQ(co_await aio::shield(value_after(6, 1)), 6);
  }());
}

}  // namespace
