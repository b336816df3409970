// S18 (seed 001, 常用方法): a thread's name, current_thread(), active_count(), enumerate().
//
// Python (seed 001):
//   def task(): print("子线程..."); time.sleep(1); print(current_thread())
//   t = Thread(target=task, name="矮根线程!")
//   print(t.name); print(t); t.start()
//   print(active_count())     # 2: the main thread counts
//   print(enumerate())        # [<_MainThread(MainThread, started ...)>, <Thread(矮根线程!, started ...)>]
//   print("over")
//
// The port holds the thread at the start of its sleep until main has counted, so that the
// count is taken while the thread is certainly alive (the seed relies on the 1 s sleep).
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/thread.hpp"

namespace {

using namespace std::chrono_literals;

std::string describe(const std::vector<triad::ThreadHandle>& threads) {
  std::string s = "[";
  for (const auto& t : threads) s += (s.size() > 1 ? ", " : "") + t.name();
  return s + "]";
}

}  // namespace

TOUR_SCENARIO(S18, "001", "常用方法", "Thread names, active_count() and enumerate()",
              "A thread named 矮根线程! runs while main counts the live threads: active_count() "
              "and enumerate() include the main thread.") {
  triad::Event counted;
  std::string name_inside;
  triad::Thread t(
      triad::ThreadOptions{.name = "矮根线程!"},
      [&] {
        ctx.say("子线程...");
        counted.wait(ctx.scaled(60s));
        std::this_thread::sleep_for(ctx.scaled(1s));  // ok-sleep: the seed's time.sleep(1)
        name_inside = triad::current_thread().name();
        ctx.say("current_thread(): " + name_inside);
      });
  ctx.say("t.name = " + t.name());
  const auto before = triad::active_count();
  t.start();
  const auto during = triad::active_count();
  const auto threads = triad::enumerate();
  counted.set();
  ctx.say("active_count() = " + std::to_string(during));
  ctx.say("enumerate() = " + describe(threads));
  ctx.say("over");
  t.join();
  const auto after = triad::active_count();

  ctx.check(t.name() == "矮根线程!" && name_inside == "矮根线程!",
            "the thread has the name it was given, inside and out");
  ctx.check(before >= 1 && during == before + 1 && after == before,
            "active_count() counts the main thread and each started, unfinished thread (" +
                std::to_string(before) + " -> " + std::to_string(during) + " -> " +
                std::to_string(after) + ")");
  const bool has_main = std::find(threads.begin(), threads.end(), triad::main_thread()) != threads.end();
  const bool has_t = std::find(threads.begin(), threads.end(), t.handle()) != threads.end();
  ctx.check(has_main && has_t && threads.size() == during,
            "enumerate() lists the main thread and 矮根线程!, as many as active_count()");
  const auto later = triad::enumerate();
  ctx.check(std::find(later.begin(), later.end(), t.handle()) == later.end(),
            "after join(), the thread is no longer in enumerate()");
}
