// S20 (seeds 001, 002): deadlock. Two threads take two locks in opposite orders and each
// ends up waiting for the other's; one shared RLock fixes it.
//
// Python (seed 002):
//   mutex_a = Lock(); mutex_b = Lock()
//   class MyThread(Thread):
//       def run(self): self.func1(); self.func2()
//       def func1(self): a.acquire(); b.acquire(); b.release(); a.release()
//       def func2(self): b.acquire(); time.sleep(1); a.acquire(); a.release(); b.release()
//   for line in range(10): MyThread().start()        # hangs forever
//   # 递归锁: mutex_a = mutex_b = RLock()              # completes
//
// A port must not hang, so every acquire here has a time limit: the deadlock shows up as
// both threads failing to get their second lock in time. To make the deadlock certain (the
// seed relies on its sleep), the two threads meet at a Barrier once each holds its first lock,
// and again before letting go of it.
// The fix then runs the seed's ten threads over one shared RLock; with time limits too, so a
// bug would fail a check instead of hanging the tour.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/threading/barrier.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/rlock.hpp"
#include "triad/threading/thread.hpp"

namespace {

using namespace std::chrono_literals;

// The seed-002 thread: func1 takes a then b; func2 takes b, sleeps, then a.
template <class LockA, class LockB>
class MyThread : public triad::Thread {
 public:
  MyThread(tour::Context& ctx, LockA& a, LockB& b, std::chrono::nanoseconds gap,
           std::chrono::nanoseconds limit, std::atomic<int>& timeouts)
      : ctx_(ctx), a_(a), b_(b), gap_(gap), limit_(limit), timeouts_(timeouts) {}

 protected:
  void run() override {
    func1();
    func2();
  }

 private:
  bool take(auto& lock, const char* what) {
    if (lock.acquire(true, limit_)) {
      ctx_.say("用户" + name() + "抢到锁" + what);
      return true;
    }
    ++timeouts_;
    ctx_.say("用户" + name() + " timed out waiting for 锁" + what);
    return false;
  }
  void func1() {
    if (!take(a_, "a")) return;
    if (take(b_, "b")) b_.release();
    a_.release();
  }
  void func2() {
    if (!take(b_, "b")) return;
    std::this_thread::sleep_for(gap_);  // ok-sleep: the seed's time.sleep between the locks
    if (take(a_, "a")) a_.release();
    b_.release();
  }

  tour::Context& ctx_;
  LockA& a_;
  LockB& b_;
  std::chrono::nanoseconds gap_;
  std::chrono::nanoseconds limit_;
  std::atomic<int>& timeouts_;
};

}  // namespace

TOUR_SCENARIO(S20, "001, 002", "线程死锁 / 死锁现象 / 递归锁", "Deadlock, and the RLock that fixes it",
              "Two threads take two Locks in opposite order and each waits for the other (shown "
              "with acquire timeouts, so nothing hangs); ten threads over one RLock complete.") {
  // 1. The deadlock (seed 001's fork and plate).
  {
    triad::Lock locka;  // 叉子
    triad::Lock lockb;  // 盘子
    triad::Barrier both_hold_one(2);
    const auto limit = ctx.scaled(2s);
    bool got_second[2] = {false, false};
    auto diner = [&](int me, triad::Lock& first, triad::Lock& second, std::string first_name,
                     std::string second_name) {
      first.acquire();
      ctx.say(ctx.stamp() + " " + triad::current_thread().name() + " 抢到" + first_name + " 需要" +
              second_name);
      both_hold_one.wait(ctx.scaled(60s));
      got_second[me] = second.acquire(true, limit);
      ctx.say(ctx.stamp() + " " + triad::current_thread().name() +
              (got_second[me] ? " 吃饭" : " gave up waiting for " + second_name + ": deadlock"));
      if (got_second[me]) second.release();
      // Hold on to the first lock until the other thread has given up too: releasing it
      // earlier would let the other thread, still waiting, eat after all.
      both_hold_one.wait(ctx.scaled(60s));
      first.release();
    };
    triad::Thread t1(diner, 0, std::ref(locka), std::ref(lockb), std::string("叉子"), std::string("盘子"));
    triad::Thread t2(diner, 1, std::ref(lockb), std::ref(locka), std::string("盘子"), std::string("叉子"));
    t1.start();
    t2.start();
    t1.join();
    t2.join();
    ctx.check(!got_second[0] && !got_second[1],
              "deadlock: each thread holds one lock and waits in vain for the other's (both "
              "acquire(timeout=" + tour::format_seconds(limit) + ") calls return false)");
  }

  // 2. The fix (seed 002): mutex_a = mutex_b = RLock(), ten threads.
  {
    triad::RLock rlock;
    std::atomic<int> timeouts{0};
    const auto gap = ctx.scaled(100ms);
    const auto limit = ctx.scaled(60s);
    std::vector<std::unique_ptr<MyThread<triad::RLock, triad::RLock>>> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i)
      threads.push_back(std::make_unique<MyThread<triad::RLock, triad::RLock>>(ctx, rlock, rlock, gap,
                                                                              limit, timeouts));
    for (auto& t : threads) t->start();
    bool all_joined = true;
    for (auto& t : threads) {
      t->join(limit);
      all_joined = all_joined && !t->is_alive();
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    ctx.say("ten threads over one RLock finished in " + tour::format_seconds(took));
    ctx.check(all_joined && timeouts.load() == 0,
              "with one shared RLock all ten threads complete; no acquire ever times out");
  }
}
