// S12 (seeds 001, 002, 队列 Queue): a process Queue with maxsize: put/get, block=False,
// timeout, put_nowait/get_nowait, full/empty — Full and Empty raised exactly where Python
// raises them.
//
// Python (seed 001):
//   q = Queue(3); q.put('first'); q.put({'k': 'sencond'}); q.put(['third']); print(q.full())
//   q.put(4, block=False)          # queue.Full
//   q.get(block=False) x3; q.get(block=False)   # queue.Empty
//   q.get(timeout=3)                # queue.Empty after 3 s
#include <chrono>
#include <string>

#include "tour/scenario.hpp"
#include "triad/core/error.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

namespace {
template <class F>
std::string raises(F f) {
  try {
    f();
  } catch (const triad::Full&) {
    return "Full";
  } catch (const triad::Empty&) {
    return "Empty";
  }
  return "nothing";
}
}  // namespace

TOUR_SCENARIO(S12, "001, 002", "队列 Queue", "Process Queue: maxsize, block, timeout, nowait",
              "Full and Empty are raised exactly where Python raises them.") {
  tp::Queue<std::string> q(3);
  tp::Process producer([&] {
    q.put("first");
    q.put("{'k': 'sencond'}");
    q.put("['third']");
  });
  producer.start();
  producer.join();
  ctx.say("q.full() -> " + std::string(q.full() ? "True" : "False"));
  ctx.check(q.full() && q.qsize() == 3, "three items from another process fill Queue(3)");
  ctx.check(raises([&] { q.put("4", false); }) == "Full", "put(block=False) on a full queue raises Full");
  ctx.check(raises([&] { q.put_nowait("4"); }) == "Full", "put_nowait on a full queue raises Full");
  const auto t0 = std::chrono::steady_clock::now();
  const auto wait = ctx.scaled(std::chrono::seconds(3));
  ctx.check(raises([&] { q.put("4", wait); }) == "Full" && std::chrono::steady_clock::now() - t0 >= wait,
            "put(timeout=3) waits 3 s, then raises Full");
  const std::string a = q.get(false), b = q.get_nowait(), c = q.get();
  ctx.say(a);
  ctx.say(b);
  ctx.say(c);
  ctx.check(a == "first" && b == "{'k': 'sencond'}" && c == "['third']", "FIFO order across processes");
  ctx.check(q.empty(), "q.empty() after three gets");
  ctx.check(raises([&] { (void)q.get(false); }) == "Empty", "get(block=False) on an empty queue raises Empty");
  ctx.check(raises([&] { (void)q.get_nowait(); }) == "Empty", "get_nowait on an empty queue raises Empty");
  const auto t1 = std::chrono::steady_clock::now();
  ctx.check(raises([&] { (void)q.get(wait); }) == "Empty" && std::chrono::steady_clock::now() - t1 >= wait,
            "get(timeout=3) waits 3 s, then raises Empty");
}
