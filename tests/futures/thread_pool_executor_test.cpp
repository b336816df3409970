// ThreadPoolExecutor: CPython's test_thread_pool.py, the executor/shutdown/initializer parts of
// test_concurrent_futures (ExecutorTest, ThreadPoolShutdownTest, InitializerMixin,
// FailingInitializerMixin) and the seed scenarios S01, S28, S31. Timing is controlled with
// Promises and latches, never with sleeps.
#include "triad/futures/thread_pool_executor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "triad/futures/wait.hpp"
#include "triad/threading/thread.hpp"

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using triad::Future;
using triad::Promise;
using triad::ThreadPoolExecutor;
using triad::ThreadPoolOptions;

namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 10;
#else
constexpr int kScale = 1;
#endif

int mul(int a, int b) { return a * b; }

// A gate tasks can block on until the test opens it.
struct Gate {
  Promise<void> p;
  Future<void> f = p.get_future();
  void open() { p.set_result(); }
  void wait() const { f.result(60s); }
};

TEST(ThreadPoolExecutorTest, SubmitWithArgs) {
  ThreadPoolExecutor pool(2);
  EXPECT_EQ(pool.submit(mul, 2, 8).result(), 16);
  EXPECT_EQ(pool.submit(mul, 21, 2).result(60s), 42);
  auto f = pool.submit([](const std::string& a, std::string b) { return a + b; },
                       std::string("x"), "y");
  EXPECT_EQ(f.result(), "xy");
}

TEST(ThreadPoolExecutorTest, SubmitMoveOnlyCallableAndArgs) {
  ThreadPoolExecutor pool(2);
  auto p = std::make_unique<int>(4);
  auto f = pool.submit([q = std::move(p)](std::unique_ptr<int> r) { return *q + *r; },
                       std::make_unique<int>(5));
  EXPECT_EQ(f.result(), 9);
  auto g = pool.submit([] { return std::make_unique<int>(7); });
  std::unique_ptr<int> v = g.take();
  EXPECT_EQ(*v, 7);
}

TEST(ThreadPoolExecutorTest, SubmitVoidAndException) {
  ThreadPoolExecutor pool(2);
  std::atomic<int> n{0};
  pool.submit([&] { n.fetch_add(1); }).result();
  EXPECT_EQ(n.load(), 1);
  auto f = pool.submit([]() -> int { throw std::invalid_argument("bad arg"); });
  EXPECT_THROW((void)f.result(), std::invalid_argument);
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.cancelled());
}

TEST(ThreadPoolExecutorTest, ArgumentsAreReleasedAfterTheCall) {
  // Python's test_no_stale_references: the pool drops the work item after running it.
  ThreadPoolExecutor pool(1);
  auto obj = std::make_shared<int>(1);
  std::weak_ptr<int> weak = obj;
  auto f = pool.submit([](std::shared_ptr<int> o) { return *o; }, std::move(obj));
  EXPECT_EQ(f.result(), 1);
  pool.shutdown();
  EXPECT_TRUE(weak.expired());  // f still holds the state, but not the arguments
}

TEST(ThreadPoolExecutorTest, MaxWorkersValidation) {
  for (int bad : {0, -1}) {
    try {
      ThreadPoolExecutor pool(bad);
      FAIL();
    } catch (const triad::ValueError& e) {
      EXPECT_STREQ(e.what(), "max_workers must be greater than 0");
    }
  }
}

TEST(ThreadPoolExecutorTest, DefaultWorkers) {
  ThreadPoolExecutor pool;
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(pool.max_workers(), ThreadPoolExecutor::default_max_workers());
  EXPECT_LE(pool.max_workers(), 32);
  EXPECT_LE(pool.max_workers(), std::min(32, cpus + 4));
  EXPECT_GE(pool.max_workers(), 5);
  EXPECT_EQ(pool.num_threads(), 0U);  // lazy
}

TEST(ThreadPoolExecutorTest, IdleThreadReuse) {
  ThreadPoolExecutor pool;
  EXPECT_EQ(pool.submit(mul, 21, 2).result(), 42);
  EXPECT_EQ(pool.submit(mul, 6, 7).result(), 42);
  EXPECT_EQ(pool.submit(mul, 3, 14).result(), 42);
  EXPECT_EQ(pool.num_threads(), 1U);
  pool.shutdown(true);
}

TEST(ThreadPoolExecutorTest, Saturation) {
  Gate gate;
  ThreadPoolExecutor pool(4);
  std::vector<Future<void>> fs;
  for (int i = 0; i < 15 * pool.max_workers(); ++i) {
    fs.push_back(pool.submit([&gate] { gate.wait(); }));
  }
  EXPECT_EQ(pool.num_threads(), 4U);
  gate.open();
  pool.shutdown(true);
  for (auto& f : fs) EXPECT_TRUE(f.done());
}

TEST(ThreadPoolExecutorTest, S01TenTasksFiveWorkers) {
  ThreadPoolExecutor pool(5);
  std::mutex m;
  std::set<std::thread::id> ids;
  std::vector<int> seen;
  std::vector<Future<int>> fs;
  for (int n = 0; n < 10; ++n) {
    auto f = pool.submit([&, n] {
      std::lock_guard<std::mutex> lk(m);
      ids.insert(std::this_thread::get_id());
      return n * n;
    });
    f.add_done_callback([&](const Future<int>& g) {
      std::lock_guard<std::mutex> lk(m);
      seen.push_back(g.result());
    });
    fs.push_back(f);
  }
  pool.shutdown();
  EXPECT_LE(ids.size(), 5U);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
}

TEST(ThreadPoolExecutorTest, CallbackRunsOnTheWorker) {
  Gate gate;
  ThreadPoolExecutor pool(1);
  std::thread::id task_thread;
  std::thread::id cb_thread;
  auto f = pool.submit([&] {
    gate.wait();
    task_thread = std::this_thread::get_id();
  });
  f.add_done_callback([&](const Future<void>&) { cb_thread = std::this_thread::get_id(); });
  gate.open();
  pool.shutdown();
  EXPECT_EQ(cb_thread, task_thread);
  EXPECT_NE(cb_thread, std::this_thread::get_id());
}

TEST(ThreadPoolExecutorTest, ThenRunsOnTheWorker) {
  Gate gate;
  ThreadPoolExecutor pool(1);
  auto f = pool.submit([&gate] {
    gate.wait();
    return std::this_thread::get_id();
  });
  auto same = f.then([](std::thread::id task_thread) { return task_thread == std::this_thread::get_id(); });
  gate.open();
  EXPECT_TRUE(same.result(60s));
}

TEST(ThreadPoolExecutorTest, ThreadNames) {
  Gate gate;
  std::latch both(2);
  ThreadPoolExecutor pool(2, "SpecialPool");
  std::mutex m;
  std::set<std::string> names;
  std::vector<Future<void>> fs;
  for (int i = 0; i < 2; ++i) {
    fs.push_back(pool.submit([&] {
      char buf[32] = {};
      pthread_getname_np(pthread_self(), buf, sizeof buf);
      {
        std::lock_guard<std::mutex> lk(m);
        names.insert(buf);
      }
      both.count_down();
      gate.wait();
    }));
  }
  both.wait();
  gate.open();
  pool.shutdown();
  EXPECT_EQ(names, (std::set<std::string>{"SpecialPool_0", "SpecialPool_1"}));
  EXPECT_EQ(pool.thread_name_prefix(), "SpecialPool");
}

TEST(ThreadPoolExecutorTest, DefaultThreadNamePrefix) {
  ThreadPoolExecutor a(1);
  ThreadPoolExecutor b(1);
  EXPECT_THAT(a.thread_name_prefix(), ::testing::MatchesRegex("ThreadPoolExecutor-[0-9]+"));
  EXPECT_NE(a.thread_name_prefix(), b.thread_name_prefix());
  // Python: threading.current_thread().name == "ThreadPoolExecutor-K_0" inside a task.
  const std::string name = a.submit([] { return triad::current_thread().name(); }).result();
  EXPECT_EQ(name, a.thread_name_prefix() + "_0");
  EXPECT_TRUE(a.submit([] { return triad::current_thread().daemon(); }).result());
  char os_name[32] = {};
  b.submit([&os_name] { pthread_getname_np(pthread_self(), os_name, sizeof os_name); }).result();
  EXPECT_EQ(std::string(os_name), (b.thread_name_prefix() + "_0").substr(0, 15));
}

// ---- map ---------------------------------------------------------------------------------

TEST(ThreadPoolMapTest, KeepsInputOrderAndZips) {
  ThreadPoolExecutor pool(4);
  std::vector<int> xs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int> ys{10, 11, 12};
  std::vector<int> out;
  for (int v : pool.map(mul, xs, xs)) out.push_back(v);
  EXPECT_EQ(out, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  out.clear();
  for (int v : pool.map(mul, xs, ys)) out.push_back(v);  // stops at the shortest
  EXPECT_EQ(out, (std::vector<int>{0, 11, 24}));
}

TEST(ThreadPoolMapTest, OrderKeptWhenLaterCallsFinishFirst) {
  std::latch others_done(2);
  ThreadPoolExecutor pool(3);
  std::vector<int> xs{0, 1, 2};
  std::vector<int> out;
  for (int v : pool.map(
           [&others_done](int x) {
             if (x == 0) {
               others_done.wait();  // the first call finishes last
             } else {
               others_done.count_down();
             }
             return x;
           },
           xs)) {
    out.push_back(v);
  }
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2}));
}

TEST(ThreadPoolMapTest, ExceptionAtItsPosition) {
  ThreadPoolExecutor pool(2);
  std::vector<int> xs{1, 2, 0, 4};
  auto r = pool.map([](int x) { return 10 / (x == 0 ? throw std::domain_error("zero") : x); }, xs);
  EXPECT_EQ(r.next(), 10);
  EXPECT_EQ(r.next(), 5);
  EXPECT_THROW((void)r.next(), std::domain_error);
  EXPECT_FALSE(r.next());  // the iteration ended
}

TEST(ThreadPoolMapTest, TimeoutFromTheMapCall) {
  Gate gate;
  ThreadPoolExecutor pool(2);
  std::vector<int> xs{1, 2, 3};
  std::vector<int> out;
  auto r = pool.map(
      [&gate](int x) {
        if (x == 3) gate.wait();
        return x;
      },
      xs, 50ms);
  try {
    for (int v : r) out.push_back(v);
    FAIL();
  } catch (const triad::TimeoutError&) {
  }
  EXPECT_EQ(out, (std::vector<int>{1, 2}));
  gate.open();
}

TEST(ThreadPoolMapTest, ChunksizeAndOptions) {
  ThreadPoolExecutor pool(2);
  std::vector<int> xs(103);
  for (int i = 0; i < 103; ++i) xs[static_cast<std::size_t>(i)] = i;
  long sum = 0;
  int n = 0;
  for (int v : pool.map([](int x) { return x * 2; }, xs,
                        triad::MapOptions{.timeout = 60s, .chunksize = 10})) {
    EXPECT_EQ(v, 2 * n);
    sum += v;
    ++n;
  }
  EXPECT_EQ(n, 103);
  EXPECT_EQ(sum, 103L * 102);
  EXPECT_THROW(pool.map(mul, xs, xs, triad::MapOptions{.chunksize = 0}), triad::ValueError);
}

TEST(ThreadPoolMapTest, ExceptionInsideAChunk) {
  ThreadPoolExecutor pool(2);
  std::vector<int> xs{1, 2, 3, 4, 5};
  auto r = pool.map(
      [](int x) {
        if (x == 3) throw std::runtime_error("three");
        return x;
      },
      xs, triad::MapOptions{.chunksize = 4});
  EXPECT_EQ(r.next(), 1);
  EXPECT_EQ(r.next(), 2);
  EXPECT_THROW((void)r.next(), std::runtime_error);
}

TEST(ThreadPoolMapTest, VoidFunctionYieldsMonostate) {
  ThreadPoolExecutor pool(2);
  std::atomic<int> calls{0};
  std::vector<int> xs{1, 2, 3};
  int n = 0;
  for (std::monostate v : pool.map([&](int) { calls.fetch_add(1); }, xs)) {
    (void)v;
    ++n;
  }
  EXPECT_EQ(n, 3);
  EXPECT_EQ(calls.load(), 3);
}

TEST(ThreadPoolMapTest, SubmitsWithoutIteration) {
  // Python's test_map_submits_without_iteration: every call is submitted by map() itself.
  std::mutex m;
  std::set<int> seen;
  ThreadPoolExecutor pool(2);
  std::vector<int> xs{1, 2, 3, 4};
  auto results = pool.map(
      [&](int x) {
        std::lock_guard<std::mutex> lk(m);
        seen.insert(x);
        return x;
      },
      xs);
  pool.shutdown(true);
  EXPECT_EQ(seen, (std::set<int>{1, 2, 3, 4}));
  int n = 0;
  for (int v : results) n += v;
  EXPECT_EQ(n, 10);
}

TEST(ThreadPoolMapTest, DroppingResultsCancelsPendingCalls) {
  Gate gate;
  ThreadPoolExecutor pool(1);
  std::atomic<int> ran{0};
  std::vector<int> xs{0, 1, 2, 3};
  auto blocker = pool.submit([&gate] { gate.wait(); });
  {
    auto r = pool.map([&](int x) { ran.fetch_add(1); return x; }, xs);
  }  // never iterated: the queued calls are cancelled
  gate.open();
  pool.shutdown();
  EXPECT_EQ(ran.load(), 0);
}

// ---- shutdown -----------------------------------------------------------------------------

TEST(ThreadPoolShutdownTest, SubmitAfterShutdownRaises) {
  ThreadPoolExecutor pool(2);
  pool.shutdown();
  try {
    (void)pool.submit(mul, 2, 5);
    FAIL();
  } catch (const triad::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
  }
  EXPECT_THROW(pool.map(mul, std::vector{1}, std::vector{2}), triad::RuntimeError);
  pool.shutdown();  // idempotent
}

TEST(ThreadPoolShutdownTest, WaitFalseStillRunsQueuedTasks) {
  // S28: after shutdown(wait=false) the program still finishes every task.
  std::atomic<int> done{0};
  std::vector<Future<int>> fs;
  Gate gate;
  {
    ThreadPoolExecutor pool(2);
    for (int i = 0; i < 20; ++i) {
      fs.push_back(pool.submit([&, i] {
        gate.wait();
        done.fetch_add(1);
        return i;
      }));
    }
    pool.shutdown(false);
    EXPECT_THROW((void)pool.submit(mul, 1, 1), triad::RuntimeError);
    gate.open();
    for (int i = 0; i < 20; ++i) EXPECT_EQ(fs[static_cast<std::size_t>(i)].result(60s), i);
  }
  EXPECT_EQ(done.load(), 20);
}

TEST(ThreadPoolShutdownTest, DestructorWaits) {
  std::atomic<int> done{0};
  Gate gate;
  std::thread opener;
  {
    ThreadPoolExecutor pool(3);
    for (int i = 0; i < 9; ++i) {
      (void)pool.submit([&] {
        gate.wait();
        done.fetch_add(1);
      });
    }
    opener = std::thread([&] { gate.open(); });
  }  // `with` block ends: waits for all nine
  EXPECT_EQ(done.load(), 9);
  opener.join();
}

TEST(ThreadPoolShutdownTest, CancelFutures) {
  Gate gate;
  std::latch started(1);
  ThreadPoolExecutor pool(1);
  auto running = pool.submit([&] {
    started.count_down();
    gate.wait();
    return 1;
  });
  started.wait();
  std::vector<Future<int>> queued;
  for (int i = 0; i < 50; ++i) queued.push_back(pool.submit([] { return 2; }));
  // Open the gate only once shutdown has cancelled the queue: opening it earlier would let
  // the worker pick queued calls up before shutdown reaches them.
  std::latch last_cancelled(1);
  queued.back().add_done_callback([&](const auto&) { last_cancelled.count_down(); });
  std::thread opener([&] {
    last_cancelled.wait();
    gate.open();
  });
  pool.shutdown(true, true);
  opener.join();
  EXPECT_EQ(running.result(), 1);
  int cancelled = 0;
  for (auto& f : queued) {
    EXPECT_TRUE(f.done());
    if (f.cancelled()) ++cancelled;
  }
  EXPECT_EQ(cancelled, 50);  // the only worker was busy, so none of them had started
  EXPECT_THROW((void)queued[0].result(), triad::CancelledError);
}

TEST(ThreadPoolShutdownTest, CancelFuturesWithoutWait) {
  Gate gate;
  std::latch started(1);
  ThreadPoolExecutor pool(1);
  auto running = pool.submit([&] {
    started.count_down();
    gate.wait();
  });
  started.wait();
  auto queued = pool.submit([] {});
  pool.shutdown(false, true);
  EXPECT_TRUE(queued.cancelled());
  EXPECT_FALSE(running.done());
  gate.open();
  running.result(60s);
}

TEST(ThreadPoolShutdownTest, ShutdownFromATask) {
  auto pool = std::make_unique<ThreadPoolExecutor>(2);
  auto f = pool->submit([&pool] { pool->shutdown(true); return 1; });
  EXPECT_EQ(f.result(60s), 1);
  EXPECT_THROW((void)pool->submit(mul, 1, 1), triad::RuntimeError);
  pool.reset();
}

TEST(ThreadPoolShutdownTest, SubmitFromATask) {
  ThreadPoolExecutor pool(2);
  auto outer = pool.submit([&pool] { return pool.submit(mul, 3, 4); });
  Future<int> inner = outer.result(60s);
  EXPECT_EQ(inner.result(60s), 12);
}

#if !defined(__SANITIZE_THREAD__)  // TSan does not support fork() with threads
TEST(ThreadPoolShutdownTest, ExitWaitsForQueuedTasks) {
  // Python's _python_exit: a live pool is shut down with wait=True at interpreter exit.
  EXPECT_EXIT(
      {
        auto* pool = new ThreadPoolExecutor(1);  // leaked on purpose: only the atexit hook joins
        (void)pool->submit([] {
          std::this_thread::sleep_for(50ms);  // ok-sleep: the task must outlive exit()'s start
          std::fputs("task finished\n", stderr);
        });
        std::exit(3);
      },
      ::testing::ExitedWithCode(3), "task finished");
}

TEST(ThreadPoolShutdownTest, SubmitDuringExitRaises) {
  // Python's test_interpreter_shutdown / test_submit_after_interpreter_shutdown.
  EXPECT_EXIT(
      {
        auto* pool = new ThreadPoolExecutor(1);  // leaked on purpose: only the atexit hook joins
        (void)pool->submit([pool] {
          std::this_thread::sleep_for(50ms);  // ok-sleep: still running when exit() starts
          try {
            (void)pool->submit(mul, 1, 1);
          } catch (const triad::RuntimeError& e) {
            std::fprintf(stderr, "%s\n", e.what());
          }
        });
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "cannot schedule new futures after interpreter shutdown");
}
#endif

// ---- initializer ----------------------------------------------------------------------------

TEST(ThreadPoolInitializerTest, RunsOncePerWorker) {
  std::atomic<int> inits{0};
  thread_local int initialized_here = 0;
  Gate gate;
  std::latch both(2);
  ThreadPoolExecutor pool(2, "", [&] {
    inits.fetch_add(1);
    initialized_here = 1;
  });
  std::vector<Future<int>> fs;
  for (int i = 0; i < 2; ++i) {
    fs.push_back(pool.submit([&] {
      both.count_down();
      gate.wait();
      return initialized_here;
    }));
  }
  both.wait();
  gate.open();
  for (auto& f : fs) EXPECT_EQ(f.result(), 1);
  pool.shutdown();
  EXPECT_EQ(inits.load(), 2);
}

TEST(ThreadPoolInitializerTest, FailingInitializerBreaksThePool) {
  testing::internal::CaptureStderr();
  ThreadPoolOptions opts;
  opts.max_workers = 2;
  opts.initializer = [] { throw std::runtime_error("error in initializer"); };
  ThreadPoolExecutor pool(opts);
  bool broke_on_submit = false;
  try {
    auto f = pool.submit(mul, 1, 2);
    try {
      (void)f.result(60s);
      FAIL() << "expected BrokenThreadPool";
    } catch (const triad::BrokenThreadPool& e) {
      EXPECT_STREQ(e.what(),
                   "A thread initializer failed, the thread pool is not usable anymore");
    }
  } catch (const triad::BrokenThreadPool&) {
    broke_on_submit = true;
  }
  (void)broke_on_submit;
  // From now on submit() is guaranteed to fail.
  EXPECT_THROW((void)pool.submit(mul, 1, 2), triad::BrokenThreadPool);
  EXPECT_THROW((void)pool.submit(mul, 1, 2), triad::BrokenExecutor);
  pool.shutdown();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("Exception in initializer:"));
  EXPECT_THAT(err, HasSubstr("error in initializer"));
}

// ---- fork --------------------------------------------------------------------------------

#if !defined(__SANITIZE_THREAD__)
TEST(ThreadPoolForkTest, ChildGetsAnEmptyUsablePool) {
  Gate gate;
  std::latch started(1);
  ThreadPoolExecutor pool(1);
  auto running = pool.submit([&] {
    started.count_down();
    gate.wait();
    return 1;
  });
  started.wait();
  auto queued = pool.submit([] { return 2; });
  const pid_t pid = fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    int code = 0;
    try {
      if (!queued.cancelled()) code |= 1;
      try {
        (void)running.result(5s);
        code |= 2;
      } catch (const triad::BrokenThreadPool&) {
      }
      if (pool.submit(mul, 6, 7).result(5s) != 42) code |= 4;
      if (pool.num_threads() != 1) code |= 8;
      pool.shutdown();
    } catch (...) {
      code |= 16;
    }
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The parent is untouched.
  gate.open();
  EXPECT_EQ(running.result(60s), 1);
  EXPECT_EQ(queued.result(60s), 2);
}

TEST(ThreadPoolForkTest, ForkWhileAnotherThreadSubmits) {
#if defined(__SANITIZE_ADDRESS__)
  // Seen in CI and caught under gdb: g++ 12's ASan allocator installs no at-fork handlers, so a
  // fork while the submitter thread is inside malloc leaves an allocator lock held in the child,
  // and the child's new worker thread blocks on it forever inside ASan (AsanThread::Init ->
  // realloc). glibc's malloc and TSan's runtime both handle fork; this test runs there.
  GTEST_SKIP() << "ASan (g++ 12) deadlocks a forked child that allocates on a new thread";
#endif
  std::atomic<bool> stop{false};
  ThreadPoolExecutor pool(2);
  std::thread submitter([&] {
    int i = 0;
    while (!stop.load()) (void)pool.submit(mul, i++, 2).result(60s);
  });
  for (int round = 0; round < 5; ++round) {
    const pid_t pid = fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
      int code = 0;
      try {
        if (pool.submit(mul, 3, 5).result(10s) != 15) code = 1;
        pool.shutdown();
      } catch (...) {
        code = 2;
      }
      _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "round " << round;
  }
  stop.store(true);
  submitter.join();
}
#endif

// ---- stress -------------------------------------------------------------------------------

TEST(ThreadPoolStressTest, ManySubmittersEveryResultOnce) {
  const int per_thread = 20000 / kScale;
  constexpr int kSubmitters = 4;
  ThreadPoolExecutor pool(3);
  std::atomic<long> total{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kSubmitters; ++t) {
    ts.emplace_back([&, t] {
      std::vector<Future<int>> fs;
      fs.reserve(static_cast<std::size_t>(per_thread));
      for (int i = 0; i < per_thread; ++i) fs.push_back(pool.submit(mul, t, i));
      long sum = 0;
      for (auto& f : fs) sum += f.result(120s);
      total.fetch_add(sum);
    });
  }
  for (auto& t : ts) t.join();
  long expected = 0;
  for (int t = 0; t < kSubmitters; ++t) expected += static_cast<long>(t) * per_thread * (per_thread - 1) / 2;
  EXPECT_EQ(total.load(), expected);
  EXPECT_LE(pool.num_threads(), 3U);
}

TEST(ThreadPoolStressTest, RoundTripsAndShutdownRace) {
  const int rounds = 200 / kScale;
  for (int r = 0; r < rounds; ++r) {
    std::atomic<int> ran{0};
    ThreadPoolExecutor pool(2);
    std::thread other([&] {
      for (int i = 0; i < 50; ++i) {
        try {
          (void)pool.submit([&] { ran.fetch_add(1); });
        } catch (const triad::RuntimeError&) {
          break;
        }
      }
    });
    EXPECT_EQ(pool.submit(mul, r, 2).result(60s), r * 2);
    pool.shutdown(r % 2 == 0);
    other.join();
  }
}

}  // namespace
