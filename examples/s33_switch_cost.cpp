// S33 (seeds 002, 004, 协程): for CPU-bound work, switching between coroutines only adds cost.
// The seed times two counting loops run one after the other, then the same work with a
// generator: func2 counts and calls next(g) on func1's generator every iteration.
//
// Python (seed 002):
//   def func1(): for i in range(10000000): i+1
//   def func2(): for i in range(10000000): i+1
//   func1(); func2()                                  # plain calls
//   def func1(): while True: 10000000+1; yield
//   def func2(): g = func1(); for i in range(10000000): i+1; next(g)   # switch every step
//
// triad: the generator is a greenlet that switches back to its caller after each step.
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/green/greenlet.hpp"

namespace {

// Keeps the compiler from folding the loops away (what Python's i+1 costs is not the point).
inline void keep(std::uint64_t& v) { asm volatile("" : "+r"(v)); }

}  // namespace

TOUR_SCENARIO(S33, "002, 004", "协程: yield 切换 vs 串行", "Switching costs more for CPU-bound work",
              "Two counting loops run serially, then interleaved by switching to a generator-style "
              "greenlet at every step; the switching version is slower.") {
  std::thread runner([&ctx] {
    namespace tg = triad::green;
    const std::uint64_t n = ctx.fast() ? 200000 : 10000000;
    std::uint64_t acc = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {  // func1()
      acc += i + 1;
      keep(acc);
    }
    for (std::uint64_t i = 0; i < n; ++i) {  // func2()
      acc += i + 1;
      keep(acc);
    }
    const std::chrono::duration<double> serial = std::chrono::steady_clock::now() - t0;

    std::uint64_t gen_acc = 0;
    tg::greenlet gen([&] {  // func1 as a generator: one step, then yield to the caller
      for (;;) {
        gen_acc += 10000000 + 1;
        keep(gen_acc);
        tg::getcurrent().parent()->switch_to();
      }
    });
    t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {  // func2 with next(g) every iteration
      acc += i + 1;
      keep(acc);
      gen.switch_to();
    }
    const std::chrono::duration<double> switching = std::chrono::steady_clock::now() - t0;
    ctx.say("iterations per loop: " + std::to_string(n));
    ctx.say("plain calls, one after the other: " + tour::format_seconds(serial));
    ctx.say("switching to a generator every step: " + tour::format_seconds(switching));
    ctx.check(gen_acc == n * 10000001ull, "the generator ran exactly once per iteration");
    ctx.check(switching > serial, "switching costs more than plain calls for CPU-bound work");
  });
  runner.join();
}
