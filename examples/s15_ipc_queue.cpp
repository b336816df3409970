// S15 (seed 002, 进程间通信 IPC): one process puts, another gets; the messages arrive intact,
// non-ASCII text included.
//
// Python (seed 002):
//   def f1(q): q.put('你好'); q.put([1, 2, 3])
//   def f2(q): print(q.get()); print(q.get())
//   q = Queue(); p1 = Process(target=f1, args=(q,)); p2 = Process(target=f2, args=(q,))
#include <string>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

TOUR_SCENARIO(S15, "002", "进程间通信 IPC", "IPC: one process puts, another gets",
              "Text (non-ASCII included) and lists pass intact from one child to another.") {
  const std::vector<std::string> messages = {"你好", "hello", "héllo wörld — ünïcödé ✓ 🚀"};
  tp::Queue<std::string> q;
  tp::Queue<std::vector<int>> numbers;
  tp::Queue<std::string> received;  // what p2 got, reported to the tour
  tp::Process p1([&] {
    for (const auto& m : messages) q.put(m);
    numbers.put({1, 2, 3});
  });
  tp::Process p2([&] {
    for (std::size_t i = 0; i < messages.size(); ++i) received.put(q.get());
    const auto v = numbers.get();
    received.put(v == std::vector<int>{1, 2, 3} ? "[1, 2, 3]" : "(wrong list)");
  });
  p1.start();
  p2.start();
  p1.join();
  p2.join();
  std::vector<std::string> got;
  while (!received.empty()) got.push_back(received.get());
  for (const auto& g : got) ctx.say("p2 got: " + g);
  ctx.check(got.size() == 4, "p2 received every message");
  ctx.check(got.size() == 4 && got[0] == messages[0] && got[1] == messages[1] && got[2] == messages[2],
            "the text arrives byte for byte, non-ASCII included");
  ctx.check(got.size() == 4 && got[3] == "[1, 2, 3]", "the list arrives intact");
}
