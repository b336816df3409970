// wait() and as_completed(): CPython's test_wait.py and test_as_completed.py, ported to
// Promises (completion order controlled explicitly instead of with sleeps).
#include "triad/futures/wait.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "triad/futures/thread_pool_executor.hpp"

using namespace std::chrono_literals;
using triad::Future;
using triad::FutureBase;
using triad::Promise;

namespace {

template <class F>
bool contains(const std::vector<F>& v, const FutureBase& f) {
  return std::find(v.begin(), v.end(), f) != v.end();
}

TEST(WaitTest, FirstCompleted) {
  Promise<int> p1, p2, p3;
  auto f1 = p1.get_future();
  auto f2 = p2.get_future();
  auto f3 = p3.get_future();
  std::thread t([&] { p2.set_result(2); });
  auto [done, not_done] = triad::wait(std::vector{f1, f2, f3}, 60s, triad::FIRST_COMPLETED);
  t.join();
  ASSERT_EQ(done.size(), 1U);
  EXPECT_EQ(done[0], f2);
  EXPECT_EQ(not_done.size(), 2U);
}

TEST(WaitTest, FirstCompletedSomeAlreadyCompleted) {
  Promise<int> pending, finished, cancelled;
  finished.set_result(1);
  cancelled.get_future().cancel();
  auto r = triad::wait(std::vector{pending.get_future(), finished.get_future(),
                                   cancelled.get_future()},
                       60s, triad::FIRST_COMPLETED);
  EXPECT_EQ(r.done.size(), 2U);
  EXPECT_TRUE(contains(r.done, finished.get_future()));
  EXPECT_TRUE(contains(r.done, cancelled.get_future()));
  ASSERT_EQ(r.not_done.size(), 1U);
  EXPECT_EQ(r.not_done[0], pending.get_future());
}

TEST(WaitTest, FirstException) {
  Promise<int> ok, bad, never;
  auto fo = ok.get_future();
  auto fb = bad.get_future();
  auto fn = never.get_future();
  std::thread t([&] {
    ok.set_result(1);
    bad.set_exception(std::runtime_error("x"));
  });
  auto r = triad::wait(std::vector{fo, fb, fn}, 60s, triad::FIRST_EXCEPTION);
  t.join();
  EXPECT_TRUE(contains(r.done, fb));
  EXPECT_TRUE(contains(r.not_done, fn));
}

TEST(WaitTest, FirstExceptionSomeAlreadyCompleted) {
  Promise<int> exc, cancelled, ok, pending;
  exc.set_exception(std::runtime_error("x"));
  cancelled.get_future().cancel();
  ok.set_result(1);
  auto r = triad::wait(std::vector{exc.get_future(), cancelled.get_future(), ok.get_future(),
                                   pending.get_future()},
                       60s, triad::FIRST_EXCEPTION);
  EXPECT_EQ(r.done.size(), 3U);
  EXPECT_EQ(r.not_done.size(), 1U);
}

TEST(WaitTest, FirstExceptionWithoutExceptionWaitsForAll) {
  Promise<int> a, b;
  a.get_future().cancel();  // a cancellation is not an exception
  std::thread t([&] { b.set_result(1); });
  auto r = triad::wait(std::vector{a.get_future(), b.get_future()}, 60s, triad::FIRST_EXCEPTION);
  t.join();
  EXPECT_EQ(r.done.size(), 2U);
  EXPECT_TRUE(r.not_done.empty());
}

TEST(WaitTest, AllCompleted) {
  Promise<int> a, b, c, d;
  a.set_result(1);
  b.set_exception(std::runtime_error("x"));
  c.get_future().cancel();
  std::thread t([&] { d.set_result(4); });
  auto r = triad::wait(std::vector{a.get_future(), b.get_future(), c.get_future(),
                                   d.get_future()},
                       60s, triad::ALL_COMPLETED);
  t.join();
  EXPECT_EQ(r.done.size(), 4U);
  EXPECT_TRUE(r.not_done.empty());
}

TEST(WaitTest, Timeout) {
  Promise<int> done, pending;
  done.set_result(1);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = triad::wait(std::vector{done.get_future(), pending.get_future()}, 30ms,
                       triad::ALL_COMPLETED);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  ASSERT_EQ(r.done.size(), 1U);
  ASSERT_EQ(r.not_done.size(), 1U);
  EXPECT_EQ(r.not_done[0], pending.get_future());
}

TEST(WaitTest, ZeroTimeoutOnlySorts) {
  Promise<int> done, pending;
  done.set_result(1);
  auto r = triad::wait(std::vector{done.get_future(), pending.get_future()}, 0s);
  EXPECT_EQ(r.done.size(), 1U);
  EXPECT_EQ(r.not_done.size(), 1U);
}

TEST(WaitTest, DuplicatesAreIgnoredAndOrderKept) {
  Promise<int> a, b;
  a.set_result(1);
  b.set_result(2);
  auto fa = a.get_future();
  auto fb = b.get_future();
  auto r = triad::wait(std::vector{fb, fa, fb, fa});
  ASSERT_EQ(r.done.size(), 2U);
  EXPECT_EQ(r.done[0], fb);
  EXPECT_EQ(r.done[1], fa);
}

TEST(WaitTest, MixedTypes) {
  Promise<int> a;
  Promise<std::string> b;
  Promise<void> c;
  std::thread t([&] {
    a.set_result(1);
    b.set_result("x");
    c.set_result();
  });
  auto r = triad::wait({a.get_future(), b.get_future(), c.get_future()}, 60s);
  t.join();
  EXPECT_EQ(r.done.size(), 3U);
  EXPECT_EQ(std::vector<FutureBase>({a.get_future(), b.get_future(), c.get_future()}).size(), 3U);
}

TEST(WaitTest, EmptyInput) {
  auto r = triad::wait(std::vector<Future<int>>{}, 0s, triad::FIRST_COMPLETED);
  EXPECT_TRUE(r.done.empty());
  EXPECT_TRUE(r.not_done.empty());
}

TEST(WaitTest, InvalidHandleIsInvalidState) {
  EXPECT_THROW(triad::wait(std::vector<Future<int>>(1)), triad::InvalidStateError);
}

TEST(WaitTest, WithPoolFutures) {
  triad::ThreadPoolExecutor pool(2);
  Promise<void> gate;
  auto gate_f = gate.get_future();
  auto quick = pool.submit([] { return 1; });
  auto slow = pool.submit([gate_f] { gate_f.result(); return 2; });
  auto r = triad::wait(std::vector{quick, slow}, 60s, triad::FIRST_COMPLETED);
  EXPECT_TRUE(contains(r.done, quick));
  EXPECT_TRUE(contains(r.not_done, slow));
  gate.set_result();
  auto all = triad::wait(std::vector{quick, slow}, 60s);
  EXPECT_EQ(all.done.size(), 2U);
}

// ---- as_completed ----------------------------------------------------------------------------

TEST(AsCompletedTest, YieldsInCompletionOrder) {
  Promise<int> a, b, c;
  std::vector<Future<int>> fs{a.get_future(), b.get_future(), c.get_future()};
  auto it = triad::as_completed(fs, 60s);
  std::thread t([&] {
    b.set_result(2);
  });
  auto first = it.next();
  t.join();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result(), 2);
  c.set_result(3);
  EXPECT_EQ(it.next()->result(), 3);
  a.set_result(1);
  EXPECT_EQ(it.next()->result(), 1);
  EXPECT_FALSE(it.next());
}

TEST(AsCompletedTest, AlreadyDoneFirstThenRangeFor) {
  Promise<int> a, b;
  b.set_result(2);
  std::vector<Future<int>> fs{a.get_future(), b.get_future()};
  std::vector<int> seen;
  std::thread t;
  for (const Future<int>& f : triad::as_completed(fs, 60s)) {
    seen.push_back(f.result());
    if (seen.size() == 1) t = std::thread([&] { a.set_result(1); });
  }
  t.join();
  EXPECT_EQ(seen, (std::vector<int>{2, 1}));
}

TEST(AsCompletedTest, ZeroTimeoutWithAllDone) {
  Promise<int> a, b;
  a.set_result(1);
  b.get_future().cancel();
  int n = 0;
  for (const auto& f : triad::as_completed(std::vector{a.get_future(), b.get_future()}, 0s)) {
    EXPECT_TRUE(f.done());
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST(AsCompletedTest, TimeoutRaisesWithCount) {
  Promise<int> a, b, c;
  a.set_result(1);
  std::vector<Future<int>> fs{a.get_future(), b.get_future(), c.get_future()};
  auto it = triad::as_completed(fs, 20ms);
  EXPECT_EQ(it.next()->result(), 1);
  try {
    (void)it.next();
    FAIL();
  } catch (const triad::TimeoutError& e) {
    EXPECT_STREQ(e.what(), "2 (of 3) futures unfinished");
  }
}

TEST(AsCompletedTest, DuplicateFuturesYieldOnce) {
  Promise<int> a;
  a.set_result(1);
  auto f = a.get_future();
  int n = 0;
  for (const auto& g : triad::as_completed(std::vector{f, f, f})) {
    EXPECT_EQ(g, f);
    ++n;
  }
  EXPECT_EQ(n, 1);
}

TEST(AsCompletedTest, MixedTypesInitializerList) {
  Promise<int> a;
  Promise<std::string> b;
  a.set_result(1);
  b.set_result("s");
  int n = 0;
  for (const FutureBase& f : triad::as_completed({a.get_future(), b.get_future()})) {
    EXPECT_TRUE(f.done());
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST(AsCompletedTest, DestroyedEarlyStopsObserving) {
  Promise<int> a, b;
  {
    auto it = triad::as_completed(std::vector{a.get_future(), b.get_future()});
  }
  a.set_result(1);  // no observer left to notify
  b.set_result(2);
  SUCCEED();
}

TEST(AsCompletedTest, ManyFuturesFromPool) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kN = 200;
#else
  constexpr int kN = 2000;
#endif
  triad::ThreadPoolExecutor pool(4);
  std::vector<Future<int>> fs;
  for (int i = 0; i < kN; ++i) fs.push_back(pool.submit([i] { return i; }));
  long sum = 0;
  int count = 0;
  for (const auto& f : triad::as_completed(fs, 120s)) {
    sum += f.result();
    ++count;
  }
  EXPECT_EQ(count, kN);
  EXPECT_EQ(sum, static_cast<long>(kN) * (kN - 1) / 2);
}

}  // namespace
