// S34 (seed 004, greenlet模块): explicit switching between two greenlets, eat and play. The
// greenlet module does not switch on IO by itself: only switch() moves control.
//
// Python (seed 004), as written (the p.switch() calls are commented out):
//   def eat():  print('我吃了一口'); time.sleep(1); # p.switch()
//               print('我又吃了一口');               # p.switch()
//   def play(): print('我玩了一会儿'); e.switch(); print('我又玩了一会')
//   e = greenlet(eat); p = greenlet(play); e.switch()
// prints 我吃了一口 / 我又吃了一口 and ends: play never runs (eat returns to its parent, main).
// With the two p.switch() lines enabled the greenlets alternate:
//   我吃了一口, 我玩了一会儿, 我又吃了一口, 我又玩了一会
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/green/greenlet.hpp"

namespace {

std::vector<std::string> run_seed(tour::Context& ctx, bool with_switches) {
  namespace tg = triad::green;
  std::vector<std::string> said;
  auto say = [&](const std::string& s) {
    said.push_back(s);
    ctx.say("  " + s);
  };
  tg::greenlet* p = nullptr;
  tg::greenlet* e = nullptr;
  tg::greenlet eat([&] {
    say("我吃了一口");
    std::this_thread::sleep_for(ctx.scaled(std::chrono::seconds(1)));  // a real, blocking sleep
    if (with_switches) p->switch_to();
    say("我又吃了一口");
    if (with_switches) p->switch_to();
  });
  tg::greenlet play([&] {
    say("我玩了一会儿");
    e->switch_to();
    say("我又玩了一会");
  });
  e = &eat;
  p = &play;
  eat.switch_to();
  return said;
}

}  // namespace

TOUR_SCENARIO(S34, "004", "greenlet模块", "greenlet: explicit switch() between eat and play",
              "Greenlets run only when switched to: as written in the seed play never runs; with "
              "the commented switches enabled the two interleave exactly.") {
  std::thread runner([&ctx] {
    ctx.say("as written (p.switch() commented out):");
    const auto a = run_seed(ctx, false);
    ctx.check(a == std::vector<std::string>{"我吃了一口", "我又吃了一口"},
              "as written, eat runs to the end and play never starts");
    ctx.say("with the two p.switch() calls enabled:");
    const auto b = run_seed(ctx, true);
    ctx.check(b == std::vector<std::string>{"我吃了一口", "我玩了一会儿", "我又吃了一口", "我又玩了一会"},
              "with the switches, eat and play interleave exactly as the seed intends");
  });
  runner.join();
}
