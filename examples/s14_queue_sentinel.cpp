// S14 (seed 002, 生产者消费者 + 结束信号): producers put items into a Queue, then the main
// process puts one sentinel (None) per consumer; daemon consumers stop at the sentinel.
// Every item is consumed once.
//
// Python (seed 002):
//   def consumer(q):
//       while True:
//           res = q.get()
//           if res is None: break
//           print('%s 吃 %s' % (os.getpid(), res))
//   def producer(q): for i in range(3): res = '包子%s' % i; q.put(res)
//   ... p1.join(); p2.join(); q.put(None); q.put(None)
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

TOUR_SCENARIO(S14, "002", "生产者消费者 + None 结束信号", "Producer/consumer with a sentinel value",
              "Daemon consumers stop at the sentinel; every item is consumed exactly once.") {
  tp::Queue<std::optional<std::string>> q;  // std::nullopt is Python's None
  tp::Queue<std::string> log;
  auto consumer = [&] {
    for (;;) {
      auto res = q.get();
      if (!res) break;
      log.put(std::to_string(::getpid()) + " 吃 " + *res);
    }
  };
  auto producer = [&](const std::string& kind) {
    for (int i = 0; i < 3; ++i) q.put(kind + std::to_string(i));
  };
  tp::Process p1(producer, std::string("包子")), p2(producer, std::string("泔水"));
  tp::Process c1(tp::ProcessOptions().with_daemon(true), consumer);
  tp::Process c2(tp::ProcessOptions().with_daemon(true), consumer);
  for (auto* p : {&p1, &p2, &c1, &c2}) p->start();
  p1.join();
  p2.join();
  q.put(std::nullopt);
  q.put(std::nullopt);
  c1.join();
  c2.join();
  ctx.say("主");
  std::map<std::string, int> seen;
  while (!log.empty()) {
    const auto line = log.get();
    ctx.say(line);
    seen[line.substr(line.find(" 吃 ") + 5)]++;
  }
  bool once = seen.size() == 6;
  for (auto& [item, n] : seen) once = once && n == 1;
  ctx.check(once, "all 6 items were consumed, each exactly once");
  ctx.check(c1.exitcode() == 0 && c2.exitcode() == 0, "both consumers stopped at their sentinel");
  ctx.check(q.empty(), "nothing is left in the queue");
}
