// Green threads, side by side with their anchors (one run, same machine):
//   switch:       triad greenlet switch  vs  raw Boost.Context fiber resume  vs  Boost.Fiber yield
//   sleep(0):     through the hub (ready queue round trip)
//   spawn+join:   triad spawn + join  vs  Boost.Fiber create + join
//   parked RSS:   memory per parked green thread with N alive (TRIAD_GREEN_BENCH_PARKED, default
//                 100000; the doc quotes 1,000,000)
// Python anchors (greenlet switch, gevent spawn+join): bench/compare/green.py.
//
//   cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIAD_BUILD_BENCH=ON
//   ninja -C build/bench bench_green && build/bench/bench/bench_green --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "triad/green/greenlet.hpp"
#include "triad/green/hub.hpp"
#include "triad/green/spawn.hpp"
#include "triad/threading/event.hpp"

#if defined(TRIAD_HAVE_BOOST_FIBER)
#include <boost/fiber/all.hpp>
#endif

namespace tg = triad::green;
namespace ctx = boost::context;

namespace {

// One switch = one direction; each iteration does two (there and back).
void BM_RawBoostContextSwitch(benchmark::State& state) {
  bool stop = false;
  ctx::fiber f([&stop](ctx::fiber&& caller) {
    while (!stop) caller = std::move(caller).resume();
    return std::move(caller);
  });
  for (auto _ : state) f = std::move(f).resume();
  stop = true;
  f = std::move(f).resume();
  state.SetItemsProcessed(state.iterations() * 2);
  state.counters["ns_per_switch"] = benchmark::Counter(
      static_cast<double>(state.iterations() * 2), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RawBoostContextSwitch);

void BM_GreenletSwitch(benchmark::State& state) {
  bool stop = false;
  tg::greenlet g([&stop] {
    tg::greenlet* parent = tg::getcurrent().parent();
    while (!stop) parent->switch_to();
  });
  for (auto _ : state) g.switch_to();
  stop = true;
  g.switch_to();
  state.SetItemsProcessed(state.iterations() * 2);
  state.counters["ns_per_switch"] = benchmark::Counter(
      static_cast<double>(state.iterations() * 2), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_GreenletSwitch);

// sleep(0) from a green thread with one other green thread also yielding: every sleep(0) is
// a trip through the hub's ready queue to the other and back.
void BM_HubSleep0(benchmark::State& state) {
  bool stop = false;
  auto other = tg::spawn([&stop] {
    while (!stop) tg::sleep();
  });
  auto bench = tg::spawn([&] {
    for (auto _ : state) tg::sleep();
  });
  bench.join();
  stop = true;
  other.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HubSleep0)->UseRealTime();

// sleep(0) of a single green thread (hub round trip only).
void BM_HubSleep0Alone(benchmark::State& state) {
  auto bench = tg::spawn([&] {
    for (auto _ : state) tg::sleep();
  });
  bench.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HubSleep0Alone)->UseRealTime();

void BM_SpawnJoin(benchmark::State& state) {
  int x = 0;
  for (auto _ : state) {
    auto g = tg::spawn([&x] { ++x; });
    g.join();
  }
  benchmark::DoNotOptimize(x);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpawnJoin)->UseRealTime();

// Spawn a batch of 1000, then joinall: per-greenlet cost of the batch.
void BM_SpawnJoinallBatch(benchmark::State& state) {
  int x = 0;
  std::vector<tg::BasicGreenlet> gs;
  gs.reserve(1000);
  for (auto _ : state) {
    gs.clear();
    for (int i = 0; i < 1000; ++i) gs.push_back(tg::spawn([&x] { ++x; }));
    tg::joinall(gs);
  }
  benchmark::DoNotOptimize(x);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_SpawnJoinallBatch)->UseRealTime();

#if defined(TRIAD_HAVE_BOOST_FIBER)
void BM_BoostFiberYield(benchmark::State& state) {
  bool stop = false;
  boost::fibers::fiber other([&stop] {
    while (!stop) boost::this_fiber::yield();
  });
  for (auto _ : state) boost::this_fiber::yield();
  stop = true;
  other.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BoostFiberYield)->UseRealTime();

void BM_BoostFiberCreateJoin(benchmark::State& state) {
  int x = 0;
  for (auto _ : state) {
    boost::fibers::fiber f([&x] { ++x; });
    f.join();
  }
  benchmark::DoNotOptimize(x);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BoostFiberCreateJoin)->UseRealTime();
#endif

long rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  f >> pages_total >> pages_rss;
  return pages_rss * sysconf(_SC_PAGESIZE);
}

// N green threads parked on one Event at once; reports RSS growth per green thread.
void BM_ParkedGreenletRss(benchmark::State& state) {
  const char* env = std::getenv("TRIAD_GREEN_BENCH_PARKED");
  const long n = env != nullptr ? std::atol(env) : 100000;
  const bool guard = tg::stack_guard();
  tg::set_stack_guard(false);  // a million guarded stacks exceed vm.max_map_count (see docs)
  double per = 0;
  for (auto _ : state) {
    triad::Event ev;
    std::vector<tg::BasicGreenlet> gs;
    gs.reserve(static_cast<size_t>(n));
    const long before = rss_bytes();
    for (long i = 0; i < n; ++i) gs.push_back(tg::spawn([&ev] { ev.wait(); }));
    tg::sleep();  // every one starts and parks
    const long after = rss_bytes();
    per = static_cast<double>(after - before) / static_cast<double>(n);
    ev.set();
    tg::joinall(gs);
  }
  tg::set_stack_guard(guard);
  state.counters["parked"] = static_cast<double>(n);
  state.counters["rss_bytes_per_greenlet"] = per;
}
BENCHMARK(BM_ParkedGreenletRss)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
