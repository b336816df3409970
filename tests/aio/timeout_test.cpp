// timeout / timeout_at / wait_for (include/triad/aio/timeout.hpp): ports of
// test_asyncio/test_timeouts.py and test_waitfor.py.
#include <gtest/gtest.h>

#include <stdexcept>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

aio::Task<int> value_after(int v, int ms) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  co_return v;
}

TEST(Timeout, ExpiresIntoTimeoutError) {
  aio::run([]() -> aio::Task<void> {
    auto& loop = aio::get_running_loop();
    const double t0 = loop.time();
    aio::TimeoutScope cm = aio::timeout(20ms);
    EXPECT_THROW(co_await cm.run(value_after(1, 100000)), triad::TimeoutError);
    EXPECT_TRUE(cm.expired());
    EXPECT_GE(loop.time() - t0, 0.015);
    // The task was uncancelled: later awaits work.
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    EXPECT_EQ(aio::current_task_name().empty(), false);
  }());
}

TEST(Timeout, NotExpired) {
  aio::run([]() -> aio::Task<void> {
    aio::TimeoutScope cm = aio::timeout(10s);
    EXPECT_EQ(co_await cm.run(value_after(3, 1)), 3);
    EXPECT_FALSE(cm.expired());
    EXPECT_EQ(co_await aio::timeout(triad::forever).run(value_after(4, 1)), 4);
  }());
}

TEST(Timeout, AlreadyPassedDeadline) {
  aio::run([]() -> aio::Task<void> {
    auto& loop = aio::get_running_loop();
    EXPECT_THROW(co_await aio::timeout_at(loop.time() - 1).run(value_after(1, 100000)),
                 triad::TimeoutError);
    EXPECT_THROW(co_await aio::timeout(0s).run(value_after(1, 100000)), triad::TimeoutError);
  }());
}

TEST(Timeout, Reschedule) {
  aio::run([]() -> aio::Task<void> {
    auto& loop = aio::get_running_loop();
    aio::TimeoutScope cm = aio::timeout_at(std::nullopt);
    EXPECT_THROW(cm.reschedule(1.0), triad::RuntimeError);  // not entered
    auto body = [&]() -> aio::Task<int> {
      cm.reschedule(loop.time() + 0.01);
      co_return co_await value_after(1, 100000);
    };
    EXPECT_THROW(co_await cm.run(body()), triad::TimeoutError);
    EXPECT_THROW(co_await cm.run(value_after(1, 1)), triad::RuntimeError);  // entered twice
  }());
}

TEST(Timeout, OuterCancellationIsNotATimeout) {
  aio::EventLoop loop;
  auto t = loop.create_task([]() -> aio::Task<int> {
    co_return co_await aio::timeout(10s).run(value_after(1, 100000));
  }());
  loop.call_later(5ms, [&] { t.cancel(); });
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
}

TEST(Timeout, NestedInnerExpires) {
  aio::run([]() -> aio::Task<void> {
    auto inner = []() -> aio::Task<int> {
      try {
        co_return co_await aio::timeout(5ms).run(value_after(1, 100000));
      } catch (const triad::TimeoutError&) {
        co_return -1;
      }
    };
    EXPECT_EQ(co_await aio::timeout(10s).run(inner()), -1);
  }());
}

TEST(Timeout, ExceptionsPassThrough) {
  aio::run([]() -> aio::Task<void> {
    auto bad = []() -> aio::Task<void> {
      throw std::logic_error("x");
      co_return;
    };
    EXPECT_THROW(co_await aio::timeout(10s).run(bad()), std::logic_error);
  }());
}

TEST(WaitFor, ResultInTime) {
  EXPECT_EQ(aio::run([]() -> aio::Task<int> { co_return co_await aio::wait_for(value_after(7, 1), 10s); }()),
            7);
}

TEST(WaitFor, TimeoutCancelsTheTask) {
  aio::run([]() -> aio::Task<void> {
    auto h = aio::create_task(value_after(1, 100000));
    EXPECT_THROW(co_await aio::wait_for(h, 10ms), triad::TimeoutError);
    EXPECT_TRUE(h.cancelled());
  }());
}

TEST(WaitFor, ZeroTimeout) {
  aio::run([]() -> aio::Task<void> {
    bool ran = false;
    auto body = [&]() -> aio::Task<int> {
      ran = true;
      co_return 1;
    };
    EXPECT_THROW(co_await aio::wait_for(body(), 0s), triad::TimeoutError);
    EXPECT_FALSE(ran);  // Python: the coroutine never starts
    auto done = aio::create_task(value_after(2, 0));
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    EXPECT_EQ(co_await aio::wait_for(done, 0s), 2);
  }());
}

TEST(WaitFor, NoTimeout) {
  EXPECT_EQ(aio::run([]() -> aio::Task<int> {
              co_return co_await aio::wait_for(value_after(8, 1), triad::forever);
            }()),
            8);
}

}  // namespace
