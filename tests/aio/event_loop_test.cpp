// EventLoop (include/triad/aio/event_loop.hpp): ports of test_asyncio/test_base_events.py and
// test_runners.py behaviour.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "triad/aio.hpp"
#include "triad/threading/event.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

TEST(EventLoop, CallSoonRunsInFifoOrder) {
  aio::EventLoop loop;
  std::vector<int> got;
  loop.call_soon([&] { got.push_back(1); });
  loop.call_soon([&] { got.push_back(2); });
  auto h = loop.call_soon([&] { got.push_back(3); });
  h.cancel();
  EXPECT_TRUE(h.cancelled());
  loop.call_soon([&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
}

TEST(EventLoop, StopBeforeRunForeverRunsOneIteration) {
  aio::EventLoop loop;
  int n = 0;
  loop.call_soon([&] { ++n; });
  loop.stop();
  loop.run_forever();
  EXPECT_EQ(n, 1);
}

TEST(EventLoop, CallLaterOrderAndCancel) {
  aio::EventLoop loop;
  std::vector<int> got;
  const double t0 = loop.time();
  loop.call_later(20ms, [&] { got.push_back(2); });
  loop.call_later(5ms, [&] { got.push_back(1); });
  auto cancelled = loop.call_later(10ms, [&] { got.push_back(99); });
  cancelled.cancel();
  EXPECT_TRUE(cancelled.cancelled());
  auto stopper = loop.call_at(loop.time() + 0.03, [&] { loop.stop(); });
  EXPECT_GE(stopper.when(), t0 + 0.03);
  loop.run_forever();
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  EXPECT_GE(loop.time() - t0, 0.025);
}

TEST(EventLoop, CallbackExceptionGoesToTheHandler) {
  aio::EventLoop loop;
  std::vector<std::string> messages;
  loop.set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& c) {
    messages.push_back(c.message);
    EXPECT_TRUE(c.exception);
  });
  int after = 0;
  loop.call_soon([] { throw std::runtime_error("bad"); });
  loop.call_soon([&] { ++after; });
  loop.call_soon([&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(messages, std::vector<std::string>{"Exception in callback"});
  EXPECT_EQ(after, 1);
}

TEST(EventLoop, CallSoonThreadsafeFromAnotherThread) {
  aio::EventLoop loop;
  std::atomic<int> n{0};
  std::thread th([&] {
    for (int i = 0; i < 100; ++i) loop.call_soon_threadsafe([&] { n.fetch_add(1); });
    loop.call_soon_threadsafe([&] { loop.stop(); });
  });
  loop.run_forever();
  th.join();
  EXPECT_EQ(n.load(), 100);
}

TEST(EventLoop, RunErrors) {
  aio::EventLoop loop;
  auto nested = [&]() -> aio::Task<void> {
    EXPECT_THROW(loop.run_forever(), triad::RuntimeError);
    aio::EventLoop other;
    EXPECT_THROW(other.run_forever(), triad::RuntimeError);
    EXPECT_THROW(aio::run([]() -> aio::Task<void> { co_return; }()), triad::RuntimeError);
    EXPECT_THROW(loop.close(), triad::RuntimeError);
    EXPECT_EQ(&aio::get_running_loop(), &loop);
    co_return;
  };
  loop.run_until_complete(nested());
  EXPECT_THROW(aio::get_running_loop(), triad::RuntimeError);
  loop.close();
  EXPECT_TRUE(loop.is_closed());
  EXPECT_THROW(loop.run_forever(), triad::RuntimeError);
  EXPECT_THROW(loop.call_soon([] {}), triad::RuntimeError);
  EXPECT_THROW(loop.call_soon_threadsafe([] {}), triad::RuntimeError);
  EXPECT_THROW((void)loop.create_task([]() -> aio::Task<void> { co_return; }()), triad::RuntimeError);
  loop.close();  // idempotent
}

TEST(EventLoop, StoppedBeforeCompletion) {
  aio::EventLoop loop;
  auto t = loop.create_task([]() -> aio::Task<void> { co_await aio::sleep(triad::forever); }());  // ok-sleep: never ends by itself; the test cancels it
  loop.call_soon([&] { loop.stop(); });
  try {
    loop.run_until_complete(t);
    ADD_FAILURE() << "no exception";
  } catch (const triad::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Event loop stopped before Future completed.");
  }
  EXPECT_FALSE(t.done());
}

TEST(EventLoop, GetEventLoopReturnsTheCurrentLoop) {
  aio::EventLoop& a = aio::get_event_loop();
  EXPECT_EQ(&a, &aio::get_event_loop());
  EXPECT_EQ(a.run_until_complete([]() -> aio::Task<int> { co_return 3; }()), 3);
  a.close();
  aio::EventLoop& b = aio::get_event_loop();  // a closed loop is replaced
  EXPECT_FALSE(b.is_closed());
  auto own = aio::new_event_loop();
  aio::set_event_loop(own.get());
  EXPECT_EQ(&aio::get_event_loop(), own.get());
  aio::set_event_loop(nullptr);
}

TEST(EventLoop, RunSetsTheCurrentLoopAndClosesIt) {
  aio::EventLoop* seen = nullptr;
  aio::run([&]() -> aio::Task<void> {
    seen = &aio::get_event_loop();
    EXPECT_EQ(seen, &aio::get_running_loop());
    co_return;
  }());
  EXPECT_NE(seen, nullptr);
}

TEST(EventLoop, LoopsOnSeveralThreadsAreIndependent) {
  std::vector<std::thread> ts;
  std::atomic<int> sum{0};
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&, i] {
      sum += aio::run([](int v) -> aio::Task<int> {
        co_await aio::sleep(1ms);  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
        co_return v;
      }(i));
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(sum.load(), 6);
}

}  // namespace
