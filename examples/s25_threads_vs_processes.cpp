// S25 (seed 002, 多线程的作用: 计算密集型 / IO密集型): CPU-bound and IO-bound work on threads
// and on processes — the GIL lesson, replayed without a GIL.
//
// Python (seed 002):
//   def work1(): number = 0; for line in range(100000000): number += 1   # CPU-bound
//   def work2(): time.sleep(1)                                          # IO-bound
//   start = time.time(); ...; [Process(target=work1) / Thread(target=work2) ...]; print(time)
//   结论: 在计算密集型的情况下, 使用多进程; 在IO密集型的情况下, 使用多线程
//
// The seed's conclusion comes from CPython's GIL: only one thread runs Python bytecode at a
// time, so CPU-bound threads do not scale and processes must be used. In C++ there is no GIL:
//   - IO-bound: N sleeping tasks overlap on threads and on processes alike (≈ one sleep).
//     Checked, with a generous margin (less than half the serial time).
//   - CPU-bound: the same total work split over 1 and 2 threads, and over Pool(1) and
//     Pool(2) processes. Both scale with the cores; the speedups are printed, not asserted
//     (the VM is shared and noisy); the checks are that every split computes the same sum.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/pool.hpp"
#include "triad/threading/thread.hpp"

namespace tp = triad::process;

namespace {

// The seed's work1, made worth computing: a checksum over [begin, end) that the optimiser
// cannot fold away. Each step depends only on i, so sums over a split range add up.
std::uint64_t burn(std::uint64_t begin, std::uint64_t end) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = begin; i < end; ++i) {
    std::uint64_t x = i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    sum += x;
  }
  return sum;
}

// The seed's work2: time.sleep(1), scaled.
int nap(std::int64_t ns) {
  std::this_thread::sleep_for(std::chrono::nanoseconds(ns));  // ok-sleep: the IO-bound task
  return 1;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string fmt(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

std::string ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", r);
  return buf;
}

// [0, total) in `parts` ranges.
std::vector<std::tuple<std::uint64_t, std::uint64_t>> split(std::uint64_t total, int parts) {
  std::vector<std::tuple<std::uint64_t, std::uint64_t>> out;
  for (int p = 0; p < parts; ++p)
    out.emplace_back(total * static_cast<std::uint64_t>(p) / static_cast<std::uint64_t>(parts),
                     total * static_cast<std::uint64_t>(p + 1) / static_cast<std::uint64_t>(parts));
  return out;
}

std::uint64_t burn_on_threads(std::uint64_t total, int n) {
  const auto ranges = split(total, n);
  std::vector<std::uint64_t> sums(ranges.size());
  std::vector<std::unique_ptr<triad::Thread>> threads;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    threads.push_back(std::make_unique<triad::Thread>([&sums, &ranges, i] {
      sums[i] = burn(std::get<0>(ranges[i]), std::get<1>(ranges[i]));
    }));
    threads.back()->start();
  }
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    threads[i]->join();
    sum += sums[i];
  }
  return sum;
}

std::uint64_t burn_on_processes(tp::Pool& pool, std::uint64_t total, int n) {
  std::uint64_t sum = 0;
  for (std::uint64_t s : pool.starmap(burn, split(total, n), 1)) sum += s;
  return sum;
}

}  // namespace

TOUR_SCENARIO(S25, "002", "多线程的作用: 计算密集型 / IO密集型", "CPU-bound and IO-bound work: threads vs processes",
              "No GIL in C++: CPU-bound threads scale with the cores like processes; IO-bound tasks overlap on both.") {
  const int cpus = tp::cpu_count();
  ctx.say("os.cpu_count() = " + std::to_string(cpus));

  // ---- IO密集型: every task sleeps; N of them overlap.
  // Never below 200 ms, so that starting 20 threads (slow under sanitizers on a loaded VM)
  // stays small next to one sleep even in the tests' fast mode.
  const auto sleep = std::max<std::chrono::nanoseconds>(ctx.scaled(std::chrono::seconds(1)),
                                                        std::chrono::milliseconds(200));
  const double one = std::chrono::duration<double>(sleep).count();
  constexpr int kThreads = 20;
  {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<triad::Thread>> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.push_back(std::make_unique<triad::Thread>(nap, static_cast<std::int64_t>(sleep.count())));
      threads.back()->start();
    }
    for (auto& t : threads) t->join();
    const double took = seconds_since(t0);
    ctx.say("IO-bound, " + std::to_string(kThreads) + " threads each sleeping " + fmt(one) +
            ": " + fmt(took) + " (serially: " + fmt(one * kThreads) + ")");
    ctx.check(took < one * kThreads / 2, "IO-bound threads overlap (well under the serial time)");
  }
  constexpr int kProcs = 8;
  {
    tp::Pool pool(kProcs);
    (void)pool.map(nap, std::vector<std::int64_t>(kProcs, 0), 1);  // the workers are up
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = pool.map(nap, std::vector<std::int64_t>(kProcs, sleep.count()), 1);
    const double took = seconds_since(t0);
    ctx.say("IO-bound, Pool(" + std::to_string(kProcs) + ") processes each sleeping " + fmt(one) +
            ": " + fmt(took) + " (serially: " + fmt(one * kProcs) + ")");
    ctx.check(r.size() == static_cast<std::size_t>(kProcs) && took < one * kProcs / 2,
              "IO-bound processes overlap too (well under the serial time)");
  }

  // ---- 计算密集型: the same total work on 1 and 2 threads / processes.
  const auto total = static_cast<std::uint64_t>(std::max(2e6, 3e8 * ctx.time_scale()));
  std::uint64_t expected = 0;
  double t_one = 0;
  {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t s = burn_on_threads(total, 1);
    t_one = seconds_since(t0);
    expected = burn(0, total / 2) + burn(total / 2, total);  // checked against a split sum
    const auto t1 = std::chrono::steady_clock::now();
    const std::uint64_t s2 = burn_on_threads(total, 2);
    const double t_two = seconds_since(t1);
    ctx.say("CPU-bound, " + std::to_string(total) + " steps on 1 thread: " + fmt(t_one) +
            "; on 2 threads: " + fmt(t_two) + " (speedup " + ratio(t_one / t_two) +
            "; CPython's GIL would keep it near 1x)");
    ctx.check(s == expected && s2 == expected, "1 and 2 threads compute the same checksum");
  }
  {
    tp::Pool one_proc(1);
    tp::Pool two_procs(2);
    (void)two_procs.map(nap, std::vector<std::int64_t>(2, 0), 1);
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t s = burn_on_processes(one_proc, total, 1);
    const double p_one = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    const std::uint64_t s2 = burn_on_processes(two_procs, total, 2);
    const double p_two = seconds_since(t1);
    ctx.say("CPU-bound, the same work in Pool(1): " + fmt(p_one) + "; in Pool(2): " + fmt(p_two) +
            " (speedup " + ratio(p_one / p_two) + ")");
    ctx.check(s == expected && s2 == expected, "1 and 2 worker processes compute the same checksum");
  }
  ctx.say(cpus >= 2 ? "结论 in C++: threads are enough for CPU-bound work too (no GIL); use processes "
                      "for isolation, not for speed."
                    : "结论: one CPU here, so neither threads nor processes can speed up CPU-bound work.");
}
