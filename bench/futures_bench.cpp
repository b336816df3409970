// Futures and ThreadPoolExecutor benchmarks (see docs/bench/futures.md for results).
//
//   BM_Pool_SubmitThenResult      submit N trivial tasks, then result() each (items/s);
//                                 /N/0: default pool size, /N/1: one worker
//   BM_Pool_RoundTrip             one task in flight: submit, result(), repeat (time/iter)
//   BM_TbbTaskGroup_Run           oneTBB task_group.run of N trivial tasks + wait (no futures)
//   BM_TbbTaskGroup_RoundTrip     oneTBB: run one task, wait, repeat
//   BM_StdAsync_RoundTrip         std::async(std::launch::async) + get()
//   BM_Promise_SetResult          Promise set_result + result() on one thread
//
// Pool size: the default (min(32, cpu + 4)), as Python's benchmark uses.
#include <benchmark/benchmark.h>

#include <atomic>
#include <future>
#include <optional>
#include <vector>

#include "triad/futures.hpp"

#ifdef TRIAD_HAVE_TBB
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#endif

namespace {

int trivial(int x) { return x + 1; }

// range(0): tasks; range(1): max_workers (0 = the default, min(32, cpu + 4)).
void BM_Pool_SubmitThenResult(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  triad::ThreadPoolExecutor pool(
      state.range(1) > 0 ? std::optional<int>(static_cast<int>(state.range(1))) : std::nullopt);
  std::vector<triad::Future<int>> fs;
  fs.reserve(n);
  for (auto _ : state) {
    fs.clear();
    for (std::size_t i = 0; i < n; ++i) fs.push_back(pool.submit(trivial, static_cast<int>(i)));
    long sum = 0;
    for (auto& f : fs) sum += f.result();
    benchmark::DoNotOptimize(sum);
  }
  fs.clear();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(n));
  state.counters["threads"] = static_cast<double>(pool.num_threads());
}
BENCHMARK(BM_Pool_SubmitThenResult)
    ->Args({1000000, 0})
    ->Args({1000000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Pool_RoundTrip(benchmark::State& state) {
  triad::ThreadPoolExecutor pool;
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pool.submit(trivial, ++i).result());
  }
  state.counters["threads"] = static_cast<double>(pool.num_threads());
}
BENCHMARK(BM_Pool_RoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Promise_SetResult(benchmark::State& state) {
  for (auto _ : state) {
    triad::Promise<int> p;
    auto f = p.get_future();
    p.set_result(1);
    benchmark::DoNotOptimize(f.result());
  }
}
BENCHMARK(BM_Promise_SetResult);

void BM_StdAsync_RoundTrip(benchmark::State& state) {
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::async(std::launch::async, trivial, ++i).get());
  }
}
BENCHMARK(BM_StdAsync_RoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

#ifdef TRIAD_HAVE_TBB
void BM_TbbTaskGroup_Run(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::atomic<long> sum{0};
  for (auto _ : state) {
    tbb::task_group g;
    for (std::size_t i = 0; i < n; ++i) {
      g.run([&sum, i] { sum.fetch_add(trivial(static_cast<int>(i)), std::memory_order_relaxed); });
    }
    g.wait();
  }
  benchmark::DoNotOptimize(sum.load());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(n));
}
BENCHMARK(BM_TbbTaskGroup_Run)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TbbTaskGroup_RoundTrip(benchmark::State& state) {
  tbb::task_group g;
  int i = 0;
  for (auto _ : state) {
    int r = 0;
    g.run([&r, v = ++i] { r = trivial(v); });
    g.wait();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TbbTaskGroup_RoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();
