// gather (include/triad/aio/gather.hpp): ports of test_asyncio/test_gather behaviour
// (GatherTests in test_tasks.py).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

aio::Task<int> value_after(int v, int ms) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  co_return v;
}
aio::Task<void> fail_after(int ms) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  throw std::runtime_error("child failed");
}
aio::Task<void> nothing() { co_return; }

TEST(Gather, VariadicKeepsArgumentOrder) {
  auto r = aio::run([]() -> aio::Task<std::tuple<int, int, std::monostate>> {
    co_return co_await aio::gather(value_after(1, 20), value_after(2, 1), nothing());
  }());
  EXPECT_EQ(std::get<0>(r), 1);
  EXPECT_EQ(std::get<1>(r), 2);
}

TEST(Gather, VectorRunsConcurrently) {
  auto r = aio::run([]() -> aio::Task<std::vector<int>> {
    std::vector<aio::Task<int>> ts;
    for (int i = 0; i < 50; ++i) ts.push_back(value_after(i, 50 - i));
    co_return co_await aio::gather(std::move(ts));
  }());
  ASSERT_EQ(r.size(), 50U);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(r[static_cast<std::size_t>(i)], i);
}

TEST(Gather, EmptyVectorAndVoidVector) {
  aio::run([]() -> aio::Task<void> {
    auto r = co_await aio::gather(std::vector<aio::Task<int>>{});
    EXPECT_TRUE(r.empty());
    std::vector<aio::Task<void>> vs;
    vs.push_back(nothing());
    vs.push_back(nothing());
    co_await aio::gather(std::move(vs));
  }());
}

TEST(Gather, FirstExceptionPropagatesOthersKeepRunning) {
  aio::EventLoop loop;
  aio::TaskHandle<int> slow;
  auto main_task = [&]() -> aio::Task<void> {
    slow = aio::create_task(value_after(7, 30));
    auto g = aio::gather(slow, fail_after(1));
    EXPECT_THROW(co_await g, std::runtime_error);
    EXPECT_FALSE(slow.done());  // Python: other children are not cancelled
    EXPECT_EQ(co_await slow, 7);
  };
  loop.run_until_complete(main_task());
}

TEST(Gather, ReturnExceptionsCollectsOutcomes) {
  aio::run([]() -> aio::Task<void> {
    auto [a, b] = co_await aio::gather(aio::return_exceptions, value_after(3, 1), fail_after(1));
    EXPECT_TRUE(a.has_value());
    EXPECT_EQ(a.value(), 3);
    EXPECT_TRUE(b.has_exception());
    EXPECT_THROW(b.value(), std::runtime_error);

    std::vector<aio::Task<int>> ts;
    ts.push_back(value_after(1, 1));
    ts.push_back([]() -> aio::Task<int> {
      throw triad::ValueError("bad");
      co_return 0;
    }());
    auto outs = co_await aio::gather(aio::return_exceptions, std::move(ts));
    EXPECT_EQ(outs[0].value(), 1);
    EXPECT_TRUE(outs[1].has_exception());
  }());
}

TEST(Gather, CancellingGatherCancelsChildren) {
  aio::EventLoop loop;
  auto main_task = [&]() -> aio::Task<void> {
    auto a = aio::create_task(value_after(1, 100000));
    auto b = aio::create_task(value_after(2, 100000));
    auto g = aio::gather(a, b);
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    EXPECT_TRUE(g.cancel());
    EXPECT_THROW(co_await g, triad::CancelledError);
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
  };
  loop.run_until_complete(main_task());
}

TEST(Gather, CancellingTheAwaiterCancelsChildren) {
  aio::EventLoop loop;
  aio::TaskHandle<int> a;
  // A named lambda: a coroutine lambda's captures live in the lambda object, which
  // must outlive the task.
  auto waiter_body = [&]() -> aio::Task<void> {
    a = aio::create_task(value_after(1, 100000));
    co_await aio::gather(a, value_after(2, 100000));
  };
  auto waiter = loop.create_task(waiter_body());
  loop.call_later(5ms, [&] { waiter.cancel(); });
  EXPECT_THROW(loop.run_until_complete(waiter), triad::CancelledError);
  EXPECT_TRUE(a.cancelled());
}

TEST(Gather, ChildCancelledIsAnError) {
  aio::run([]() -> aio::Task<void> {
    auto a = aio::create_task(value_after(1, 100000));
    auto g = aio::gather(a, value_after(2, 1));
    a.cancel();
    EXPECT_THROW(co_await g, triad::CancelledError);
    auto [x] = co_await aio::gather(aio::return_exceptions, a);
    EXPECT_TRUE(x.has_exception());
  }());
}

TEST(Gather, FuturesToo) {
  aio::run([]() -> aio::Task<void> {
    auto& loop = aio::get_running_loop();
    auto f = loop.create_future<std::string>();
    loop.call_soon([f]() mutable { f.set_result("hi"); });
    auto [s, v] = co_await aio::gather(f, value_after(4, 1));
    EXPECT_EQ(s, "hi");
    EXPECT_EQ(v, 4);
  }());
}

}  // namespace

namespace {

TEST(Gather, ChildrenStartInArgumentOrder) {
  std::vector<int> order;
  auto child = [&](int id) -> aio::Task<void> {
    order.push_back(id);
    co_return;
  };
  aio::run([&]() -> aio::Task<void> { co_await aio::gather(child(1), child(2), child(3)); }());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
