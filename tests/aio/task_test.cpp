// Task<T> and TaskHandle<T> (include/triad/aio/task.hpp): ports of test_asyncio/test_tasks.py.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

aio::Task<int> answer() { co_return 42; }
aio::Task<int> chain(int depth) {
  if (depth == 0) co_return 0;
  const int v = co_await chain(depth - 1);
  co_return v + 1;
}
aio::Task<void> thrower() {
  throw std::runtime_error("boom");
  co_return;
}
aio::Task<std::unique_ptr<int>> make_unique_value(int v) { co_return std::make_unique<int>(v); }

TEST(Task, RunReturnsResult) { EXPECT_EQ(aio::run(answer()), 42); }

TEST(Task, RunAcceptsAFunction) { EXPECT_EQ(aio::run(answer), 42); }

// Symmetric transfer: with g++'s tail call (optimised, uninstrumented builds) a chain this deep
// needs no stack; under -O1 or a sanitizer every level keeps a frame, so it stays shallow there.
#if defined(__OPTIMIZE__) && !defined(__NO_INLINE__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
constexpr int kChainDepth = 1'000'000;
#else
constexpr int kChainDepth = 1'000;
#endif

TEST(Task, InlineAwaitChain) { EXPECT_EQ(aio::run(chain(kChainDepth)), kChainDepth); }

TEST(Task, ExceptionPropagatesThroughAwait) {
  auto outer = []() -> aio::Task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return "no";
  };
  EXPECT_EQ(aio::run(outer()), "caught boom");
  EXPECT_THROW(aio::run(thrower()), std::runtime_error);
}

TEST(Task, MoveOnlyResult) {
  auto outer = []() -> aio::Task<int> {
    std::unique_ptr<int> p = co_await make_unique_value(7);
    auto t = aio::create_task(make_unique_value(8));
    std::unique_ptr<int> q = co_await std::move(t);
    co_return *p + *q;
  };
  EXPECT_EQ(aio::run(outer()), 15);
}

TEST(Task, LazyUntilAwaited) {
  bool ran = false;
  auto body = [&]() -> aio::Task<void> {
    ran = true;
    co_return;
  };
  {
    auto t = body();
    EXPECT_FALSE(ran);
  }  // destroyed without running
  EXPECT_FALSE(ran);
  aio::run(body());
  EXPECT_TRUE(ran);
}

TEST(Task, AwaitTwiceRaises) {
  auto outer = []() -> aio::Task<void> {
    auto t = answer();
    EXPECT_EQ(co_await t, 42);
    EXPECT_THROW(co_await t, triad::RuntimeError);
  };
  aio::run(outer());
}

TEST(TaskHandle, CreateTaskRunsConcurrently) {
  std::vector<int> order;
  auto worker = [&](int id, int delay_ms) -> aio::Task<int> {
    order.push_back(id);
    co_await aio::sleep(std::chrono::milliseconds(delay_ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
    order.push_back(10 + id);
    co_return id;
  };
  auto main_task = [&]() -> aio::Task<int> {
    auto a = aio::create_task(worker(1, 30));
    auto b = aio::create_task(worker(2, 1));
    EXPECT_FALSE(a.done());
    const int x = co_await a;
    const int y = co_await b;
    co_return x + y;
  };
  EXPECT_EQ(aio::run(main_task()), 3);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 12, 11}));
}

TEST(TaskHandle, ResultAndExceptionStates) {
  aio::EventLoop loop;
  auto t = loop.create_task(answer());
  EXPECT_FALSE(t.done());
  EXPECT_THROW(t.result(), triad::InvalidStateError);
  EXPECT_THROW((void)t.exception(), triad::InvalidStateError);
  EXPECT_EQ(loop.run_until_complete(t), 42);
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.cancelled());
  EXPECT_EQ(t.result(), 42);
  EXPECT_EQ(t.exception(), nullptr);
  EXPECT_FALSE(t.cancel());  // done: cancel() is false

  auto f = loop.create_task(thrower());
  EXPECT_THROW(loop.run_until_complete(f), std::runtime_error);
  EXPECT_NE(f.exception(), nullptr);
  EXPECT_THROW(f.result(), std::runtime_error);
}

TEST(TaskHandle, CancelBeforeStartNeverRuns) {
  aio::EventLoop loop;
  bool ran = false;
  auto body = [&]() -> aio::Task<void> {
    ran = true;
    co_return;
  };
  auto t = loop.create_task(body());
  EXPECT_TRUE(t.cancel());
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(t.cancelled());
  EXPECT_THROW((void)t.exception(), triad::CancelledError);
}

TEST(TaskHandle, CancelWhileSleepingRaisesAtAwaitPoint) {
  aio::EventLoop loop;
  std::string seen;
  auto sleeper = [&]() -> aio::Task<int> {
    try {
      co_await aio::sleep(triad::forever);  // ok-sleep: never ends by itself; the test cancels it
    } catch (const triad::CancelledError& e) {
      seen = e.what();
      throw;
    }
    co_return 0;
  };
  auto t = loop.create_task(sleeper());
  loop.call_soon([&] { t.cancel("stop it"); });
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_EQ(seen, "stop it");
  EXPECT_TRUE(t.cancelled());
  EXPECT_EQ(t.cancelling(), 1);
}

TEST(TaskHandle, CancelCanBeSuppressed) {
  aio::EventLoop loop;
  auto stubborn = []() -> aio::Task<int> {
    try {
      co_await aio::sleep(triad::forever);  // ok-sleep: never ends by itself; the test cancels it
    } catch (const triad::CancelledError&) {
    }
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop; the cancellation was consumed
    co_return 5;
  };
  auto t = loop.create_task(stubborn());
  loop.call_soon([&] { t.cancel(); });
  EXPECT_EQ(loop.run_until_complete(t), 5);
  EXPECT_FALSE(t.cancelled());
  EXPECT_EQ(t.uncancel(), 0);
}

TEST(TaskHandle, CancelWhenReadyRaisesAtNextResume) {
  aio::EventLoop loop;
  int steps = 0;
  auto yielder = [&]() -> aio::Task<void> {
    for (;;) {
      ++steps;
      co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    }
  };
  auto t = loop.create_task(yielder());
  auto canceller = [&]() -> aio::Task<void> {
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    t.cancel();
  };
  auto c = loop.create_task(canceller());
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_GE(steps, 2);
  EXPECT_TRUE(c.done());
}

TEST(TaskHandle, CancelPropagatesToAwaitedTask) {
  aio::EventLoop loop;
  auto inner = loop.create_task([]() -> aio::Task<int> {
    co_await aio::sleep(triad::forever);  // ok-sleep: never ends by itself; the test cancels it
    co_return 1;
  }());
  auto outer = loop.create_task([](aio::TaskHandle<int> in) -> aio::Task<int> {
    co_return co_await in;
  }(inner));
  loop.call_soon([&] { outer.cancel(); });
  EXPECT_THROW(loop.run_until_complete(outer), triad::CancelledError);
  EXPECT_TRUE(inner.cancelled());
  EXPECT_TRUE(outer.cancelled());
}

TEST(TaskHandle, AwaitedTaskIgnoringCancelGivesItsResult) {
  aio::EventLoop loop;
  auto inner = loop.create_task([]() -> aio::Task<int> {
    try {
      co_await aio::sleep(triad::forever);  // ok-sleep: never ends by itself; the test cancels it
    } catch (const triad::CancelledError&) {
    }
    co_return 9;
  }());
  auto outer = loop.create_task([](aio::TaskHandle<int> in) -> aio::Task<int> {
    co_return co_await in;
  }(inner));
  loop.call_soon([&] { outer.cancel(); });
  EXPECT_EQ(loop.run_until_complete(outer), 9);  // Python: the outer gets the inner's result
}

TEST(TaskHandle, DoneCallbacksRunOnTheLoopInOrder) {
  aio::EventLoop loop;
  std::vector<std::string> log;
  auto t = loop.create_task(answer());
  t.add_done_callback([&](aio::TaskHandle<int>& h) { log.push_back("a" + std::to_string(h.result())); });
  t.add_done_callback([&](aio::TaskHandle<int>&) { log.push_back("b"); });
  loop.run_until_complete(t);
  EXPECT_TRUE(log.empty() || log.size() == 2);
  // Callbacks are scheduled with call_soon: one more iteration runs them.
  loop.run_until_complete(loop.create_task([]() -> aio::Task<void> { co_await aio::sleep(0s); }()));  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
  EXPECT_EQ(log, (std::vector<std::string>{"a42", "b"}));
  // Added after done: scheduled at once.
  t.add_done_callback([&](aio::TaskHandle<int>&) { log.push_back("c"); });
  loop.run_until_complete(loop.create_task([]() -> aio::Task<void> { co_await aio::sleep(0s); }()));  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
  EXPECT_EQ(log.back(), "c");
}

TEST(TaskHandle, NamesAndCurrentTask) {
  auto main_task = []() -> aio::Task<std::string> {
    auto t = aio::create_task([]() -> aio::Task<std::string> { co_return aio::current_task_name(); }(),
                              "worker");
    EXPECT_EQ(t.get_name(), "worker");
    co_return co_await t;
  };
  EXPECT_EQ(aio::run(main_task()), "worker");
  EXPECT_EQ(aio::current_task_name(), "");
}

TEST(TaskHandle, TaskCannotAwaitItself) {
  aio::EventLoop loop;
  aio::TaskHandle<void> self;
  auto body = [&]() -> aio::Task<void> { co_await self; };
  self = loop.create_task(body());
  EXPECT_THROW(loop.run_until_complete(self), triad::RuntimeError);
}

TEST(TaskHandle, PendingTasksAreCancelledAtClose) {
  bool cleaned = false;
  struct Cleanup {
    bool* flag;
    ~Cleanup() { *flag = true; }
  };
  {
    aio::EventLoop loop;
    auto t = loop.create_task([](bool* f) -> aio::Task<void> {
      Cleanup c{f};
      co_await aio::sleep(triad::forever);  // ok-sleep: never ends by itself; the test cancels it
    }(&cleaned));
    loop.run_until_complete(loop.create_task([]() -> aio::Task<void> { co_await aio::sleep(0s); }()));  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    EXPECT_FALSE(t.done());
    loop.close();
    EXPECT_TRUE(t.cancelled());
  }
  EXPECT_TRUE(cleaned);
}

}  // namespace
