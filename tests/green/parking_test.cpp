// The foundation primitives park a green thread (switch to the hub) instead of blocking its OS
// thread, wake-ups may come from any OS thread, and a timeout races an unpark safely.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "triad/futures/thread_pool_executor.hpp"
#include "triad/green/hub.hpp"
#include "triad/green/spawn.hpp"
#include "triad/queue/queue.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/condition.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/rlock.hpp"
#include "triad/threading/semaphore.hpp"
#include "triad/futures/future.hpp"
#include "triad/green/timeout.hpp"

namespace tg = triad::green;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 10;
#else
constexpr int kScale = 1;
#endif

TEST(GreenParking, EventWaitYieldsToOtherGreenThreads) {
  triad::Event ev;
  std::vector<std::string> log;
  auto waiter = tg::spawn([&] {
    log.push_back("wait");
    const bool ok = ev.wait();
    log.push_back(ok ? "woken" : "timeout");
  });
  auto setter = tg::spawn([&] {
    log.push_back("set");  // runs only because the waiter parked instead of blocking the thread
    ev.set();
  });
  tg::joinall({waiter, setter});
  EXPECT_EQ(log, (std::vector<std::string>{"wait", "set", "woken"}));
}

// gevent's RLock belongs to a greenlet: two green threads of one OS thread are two owners.
TEST(GreenParking, RLockIsOwnedByOneGreenThread) {
  triad::RLock rlock;
  triad::Event held;
  triad::Event release;
  std::vector<std::string> log;
  auto owner = tg::spawn([&] {
    rlock.acquire();
    rlock.acquire();  // recursive: the same green thread
    held.set();
    release.wait();
    rlock.release();
    log.push_back("owner released once");
    rlock.release();
  });
  auto other = tg::spawn([&] {
    held.wait();
    EXPECT_FALSE(rlock.acquire(false));  // another green thread: not the owner
    EXPECT_THROW(rlock.release(), triad::RuntimeError);
    release.set();
    rlock.acquire();  // parks until the owner's last release
    log.push_back("other acquired");
    rlock.release();
  });
  tg::joinall({owner, other});
  EXPECT_EQ(log, (std::vector<std::string>{"owner released once", "other acquired"}));
  // Outside the green threads the OS thread is its own owner again.
  EXPECT_TRUE(rlock.acquire(false));
  rlock.release();
}

TEST(GreenParking, LockContendedBetweenGreenThreads) {
  triad::Lock lock;
  int inside = 0;
  int max_inside = 0;
  std::vector<tg::BasicGreenlet> gs;
  for (int i = 0; i < 20; ++i) {
    gs.push_back(tg::spawn([&] {
      for (int k = 0; k < 5; ++k) {
        lock.acquire();
        ++inside;
        max_inside = std::max(max_inside, inside);
        tg::sleep();  // ok-sleep: a yield while holding the lock, so the others must park on it
        --inside;
        lock.release();
      }
    }));
  }
  tg::joinall(gs);
  EXPECT_EQ(max_inside, 1);
}

TEST(GreenParking, TimedWaitTimesOutThroughTheHub) {
  triad::Event ev;
  auto g = tg::spawn([&] { return ev.wait(20ms); });
  auto other = tg::spawn([] { return 1; });
  EXPECT_EQ(other.get(), 1);  // ran while g was parked
  EXPECT_EQ(g.get(), false);
}

TEST(GreenParking, WokenFromAnotherOsThread) {
  triad::Event ev;
  triad::Event started;
  auto g = tg::spawn([&] {
    started.set();
    return ev.wait(triad::seconds(30));
  });
  std::thread t([&] {
    started.wait();
    ev.set();
  });
  EXPECT_TRUE(g.get());
  t.join();
}

TEST(GreenParking, ThreadPoolFuturesWakeGreenThreads) {
  // Green threads wait on futures completed by ThreadPoolExecutor workers (other OS threads);
  // while they wait, the hub keeps running the other green threads.
  triad::ThreadPoolExecutor pool(2);
  std::vector<tg::Greenlet<int>> gs;
  int ticks = 0;
  for (int i = 0; i < 8; ++i) {
    gs.push_back(tg::spawn([&pool, i] {
      auto f = pool.submit([](int n) { return n * n; }, i);
      return f.result(triad::seconds(30));
    }));
  }
  auto ticker = tg::spawn([&] {
    for (int k = 0; k < 5; ++k) {
      ++ticks;
      tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
    }
  });
  for (int i = 0; i < 8; ++i) EXPECT_EQ(gs[static_cast<size_t>(i)].get(), i * i);
  ticker.join();
  EXPECT_EQ(ticks, 5);
}

TEST(GreenParking, QueueBetweenOsThreadAndGreenThreads) {
  triad::Queue<int> q;
  const int n = 2000 / kScale;
  std::vector<tg::BasicGreenlet> consumers;
  std::atomic<long> sum{0};
  for (int c = 0; c < 4; ++c) {
    consumers.push_back(tg::spawn([&] {
      for (;;) {
        const int v = q.get();
        if (v < 0) return;
        sum += v;
      }
    }));
  }
  std::thread producer([&] {
    for (int i = 1; i <= n; ++i) q.put(i);
    for (int c = 0; c < 4; ++c) q.put(-1);
  });
  tg::joinall(consumers);
  producer.join();
  EXPECT_EQ(sum.load(), static_cast<long>(n) * (n + 1) / 2);
}

TEST(GreenParking, TimeoutRacesCrossThreadUnpark) {
  // Many short timed waits whose set() from another thread lands near the deadline: every
  // wait must end exactly once, as woken or timed out, never hang or resume twice.
  const int rounds = 300 / kScale;
  int woken = 0;
  int timed_out = 0;
  for (int r = 0; r < rounds; ++r) {
    triad::Event ev;
    triad::Event go;
    auto g = tg::spawn([&] {
      go.set();
      return ev.wait(std::chrono::microseconds(200));
    });
    std::thread t([&] {
      go.wait();
      ev.set();
    });
    (g.get() ? woken : timed_out) += 1;
    t.join();
  }
  EXPECT_EQ(woken + timed_out, rounds);
}

TEST(GreenParking, MainGreenletParksThroughTheHubToo) {
  triad::Event ev;
  auto g = tg::spawn([&] { ev.set(); });
  EXPECT_TRUE(ev.wait(triad::seconds(30)));  // main parks: the hub runs g, which sets it
  EXPECT_TRUE(g.ready());
}

// kill() and Timeout reach a green thread parked inside a foundation primitive: the wait
// raises (GreenletExit ends the green thread successfully, TimeoutExpired is its exception),
// the primitive forgets the waiter, and the next waiter still gets the next wake-up.
enum class Interrupt { kill, timeout };

template <class Wait, class Wake>
void check_interrupted_wait(Interrupt how, Wait wait_call, Wake wake) {
  bool returned = false;
  auto g = tg::spawn([&] {
    if (how == Interrupt::timeout) {
      tg::Timeout t(triad::seconds(0.02));
      wait_call();
    } else {
      wait_call();
    }
    returned = true;
  });
  if (how == Interrupt::kill) {
    tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield: g runs until it parks
    ASSERT_FALSE(g.ready());
    g.kill();
  } else {
    g.join();
  }
  ASSERT_TRUE(g.ready());
  EXPECT_FALSE(returned) << "the wait returned instead of raising";
  if (how == Interrupt::kill) {
    EXPECT_TRUE(g.successful());
  } else {
    EXPECT_THROW(std::rethrow_exception(g.exception()), tg::TimeoutExpired);
  }
  // No lost wake-up: a later waiter gets the next set/release/put.
  bool second = false;
  auto g2 = tg::spawn([&] {
    wait_call();
    second = true;
  });
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield: g2 runs until it parks
  EXPECT_FALSE(second);
  wake();
  EXPECT_TRUE(g2.join(triad::seconds(30)));
  EXPECT_TRUE(second);
}

class GreenInterrupt : public testing::TestWithParam<Interrupt> {};

TEST_P(GreenInterrupt, EventWait) {
  triad::Event ev;
  check_interrupted_wait(GetParam(), [&] { ev.wait(); }, [&] { ev.set(); });
}

TEST_P(GreenInterrupt, LockAcquire) {
  triad::Lock lock;
  lock.acquire();  // held by main throughout; the green threads queue on it
  check_interrupted_wait(GetParam(), [&] { lock.acquire(); }, [&] { lock.release(); });
  EXPECT_TRUE(lock.locked());  // now held for the second waiter (which never released)
  lock.release();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST_P(GreenInterrupt, SemaphoreAcquire) {
  triad::Semaphore sem(0);
  check_interrupted_wait(GetParam(), [&] { sem.acquire(); }, [&] { sem.release(); });
  EXPECT_FALSE(sem.acquire(false));  // the one permit went to the second waiter
  sem.release();
  EXPECT_TRUE(sem.acquire(false));
}

TEST_P(GreenInterrupt, ConditionWaitReacquiresTheLock) {
  triad::Lock lock;
  triad::Condition cond(lock);
  bool owned_on_raise = false;
  check_interrupted_wait(
      GetParam(),
      [&] {
        cond.acquire();
        try {
          cond.wait();
        } catch (...) {
          owned_on_raise = lock.locked();
          cond.release();
          throw;
        }
        cond.release();
      },
      [&] {
        cond.acquire();
        cond.notify();
        cond.release();
      });
  EXPECT_TRUE(owned_on_raise);
  EXPECT_FALSE(lock.locked());
}

TEST_P(GreenInterrupt, QueueGet) {
  triad::Queue<int> q;
  int got = 0;
  check_interrupted_wait(GetParam(), [&] { got = q.get(); }, [&] { q.put(7); });
  EXPECT_EQ(got, 7);
  EXPECT_TRUE(q.empty());
}

TEST_P(GreenInterrupt, FutureResult) {
  triad::Promise<int> p;
  triad::Future<int> f = p.get_future();
  int got = 0;
  check_interrupted_wait(GetParam(), [&] { got = f.result(); }, [&] { p.set_result(5); });
  EXPECT_EQ(got, 5);
}

INSTANTIATE_TEST_SUITE_P(KillAndTimeout, GreenInterrupt,
                         testing::Values(Interrupt::kill, Interrupt::timeout),
                         [](const testing::TestParamInfo<Interrupt>& p) {
                           return std::string(p.param == Interrupt::kill ? "Kill" : "Timeout");
                         });

// A primitive's own timeout still reports a timeout (no interrupt pending).
TEST(GreenParking, PrimitiveTimeoutIsNotAnInterrupt) {
  triad::Event ev;
  auto g = tg::spawn([&] { return ev.wait(triad::seconds(0.01)); });
  EXPECT_FALSE(g.get());
}

}  // namespace
