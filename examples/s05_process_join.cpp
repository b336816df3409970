// S05 (seed 001, 开启多个子进程): start three processes that each sleep 2 s, then join them
// all: the whole thing takes ~2 s, not 6 s, and the start order is up to the OS.
//
// Python (seed 001):
//   def task(i): print("%s start" % i); time.sleep(2); print("%s stop" % i)
//   for i in range(3): p = Process(target=task, args=(i,)); p.start(); p_l.append(p)
//   for p in p_l: p.join()
//   print("主进程!!!!", time.time() - start_time)
//
// A child cannot write into the tour's captured output (it lives in the parent's memory), so
// children send their lines through a process Queue and the parent prints them.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

TOUR_SCENARIO(S05, "001", "开启多个子进程 / join", "Start three processes, join them all",
              "Three children sleep 2 s each concurrently; joining all takes ~2 s, not 6 s.") {
  tp::Queue<std::string> log;
  const auto nap = ctx.scaled(std::chrono::seconds(2));
  auto task = [&](int i) {
    log.put(std::to_string(i) + " start");
    std::this_thread::sleep_for(nap);
    log.put(std::to_string(i) + " stop");
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<tp::Process>> ps;
  for (int i = 0; i < 3; ++i) {
    ps.push_back(std::make_unique<tp::Process>(task, i));
    ps.back()->start();
  }
  for (auto& p : ps) p->join();
  const auto took = std::chrono::steady_clock::now() - t0;
  int starts = 0, stops = 0;
  while (!log.empty()) {
    const auto line = log.get();
    ctx.say(line);
    (line.find("start") != std::string::npos ? starts : stops)++;
  }
  ctx.say("主进程!!!! " + std::to_string(std::chrono::duration<double>(took).count()) + " s");
  bool ok = true;
  for (auto& p : ps) ok = ok && p->exitcode() == 0;
  ctx.check(starts == 3 && stops == 3 && ok, "all three children ran and exited with code 0");
  ctx.check(took >= nap, "joining waited for the sleeps");
  ctx.check(took < 2 * nap + ctx.scaled(std::chrono::seconds(1)),
            "they slept concurrently: ~2 s in total, not 6 s");
}
