// S06 (seeds 001, 002, 开启子进程的方式二): a process as a subclass overriding run();
// start() runs run() in the child.
//
// Python (seed 001):
//   class MyProcess(Process):
//       def __init__(self, x): super().__init__(); self.name = x
//       def run(self): print('%s is running' % self.name); time.sleep(3); print('%s is done' % self.name)
//   p = MyProcess('子进程1'); p.start(); print('主')
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

namespace {

class MyProcess : public tp::Process {
 public:
  MyProcess(std::string name, tp::Queue<std::string>& log, std::chrono::nanoseconds nap)
      : log_(log), nap_(nap) {
    set_name(std::move(name));
  }
  void run() override {
    log_.put(name() + " is running (pid " + std::to_string(::getpid()) + ")");
    std::this_thread::sleep_for(nap_);
    log_.put(name() + " is done");
    log_.put("pid:" + std::to_string(::getpid()));
  }

 private:
  tp::Queue<std::string>& log_;
  std::chrono::nanoseconds nap_;
};

}  // namespace

TOUR_SCENARIO(S06, "001, 002", "开启子进程的方式二 / 继承 Process", "A Process subclass overriding run()",
              "start() runs the subclass's run() in a new child process.") {
  tp::Queue<std::string> log;
  MyProcess p("子进程1", log, ctx.scaled(std::chrono::seconds(3)));
  p.start();
  ctx.say("主");
  p.join();
  std::string pid_line;
  int lines = 0;
  while (!log.empty()) {
    auto line = log.get();
    if (line.rfind("pid:", 0) == 0) {
      pid_line = line.substr(4);
    } else {
      ctx.say(line);
      ++lines;
    }
  }
  ctx.check(lines == 2, "run() printed its two lines");
  ctx.check(!pid_line.empty() && std::stoi(pid_line) == *p.pid() && std::stoi(pid_line) != ::getpid(),
            "run() ran in the child process, not in the parent");
  ctx.check(p.exitcode() == 0, "the child exited with code 0");
}
