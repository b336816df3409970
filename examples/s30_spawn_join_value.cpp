// S30 (seed 003, Gevent): gevent.spawn(func, *args) creates a green thread, join() waits for
// it, joinall() waits for several, and .value holds the function's return value afterwards.
//
// Python (seed 003):
//   g1 = gevent.spawn(func, 1, 2, 3, x=4, y=5)
//   g2 = gevent.spawn(func2)
//   g1.join(); g2.join()          # or: gevent.joinall([g1, g2])
//   g1.value                      # func's return value
#include <chrono>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/green/hub.hpp"
#include "triad/green/spawn.hpp"

TOUR_SCENARIO(S30, "003", "Gevent: spawn / join / joinall / value", "spawn, join, joinall and value",
              "gevent.spawn passes positional arguments to the function; after join() the "
              "greenlet's value holds what it returned.") {
  std::thread runner([&ctx] {
    namespace tg = triad::green;
    auto func = [&ctx](int a, int b, int c, int x, int y) {
      ctx.say("func(" + std::to_string(a) + ", " + std::to_string(b) + ", " + std::to_string(c) +
              ", x=" + std::to_string(x) + ", y=" + std::to_string(y) + ") starts");
      tg::sleep(ctx.scaled(std::chrono::milliseconds(500)));
      return a + b + c + x + y;
    };
    auto func2 = [&ctx] {
      ctx.say("func2 starts");
      tg::sleep(ctx.scaled(std::chrono::milliseconds(300)));
      return std::string("func2 done");
    };
    auto g1 = tg::spawn(func, 1, 2, 3, 4, 5);  // keyword arguments become positional in C++
    auto g2 = tg::spawn(func2);
    ctx.check(!g1.value().has_value(), "before join, g1.value is None (nullopt)");
    g1.join();
    ctx.say("g1.value = " + std::to_string(*g1.value()));
    ctx.check(g1.value() == 15, "after join, g1.value holds the return value 15");
    auto done = tg::joinall({g1, g2});
    ctx.say("joinall -> " + std::to_string(done.size()) + " finished; g2.value = '" + *g2.value() + "'");
    ctx.check(done.size() == 2 && g2.successful() && *g2.value() == "func2 done",
              "joinall waits for every greenlet and each value is kept");
    auto g3 = tg::spawn([]() -> int { throw std::runtime_error("boom"); });
    g3.join();
    ctx.check(!g3.successful() && !g3.value().has_value() && g3.exception() != nullptr,
              "a greenlet that raised has no value and keeps its exception");
  });
  runner.join();
}
