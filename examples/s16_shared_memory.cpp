// S16 (seeds 001, 002): threads share their process's memory; a thread made by subclassing
// Thread and overriding run(); current_thread().
//
// Python (seed 001):
//   a = 100
//   def task():
//       global a; a = 1; print("这是给子线程执行的任务!")
//   t = Thread(target=task); t.start(); print("主"); print(a)       # 1
//
//   class MyThread(Thread):
//       def run(self): print("run 函数执行!"); print(current_thread())
//   mt = MyThread(); mt.start(); print(current_thread())
//
// The seed reads `a` without joining; in Python the GIL happens to let the thread run first.
// In C++ that read would be a data race, so the port joins first: join() is what guarantees
// that the main thread sees the thread's write.
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/threading/thread.hpp"

namespace {

using namespace std::chrono_literals;

int a = 100;  // the seed's global

class MyThread : public triad::Thread {
 public:
  explicit MyThread(tour::Context& ctx) : ctx_(ctx) {}
  std::optional<triad::ThreadHandle> seen_as_current;  // written by run(), read after join()

 protected:
  void run() override {
    ctx_.say("run 函数执行!");
    seen_as_current = triad::current_thread();
    ctx_.say("current_thread() in run(): " + triad::current_thread().name());
  }

 private:
  tour::Context& ctx_;
};

}  // namespace

TOUR_SCENARIO(S16, "001, 002", "同一进程下的多个线程共享该进程内的数据 / 第二种方式实现线程",
              "Threads share memory; a Thread subclass with run()",
              "A thread's write to a global is visible to the main thread after join(); a "
              "subclass's run() runs in the new thread, where current_thread() is that object.") {
  a = 100;
  triad::Thread t([&] {
    a = 1;
    ctx.say("这是给子线程执行的任务!");
  });
  t.start();
  ctx.say("主");
  t.join();
  ctx.say("a = " + std::to_string(a) + " (after join)");
  ctx.check(a == 1, "the child thread's write (a = 1) is visible to the main thread");

  MyThread mt(ctx);
  mt.start();
  mt.join();
  ctx.say("current_thread() in main: " + triad::current_thread().name());
  ctx.check(mt.seen_as_current == mt.handle(), "inside run(), current_thread() is the MyThread object");
  ctx.check(triad::current_thread() == triad::main_thread() &&
                triad::current_thread().name() == "MainThread",
            "in the main thread, current_thread() is main_thread(), named MainThread");

  // 共用一个进程: a thread runs inside its creator's process.
  pid_t child_pid = 0;
  triad::Thread same([&] {
    std::this_thread::sleep_for(ctx.scaled(2s));  // ok-sleep: the seed's time.sleep(2)
    child_pid = ::getpid();
    ctx.say("子线程 run..... pid " + std::to_string(child_pid));
  });
  same.start();
  same.join();
  ctx.say("over, pid " + std::to_string(::getpid()));
  ctx.check(child_pid == ::getpid(), "the thread reports the same pid as the main thread");
}
