// S09 (seeds 001, 002, 守护进程): a daemon child ends when its parent ends; the daemon's late
// output never appears, and nothing is left behind (no zombie, no orphan).
//
// Python (seed 001):
//   def task(): print("妃子 升级为皇后"); time.sleep(3); print("皇后 挂了")
//   p = Process(target=task); p.daemon = True; p.start()
//   print("崇祯登基"); print("崇祯驾崩了....")      # the program ends: the daemon is terminated
//
// The tour itself must go on, so the "program" is a child process (崇祯) whose daemon child
// (the 皇后) is terminated when 崇祯 returns — exactly what Python's exit does.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

TOUR_SCENARIO(S09, "001, 002", "守护进程", "A daemon process ends with its parent",
              "The parent prints and ends; its daemon child is terminated before its late output.") {
  tp::Queue<std::string> log;
  tp::Queue<int> daemon_pid;
  const auto nap = ctx.scaled(std::chrono::seconds(3));
  tp::Process emperor(tp::ProcessOptions().with_name("崇祯"), [&] {
    tp::Process p([&] {
      log.put("妃子 升级为皇后");
      std::this_thread::sleep_for(nap);
      log.put("皇后 挂了");
    });
    p.set_daemon(true);
    p.start();
    daemon_pid.put(*p.pid());
    log.put("崇祯登基");
    log.put("崇祯驾崩了....");
  });  // returning ends 崇祯: its daemon children are terminated and reaped first
  emperor.start();
  const int pid = daemon_pid.get();
  emperor.join();
  const bool gone = ::kill(pid, 0) != 0;
  // Wait past the daemon's sleep: its late line must never come.
  std::this_thread::sleep_for(nap + ctx.scaled(std::chrono::seconds(1)));  // ok-sleep: proving absence
  bool late = false, ended = false;
  while (!log.empty()) {
    const auto line = log.get();
    ctx.say(line);
    late = late || line == "皇后 挂了";
    ended = ended || line == "崇祯驾崩了....";
  }
  ctx.check(ended && emperor.exitcode() == 0, "the parent printed its lines and exited normally");
  ctx.check(gone, "the daemon child no longer exists once its parent has been joined (no zombie, no orphan)");
  ctx.check(!late, "the daemon's late output never appears");
}
