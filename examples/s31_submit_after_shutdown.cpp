// S31 (seed 004, 一、线程池和进程池shutdown): shutdown(wait=True) waits for every task and
// closes the pool; a submit after it raises RuntimeError.
//
// Python (seed 004):
//   pool = ThreadPoolExecutor(3)
//   def task(name): print('%s 开始' % name); time.sleep(1); print('%s 结束' % name)
//   for i in range(20): pool.submit(task, '屌丝%s' % i)
//   pool.shutdown(wait=True)     # 等待所有任务完成,并且把池关闭
//   pool.submit(task, 'sddddd')  # RuntimeError: cannot schedule new futures after shutdown
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/futures.hpp"

namespace {
using namespace std::chrono_literals;
}  // namespace

TOUR_SCENARIO(S31, "004", "一、线程池和进程池shutdown", "shutdown(wait=True), then submit",
              "ThreadPoolExecutor(3) runs 20 one-second tasks; shutdown(wait=True) returns once "
              "all have ended, and a later submit raises RuntimeError.") {
  const auto work = ctx.scaled(1s);
  std::atomic<int> ended{0};
  auto task = [&](std::string name) {
    ctx.say(ctx.stamp() + " " + name + " 开始");
    std::this_thread::sleep_for(work);  // ok-sleep: the seed's time.sleep(1)
    ctx.say(ctx.stamp() + " " + name + " 结束");
    ++ended;
  };
  triad::ThreadPoolExecutor pool(3);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) pool.submit(task, "屌丝" + std::to_string(i));
  pool.shutdown(/*wait=*/true);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const int ended_at_return = ended.load();
  ctx.say(ctx.stamp() + " shutdown(wait=True) returned after " + tour::format_seconds(took) +
          " with " + std::to_string(ended_at_return) + " tasks ended");
  ctx.check(ended_at_return == 20, "shutdown(wait=True) returned only after all 20 tasks ended");
  const std::chrono::duration<double> one = work;
  ctx.check(took >= one * 7 * 0.95, "3 threads need 7 rounds for 20 tasks (>= " +
                                        tour::format_seconds(one * 7) + ")");

  std::string message;
  bool runtime_error = false;
  try {
    pool.submit(task, std::string("sddddd"));
  } catch (const triad::RuntimeError& e) {
    runtime_error = true;
    message = e.what();
  }
  ctx.say("pool.submit(task, 'sddddd') -> RuntimeError: " + message);
  ctx.check(runtime_error && message == "cannot schedule new futures after shutdown",
            "submit after shutdown raises RuntimeError('cannot schedule new futures after shutdown')");
  ctx.say("主");
  ctx.check(ended.load() == 20, "the rejected task never ran");
}
