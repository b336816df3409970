// S21 (seed 001, 线程递归锁,重用锁): an RLock may be acquired again by the thread that holds
// it; other threads block until it has been released as many times as it was acquired.
//
// Python (seed 001):
//   lock = RLock(); lock.acquire(); print("aaaaaaaaaaa"); lock.acquire(); print("bbbbbbbbbbb")
//
//   def task():
//       lock.acquire(); lock.acquire()
//       for i in range(5): time.sleep(0.5); print(current_thread())
//       lock.release(); lock.release()
//   Thread(target=task).start(); Thread(target=task).start()
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/threading/rlock.hpp"
#include "triad/threading/thread.hpp"

namespace {

using namespace std::chrono_literals;

// Whether another thread can take `lock` right now (a non-blocking acquire from a helper).
bool free_for_others(triad::RLock& lock) {
  bool got = false;
  triad::Thread other([&] {
    got = lock.acquire(false);
    if (got) lock.release();
  });
  other.start();
  other.join();
  return got;
}

}  // namespace

TOUR_SCENARIO(S21, "001", "线程递归锁,重用锁", "RLock: re-entry by its owner",
              "The owner of an RLock acquires it twice without blocking; other threads get it only "
              "after as many releases, so two threads' 5-line blocks never mix.") {
  triad::RLock lock;
  lock.acquire();
  ctx.say("aaaaaaaaaaa");
  lock.acquire();
  ctx.say("bbbbbbbbbbb");
  const bool free_at_2 = free_for_others(lock);
  lock.release();
  const bool free_at_1 = free_for_others(lock);
  lock.release();
  const bool free_at_0 = free_for_others(lock);
  ctx.say(std::string("another thread can acquire it: held twice ") + (free_at_2 ? "yes" : "no") +
          ", once " + (free_at_1 ? "yes" : "no") + ", released " + (free_at_0 ? "yes" : "no"));
  ctx.check(!free_at_2 && !free_at_1 && free_at_0,
            "the RLock stays held until released as many times as it was acquired");

  std::string message;
  try {
    lock.release();
  } catch (const triad::RuntimeError& e) {
    message = e.what();
  }
  ctx.say("one release too many raises RuntimeError: " + message);
  ctx.check(message == "cannot release un-acquired lock",
            "releasing an RLock one time too many raises RuntimeError('cannot release un-acquired lock')");

  // 线程中使用重用锁: two threads, each holding the lock twice over for its whole block.
  std::mutex m;
  std::vector<std::string> order;
  auto task = [&] {
    lock.acquire();
    lock.acquire();
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(ctx.scaled(500ms));  // ok-sleep: the seed's time.sleep(0.5)
      const std::string me = triad::current_thread().name();
      ctx.say(ctx.stamp() + " " + me);
      std::lock_guard<std::mutex> g(m);
      order.push_back(me);
    }
    lock.release();
    lock.release();
  };
  const auto start = std::chrono::steady_clock::now();
  triad::Thread t1(task);
  triad::Thread t2(task);
  t1.start();
  t2.start();
  t1.join();
  t2.join();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const bool blocks = order.size() == 10 && std::count(order.begin(), order.begin() + 5, order[0]) == 5 &&
                      std::count(order.begin() + 5, order.end(), order[5]) == 5 && order[0] != order[5];
  ctx.check(blocks, "each thread's five lines come as one block: the other thread waited");
  const auto serial = std::chrono::duration<double>(ctx.scaled(500ms) * 10);
  ctx.say("took " + tour::format_seconds(took) + " (the blocks run one after the other: " +
          tour::format_seconds(serial) + ")");
  ctx.check(took >= serial * 0.95, "the two blocks did not overlap in time");
}
