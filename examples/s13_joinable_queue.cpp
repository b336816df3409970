// S13 (seed 001, 生产者消费者模型 / JoinableQueue): three producers make three hot dogs each,
// two daemon consumers eat them; q.join() lets main continue only after every item was
// task_done — nothing lost.
//
// Python (seed 001):
//   def make_hotdog(queue, name):
//       for i in range(3): time.sleep(random.randint(1, 2)); print("%s 制作了一个热狗 %s" % (name, i)); queue.put("%s的%s号热狗" % (name, i))
//   def eat_hotdog(queue, name):
//       while True: data = queue.get(); time.sleep(random.randint(1, 2)); print("%s 吃了%s" % (name, data)); queue.task_done()
//   q = JoinableQueue(); p1..p3 = Process(make_hotdog); c1, c2 = Process(eat_hotdog, daemon=True)
//   start all; p1.join(); p2.join(); p3.join(); q.join(); print("主进程over")
#include <chrono>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"
#include "triad/process/sharedctypes.hpp"

namespace tp = triad::process;

TOUR_SCENARIO(S13, "001", "生产者消费者 / JoinableQueue", "Producers and daemon consumers with JoinableQueue",
              "3 producers x 3 items, 2 daemon consumers; main continues only after every task_done.") {
  tp::JoinableQueue<std::string> q;
  tp::Queue<std::string> log;
  tp::Value<int> eaten(0);
  auto nap = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::this_thread::sleep_for(ctx.scaled(std::chrono::milliseconds(1000 + rng() % 1000)));
  };
  auto make_hotdog = [&](const std::string& name) {
    for (int i = 0; i < 3; ++i) {
      nap(static_cast<unsigned>(name.size() * 7 + static_cast<std::size_t>(i)));
      log.put(name + " 制作了一个热狗 " + std::to_string(i));
      q.put(name + "的" + std::to_string(i) + "号热狗");
    }
  };
  auto eat_hotdog = [&](const std::string& name) {
    for (unsigned n = 0;; ++n) {
      const std::string data = q.get();
      nap(n);
      log.put(name + " 吃了" + data);
      {
        std::lock_guard<tp::RLock> g(eaten.get_lock());
        eaten.get_obj() += 1;
      }
      q.task_done();
    }
  };
  std::vector<std::unique_ptr<tp::Process>> producers, consumers;
  for (const char* n : {"邵钻钻的热狗店", "egon的热狗店", "老王的热狗店"})
    producers.push_back(std::make_unique<tp::Process>(make_hotdog, std::string(n)));
  for (const char* n : {"思聪", "李哲"})
    consumers.push_back(std::make_unique<tp::Process>(tp::ProcessOptions().with_daemon(true), eat_hotdog, std::string(n)));
  for (auto& p : producers) p->start();
  for (auto& c : consumers) c->start();
  for (auto& p : producers) p->join();
  q.join();
  const int eaten_at_join = eaten.value();
  ctx.say("主进程over");
  std::set<std::string> eaten_items;
  int made = 0;
  while (!log.empty()) {
    const auto line = log.get();
    ctx.say(line);
    if (line.find(" 吃了") != std::string::npos) eaten_items.insert(line.substr(line.find(" 吃了") + 7));
    else ++made;
  }
  ctx.check(made == 9, "three producers made three hot dogs each");
  ctx.check(eaten_at_join == 9, "q.join() returned only after all 9 items were task_done");
  ctx.check(eaten_items.size() == 9, "every hot dog was eaten exactly once: nothing lost");
  // The consumers are daemons: like Python's exit, end them.
  for (auto& c : consumers) c->terminate();
  for (auto& c : consumers) c->join();
}
