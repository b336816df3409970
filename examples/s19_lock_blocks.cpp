// S19 (seed 001, 线程互斥锁): three threads print 100-line blocks under one Lock, so the
// blocks never interleave.
//
// Python (seed 001):
//   mutex = Lock()
//   def task1():
//       mutex.acquire()
//       for i in range(100): print("===================")
//       mutex.release()
//   # task2 prints "!!!!!!!!!!!!!!!!!!", task3 "********************"
//   for task in (task1, task2, task3): Thread(target=task).start()
//
// The port records every line (the tour shows each block's first line and its length) and
// checks that the record is three unbroken runs of 100.
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/thread.hpp"

TOUR_SCENARIO(S19, "001", "线程互斥锁", "A Lock keeps 100-line blocks whole",
              "Three threads each print a 100-line block while holding one Lock: the blocks "
              "come out whole, one after another, never interleaved.") {
  triad::Lock mutex;
  std::mutex record_mutex;  // only protects the record itself, independent of the Lock
  std::vector<std::string> lines;
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};

  auto block = [&](std::string text) {
    mutex.acquire();
    const int now = ++inside;
    if (now > max_inside) max_inside = now;
    for (int i = 0; i < 100; ++i) {
      std::lock_guard<std::mutex> g(record_mutex);
      lines.push_back(text);
    }
    --inside;
    mutex.release();
  };

  triad::Thread t1(block, std::string("==================="));
  triad::Thread t2(block, std::string("!!!!!!!!!!!!!!!!!!"));
  triad::Thread t3(block, std::string("********************"));
  t1.start();
  t2.start();
  t3.start();
  t1.join();
  t2.join();
  t3.join();

  // Runs of equal lines, in order.
  std::vector<std::pair<std::string, int>> runs;
  for (const auto& l : lines) {
    if (runs.empty() || runs.back().first != l)
      runs.emplace_back(l, 1);
    else
      ++runs.back().second;
  }
  for (const auto& [text, count] : runs) ctx.say(text + "   (x" + std::to_string(count) + ")");
  bool whole = runs.size() == 3;
  for (const auto& r : runs) whole = whole && r.second == 100;
  ctx.check(lines.size() == 300, "300 lines were printed");
  ctx.check(whole, "the output is exactly three unbroken 100-line blocks (" +
                       std::to_string(runs.size()) + " runs)");
  ctx.check(max_inside.load() == 1, "never more than one thread inside the Lock");
}
