// triad::Thread start+join against std::thread, and triad::Timer schedule+fire latency against
// Python's design (one OS thread per timer), side by side in one run.
//
//   build/<release>/bench/bench_thread --benchmark_repetitions=15
//       --benchmark_report_aggregates_only=true      (one command line)
//
// Goal (issue 2): Thread start+join <= 1.2x std::thread. Results: docs/bench/threads.md.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "triad/threading/thread.hpp"
#include "triad/threading/timer.hpp"

namespace {

using namespace std::chrono_literals;

void BM_StdThread_StartJoin(benchmark::State& state) {
  int sink = 0;
  for (auto _ : state) {
    std::thread t([&sink] { benchmark::DoNotOptimize(++sink); });
    t.join();
  }
}
BENCHMARK(BM_StdThread_StartJoin)->UseRealTime();

void BM_TriadThread_StartJoin(benchmark::State& state) {
  int sink = 0;
  for (auto _ : state) {
    triad::Thread t([&sink] { benchmark::DoNotOptimize(++sink); });
    t.start();
    t.join();
  }
}
BENCHMARK(BM_TriadThread_StartJoin)->UseRealTime();

// The same comparison, interleaved at fine grain (std, triad, std, triad, ...) so that the
// load of a shared machine hits both equally; reports both means and their ratio.
void BM_StartJoin_Interleaved(benchmark::State& state) {
  using clk = std::chrono::steady_clock;
  clk::duration std_total{}, triad_total{};
  std::int64_t pairs = 0;
  int sink = 0;
  for (auto _ : state) {
    const auto t0 = clk::now();
    std::thread a([&sink] { benchmark::DoNotOptimize(++sink); });
    a.join();
    const auto t1 = clk::now();
    triad::Thread b([&sink] { benchmark::DoNotOptimize(++sink); });
    b.start();
    b.join();
    const auto t2 = clk::now();
    // Alternate which goes first, so neither always inherits the other's exiting thread.
    triad::Thread c([&sink] { benchmark::DoNotOptimize(++sink); });
    c.start();
    c.join();
    const auto t3 = clk::now();
    std::thread d([&sink] { benchmark::DoNotOptimize(++sink); });
    d.join();
    const auto t4 = clk::now();
    std_total += (t1 - t0) + (t4 - t3);
    triad_total += (t2 - t1) + (t3 - t2);
    pairs += 2;
  }
  const double std_ns = std::chrono::duration<double, std::nano>(std_total).count() / double(pairs);
  const double triad_ns =
      std::chrono::duration<double, std::nano>(triad_total).count() / double(pairs);
  state.counters["std_ns"] = std_ns;
  state.counters["triad_ns"] = triad_ns;
  state.counters["ratio"] = triad_ns / std_ns;
}
BENCHMARK(BM_StartJoin_Interleaved)->UseRealTime();

// A one-shot flag the bench thread waits on (futex through std::atomic::wait).
struct Flag {
  std::atomic<int> v{0};
  void set() {
    v.store(1, std::memory_order_release);
    v.notify_one();
  }
  void wait() {
    while (v.load(std::memory_order_acquire) == 0) v.wait(0, std::memory_order_acquire);
  }
};

// One timer in flight: schedule with interval 0, wait until its callback has run.
void BM_TriadTimer_ScheduleFire(benchmark::State& state) {
  for (auto _ : state) {
    Flag f;
    triad::Timer t(0s, [&f] { f.set(); });
    t.start();
    f.wait();
  }
}
BENCHMARK(BM_TriadTimer_ScheduleFire)->UseRealTime();

// Python's Timer: a new thread per timer that waits `interval` on an event (cancellable),
// then calls the function.
class ThreadPerTimer {
 public:
  template <class F>
  ThreadPerTimer(std::chrono::nanoseconds interval, F fn)
      : thread_([this, interval, fn = std::move(fn)]() mutable {
          std::unique_lock lock(m_);
          if (!cv_.wait_for(lock, interval, [this] { return cancelled_; })) {
            lock.unlock();
            fn();
          }
        }) {}
  ~ThreadPerTimer() { thread_.join(); }
  void cancel() {
    {
      std::lock_guard g(m_);
      cancelled_ = true;
    }
    cv_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::thread thread_;
};

void BM_ThreadPerTimer_ScheduleFire(benchmark::State& state) {
  for (auto _ : state) {
    Flag f;
    ThreadPerTimer t(0ns, [&f] { f.set(); });
    f.wait();
  }
}
BENCHMARK(BM_ThreadPerTimer_ScheduleFire)->UseRealTime();

// 100 timers with staggered 0..990 us intervals: schedule all, wait for all.
constexpr int kBatch = 100;

void BM_TriadTimer_Batch100(benchmark::State& state) {
  for (auto _ : state) {
    std::atomic<int> left{kBatch};
    Flag all;
    std::vector<std::unique_ptr<triad::Timer>> ts;
    ts.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      ts.push_back(std::make_unique<triad::Timer>(std::chrono::microseconds(i * 10), [&] {
        if (left.fetch_sub(1) == 1) all.set();
      }));
      ts.back()->start();
    }
    all.wait();
    for (auto& t : ts) t->join();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TriadTimer_Batch100)->UseRealTime();

void BM_ThreadPerTimer_Batch100(benchmark::State& state) {
  for (auto _ : state) {
    std::atomic<int> left{kBatch};
    Flag all;
    std::vector<std::unique_ptr<ThreadPerTimer>> ts;
    ts.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      ts.push_back(std::make_unique<ThreadPerTimer>(std::chrono::microseconds(i * 10), [&] {
        if (left.fetch_sub(1) == 1) all.set();
      }));
    }
    all.wait();
    ts.clear();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_ThreadPerTimer_Batch100)->UseRealTime();

// Schedule then cancel (the common timeout-guard pattern): no thread is involved at all.
void BM_TriadTimer_StartCancel(benchmark::State& state) {
  for (auto _ : state) {
    triad::Timer t(1s, [] {});
    t.start();
    t.cancel();
  }
}
BENCHMARK(BM_TriadTimer_StartCancel);

void BM_ThreadPerTimer_StartCancel(benchmark::State& state) {
  for (auto _ : state) {
    ThreadPerTimer t(1s, [] {});
    t.cancel();
  }
}
BENCHMARK(BM_ThreadPerTimer_StartCancel)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
