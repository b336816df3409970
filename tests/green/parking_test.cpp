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
#include "triad/threading/lock.hpp"

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

TEST(GreenParking, KillWhileParkedInPrimitive) {
  triad::Event ev;
  bool returned = false;
  auto g = tg::spawn([&] {
    ev.wait();  // interrupted: returns (as a timeout), the kill is raised at the next switch
    returned = true;
    tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
    ADD_FAILURE() << "kill not raised at the switch point";
  });
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  g.kill();
  EXPECT_TRUE(g.ready());
  EXPECT_TRUE(g.successful());
  EXPECT_TRUE(returned);
}

TEST(GreenParking, TimeoutScopeRaisesAfterPrimitiveWait) {
  triad::Event ev;
  auto g = tg::spawn([&] {
    tg::Timeout t(10ms);
    ev.wait();
  });
  g.join();
  EXPECT_THROW(std::rethrow_exception(g.exception()), tg::TimeoutExpired);
}

}  // namespace
