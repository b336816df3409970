// Awaiting triad::Future, to_thread, run_in_executor (include/triad/aio/bridge.hpp): ports of
// test_asyncio/test_threads.py and the wrap_future tests of test_futures.py.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "triad/aio.hpp"
#include "triad/aio/bridge.hpp"
#include "triad/threading/event.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

TEST(Bridge, AwaitAThreadPoolFuture) {
  triad::ThreadPoolExecutor pool(2);
  const int v = aio::run([&]() -> aio::Task<int> {
    triad::Future<int> f = pool.submit([](int a, int b) { return a * b; }, 6, 7);
    co_return co_await f;
  }());
  EXPECT_EQ(v, 42);
}

TEST(Bridge, PromiseCompletedFromAnotherThread) {
  triad::Promise<std::string> p;
  triad::Future<std::string> f = p.get_future();
  std::thread th;
  auto body = [&]() -> aio::Task<std::string> {
    th = std::thread([&] { p.set_result("from a thread"); });
    std::string s = co_await f;
    co_return s;
  };
  EXPECT_EQ(aio::run(body()), "from a thread");
  th.join();
}

TEST(Bridge, ExceptionsAndVoid) {
  triad::ThreadPoolExecutor pool(1);
  aio::run([&]() -> aio::Task<void> {
    auto bad = pool.submit([]() -> int { throw std::runtime_error("worker failed"); });
    EXPECT_THROW(co_await bad, std::runtime_error);
    std::atomic<bool> ran{false};
    co_await pool.submit([&] { ran = true; });
    EXPECT_TRUE(ran.load());
  }());
}

TEST(Bridge, LoopKeepsRunningWhileAwaiting) {
  triad::Event release;
  triad::ThreadPoolExecutor pool(1);
  int ticks = 0;
  auto tick = [&]() -> aio::Task<void> {
    for (int i = 0; i < 3; ++i) {
      ++ticks;
      co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    }
    release.set();  // only the loop can release the worker: proves it kept running
  };
  aio::run([&]() -> aio::Task<void> {
    auto f = pool.submit([&] { return release.wait(10s); });
    auto ticker = aio::create_task(tick());
    EXPECT_TRUE(co_await f);
    co_await ticker;
  }());
  EXPECT_EQ(ticks, 3);
}

TEST(Bridge, ToThreadAndRunInExecutor) {
  triad::ThreadPoolExecutor pool(1);
  aio::run([&]() -> aio::Task<void> {
    const auto loop_thread = std::this_thread::get_id();
    auto where = co_await aio::to_thread([] { return std::this_thread::get_id(); });
    EXPECT_NE(where, loop_thread);
    EXPECT_EQ(co_await aio::to_thread([](int a, int b) { return a + b; }, 2, 3), 5);
    EXPECT_EQ(co_await aio::run_in_executor(&pool, [] { return std::string("pool"); }), "pool");
    EXPECT_EQ(co_await aio::run_in_executor(nullptr, [] { return 1; }), 1);
  }());
}

TEST(Bridge, CancellingTheTaskCancelsAPendingFuture) {
  triad::ThreadPoolExecutor pool(1);
  triad::Event block;
  auto busy = pool.submit([&] { block.wait(10s); });  // occupies the only worker
  triad::Future<int> queued;
  aio::EventLoop loop;
  auto waiter_body = [&]() -> aio::Task<int> {
    queued = pool.submit([] { return 1; });
    co_return co_await queued;
  };
  auto t = loop.create_task(waiter_body());
  loop.call_later(2ms, [&] { t.cancel(); });
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_TRUE(queued.cancelled());
  block.set();
  busy.result();
}

TEST(Bridge, LateCompletionAfterLoopClosedIsHarmless) {
  triad::ThreadPoolExecutor pool(1);
  triad::Event started;
  triad::Event release;
  auto f = pool.submit([&] {
    started.set();
    release.wait(10s);
    return 1;
  });
  ASSERT_TRUE(started.wait(10s));  // running: cancel() can no longer stop it
  {
    aio::EventLoop loop;
    auto body = [&]() -> aio::Task<int> { co_return co_await f; };
    auto t = loop.create_task(body());
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    loop.close();  // cancels the waiting task
    EXPECT_TRUE(t.cancelled());
  }
  release.set();            // the worker completes the future: its callback posts to a
  EXPECT_EQ(f.result(), 1);  // closed loop, which drops it
}

}  // namespace
