// S28 (seed 003, concurrent.futures 基本方法): the Executor API.
//
//   submit(fn, *args)                          异步提交任务
//   map(func, *iterables, timeout, chunksize)  取代for循环submit的操作: results in input order
//   shutdown(wait=True)                        等待池内所有任务执行完毕
//   shutdown(wait=False)                       立即返回; 但整个程序都会等到所有任务执行完毕
//   result(timeout=None)                       取得结果
//
// In C++ "the whole program still waits" is the executor's destructor: it joins the workers
// (Python joins them at interpreter exit), so every task submitted before shutdown(wait=false)
// still runs to the end.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/futures.hpp"
#include "triad/threading/event.hpp"


namespace {

using namespace std::chrono_literals;

std::string join_ints(const std::vector<int>& v) {
  std::string s;
  for (const int x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

}  // namespace

TOUR_SCENARIO(S28, "003", "concurrent.futures 基本方法", "The Executor API",
              "submit and result(timeout), map keeping input order and raising TimeoutError past "
              "its deadline, and shutdown(wait=True/False) both finishing every task.") {
  // The time unit: the seed's half second, scaled, but never so short that a busy machine's
  // scheduling noise could reorder what the checks compare.
  const auto unit = std::max<std::chrono::nanoseconds>(ctx.scaled(500ms), 60ms);

  // submit + result(timeout). The task stands for slow work: it waits for `finish` (set by
  // main after its timed result() call), so the timeout is certain, on any machine.
  {
    triad::ThreadPoolExecutor pool(2);
    triad::Event finish;
    auto f = pool.submit([&] {
      finish.wait(ctx.scaled(60s));
      return 42;
    });
    bool timed_out = false;
    try {
      (void)f.result(unit / 5);
    } catch (const triad::TimeoutError&) {
      timed_out = true;
    }
    const bool still_running = !f.done();
    finish.set();
    const int value = f.result();
    ctx.say(ctx.stamp() + " result(timeout=" + tour::format_seconds(unit / 5) +
            ") raised TimeoutError; result() then gave " + std::to_string(value));
    ctx.check(timed_out && still_running && value == 42,
              "result(timeout) raises TimeoutError while the task runs; result() waits for 42");
  }

  // map keeps the input order, whatever order the tasks finish in.
  {
    triad::ThreadPoolExecutor pool(3);
    std::mutex m;
    std::vector<int> finished;
    auto slow_square = [&](int x) {
      std::this_thread::sleep_for(unit * (3 - x));  // ok-sleep: 0 is slowest, 2 fastest
      std::lock_guard<std::mutex> g(m);
      finished.push_back(x);
      return x * x;
    };
    const std::vector<int> inputs{0, 1, 2};
    std::vector<int> results;
    for (int r : pool.map(slow_square, inputs, triad::MapOptions{.chunksize = 2})) results.push_back(r);
    ctx.say(ctx.stamp() + " map(square, [0, 1, 2]): tasks finished in the order " +
            join_ints(finished) + ", map gave " + join_ints(results));
    ctx.check(results == std::vector<int>{0, 1, 4}, "map gives the results in input order");
  }

  // map(timeout): fetching a result past the deadline raises TimeoutError. The second task
  // is slow: it waits for `finish`, which main sets only after the TimeoutError.
  {
    triad::ThreadPoolExecutor pool(2);
    triad::Event finish;
    std::atomic<bool> slow_done{false};
    const std::vector<int> inputs{0, 5};
    auto task = [&](int k) {
      if (k != 0) {
        finish.wait(ctx.scaled(60s));
        slow_done = true;
      }
      return k;
    };
    const auto timeout = unit * 3;
    const auto start = std::chrono::steady_clock::now();
    std::vector<int> got;
    bool timed_out = false;
    try {
      for (int r : pool.map(task, inputs, timeout)) got.push_back(r);
    } catch (const triad::TimeoutError&) {
      timed_out = true;
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    const bool slow_was_done = slow_done.load();
    finish.set();
    ctx.say(ctx.stamp() + " map(timeout=" + tour::format_seconds(timeout) + ") gave " +
            join_ints(got) + ", then raised TimeoutError after " + tour::format_seconds(took));
    ctx.check(timed_out && got == std::vector<int>{0},
              "map yields the results ready in time, then raises TimeoutError past its deadline");
    ctx.check(took >= std::chrono::duration<double>(timeout) * 0.95 && !slow_was_done,
              "the TimeoutError came at the deadline, while the slow task was still running");
    pool.shutdown(/*wait=*/true, /*cancel_futures=*/true);
  }

  // shutdown(wait=False) returns at once; the tasks still all finish. The tasks wait for a
  // gate that opens only after shutdown() returned, so a shutdown(wait=False) that waited
  // would show up as a long return time instead of a hang.
  {
    std::atomic<int> done{0};
    int done_at_return = -1;
    triad::Event gate;
    const auto gate_limit = ctx.scaled(30s);
    std::chrono::duration<double> return_after{};
    const auto start = std::chrono::steady_clock::now();
    {
      triad::ThreadPoolExecutor pool(2);
      for (int i = 0; i < 4; ++i)
        pool.submit([&] {
          gate.wait(gate_limit);
          std::this_thread::sleep_for(unit);  // ok-sleep: a task that outlives shutdown()
          ++done;
        });
      pool.shutdown(/*wait=*/false);
      return_after = std::chrono::steady_clock::now() - start;
      done_at_return = done.load();
      gate.set();
      ctx.say(ctx.stamp() + " shutdown(wait=False) returned after " +
              tour::format_seconds(return_after) + " with " + std::to_string(done_at_return) +
              " of 4 tasks done");
    }  // the destructor waits for the workers, as Python's interpreter exit does
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    ctx.say(ctx.stamp() + " after the pool's scope: " + std::to_string(done.load()) +
            " of 4 tasks done after " + tour::format_seconds(took));
    ctx.check(done_at_return == 0 && return_after < std::chrono::duration<double>(gate_limit) / 2,
              "shutdown(wait=False) returned at once, before any task was done");
    ctx.check(done.load() == 4, "every task submitted before shutdown(wait=False) still finished");
  }
}
