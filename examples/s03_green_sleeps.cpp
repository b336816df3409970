// S03 (seeds 000, 004, gevent模块): three tasks that call the plain, blocking libc sleep for
// 2 s, 3 s and 5 s. After monkey::patch_all() the sleeps yield to the hub, so the three run
// concurrently on ONE OS thread and the whole thing takes ~5 s, not 10 s.
//
// Python (seed 000):
//   from gevent import monkey; monkey.patch_all()
//   from gevent import spawn
//   def heng(): print("哼"); time.sleep(2); print('哼')
//   def ha(): print('哈'); time.sleep(3); print('哈')
//   def heiheihei(): print('嘿嘿嘿'); time.sleep(5); print('嘿嘿嘿')
//   g1 = spawn(heng); g2 = spawn(ha); g3 = spawn(heiheihei); g1.join(); g2.join(); g3.join()
//
// The scenario runs on its own OS thread (so the hub it creates does not outlive it) and
// undoes the patch at the end (triad can unpatch; gevent cannot).
#include <time.h>

#include <chrono>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/green/monkey.hpp"
#include "triad/green/spawn.hpp"

namespace {

void plain_sleep(std::chrono::nanoseconds d) {  // what time.sleep does: libc nanosleep
  timespec ts{static_cast<time_t>(d.count() / 1000000000), static_cast<long>(d.count() % 1000000000)};
  ::nanosleep(&ts, nullptr);  // patched: yields to the hub inside a green thread
}

}  // namespace

TOUR_SCENARIO(S03, "000, 004", "gevent模块 / monkey.patch_all()", "Patched sleeps overlap on one thread",
              "Three green threads call the ordinary blocking sleep for 2, 3 and 5 s; with "
              "monkey patching they take ~5 s together on a single OS thread.") {
  std::thread runner([&ctx] {
    triad::green::monkey::patch_all();
    struct Unpatch {
      ~Unpatch() { triad::green::monkey::unpatch_all(); }
    } unpatch;
    const auto os_thread = std::this_thread::get_id();
    bool same_thread = true;
    auto task = [&](std::string word, int seconds) {
      same_thread = same_thread && std::this_thread::get_id() == os_thread;
      ctx.say(ctx.stamp() + " " + word);
      plain_sleep(ctx.scaled(std::chrono::seconds(seconds)));
      ctx.say(ctx.stamp() + " " + word + " (after " + std::to_string(seconds) + " s)");
    };
    const auto t0 = std::chrono::steady_clock::now();
    auto g1 = triad::green::spawn(task, std::string("哼"), 2);
    auto g2 = triad::green::spawn(task, std::string("哈"), 3);
    auto g3 = triad::green::spawn(task, std::string("嘿嘿嘿"), 5);
    g1.join();
    g2.join();
    g3.join();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    const double unit = std::chrono::duration<double>(ctx.scaled(std::chrono::seconds(1))).count();
    ctx.say("total: " + tour::format_seconds(took) + " (serial would be " +
            tour::format_seconds(std::chrono::duration<double>(10 * unit)) + ")");
    ctx.check(same_thread, "all three green threads ran on the same OS thread");
    ctx.check(took.count() >= 5 * unit * 0.95, "the total is at least the longest sleep (5 s)");
    ctx.check(took.count() < 8 * unit, "the sleeps overlapped: ~5 s, well under the serial 10 s");
  });
  runner.join();
}
