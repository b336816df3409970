// S02 (seeds 000, 001, 进程池 ProcessPoolExecutor): ProcessPoolExecutor() with the default
// size — cpu_count() workers — runs ten tasks; the same few worker pids serve every task, and
// a done-callback (run in the parent) sees each result.
//
// Python (seed 000):
//   pool = ProcessPoolExecutor()          # 默认是当前计算机cpu的个数
//   def task(n): print(n, os.getpid()); time.sleep(2); return n ** 2
//   def call_back(n): print('拿到了异步提交任务的返回结果:', n.result())
//   if __name__ == '__main__':
//       for i in range(10): pool.submit(task, i).add_done_callback(call_back)
//
// The task is a plain function (functions cross to worker processes by identity). It
// returns its pid with the square, since a worker's stdout is not the tour's captured output.
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/process_pool_executor.hpp"

namespace tp = triad::process;

namespace {

std::pair<int, int> task(int n, std::int64_t nap_ns) {
  std::this_thread::sleep_for(std::chrono::nanoseconds(nap_ns));
  return {n * n, static_cast<int>(::getpid())};
}

}  // namespace

TOUR_SCENARIO(S02, "000, 001", "进程池 ProcessPoolExecutor", "ProcessPoolExecutor() with the default size",
              "cpu_count() workers; the same few worker pids serve all ten tasks; callbacks see results.") {
  tp::ProcessPoolExecutor pool;  // 默认是当前计算机cpu的个数
  const auto workers = pool.worker_pids();
  ctx.say("cpu_count() = " + std::to_string(tp::cpu_count()) + ", workers = " + std::to_string(workers.size()));
  std::mutex m;
  std::set<int> pids;
  int callbacks = 0, sum = 0;
  std::vector<triad::Future<std::pair<int, int>>> fs;
  const auto nap = ctx.scaled(std::chrono::seconds(2)).count();
  for (int i = 0; i < 10; ++i) {
    auto f = pool.submit(task, i, static_cast<std::int64_t>(nap));
    f.add_done_callback([&, i](const triad::Future<std::pair<int, int>>& done) {
      const auto [sq, pid] = done.result();
      std::lock_guard<std::mutex> g(m);
      ctx.say(std::to_string(i) + " ran in pid " + std::to_string(pid) + "; 拿到了异步提交任务的返回结果: " + std::to_string(sq));
      pids.insert(pid);
      sum += sq;
      ++callbacks;
    });
    fs.push_back(f);
  }
  pool.shutdown();  // waits for every task
  std::lock_guard<std::mutex> g(m);
  ctx.check(static_cast<int>(workers.size()) == tp::cpu_count(), "the default size is cpu_count()");
  ctx.check(callbacks == 10 && sum == 285, "every callback saw its result (0 + 1 + 4 + ... + 81 = 285)");
  bool reused = pids.size() <= workers.size();
  for (int pid : pids) reused = reused && std::find(workers.begin(), workers.end(), pid) != workers.end();
  ctx.check(reused, "the same few worker processes served all ten tasks (" + std::to_string(pids.size()) + " distinct pids)");
}
