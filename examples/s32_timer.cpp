// S32 (seed 004, 定时器): Timer(2, task, args) runs task once, 2 s after start(); a timer
// cancelled before then never runs.
//
// Python (seed 004):
//   def task(name): print('我是大帅逼———%s' % name)
//   t = Timer(2, task, kwargs={'name': 'lqz'}); t.start()
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/timer.hpp"

namespace {
using namespace std::chrono_literals;
}  // namespace

TOUR_SCENARIO(S32, "004", "二、定时器", "Timer: run a task once, later",
              "Timer(2, task, \"lqz\") runs the task once, 2 s after start(); a second timer "
              "cancelled before its interval never runs.") {
  const auto interval = ctx.scaled(2s);
  std::atomic<int> runs{0};
  std::atomic<int> cancelled_runs{0};
  triad::Event ran;
  std::chrono::steady_clock::time_point ran_at{};

  auto task = [&](std::string name) {
    ran_at = std::chrono::steady_clock::now();
    ctx.say(ctx.stamp() + " 我是大帅逼———" + name);
    ++runs;
    ran.set();
  };
  auto never = [&](std::string name) {
    ctx.say(ctx.stamp() + " 我是大帅逼———" + name + " (a cancelled timer ran!)");
    ++cancelled_runs;
  };

  const auto start = std::chrono::steady_clock::now();
  triad::Timer t(interval, task, std::string("lqz"));
  triad::Timer c(interval, never, std::string("cancelled"));
  t.start();
  c.start();
  c.cancel();
  ctx.say(ctx.stamp() + " both timers started; the second one cancelled at once");

  const bool fired = ran.wait(interval + ctx.scaled(60s));
  t.join();
  const std::chrono::duration<double> after = ran_at - start;
  ctx.say("the timer ran " + tour::format_seconds(after) + " after start() (interval " +
          tour::format_seconds(interval) + ")");
  ctx.check(fired && after >= interval, "the timer ran after its interval, not before");
  // The cancelled timer's interval has passed too (it was started with the first one); give
  // it a further interval to misbehave before counting.
  std::this_thread::sleep_for(interval);  // ok-sleep: the subject is that nothing happens
  c.join();
  ctx.check(runs.load() == 1, "the timer ran exactly once");
  ctx.check(cancelled_runs.load() == 0, "the cancelled timer never ran");
}
