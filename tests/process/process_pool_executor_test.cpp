// ProcessPoolExecutor. Ports the ProcessPoolExecutor parts of test_concurrent_futures:
// submit/result, map with chunksize, exceptions (registered and not), a worker killed
// mid-task breaking the pool, submit after shutdown.
#include "triad/process/process_pool_executor.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "process/leak_check.hpp"

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
  const auto out = pool.map(square, xs, 64);
  ASSERT_EQ(out.size(), xs.size());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], i * i);
  EXPECT_THROW((void)pool.map(square, xs, 0), triad::ValueError);
  EXPECT_TRUE(pool.map(square, std::vector<int>{}).empty());
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

}  // namespace
