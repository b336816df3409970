// aio::Future (include/triad/aio/future.hpp): ports of test_asyncio/test_futures.py.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

TEST(Future, InitialState) {
  aio::EventLoop loop;
  auto f = loop.create_future<int>();
  EXPECT_FALSE(f.done());
  EXPECT_FALSE(f.cancelled());
  try {
    f.result();
    ADD_FAILURE();
  } catch (const triad::InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "Result is not set.");
  }
  try {
    (void)f.exception();
    ADD_FAILURE();
  } catch (const triad::InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "Exception is not set.");
  }
  EXPECT_EQ(&f.get_loop(), &loop);
}

TEST(Future, SetResultOnce) {
  aio::EventLoop loop;
  auto f = loop.create_future<std::string>();
  f.set_result("x");
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.result(), "x");
  EXPECT_EQ(f.exception(), nullptr);
  EXPECT_THROW(f.set_result("y"), triad::InvalidStateError);
  EXPECT_THROW(f.set_exception(std::runtime_error("e")), triad::InvalidStateError);
  EXPECT_FALSE(f.cancel());
}

TEST(Future, SetException) {
  aio::EventLoop loop;
  auto f = loop.create_future<int>();
  f.set_exception(std::runtime_error("bad"));
  EXPECT_THROW(f.result(), std::runtime_error);
  EXPECT_NE(f.exception(), nullptr);
  auto g = loop.create_future<int>();
  EXPECT_THROW(g.set_exception(triad::CancelledError()), triad::ValueError);
  EXPECT_THROW(g.set_exception(std::exception_ptr()), triad::ValueError);
}

TEST(Future, Cancel) {
  aio::EventLoop loop;
  auto f = loop.create_future<void>();
  EXPECT_TRUE(f.cancel("because"));
  EXPECT_TRUE(f.cancelled());
  EXPECT_TRUE(f.done());
  try {
    f.result();
    ADD_FAILURE();
  } catch (const triad::CancelledError& e) {
    EXPECT_STREQ(e.what(), "because");
  }
  EXPECT_THROW((void)f.exception(), triad::CancelledError);
  EXPECT_FALSE(f.cancel());
  EXPECT_THROW(f.set_result(), triad::InvalidStateError);
}

TEST(Future, AwaitAndCallbacks) {
  aio::EventLoop loop;
  auto f = loop.create_future<int>();
  std::vector<int> seen;
  f.add_done_callback([&](aio::Future<int>& g) { seen.push_back(g.result()); });
  loop.call_later(2ms, [f]() mutable { f.set_result(5); });
  auto t = loop.create_task([](aio::Future<int> fut) -> aio::Task<int> { co_return co_await fut; }(f));
  EXPECT_EQ(loop.run_until_complete(t), 5);
  EXPECT_EQ(loop.run_until_complete(f), 5);
  loop.run_until_complete(loop.create_task([]() -> aio::Task<void> { co_await aio::sleep(0s); }()));  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
  EXPECT_EQ(seen, std::vector<int>{5});
}

TEST(Future, CancellingTheAwaitingTaskCancelsTheFuture) {
  aio::EventLoop loop;
  auto f = loop.create_future<int>();
  auto t = loop.create_task([](aio::Future<int> fut) -> aio::Task<int> { co_return co_await fut; }(f));
  loop.call_soon([&] { t.cancel(); });
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_TRUE(f.cancelled());
}

TEST(Future, MoveOnlyValue) {
  aio::EventLoop loop;
  auto f = loop.create_future<std::unique_ptr<int>>();
  f.set_result(std::make_unique<int>(3));
  auto p = loop.run_until_complete(
      loop.create_task([](aio::Future<std::unique_ptr<int>> fut) -> aio::Task<std::unique_ptr<int>> {
        co_return co_await std::move(fut);
      }(f)));
  EXPECT_EQ(*p, 3);
}

}  // namespace
