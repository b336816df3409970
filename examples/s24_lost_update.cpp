// S24 (seed 002, 线程互斥锁): n = 100 decremented by 100 threads with a read-sleep-write gap.
// Without a lock the updates are lost; with one, n ends at exactly 0.
//
// Python (seed 002):
//   mutex = Lock(); n = 100
//   def task(i):
//       global n
//       mutex.acquire(); temp = n; time.sleep(0.1); n = temp - 1; mutex.release()
//   for i in range(100): Thread(target=task, args=(i,)).start()   # ...join all; print(n) -> 0
//
// Without the lock, each thread reads n, sleeps, and writes back its own read minus one, so
// every thread that read the same value overwrites the others' work. To make the lost updates
// as certain as the lesson claims, the hundred threads start together from an Event.
// (In C++ the unprotected read and write of n are made atomic loads and stores, so the
// program stays free of undefined behaviour while the updates are still lost.)
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/thread.hpp"

namespace {

using namespace std::chrono_literals;

// Runs the seed's 100 threads; returns n at the end.
int decrement_100_times(tour::Context& ctx, triad::Lock* mutex) {
  std::atomic<int> n{100};
  triad::Event go;
  const auto gap = ctx.scaled(100ms);
  auto task = [&] {
    go.wait(ctx.scaled(60s));
    if (mutex) mutex->acquire();
    const int temp = n.load();
    std::this_thread::sleep_for(gap);  // ok-sleep: the seed's read-sleep-write gap
    n.store(temp - 1);
    if (mutex) mutex->release();
  };
  std::vector<std::unique_ptr<triad::Thread>> threads;
  for (int i = 0; i < 100; ++i) {
    threads.push_back(std::make_unique<triad::Thread>(task));
    threads.back()->start();
  }
  go.set();
  for (auto& t : threads) t->join();
  return n.load();
}

}  // namespace

TOUR_SCENARIO(S24, "002", "线程互斥锁", "Lost updates without a Lock",
              "100 threads decrement n = 100 with a read-sleep-write gap: without a Lock most "
              "updates are lost; with one, n ends at exactly 0 (and the gaps run one by one).") {
  auto start = std::chrono::steady_clock::now();
  const int without = decrement_100_times(ctx, nullptr);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  ctx.say("without a Lock: n = " + std::to_string(without) + " after 100 decrements (" +
          std::to_string(without) + " updates lost) in " + tour::format_seconds(took));
  ctx.check(without > 0, "without the Lock, updates are lost (n > 0)");

  triad::Lock mutex;
  start = std::chrono::steady_clock::now();
  const int with = decrement_100_times(ctx, &mutex);
  took = std::chrono::steady_clock::now() - start;
  ctx.say("with a Lock:    n = " + std::to_string(with) + " in " + tour::format_seconds(took));
  ctx.check(with == 0, "with the Lock, n ends at exactly 0");
  const std::chrono::duration<double> serial = ctx.scaled(100ms) * 100;
  ctx.check(took >= serial * 0.95, "with the Lock the 100 gaps run one after another (>= " +
                                       tour::format_seconds(serial) + ")");
}
