// S07 (seeds 001, 002, 进程之间内存隔离): a child sets the global x; the parent still sees the
// old value — processes do not share memory (threads do: S16).
//
// Python (seed 001):
//   x = 100
//   def task(): global x; x = 0; print('done')
//   p = Process(target=task); p.start(); time.sleep(5); print(x)   # 100
#include <string>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

namespace {
int x = 100;
}  // namespace

TOUR_SCENARIO(S07, "001, 002", "进程之间内存隔离", "Memory isolation between processes",
              "A child sets the global x to 0; the parent still sees 100.") {
  x = 100;
  tp::Queue<int> seen;
  tp::Process p([&] {
    x = 0;
    seen.put(x);
  });
  p.start();
  p.join();  // instead of the seed's sleep(5): join is the honest way to wait
  const int child_x = seen.get();
  ctx.say("done (the child's x is " + std::to_string(child_x) + ")");
  ctx.say(std::to_string(x));
  ctx.check(child_x == 0, "the child changed its own copy of x to 0");
  ctx.check(x == 100, "the parent's x is still 100");
}
