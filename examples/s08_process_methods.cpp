// S08 (seeds 001, 002, Process 对象的其他属性和方法): join, pid, ppid, name,
// current_process(), is_alive, terminate, exitcode (minus the signal number after terminate).
//
// Python (seed 001):
//   p1 = Process(target=task, name='子进程1'); p1.start()
//   print(p1.name); print(current_process().name); print(p1.pid)
//   (in the child) print('自己的id:%s 父进程的id:%s' % (os.getpid(), os.getppid()))
//   p1.terminate(); print(p1.is_alive())  # True (terminate only sends the signal)
//   p1.join(); print(p1.is_alive())       # False;  p1.exitcode == -15
#include <signal.h>
#include <unistd.h>

#include <string>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"
#include "triad/process/synchronize.hpp"

namespace tp = triad::process;

namespace {
struct Report {  // what the child tells the parent about itself
  int pid = 0, ppid = 0;
  std::string name;
  template <class A>
  void serialize(A& ar) {
    ar(pid, ppid, name);
  }
};
}  // namespace

TOUR_SCENARIO(S08, "001, 002", "Process 对象的属性和方法", "join, pid, ppid, name, is_alive, terminate, exitcode",
              "The Process API reports what Python reports; exitcode is -15 after terminate().") {
  tp::Queue<Report> reports;
  tp::Event stop;  // never set: the child waits until it is terminated
  tp::Process p1(tp::ProcessOptions().with_name("子进程1"), [&] {
    reports.put(Report{::getpid(), ::getppid(), tp::current_process().name()});
    stop.wait();
  });
  ctx.check(!p1.is_alive() && !p1.pid() && !p1.exitcode(), "before start: not alive, no pid, no exitcode");
  p1.start();
  const Report r = reports.get();
  ctx.say("子进程[" + r.name + "]运行。。。。 自己的id:" + std::to_string(r.pid) + " 父进程的id:" + std::to_string(r.ppid));
  ctx.say("p1.name = " + p1.name() + ", current_process().name = " + tp::current_process().name() +
          ", p1.pid = " + std::to_string(*p1.pid()) + ", 主 " + std::to_string(::getpid()));
  ctx.check(r.name == "子进程1" && p1.name() == "子进程1", "the child knows its name");
  ctx.check(tp::current_process().name() == "MainProcess", "the parent is MainProcess");
  ctx.check(r.pid == *p1.pid() && r.ppid == ::getpid(), "p1.pid is the child's getpid(); its ppid is us");
  ctx.check(p1.is_alive() && !p1.exitcode(), "running: is_alive() and no exitcode yet");
  p1.terminate();
  p1.join();
  ctx.say("after terminate + join: is_alive = " + std::string(p1.is_alive() ? "True" : "False") +
          ", exitcode = " + std::to_string(*p1.exitcode()));
  ctx.check(!p1.is_alive(), "after terminate and join: not alive");
  ctx.check(p1.exitcode() == -SIGTERM, "exitcode is -15 (minus SIGTERM), as in Python");
}
