// ProcessPoolExecutor. Ports the ProcessPoolExecutor parts of test_concurrent_futures:
// submit/result, map with chunksize, exceptions (registered and not), a worker killed
// mid-task breaking the pool, submit after shutdown.
#include "triad/process/process_pool_executor.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "process/leak_check.hpp"
#include "triad/process/synchronize.hpp"

namespace tp = triad::process;
using namespace std::chrono_literals;

namespace {

int square(int x) { return x * x; }
std::string greet(std::string name, int n) { return "hello " + name + " " + std::to_string(n); }
int my_pid() { return static_cast<int>(::getpid()); }
int throws_value_error(int) { throw triad::ValueError("bad value"); }
int throws_out_of_range(int) { throw std::out_of_range("index 9"); }
struct Custom : std::exception {
  const char* what() const noexcept override { return "custom failure"; }
};
int throws_custom(int) { throw Custom{}; }
int suicide(int) {
  ::kill(::getpid(), SIGKILL);
  return 0;
}
void nothing() {}

class PoolTest : public tp::testing::LeakCheckedTest {};

template <class Results>
auto collect(Results&& r) {
  std::vector<std::remove_cvref_t<decltype(*r.next())>> out;
  while (auto v = r.next()) out.push_back(std::move(*v));
  return out;
}

int add(int a, int b) { return a + b; }
int fails_at_five(int x) {
  if (x == 5) throw triad::ValueError("five");
  return x;
}
void ignore(int) {}
std::size_t length(std::string s) { return s.size(); }
tp::Event* g_gate = nullptr;  // set by a test before it forks the pool
int wait_for_gate(int x) {
  g_gate->wait();
  return x;
}

TEST_F(PoolTest, SubmitAndResult) {
  tp::ProcessPoolExecutor pool(2);
  auto f = pool.submit(square, 7);
  EXPECT_EQ(f.result(30s), 49);
  auto g = pool.submit(greet, std::string("wörld"), 3);
  EXPECT_EQ(g.result(30s), "hello wörld 3");
  auto h = pool.submit([](int a, int b) { return a + b; }, 2, 3);
  EXPECT_EQ(h.result(30s), 5);
  auto v = pool.submit(nothing);
  v.result(30s);
  EXPECT_EQ(pool.max_workers(), 2);
}

TEST_F(PoolTest, DefaultSizeIsCpuCountAndWorkersAreReused) {
  tp::ProcessPoolExecutor pool;
  EXPECT_EQ(pool.max_workers(), tp::cpu_count());
  const auto workers = pool.worker_pids();
  std::set<int> seen;
  std::vector<triad::Future<int>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(pool.submit(my_pid));
  for (auto& f : fs) seen.insert(f.result(30s));
  EXPECT_LE(seen.size(), workers.size());
  for (int pid : seen) EXPECT_NE(std::find(workers.begin(), workers.end(), pid), workers.end());
}

TEST_F(PoolTest, MapKeepsOrderWithChunks) {
  tp::ProcessPoolExecutor pool(2);
  std::vector<int> xs;
  for (int i = 0; i < 1000; ++i) xs.push_back(i);
  const auto out = collect(pool.map(square, xs, 64));
  ASSERT_EQ(out.size(), xs.size());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], i * i);
  EXPECT_THROW((void)pool.map(square, xs, 0), triad::ValueError);
  EXPECT_THROW((void)pool.map(square, xs, triad::MapOptions{.timeout = {}, .chunksize = 0}),
               triad::ValueError);
  EXPECT_TRUE(collect(pool.map(square, std::vector<int>{})).empty());
  EXPECT_EQ(collect(pool.map(square, xs, 30s)).size(), xs.size()) << "a timeout, chunksize 1";
}

TEST_F(PoolTest, ExceptionsCrossAsTheSameTypeOrRemoteError) {
  tp::ProcessPoolExecutor pool(1);
  EXPECT_THROW(pool.submit(throws_value_error, 1).result(30s), triad::ValueError);
  EXPECT_THROW(pool.submit(throws_out_of_range, 1).result(30s), std::out_of_range);
  try {
    pool.submit(throws_custom, 1).result(30s);
    FAIL() << "expected RemoteError";
  } catch (const triad::RemoteError& e) {
    EXPECT_NE(e.type_name().find("Custom"), std::string::npos) << e.type_name();
    EXPECT_EQ(e.message(), "custom failure");
    EXPECT_EQ(e.origin().rfind("worker pid ", 0), 0u);
  }
  EXPECT_EQ(pool.submit(square, 3).result(30s), 9) << "the worker survives exceptions";
}

TEST_F(PoolTest, KilledWorkerBreaksThePool) {
  tp::ProcessPoolExecutor pool(2);
  auto dead = pool.submit(suicide, 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(dead.result(30s), triad::BrokenProcessPool);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_THROW((void)pool.submit(square, 2), triad::BrokenProcessPool);
}

TEST_F(PoolTest, SubmitAfterShutdownRaises) {
  tp::ProcessPoolExecutor pool(1);
  auto f = pool.submit(square, 4);
  pool.shutdown();
  EXPECT_EQ(f.result(0s), 16) << "shutdown(wait) finished the pending work";
  try {
    (void)pool.submit(square, 1);
    FAIL();
  } catch (const triad::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
  }
  EXPECT_THROW(tp::ProcessPoolExecutor(0), triad::ValueError);
}

TEST_F(PoolTest, ManyTasksInFlightAllComplete) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr int kTasks = 3000;
#else
  constexpr int kTasks = 30000;
#endif
  tp::ProcessPoolExecutor pool(2);
  std::vector<triad::Future<int>> fs;
  for (int i = 0; i < kTasks; ++i) fs.push_back(pool.submit(add, i, 1));
  long long sum = 0;
  for (auto& f : fs) sum += f.result(60s);
  EXPECT_EQ(sum, static_cast<long long>(kTasks) * (kTasks + 1) / 2);
}

TEST_F(PoolTest, MapIsLazyZipsAndReraisesAtTheFailingItem) {
  tp::ProcessPoolExecutor pool(2);
  const std::vector<int> a{1, 2, 3, 4}, b{10, 20, 30};
  EXPECT_EQ(collect(pool.map(add, a, b)), (std::vector<int>{11, 22, 33})) << "zip stops at the shortest";
  std::vector<int> xs(10);
  std::iota(xs.begin(), xs.end(), 0);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{100}}) {
    auto r = pool.map(fails_at_five, xs, triad::MapOptions{.timeout = 30s, .chunksize = chunk});
    std::vector<int> got;
    try {
      while (auto v = r.next()) got.push_back(*v);
      FAIL() << "expected ValueError";
    } catch (const triad::ValueError& e) {
      EXPECT_STREQ(e.what(), "five");
    }
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4})) << "chunksize " << chunk;
    EXPECT_FALSE(r.next().has_value()) << "the iteration ends after the exception";
  }
  const std::vector<std::string> words{"a", "bb", "ccc", "dddd", "eeeee"};
  EXPECT_EQ(collect(pool.map(length, words, 2)), (std::vector<std::size_t>{1, 2, 3, 4, 5}))
      << "arguments that go through cereal";
  const auto units = collect(pool.map(ignore, xs, 4));
  EXPECT_EQ(units.size(), xs.size()) << "void functions yield monostate";
}

TEST_F(PoolTest, MaxTasksPerChildReplacesWorkers) {
  EXPECT_THROW(tp::ProcessPoolExecutor(1, {}, nullptr, 0), triad::ValueError);
  tp::ProcessPoolExecutor pool(1, {}, nullptr, 2);
  std::set<int> pids;
  for (int i = 0; i < 6; ++i) pids.insert(pool.submit(my_pid).result(30s));
  EXPECT_EQ(pids.size(), 3u) << "each worker ran 2 tasks, then a fresh one took over";
  std::vector<triad::Future<int>> fs;
  for (int i = 0; i < 40; ++i) fs.push_back(pool.submit(square, i));
  for (int i = 0; i < 40; ++i) EXPECT_EQ(fs[static_cast<std::size_t>(i)].result(30s), i * i);
  pool.shutdown();
}

TEST_F(PoolTest, ShutdownCancelFuturesCancelsThePending) {
  tp::Event gate;  // shared memory: the forked worker waits on the same event
  g_gate = &gate;
  tp::ProcessPoolExecutor pool(1);
  auto blocker = pool.submit(wait_for_gate, 0);
  std::vector<triad::Future<int>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(pool.submit(square, i));
  pool.shutdown(false, true);  // the worker is stuck in wait_for_gate: nothing finished
  for (auto& f : fs) EXPECT_TRUE(f.cancelled());
  EXPECT_TRUE(blocker.cancelled()) << "triad cannot tell a running task from a queued one";
  gate.set();
  pool.shutdown(true);
  g_gate = nullptr;
}

TEST_F(PoolTest, KilledWorkerFailsEveryPendingFuture) {
  tp::Event gate;  // never set: the first worker stays busy until the pool kills it
  g_gate = &gate;
  tp::ProcessPoolExecutor pool(2);
  auto blocked = pool.submit(wait_for_gate, 0);
  auto dead = pool.submit(suicide, 0);
  std::vector<triad::Future<int>> fs;
  for (int i = 0; i < 100; ++i) fs.push_back(pool.submit(square, i));
  EXPECT_THROW(dead.result(30s), triad::BrokenProcessPool);
  EXPECT_THROW(blocked.result(30s), triad::BrokenProcessPool);
  for (auto& f : fs) {
    try {
      (void)f.result(30s);  // finished before the crash, or broken
    } catch (const triad::BrokenProcessPool&) {
    }
  }
  EXPECT_THROW((void)pool.submit(square, 2), triad::BrokenProcessPool);
  g_gate = nullptr;
}

}  // namespace
