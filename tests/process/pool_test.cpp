// Pool (multiprocessing.Pool). Ports _TestPool, _TestPoolWorkerErrors and
// _TestPoolWorkerLifetime from CPython's Lib/test/_test_multiprocessing.py: apply, map,
// starmap, map_async with callbacks, chunksize, imap (a failing item raising at its
// position), imap_unordered, async timeouts, terminate, close/join errors, the context manager,
// maxtasksperchild, empty iterables; plus what triad does beyond Python: a worker killed
// mid-task fails that task with WorkerLostError and is replaced, terminate fails unfinished
// results, a failing initializer breaks the pool.
//
// Tasks that must stay unfinished wait on a process Event (shared memory, inherited by the
// forked workers) that the test sets when it wants them to finish: no sleeps.
#include "triad/process/pool.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "process/leak_check.hpp"
#include "triad/process/synchronize.hpp"

namespace tp = triad::process;
using namespace std::chrono_literals;

namespace {

// Set before a pool is created, so its workers inherit the mapping.
tp::Event* g_gate = nullptr;
int g_initialized = 0;

int sqr(int x) { return x * x; }
int mul(int a, int b) { return a * b; }
int my_pid(int) { return static_cast<int>(::getpid()); }
int parse_int(std::string s) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size())
    throw triad::ValueError("invalid literal for int() with base 10: '" + s + "'");
  return v;
}
int gated_sqr(int x) {
  g_gate->wait();
  return x * x;
}
int sqr_fail_at(int x) {
  if (x == 3 || x == 7) throw triad::ValueError("Somebody said when");
  return x * x;
}
int raising(int) { throw std::out_of_range("key"); }
struct Custom : std::exception {
  const char* what() const noexcept override { return "custom failure"; }
};
int throws_custom() { throw Custom{}; }
int suicide(int) {
  ::kill(::getpid(), SIGKILL);
  return 0;
}
int exit_three(int) { tp::sys_exit(3); }
int initialized(int) { return g_initialized; }
void nothing() {}
std::size_t length_of(std::string s) { return s.size(); }
std::string make_big(std::size_t n) { return std::string(n, 'y'); }

class MpPoolTest : public tp::testing::LeakCheckedTest {
 protected:
  void SetUp() override {
    LeakCheckedTest::SetUp();
    gate_.emplace();
    g_gate = &*gate_;
  }
  void TearDown() override {
    g_gate = nullptr;
    gate_.reset();
    LeakCheckedTest::TearDown();
  }
  std::optional<tp::Event> gate_;
};

std::vector<int> range(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}
std::vector<int> squares(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i * i);
  return v;
}

TEST_F(MpPoolTest, Apply) {
  tp::Pool pool(4);
  EXPECT_EQ(pool.apply(sqr, 5), 25);
  EXPECT_EQ(pool.apply(mul, 3, 4), 12);
  EXPECT_EQ(pool.apply([](int a, int b) { return a - b; }, 10, 4), 6);
  pool.apply(nothing);
  EXPECT_EQ(pool.processes(), 4);
}

TEST_F(MpPoolTest, Map) {
  tp::Pool pool(4);
  EXPECT_EQ(pool.map(sqr, range(10)), squares(10));
  EXPECT_EQ(pool.map(sqr, range(100), 20), squares(100));
  EXPECT_EQ(pool.map(sqr, range(1000), 1), squares(1000));
}

TEST_F(MpPoolTest, Starmap) {
  tp::Pool pool(4);
  std::vector<std::tuple<int, int>> tuples;
  std::vector<int> expected;
  for (int i = 0; i < 100; ++i) {
    tuples.emplace_back(i, 99 - i);
    expected.push_back(i * (99 - i));
  }
  EXPECT_EQ(pool.starmap(mul, tuples), expected);
  EXPECT_EQ(pool.starmap(mul, tuples, 20), expected);
  EXPECT_EQ(pool.starmap_async(mul, tuples).get(30s), expected);
  std::vector<std::pair<int, int>> pairs{{2, 3}, {4, 5}};
  EXPECT_EQ(pool.starmap(mul, pairs), (std::vector<int>{6, 20}));
}

TEST_F(MpPoolTest, MapAsync) {
  tp::Pool pool(4);
  EXPECT_EQ(pool.map_async(sqr, range(10)).get(30s), squares(10));
}

TEST_F(MpPoolTest, MapAsyncCallbacks) {
  tp::Pool pool(4);
  // Written on the result-handler thread before the result becomes ready; read after wait().
  std::vector<std::vector<int>> values;
  std::vector<std::exception_ptr> errors;
  auto cb = [&](const std::vector<int>& v) { values.push_back(v); };
  auto ecb = [&](std::exception_ptr e) { errors.push_back(e); };
  EXPECT_TRUE(pool.map_async(parse_int, std::vector<std::string>{"1"}, std::nullopt, cb, ecb).wait(30s));
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0], std::vector<int>{1});
  EXPECT_TRUE(errors.empty());
  auto bad = pool.map_async(parse_int, std::vector<std::string>{"a"}, std::nullopt, cb, ecb);
  EXPECT_TRUE(bad.wait(30s));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THROW(std::rethrow_exception(errors[0]), triad::ValueError);
  EXPECT_EQ(values.size(), 1u);
  EXPECT_TRUE(bad.ready());
  EXPECT_FALSE(bad.successful());
  EXPECT_THROW(bad.get(), triad::ValueError);
}

TEST_F(MpPoolTest, MapChunksizeOnEmptyListDoesNotStall) {
  tp::Pool pool(2);
  EXPECT_TRUE(pool.map_async(sqr, std::vector<int>{}, 1).get(30s).empty());
  EXPECT_THROW((void)pool.map(sqr, range(3), 0), triad::ValueError);
  EXPECT_THROW((void)pool.imap(sqr, range(3), 0), triad::ValueError);
  try {
    (void)pool.imap_unordered(sqr, range(3), 0);
    FAIL();
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "Chunksize must be 1+, not 0");
  }
}

TEST_F(MpPoolTest, MapRaisesFirstExceptionOnceAllTasksFinished) {
  tp::Pool pool(2);
  auto r = pool.map_async(sqr_fail_at, range(10), 1);
  EXPECT_THROW(r.get(30s), triad::ValueError);
  EXPECT_FALSE(r.successful());
  EXPECT_THROW((void)pool.map(sqr_fail_at, range(10), 3), triad::ValueError);
}

TEST_F(MpPoolTest, AsyncResultStates) {
  tp::Pool pool(2);
  auto r = pool.apply_async(gated_sqr, 7);
  EXPECT_FALSE(r.ready());
  try {
    (void)r.successful();
    FAIL() << "successful() on an unfinished result must raise";
  } catch (const triad::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("not ready"), std::string::npos);
  }
  EXPECT_FALSE(r.wait(0s));
  g_gate->set();
  EXPECT_EQ(r.get(30s), 49);
  EXPECT_TRUE(r.ready());
  EXPECT_TRUE(r.successful());
}

TEST_F(MpPoolTest, AsyncTimeout) {
  tp::Pool pool(2);
  auto r = pool.apply_async(gated_sqr, 6);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(r.get(100ms), triad::TimeoutError);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 90ms);
  EXPECT_FALSE(r.wait(10ms));
  g_gate->set();
  EXPECT_EQ(r.get(30s), 36);
}

TEST_F(MpPoolTest, Imap) {
  tp::Pool pool(4);
  std::vector<int> got;
  for (int y : pool.imap(sqr, range(10))) got.push_back(y);
  EXPECT_EQ(got, squares(10));

  auto it = pool.imap(sqr, range(10));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(it.next(30s), i * i);
  EXPECT_EQ(it.next(), std::nullopt);

  auto big = pool.imap(sqr, range(1000), 100);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(big.next(30s), i * i);
  EXPECT_EQ(big.next(), std::nullopt);
}

TEST_F(MpPoolTest, ImapRaisesAtTheFailingPosition) {
  tp::Pool pool(4);
  auto it = pool.imap(sqr_fail_at, range(10), 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(it.next(30s), i * i);
  EXPECT_THROW(it.next(30s), triad::ValueError);
  EXPECT_EQ(it.next(30s), 16) << "iteration goes on after the failing item";

  // A failing item fails its whole chunk, which raises at the chunk's start.
  auto two = pool.imap(sqr_fail_at, range(20), 2);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(two.next(30s), i * i);
  EXPECT_THROW(two.next(30s), triad::ValueError);  // chunk [2, 3]
  for (int i = 4; i < 6; ++i) EXPECT_EQ(two.next(30s), i * i);
  EXPECT_THROW(two.next(30s), triad::ValueError);  // chunk [6, 7]
  EXPECT_EQ(two.next(30s), 64);

  auto four = pool.imap(sqr_fail_at, range(20), 4);
  EXPECT_THROW(four.next(30s), triad::ValueError);  // chunk [0, 4) holds 3
  EXPECT_THROW(four.next(30s), triad::ValueError);  // chunk [4, 8) holds 7
  EXPECT_EQ(four.next(30s), 64);
}

TEST_F(MpPoolTest, ImapNextTimeout) {
  tp::Pool pool(2);
  auto it = pool.imap(gated_sqr, range(3));
  EXPECT_THROW(it.next(50ms), triad::TimeoutError);
  g_gate->set();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(it.next(30s), i * i) << "the timeout consumed nothing";
  EXPECT_EQ(it.next(0s), std::nullopt);

  auto un = pool.imap_unordered(sqr, range(2));
  std::multiset<int> seen;
  while (auto y = un.next(30s)) seen.insert(*y);
  EXPECT_EQ(seen, (std::multiset<int>{0, 1}));
}

TEST_F(MpPoolTest, ImapUnordered) {
  tp::Pool pool(4);
  std::vector<int> got;
  for (int y : pool.imap_unordered(sqr, range(1000))) got.push_back(y);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, squares(1000));
  got.clear();
  for (int y : pool.imap_unordered(sqr, range(1000), 53)) got.push_back(y);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, squares(1000));
}

TEST_F(MpPoolTest, ImapUnorderedRaisesForFailingItems) {
  tp::Pool pool(4);
  auto it = pool.imap_unordered(sqr_fail_at, range(10), 1);
  std::multiset<int> values;
  int failures = 0;
  for (;;) {
    try {
      auto y = it.next(30s);
      if (!y) break;
      values.insert(*y);
    } catch (const triad::ValueError&) {
      ++failures;
    }
  }
  EXPECT_EQ(failures, 2);
  EXPECT_EQ(values, (std::multiset<int>{0, 1, 4, 16, 25, 36, 64, 81}));
}

TEST_F(MpPoolTest, MakePool) {
  EXPECT_THROW(tp::Pool(-1), triad::ValueError);
  try {
    tp::Pool p(0);
    FAIL();
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "Number of processes must be at least 1");
  }
  EXPECT_THROW(tp::Pool(1, {}, 0), triad::ValueError);
  tp::Pool p(3);
  EXPECT_EQ(p.worker_pids().size(), 3u);
  EXPECT_EQ(p.repr(), "<triad::process::Pool state=RUN pool_size=3>");
  p.close();
  EXPECT_EQ(p.repr(), "<triad::process::Pool state=CLOSE pool_size=3>");
  EXPECT_TRUE(p.join(30s));
  tp::Pool dflt;
  EXPECT_EQ(dflt.processes(), tp::cpu_count());
}

TEST_F(MpPoolTest, Terminate) {
  tp::Pool pool(2);
  auto r = pool.map_async(gated_sqr, range(10000), 1);
  pool.terminate();
  EXPECT_TRUE(pool.join(30s));
  EXPECT_TRUE(r.ready());
  EXPECT_THROW(r.get(0s), triad::CancelledError);
  EXPECT_THROW((void)pool.apply_async(sqr, 1), triad::ValueError);
  pool.terminate();  // idempotent
}

TEST_F(MpPoolTest, CloseAndJoinErrors) {
  tp::Pool pool(2);
  try {
    (void)pool.join();
    FAIL();
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "Pool is still running");
  }
  auto r = pool.apply_async(sqr, 9);
  pool.close();
  pool.close();  // idempotent
  try {
    (void)pool.apply_async(sqr, 1);
    FAIL();
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "Pool not running");
  }
  EXPECT_THROW((void)pool.map(sqr, range(3)), triad::ValueError);
  EXPECT_THROW((void)pool.imap(sqr, std::vector<int>{}), triad::ValueError);
  EXPECT_TRUE(pool.join(30s));
  EXPECT_EQ(r.get(0s), 81) << "close() lets queued work finish";
  EXPECT_TRUE(pool.worker_pids().empty());
}

TEST_F(MpPoolTest, CloseFinishesQueuedWork) {
  tp::Pool pool(2);
  auto r = pool.map_async(gated_sqr, range(20), 1);
  pool.close();
  EXPECT_FALSE(pool.join(50ms));
  g_gate->set();
  EXPECT_TRUE(pool.join(30s));
  EXPECT_EQ(r.get(0s), squares(20));
}

TEST_F(MpPoolTest, ContextManagerTerminatesOnScopeExit) {
  std::optional<tp::AsyncResult<int>> pending;
  {
    tp::Pool p(2);
    EXPECT_EQ(p.map_async(sqr, range(10)).get(30s), squares(10));
    pending = p.apply_async(gated_sqr, 3);
  }
  ASSERT_TRUE(pending->ready());
  try {
    pending->get();
    FAIL();
  } catch (const triad::CancelledError& e) {
    EXPECT_STREQ(e.what(), "the pool was terminated before this task finished");
  }
}

TEST_F(MpPoolTest, ExceptionsCrossAsTheSameTypeOrRemoteError) {
  tp::Pool pool(1);
  EXPECT_THROW(pool.apply(raising, 1), std::out_of_range);
  try {
    pool.apply(throws_custom);
    FAIL();
  } catch (const triad::RemoteError& e) {
    EXPECT_NE(e.type_name().find("Custom"), std::string::npos) << e.type_name();
    EXPECT_EQ(e.message(), "custom failure");
  }
  EXPECT_EQ(pool.apply(sqr, 3), 9) << "the worker survives exceptions";
}

TEST_F(MpPoolTest, AsyncErrorCallback) {
  tp::Pool pool(2);
  std::exception_ptr seen;
  bool value_called = false;
  auto r = pool.apply_async(
      raising, std::tuple{1}, [&](const int&) { value_called = true; },
      [&](std::exception_ptr e) { seen = e; });
  EXPECT_THROW(r.get(30s), std::out_of_range);
  ASSERT_TRUE(seen) << "the error callback ran before the result became ready";
  EXPECT_THROW(std::rethrow_exception(seen), std::out_of_range);
  EXPECT_FALSE(value_called);
}

TEST_F(MpPoolTest, CallbacksRunOnOneHandlerThreadBeforeReady) {
  tp::Pool pool(2);
  std::set<std::thread::id> threads;
  std::vector<int> order;
  std::vector<tp::AsyncResult<int>> rs;
  for (int i = 0; i < 20; ++i)
    rs.push_back(pool.apply_async(sqr, std::tuple{i}, [&](const int& v) {
      threads.insert(std::this_thread::get_id());
      order.push_back(v);
    }));
  for (auto& r : rs) r.wait(30s);
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order, squares(20));

  // void results get a callback without argument.
  bool ran = false;
  pool.apply_async(nothing, std::tuple<>{}, [&] { ran = true; }).get(30s);
  EXPECT_TRUE(ran);
}

TEST_F(MpPoolTest, WaitingInsideACallbackRaisesInsteadOfDeadlocking) {
  tp::Pool pool(2);
  auto blocked = pool.apply_async(gated_sqr, 2);
  std::string error;
  auto r = pool.apply_async(sqr, std::tuple{3}, [&](const int&) {
    try {
      (void)blocked.get();
    } catch (const triad::RuntimeError& e) {
      error = e.what();
    }
  });
  EXPECT_EQ(r.get(30s), 9);
  EXPECT_NE(error.find("would deadlock"), std::string::npos) << error;
  g_gate->set();
  EXPECT_EQ(blocked.get(30s), 4);
}

TEST_F(MpPoolTest, CallbackMaySubmitMoreWork) {
  tp::Pool pool(2);
  std::optional<tp::AsyncResult<int>> second;
  auto first = pool.apply_async(sqr, std::tuple{2}, [&](const int& v) {
    second = pool.apply_async(sqr, v);
  });
  EXPECT_EQ(first.get(30s), 4);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->get(30s), 16);
}

TEST_F(MpPoolTest, ConcurrentSubmitters) {
  tp::Pool pool(2);
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::vector<std::vector<int>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::vector<tp::AsyncResult<int>> rs;
      for (int i = 0; i < kEach; ++i) rs.push_back(pool.apply_async(sqr, t * kEach + i));
      for (auto& r : rs) got[static_cast<std::size_t>(t)].push_back(r.get(60s));
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kEach; ++i)
      EXPECT_EQ(got[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)],
                (t * kEach + i) * (t * kEach + i));
}

TEST_F(MpPoolTest, TerminateFromACallback) {
  tp::Pool pool(2);
  auto blocked = pool.apply_async(gated_sqr, 2);
  std::string join_error;
  auto r = pool.apply_async(sqr, std::tuple{1}, [&](const int&) {
    try {
      (void)pool.join();
    } catch (const triad::ValueError& e) {
      join_error = e.what();  // still running: join() is a misuse before terminate()
    }
    pool.terminate();  // returns at once on the handler thread
  });
  EXPECT_EQ(r.get(30s), 1);
  EXPECT_EQ(join_error, "Pool is still running");
  EXPECT_TRUE(pool.join(30s));
  EXPECT_THROW(blocked.get(0s), triad::CancelledError);
}

TEST_F(MpPoolTest, LargeArgumentsAndResultsCrossInPieces) {
  // Far beyond a socket buffer: the handler writes and reads them piece by piece.
  tp::Pool pool(2);
  const std::size_t n = std::size_t{2} << 20;
  auto a = pool.apply_async(length_of, std::string(n, 'x'));
  auto b = pool.apply_async(make_big, n);
  EXPECT_EQ(a.get(60s), n);
  const std::string& big = b.get(60s);
  ASSERT_EQ(big.size(), n);
  EXPECT_EQ(big.find_first_not_of('y'), std::string::npos);
  EXPECT_EQ(pool.apply(sqr, 6), 36);
}

TEST_F(MpPoolTest, WorkerLifetime) {
  tp::Pool p(3, {}, 10);
  const auto orig = p.worker_pids();
  ASSERT_EQ(orig.size(), 3u);
  std::vector<tp::AsyncResult<int>> results;
  for (int i = 0; i < 100; ++i) results.push_back(p.apply_async(my_pid, i));
  std::map<int, int> per_pid;
  for (auto& r : results) ++per_pid[r.get(30s)];
  EXPECT_GE(per_pid.size(), 10u) << "each worker runs at most 10 tasks";
  for (auto& [pid, n] : per_pid) EXPECT_LE(n, 10) << "pid " << pid;
  auto fin = p.worker_pids();
  std::sort(fin.begin(), fin.end());
  auto o = orig;
  std::sort(o.begin(), o.end());
  EXPECT_NE(o, fin);
  p.close();
  EXPECT_TRUE(p.join(30s));
}

TEST_F(MpPoolTest, WorkerLifetimeEarlyClose) {
  tp::Pool p(1, {}, 1);
  std::vector<tp::AsyncResult<int>> results;
  for (int i = 0; i < 6; ++i) results.push_back(p.apply_async(sqr, i));
  p.close();
  EXPECT_TRUE(p.join(30s));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)].get(0s), i * i);
}

TEST_F(MpPoolTest, EmptyIterable) {
  tp::Pool p(1);
  const std::vector<int> none;
  EXPECT_TRUE(p.map(sqr, none).empty());
  EXPECT_EQ(p.imap(sqr, none).next(0s), std::nullopt);
  EXPECT_EQ(p.imap_unordered(sqr, none).next(0s), std::nullopt);
  bool called = false;
  auto r = p.map_async(sqr, none, std::nullopt, [&](const std::vector<int>& v) { called = v.empty(); });
  EXPECT_TRUE(r.get(0s).empty());
  EXPECT_TRUE(called);
  p.close();
  EXPECT_TRUE(p.join(30s));
}

TEST_F(MpPoolTest, KilledWorkerFailsItsTaskAndIsReplaced) {
  tp::Pool pool(2);
  auto good = pool.apply_async(sqr, 5);
  auto dead = pool.apply_async(suicide, 0);
  try {
    (void)dead.get(30s);
    FAIL() << "expected WorkerLostError";
  } catch (const tp::WorkerLostError& e) {
    EXPECT_NE(std::string(e.what()).find("signal 9 (SIGKILL)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(good.get(30s), 25);
  EXPECT_EQ(pool.apply(sqr, 3), 9) << "the pool goes on";
  EXPECT_EQ(pool.worker_pids().size(), 2u) << "the dead worker was replaced";
  // In a map, the lost chunk fails the map; the pool still works.
  EXPECT_THROW((void)pool.map(suicide, range(2), 1), triad::BrokenProcessPool);
  EXPECT_EQ(pool.map(sqr, range(10)), squares(10));
  pool.close();
  EXPECT_TRUE(pool.join(30s));
}

TEST_F(MpPoolTest, SysExitInATaskIsAWorkerLoss) {
  tp::Pool pool(1);
  try {
    (void)pool.apply(exit_three, 0);
    FAIL();
  } catch (const tp::WorkerLostError& e) {
    EXPECT_NE(std::string(e.what()).find("exit code 3"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pool.apply(sqr, 4), 16);
}

TEST_F(MpPoolTest, Initializer) {
  tp::Pool pool(2, [] { g_initialized = 42; });
  EXPECT_EQ(pool.map(initialized, range(8)), std::vector<int>(8, 42));
  EXPECT_EQ(g_initialized, 0) << "the initializer ran in the workers only";
}

TEST_F(MpPoolTest, FailingInitializerBreaksThePool) {
  tp::Pool pool(2, [] { throw triad::RuntimeError("no database"); });
  try {
    (void)pool.apply(sqr, 2);
    FAIL();
  } catch (const triad::BrokenProcessPool& e) {
    EXPECT_NE(std::string(e.what()).find("no database"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)pool.apply_async(sqr, 2), triad::BrokenProcessPool);
  pool.close();
  EXPECT_TRUE(pool.join(30s));
}

TEST_F(MpPoolTest, SpawnContextIsRejected) {
  EXPECT_THROW(tp::Pool(1, {}, std::nullopt, &tp::get_context("spawn")), triad::ValueError);
}

}  // namespace
