// Future / Promise: the state and callback behaviour of CPython's test_concurrent_futures
// (test_future.py: FutureTests), ported to Promises.
#include "triad/futures/future.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using triad::Future;
using triad::Promise;

namespace {

// A future in each of Python's states.
Future<int> pending_future(Promise<int>& p) { return p.get_future(); }
Future<int> running_future(Promise<int>& p) {
  auto f = p.get_future();
  EXPECT_TRUE(f.set_running_or_notify_cancel());
  return f;
}
Future<int> cancelled_future(Promise<int>& p) {
  auto f = p.get_future();
  EXPECT_TRUE(f.cancel());
  return f;
}
Future<int> exception_future(Promise<int>& p) {
  p.set_exception(std::runtime_error("boom"));
  return p.get_future();
}
Future<int> successful_future(Promise<int>& p) {
  p.set_result(42);
  return p.get_future();
}

TEST(FutureTest, InvalidHandleThrows) {
  Future<int> f;
  EXPECT_FALSE(f.valid());
  EXPECT_THROW((void)f.done(), triad::InvalidStateError);
  EXPECT_THROW((void)f.result(), triad::InvalidStateError);
  Promise<int> p;
  Promise<int> q = std::move(p);
  EXPECT_THROW((void)p.get_future(), triad::InvalidStateError);  // NOLINT(bugprone-use-after-move)
}

TEST(FutureTest, Done) {
  Promise<int> a, b, c, d, e, g;
  EXPECT_FALSE(pending_future(a).done());
  EXPECT_FALSE(running_future(b).done());
  EXPECT_TRUE(cancelled_future(c).done());
  EXPECT_TRUE(exception_future(d).done());
  EXPECT_TRUE(successful_future(e).done());
  auto f = g.get_future();
  f.cancel();
  EXPECT_FALSE(f.set_running_or_notify_cancel());  // CANCELLED_AND_NOTIFIED
  EXPECT_TRUE(f.done());
}

TEST(FutureTest, Running) {
  Promise<int> a, b, c, d, e;
  EXPECT_FALSE(pending_future(a).running());
  EXPECT_TRUE(running_future(b).running());
  EXPECT_FALSE(cancelled_future(c).running());
  EXPECT_FALSE(exception_future(d).running());
  EXPECT_FALSE(successful_future(e).running());
}

TEST(FutureTest, Cancel) {
  Promise<int> a, b, c, d, e;
  auto f1 = pending_future(a);
  EXPECT_TRUE(f1.cancel());
  EXPECT_TRUE(f1.cancelled());
  auto f2 = running_future(b);
  EXPECT_FALSE(f2.cancel());
  EXPECT_FALSE(f2.cancelled());
  auto f3 = cancelled_future(c);
  EXPECT_TRUE(f3.cancel());  // already cancelled: still true
  auto f4 = exception_future(d);
  EXPECT_FALSE(f4.cancel());
  auto f5 = successful_future(e);
  EXPECT_FALSE(f5.cancel());
  EXPECT_FALSE(f5.cancelled());
}

TEST(FutureTest, SetRunningOrNotifyCancel) {
  Promise<int> a, b, c;
  auto f = a.get_future();
  EXPECT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_TRUE(f.running());
  EXPECT_THROW(f.set_running_or_notify_cancel(), triad::RuntimeError);  // already running
  auto g = cancelled_future(b);
  EXPECT_FALSE(g.set_running_or_notify_cancel());
  EXPECT_THROW(g.set_running_or_notify_cancel(), triad::RuntimeError);  // already notified
  auto h = successful_future(c);
  try {
    h.set_running_or_notify_cancel();
    FAIL();
  } catch (const triad::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Future in unexpected state");
  }
}

TEST(FutureTest, Repr) {
  Promise<int> a, b, c, d, e;
  EXPECT_THAT(pending_future(a).repr(), ::testing::MatchesRegex("<Future at 0x[0-9a-f]+ state=pending>"));
  EXPECT_THAT(running_future(b).repr(), HasSubstr("state=running>"));
  EXPECT_THAT(cancelled_future(c).repr(), HasSubstr("state=cancelled>"));
  EXPECT_THAT(exception_future(d).repr(), HasSubstr("state=finished raised std::runtime_error>"));
  EXPECT_THAT(successful_future(e).repr(), HasSubstr("state=finished returned int>"));
}

TEST(FutureTest, ResultWithTimeout) {
  Promise<int> a, b, c, d;
  EXPECT_THROW((void)pending_future(a).result(0s), triad::TimeoutError);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW((void)running_future(b).result(20ms), triad::TimeoutError);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_THROW((void)cancelled_future(c).result(0s), triad::CancelledError);
  try {
    (void)exception_future(d).result(0s);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  Promise<int> e;
  auto ok = successful_future(e);
  EXPECT_EQ(ok.result(0s), 42);
  EXPECT_EQ(ok.result(-1s), 42);
}

TEST(FutureTest, ResultWithSuccessFromAnotherThread) {
  Promise<int> p;
  auto f = p.get_future();
  std::latch waiting(1);
  std::thread t([&] {
    waiting.count_down();
    EXPECT_EQ(f.result(60s), 42);
  });
  waiting.wait();
  p.set_result(42);
  t.join();
}

TEST(FutureTest, ResultWithCancelFromAnotherThread) {
  Promise<int> p;
  auto f = p.get_future();
  std::thread t([&] { EXPECT_THROW((void)f.result(60s), triad::CancelledError); });
  f.cancel();
  t.join();
}

TEST(FutureTest, ExceptionWithTimeout) {
  Promise<int> a, b, c, d, e;
  EXPECT_THROW((void)pending_future(a).exception(0s), triad::TimeoutError);
  EXPECT_THROW((void)running_future(b).exception(10ms), triad::TimeoutError);
  EXPECT_THROW((void)cancelled_future(c).exception(0s), triad::CancelledError);
  auto ex = exception_future(d).exception(0s);
  ASSERT_TRUE(ex);
  EXPECT_THROW(std::rethrow_exception(ex), std::runtime_error);
  EXPECT_FALSE(successful_future(e).exception(0s));
}

TEST(FutureTest, ExceptionWithSuccessFromAnotherThread) {
  Promise<int> p;
  auto f = p.get_future();
  std::thread t([&] { p.set_exception(std::out_of_range("x")); });
  auto e = f.exception(60s);
  t.join();
  EXPECT_THROW(std::rethrow_exception(e), std::out_of_range);
}

TEST(FutureTest, ManyWaitersOneCompletion) {
  Promise<int> p;
  auto f = p.get_future();
  constexpr int kThreads = 8;
  std::latch started(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&, i] {
      started.count_down();
      if (i % 2) {
        if (f.result(60s) == 7) ok.fetch_add(1);
      } else {
        if (!f.exception(60s)) ok.fetch_add(1);
      }
    });
  }
  started.wait();
  p.set_result(7);
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), kThreads);
}

TEST(FutureTest, SetResultTwiceIsInvalidState) {
  Promise<int> p;
  p.set_result(1);
  try {
    p.set_result(2);
    FAIL();
  } catch (const triad::InvalidStateError& e) {
    EXPECT_THAT(e.what(), StartsWith("FINISHED: <Future at "));
  }
  EXPECT_THROW(p.set_exception(std::runtime_error("x")), triad::InvalidStateError);
  EXPECT_EQ(p.get_future().result(), 1);
}

TEST(FutureTest, SetAfterCancelIsInvalidState) {
  Promise<int> p;
  p.get_future().cancel();
  try {
    p.set_result(2);
    FAIL();
  } catch (const triad::InvalidStateError& e) {
    EXPECT_THAT(e.what(), StartsWith("CANCELLED: "));
  }
  EXPECT_THROW(p.set_exception(std::runtime_error("x")), triad::InvalidStateError);
}

TEST(FutureTest, SetExceptionNullIsValueError) {
  Promise<int> p;
  EXPECT_THROW(p.set_exception(std::exception_ptr()), triad::ValueError);
}

TEST(FutureTest, AbandonedPromiseFailsItsFuture) {
  Future<int> f;
  {
    Promise<int> p;
    f = p.get_future();
  }
  EXPECT_TRUE(f.done());
  try {
    (void)f.result();
    FAIL();
  } catch (const triad::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Promise destroyed without setting a result");
  }
}

TEST(FutureTest, VoidFuture) {
  Promise<void> p;
  auto f = p.get_future();
  EXPECT_THROW(f.result(0s), triad::TimeoutError);
  p.set_result();
  f.result();
  std::move(f).result();
  EXPECT_TRUE(f.done());
}

TEST(FutureTest, MoveOnlyResult) {
  Promise<std::unique_ptr<int>> p;
  auto f = p.get_future();
  p.set_result(std::make_unique<int>(5));
  const std::unique_ptr<int>& ref = f.result();
  EXPECT_EQ(*ref, 5);
  auto g = f;  // another handle
  std::unique_ptr<int> v = f.take();
  EXPECT_EQ(*v, 5);
  try {
    (void)g.result();
    FAIL();
  } catch (const triad::InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "the result was already moved out by take()");
  }
  EXPECT_THROW((void)g.take(), triad::InvalidStateError);
}

TEST(FutureTest, RvalueResultMovesWhenUnique) {
  Promise<std::string> p;
  p.set_result(std::string(100, 'x'));
  std::string s = p.get_future().result();  // copy: the promise's reference is still there
  EXPECT_EQ(s.size(), 100U);
  Promise<std::unique_ptr<int>> q;
  q.set_result(std::make_unique<int>(3));
  std::unique_ptr<int> u = q.get_future().result();
  EXPECT_EQ(*u, 3);
}

TEST(FutureTest, EqualityAndHash) {
  Promise<int> p;
  auto a = p.get_future();
  auto b = p.get_future();
  Promise<int> q;
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == q.get_future());
  EXPECT_EQ(std::hash<Future<int>>()(a), std::hash<Future<int>>()(b));
  triad::FutureBase base = a;
  EXPECT_EQ(base, a);
}

// ---- callbacks (FutureTests.test_done_callback_*) ----------------------------------------

TEST(FutureCallbackTest, WithResult) {
  Promise<int> p;
  auto f = p.get_future();
  int seen = 0;
  f.add_done_callback([&](const Future<int>& g) { seen = g.result(); });
  EXPECT_EQ(seen, 0);
  p.set_result(5);
  EXPECT_EQ(seen, 5);
}

TEST(FutureCallbackTest, WithException) {
  Promise<int> p;
  auto f = p.get_future();
  std::string seen;
  f.add_done_callback([&](const Future<int>& g) {
    try {
      std::rethrow_exception(g.exception());
    } catch (const std::exception& e) {
      seen = e.what();
    }
  });
  p.set_exception(std::runtime_error("test"));
  EXPECT_EQ(seen, "test");
}

TEST(FutureCallbackTest, WithCancel) {
  Promise<int> p;
  auto f = p.get_future();
  bool was_cancelled = false;
  f.add_done_callback([&](const Future<int>& g) { was_cancelled = g.cancelled(); });
  EXPECT_TRUE(f.cancel());
  EXPECT_TRUE(was_cancelled);
}

TEST(FutureCallbackTest, RaisesIsReportedAndOthersStillRun) {
  Promise<int> p;
  auto f = p.get_future();
  bool raising_was_called = false;
  bool fn_was_called = false;
  f.add_done_callback([&](const Future<int>&) {
    raising_was_called = true;
    throw std::runtime_error("doh!");
  });
  f.add_done_callback([&](const Future<int>&) { fn_was_called = true; });
  testing::internal::CaptureStderr();
  p.set_result(5);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(raising_was_called);
  EXPECT_TRUE(fn_was_called);
  EXPECT_THAT(err, HasSubstr("exception calling callback for <Future at 0x"));
  EXPECT_THAT(err, HasSubstr("std::runtime_error: doh!"));
}

TEST(FutureCallbackTest, AlreadyDoneRunsNowInCaller) {
  Promise<int> p;
  p.set_result(5);
  auto f = p.get_future();
  int seen = 0;
  std::thread::id where;
  f.add_done_callback([&](const Future<int>& g) {
    seen = g.result();
    where = std::this_thread::get_id();
  });
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(where, std::this_thread::get_id());
}

TEST(FutureCallbackTest, AlreadyDoneRaisingIsReportedNotThrown) {
  Promise<int> p;
  p.set_result(5);
  testing::internal::CaptureStderr();
  p.get_future().add_done_callback([](const Future<int>&) { throw std::logic_error("later"); });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("exception calling callback for"));
  EXPECT_THAT(err, HasSubstr("later"));
}

TEST(FutureCallbackTest, AlreadyCancelledRunsNow) {
  Promise<int> p;
  auto f = p.get_future();
  f.cancel();
  bool was_cancelled = false;
  f.add_done_callback([&](const Future<int>& g) { was_cancelled = g.cancelled(); });
  EXPECT_TRUE(was_cancelled);
}

TEST(FutureCallbackTest, RunInRegistrationOrderInTheCompletingThread) {
  Promise<int> p;
  auto f = p.get_future();
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  for (int i = 0; i < 5; ++i) {
    f.add_done_callback([&, i](const Future<int>&) {
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
    });
  }
  std::thread::id completer;
  std::thread t([&] {
    completer = std::this_thread::get_id();
    p.set_result(1);
  });
  t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  for (auto id : threads) EXPECT_EQ(id, completer);
}

TEST(FutureCallbackTest, CallbackMayDropTheLastHandle) {
  Promise<int> p;
  auto holder = std::make_shared<Future<int>>(p.get_future());
  holder->add_done_callback([&holder](const Future<int>&) { holder.reset(); });
  p.set_result(1);
  EXPECT_FALSE(holder);
}

TEST(FutureCallbackTest, TypeErasedCallback) {
  Promise<int> p;
  triad::FutureBase b = p.get_future();
  bool done = false;
  b.add_done_callback([&](const triad::FutureBase& g) { done = g.done(); });
  p.set_result(1);
  EXPECT_TRUE(done);
}

TEST(FutureCallbackTest, MoveOnlyCallback) {
  Promise<int> p;
  auto token = std::make_unique<int>(9);
  int seen = 0;
  p.get_future().add_done_callback(
      [t = std::move(token), &seen](const Future<int>& g) { seen = *t + g.result(); });
  p.set_result(1);
  EXPECT_EQ(seen, 10);
}

// ---- then() ----------------------------------------------------------------------------------

TEST(FutureThenTest, ValueContinuation) {
  Promise<int> p;
  auto g = p.get_future().then([](int x) { return std::to_string(x * 2); });
  static_assert(std::is_same_v<decltype(g), Future<std::string>>);
  EXPECT_FALSE(g.done());
  p.set_result(21);
  EXPECT_EQ(g.result(0s), "42");
}

TEST(FutureThenTest, ChainsAndVoid) {
  Promise<void> p;
  int calls = 0;
  auto g = p.get_future().then([&] { ++calls; }).then([&] { return ++calls; });
  p.set_result();
  EXPECT_EQ(g.result(0s), 2);
}

TEST(FutureThenTest, ExceptionPropagatesWithoutCalling) {
  Promise<int> p;
  bool called = false;
  auto g = p.get_future().then([&](int) {
    called = true;
    return 0;
  });
  p.set_exception(std::out_of_range("nope"));
  EXPECT_THROW((void)g.result(0s), std::out_of_range);
  EXPECT_FALSE(called);
}

TEST(FutureThenTest, CancellationPropagates) {
  Promise<int> p;
  auto g = p.get_future().then([](int x) { return x; });
  p.get_future().cancel();
  EXPECT_TRUE(g.cancelled());
}

TEST(FutureThenTest, FutureContinuationSeesEverything) {
  Promise<int> p;
  auto g = p.get_future().then([](const Future<int>& f) { return f.exception() != nullptr; });
  p.set_exception(std::runtime_error("x"));
  EXPECT_TRUE(g.result(0s));
}

TEST(FutureThenTest, ThrowingContinuationFailsTheResult) {
  Promise<int> p;
  auto g = p.get_future().then([](int) -> int { throw std::invalid_argument("bad"); });
  p.set_result(1);
  EXPECT_THROW((void)g.result(0s), std::invalid_argument);
}

TEST(FutureThenTest, CancelledContinuationIsSkipped) {
  Promise<int> p;
  bool called = false;
  auto g = p.get_future().then([&](int x) {
    called = true;
    return x;
  });
  EXPECT_TRUE(g.cancel());
  p.set_result(1);
  EXPECT_FALSE(called);
  EXPECT_TRUE(g.cancelled());
}

TEST(FutureThenTest, RunsInCompletingThreadOrCaller) {
  Promise<int> p;
  std::thread::id ran_on;
  auto g = p.get_future().then([&](int x) {
    ran_on = std::this_thread::get_id();
    return x;
  });
  std::thread::id completer;
  std::thread t([&] {
    completer = std::this_thread::get_id();
    p.set_result(3);
  });
  t.join();
  EXPECT_EQ(ran_on, completer);
  auto h = g.then([&](int x) {
    ran_on = std::this_thread::get_id();
    return x;
  });
  EXPECT_EQ(ran_on, std::this_thread::get_id());  // g was done: ran at once in the caller
  EXPECT_EQ(h.result(0s), 3);
}

TEST(FutureThenTest, MoveOnlyValueIsTakenByRvalueContinuation) {
  Promise<std::unique_ptr<int>> p;
  auto f = p.get_future();
  auto g = f.then([](std::unique_ptr<int>&& v) { return *v + 1; });
  p.set_result(std::make_unique<int>(1));
  EXPECT_EQ(g.result(0s), 2);
  EXPECT_THROW((void)f.result(), triad::InvalidStateError);  // taken by the continuation
}

TEST(FutureThenTest, DroppingTheSourceFailsTheContinuation) {
  Future<int> g;
  {
    Promise<int> p;
    g = p.get_future().then([](int x) { return x; });
  }  // the promise is abandoned -> its future fails -> the exception propagates
  EXPECT_THROW((void)g.result(0s), triad::RuntimeError);
}

}  // namespace
