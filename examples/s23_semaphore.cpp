// S23 (seeds 001, 002, 信号量): Semaphore(5) lets at most five of twenty threads in at once.
//
// Python (seed 002):
//   sm = Semaphore(5)
//   def task():
//       sm.acquire(); print(f'{current_thread().name} 执行任务'); time.sleep(1); sm.release()
//   for i in range(20): Thread(target=task).start()
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/threading/semaphore.hpp"
#include "triad/threading/thread.hpp"

namespace {
using namespace std::chrono_literals;
}  // namespace

TOUR_SCENARIO(S23, "001, 002", "信号量", "Semaphore(5) with 20 threads",
              "Twenty threads each hold a Semaphore(5) for a 1 s task: never more than five "
              "inside, so the work takes four rounds.") {
  triad::Semaphore sm(5);
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  const auto work = ctx.scaled(1s);
  auto task = [&] {
    sm.acquire();
    const int now = ++inside;
    int seen = max_inside.load();
    while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
    }
    ctx.say(ctx.stamp() + " " + triad::current_thread().name() + " 执行任务 (" +
            std::to_string(now) + " inside)");
    std::this_thread::sleep_for(work);  // ok-sleep: the seed's time.sleep(1)
    --inside;
    sm.release();
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<triad::Thread>> threads;
  for (int i = 0; i < 20; ++i) {
    threads.push_back(std::make_unique<triad::Thread>(task));
    threads.back()->start();
  }
  for (auto& t : threads) t->join();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const std::chrono::duration<double> one = work;
  ctx.say("took " + tour::format_seconds(took) + "; the most inside at once: " +
          std::to_string(max_inside.load()));
  ctx.check(max_inside.load() <= 5, "never more than 5 threads inside the Semaphore at once");
  ctx.check(took >= one * 4 * 0.95, "20 one-second tasks, 5 at a time, take at least 4 rounds");
  ctx.check(took < one * 20 * 0.6, "the tasks overlap: well under the 20 rounds of running them one by one");
}
