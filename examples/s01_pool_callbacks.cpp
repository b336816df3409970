// S01 (seeds 000, 002, 004, 进程池和线程池): ThreadPoolExecutor(5) runs 10 tasks that return
// n*n; a done-callback prints each result. The pool's threads are created once and reused.
//
// Python (seed 000):
//   pool = ThreadPoolExecutor(5)
//   def task(n): print(n, os.getpid()); time.sleep(2); return n**2
//   def call_back(n): print('拿到了异步提交任务的返回结果:', n.result())
//   for i in range(10): pool.submit(task, i).add_done_callback(call_back)
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/futures.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/thread.hpp"

namespace {
using namespace std::chrono_literals;
}  // namespace

TOUR_SCENARIO(S01, "000, 002, 004", "进程池和线程池", "A pool of 5 threads and done-callbacks",
              "ThreadPoolExecutor(5) runs 10 two-second tasks on only 5 threads, reused, and "
              "each done-callback receives its own task's result.") {
  const auto work = ctx.scaled(2s);
  std::mutex m;
  std::set<std::thread::id> task_threads;
  std::set<std::string> task_thread_names;
  std::map<int, long> callback_results;  // n -> what its callback saw
  std::set<std::thread::id> callback_threads;
  int callbacks_in_caller = 0;  // ran at once inside add_done_callback: the future was done
  bool adding = false;          // main is inside add_done_callback
  triad::Event all_called;
  const auto main_id = std::this_thread::get_id();

  auto task = [&](int n) {
    ctx.say(ctx.stamp() + " " + std::to_string(n) + " " + std::to_string(::getpid()) + " " +
            triad::current_thread().name());
    {
      std::lock_guard<std::mutex> g(m);
      task_threads.insert(std::this_thread::get_id());
      task_thread_names.insert(triad::current_thread().name());
    }
    std::this_thread::sleep_for(work);  // ok-sleep: the seed's time.sleep(2)
    return static_cast<long>(n) * n;
  };

  const auto start = std::chrono::steady_clock::now();
  {
    triad::ThreadPoolExecutor pool(5);
    for (int i = 0; i < 10; ++i) {
      auto future = pool.submit(task, i);
      adding = true;
      future.add_done_callback([&, i](const triad::Future<long>& f) {
        const long res = f.result();
        ctx.say(ctx.stamp() + " 拿到了异步提交任务的返回结果: " + std::to_string(res));
        std::lock_guard<std::mutex> g(m);
        callback_results[i] = res;
        if (std::this_thread::get_id() == main_id && adding)
          ++callbacks_in_caller;
        else
          callback_threads.insert(std::this_thread::get_id());
        if (callback_results.size() == 10) all_called.set();
      });
      adding = false;
    }
    all_called.wait(ctx.scaled(120s));
  }  // the pool's destructor: shutdown(wait=true)
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;

  std::string names;
  for (const auto& n : task_thread_names) names += (names.empty() ? "" : ", ") + n;
  ctx.say("worker threads: " + names);
  ctx.say("took " + tour::format_seconds(took) + " (10 tasks of " +
          tour::format_seconds(work) + " on 5 threads: 2 rounds)");
  ctx.check(task_threads.size() <= 5 && task_thread_names.size() <= 5,
            "only " + std::to_string(task_threads.size()) +
                " distinct threads ran the 10 tasks (at most 5: created once, then reused)");
  bool all_right = callback_results.size() == 10;
  for (const auto& [n, res] : callback_results) all_right = all_right && res == static_cast<long>(n) * n;
  ctx.check(all_right, "all 10 callbacks ran, each seeing its own task's result n*n");
  // A callback runs in the thread that completes its future, or at once in the caller of
  // add_done_callback if the future had already finished (possible on a loaded machine).
  bool on_workers = true;
  for (const auto& id : callback_threads) on_workers = on_workers && task_threads.count(id) != 0;
  ctx.say(std::to_string(10 - callbacks_in_caller) + " callbacks ran on the worker that finished "
          "the task, " + std::to_string(callbacks_in_caller) + " in main (future already done)");
  ctx.check(on_workers, "each callback ran on the worker thread that completed its future "
                        "(or in the caller, for a future already done)");
  const std::chrono::duration<double> serial = work * 10;
  ctx.check(took < serial * 0.6, "the tasks overlapped (well under the " +
                                     tour::format_seconds(serial) + " of one thread)");
}
