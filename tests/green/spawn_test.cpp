// gevent's Greenlet API, ported from gevent's own tests (test__greenlet.py, test__joinall.py,
// test__sleep0.py, test__hub.py, test__timeout.py): spawn, join, kill, value, link, joinall,
// sleep, Timeout, would-block-forever.
#include "triad/green/spawn.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "triad/green/hub.hpp"
#include "triad/green/timeout.hpp"

namespace tg = triad::green;
using namespace std::chrono_literals;

namespace {

TEST(Spawn, ValueAfterJoin) {  // test__greenlet: test_value / S30
  auto g = tg::spawn([](int a, int b) { return a + b; }, 40, 2);
  EXPECT_FALSE(g.ready());
  EXPECT_FALSE(g.value().has_value());
  EXPECT_TRUE(g.join());
  EXPECT_TRUE(g.ready());
  EXPECT_TRUE(g.successful());
  EXPECT_EQ(g.value(), 42);
  EXPECT_EQ(g.exception(), nullptr);
  EXPECT_EQ(g.get(), 42);
}

TEST(Spawn, StartsInSpawnOrderWhenParentYields) {  // test__greenlet: start order
  std::vector<int> order;
  auto a = tg::spawn([&] { order.push_back(1); });
  auto b = tg::spawn([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());  // nothing runs until we yield
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_TRUE(a.ready());
  EXPECT_TRUE(b.ready());
}

TEST(Spawn, ExceptionIsStoredAndReraisedByGet) {  // test__greenlet: test_exception
  auto g = tg::spawn([]() -> int { throw std::runtime_error("bad"); });
  g.join();
  EXPECT_TRUE(g.ready());
  EXPECT_FALSE(g.successful());
  ASSERT_NE(g.exception(), nullptr);
  EXPECT_THROW(g.get(), std::runtime_error);
  EXPECT_FALSE(g.value().has_value());
}

TEST(Spawn, SleepsOverlapOnOneThread) {  // test__sleep / S03 shape
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<tg::BasicGreenlet> gs;
  for (double s : {0.05, 0.1, 0.15}) {
    gs.push_back(tg::spawn([s] { tg::sleep(triad::seconds(s)); }));  // ok-sleep: subject
  }
  EXPECT_EQ(tg::joinall(gs).size(), 3u);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(took, 0.15);
  EXPECT_LT(took, 0.28);  // serial would be 0.30; generous for a noisy VM
}

TEST(Spawn, SleepZeroRoundRobins) {  // test__sleep0
  std::vector<std::string> log;
  auto worker = [&](std::string name) {
    for (int i = 0; i < 3; ++i) {
      log.push_back(name + std::to_string(i));
      tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
    }
  };
  auto a = tg::spawn(worker, std::string("a"));
  auto b = tg::spawn(worker, std::string("b"));
  tg::joinall({a, b});
  EXPECT_EQ(log, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
}

TEST(Spawn, KillRaisesGreenletExitInside) {  // test__greenlet: test_kill
  bool unwound = false;
  bool after = false;
  auto g = tg::spawn([&] {
    struct Guard {
      bool& f;
      ~Guard() { f = true; }
    } guard{unwound};
    tg::sleep(triad::seconds(30));  // ok-sleep: killed long before it ends
    after = true;
  });
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  EXPECT_TRUE(static_cast<bool>(g));
  g.kill();
  EXPECT_TRUE(g.ready());
  EXPECT_TRUE(unwound);
  EXPECT_FALSE(after);
  EXPECT_TRUE(g.successful());  // GreenletExit counts as success
}

TEST(Spawn, KillWithCustomException) {  // test__greenlet: test_kill_with_exception
  auto g = tg::spawn([] { tg::sleep(triad::seconds(30)); });  // ok-sleep: killed
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  g.kill(std::make_exception_ptr(std::logic_error("stop")));
  EXPECT_TRUE(g.ready());
  EXPECT_FALSE(g.successful());
  EXPECT_THROW(std::rethrow_exception(g.exception()), std::logic_error);
}

TEST(Spawn, KillBeforeStartNeverRuns) {  // test__greenlet: test_kill_scheduled
  bool ran = false;
  auto g = tg::spawn([&] { ran = true; });
  g.kill();
  EXPECT_TRUE(g.ready());
  EXPECT_TRUE(g.successful());
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  EXPECT_FALSE(ran);
}

TEST(Spawn, KillNonBlockingThenJoin) {
  auto g = tg::spawn([] { tg::sleep(triad::seconds(30)); });  // ok-sleep: killed
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  g.kill(nullptr, /*block=*/false);
  EXPECT_FALSE(g.ready());
  EXPECT_TRUE(g.join(triad::seconds(5)));
}

TEST(Spawn, JoinTimeoutReturnsFalse) {  // test__greenlet: test_join_timeout
  auto g = tg::spawn([] { tg::sleep(triad::seconds(30)); });  // ok-sleep: never awaited
  EXPECT_FALSE(g.join(10ms));
  EXPECT_FALSE(g.ready());
  EXPECT_FALSE(g.join(0s));
  g.kill();
  EXPECT_TRUE(g.ready());
}

TEST(Spawn, LinkRunsInNewGreenlet) {  // test__greenlet: test_link
  std::vector<std::string> log;
  auto g = tg::spawn([] { return 5; });
  g.link([&](tg::BasicGreenlet src) {
    log.push_back("link " + std::string(src.successful() ? "ok" : "err"));
    log.push_back(tg::getcurrent().name() == src.name() ? "same" : "other");
  });
  g.link_exception([&](tg::BasicGreenlet) { log.push_back("exception link must not run"); });
  g.link_value([&](tg::BasicGreenlet) { log.push_back("value"); });
  g.join();
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  EXPECT_EQ(log, (std::vector<std::string>{"link ok", "other", "value"}));
}

TEST(Spawn, SpawnLaterWaits) {  // test__greenlet: spawn_later
  const auto t0 = std::chrono::steady_clock::now();
  auto g = tg::spawn_later(triad::seconds(0.05), [] { return std::chrono::steady_clock::now(); });
  EXPECT_FALSE(g.started());
  const auto ran = g.get();
  EXPECT_GE(ran - t0, 50ms);
}

TEST(Spawn, JoinallTimeoutReturnsFinishedOnes) {  // test__joinall
  auto fast = tg::spawn([] { return 1; });
  auto slow = tg::spawn([] { tg::sleep(triad::seconds(30)); });  // ok-sleep: killed
  auto done = tg::joinall({fast, slow}, 20ms);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0] == fast);
  slow.kill();
}

TEST(Spawn, JoinallRaiseError) {
  auto bad = tg::spawn([] { throw std::domain_error("x"); });
  auto good = tg::spawn([] { return 2; });
  EXPECT_THROW(tg::joinall({bad, good}, {}, true), std::domain_error);
}

TEST(Spawn, KillallKillsEveryone) {
  std::vector<tg::BasicGreenlet> gs;
  for (int i = 0; i < 10; ++i) gs.push_back(tg::spawn([] { tg::sleep(triad::seconds(30)); }));  // ok-sleep: killed
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  tg::killall(gs);
  for (auto& g : gs) EXPECT_TRUE(g.ready());
}

TEST(Spawn, ManyGreenlets) {
  std::vector<tg::BasicGreenlet> gs;
  std::atomic<int> sum{0};
  for (int i = 0; i < 3000; ++i) {
    gs.push_back(tg::spawn([&sum, i] {
      tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
      sum += i;
    }));
  }
  tg::joinall(gs);
  EXPECT_EQ(sum.load(), 2999 * 3000 / 2);
}

TEST(Spawn, JoinFromAnotherOsThread) {
  auto g = tg::spawn([] {
    tg::sleep(triad::seconds(0.02));  // ok-sleep: keeps it alive while the other thread waits
    return 7;
  });
  std::atomic<bool> ok{false};
  std::thread t([&] { ok = g.join(triad::seconds(30)) && g.value() == 7; });
  g.join();
  t.join();
  EXPECT_TRUE(ok.load());
}

TEST(Timeout, RaisesInsideSleep) {  // test__timeout
  auto g = tg::spawn([]() -> std::string {
    tg::Timeout t(20ms);
    try {
      tg::sleep(triad::seconds(30));  // ok-sleep: interrupted by the Timeout
    } catch (const tg::TimeoutExpired& e) {
      return t.is_mine(e) ? std::string("mine: ") + e.what() : "other";
    }
    return "no timeout";
  });
  EXPECT_EQ(g.get(), "mine: 0.02 seconds");
}

TEST(Timeout, CancelledTimeoutDoesNothing) {
  auto g = tg::spawn([] {
    {
      tg::Timeout t(10ms);
      EXPECT_TRUE(t.pending());
      t.cancel();
      EXPECT_FALSE(t.pending());
    }
    tg::sleep(triad::seconds(0.03));  // ok-sleep: past the cancelled deadline
    return 1;
  });
  EXPECT_EQ(g.get(), 1);
}

TEST(Timeout, CustomException) {
  auto g = tg::spawn([] {
    tg::Timeout t(5ms, std::make_exception_ptr(std::overflow_error("too slow")));
    tg::sleep(triad::seconds(30));  // ok-sleep: interrupted
  });
  g.join();
  EXPECT_THROW(std::rethrow_exception(g.exception()), std::overflow_error);
}

TEST(Timeout, InterruptsJoin) {
  auto slow = tg::spawn([] { tg::sleep(triad::seconds(30)); });  // ok-sleep: killed
  auto g = tg::spawn([&] {
    tg::Timeout t(10ms);
    slow.join();
  });
  g.join();
  EXPECT_FALSE(g.successful());
  EXPECT_THROW(std::rethrow_exception(g.exception()), tg::TimeoutExpired);
  slow.kill();
}

TEST(Timeout, WithTimeout) {
  EXPECT_THROW(tg::with_timeout(5ms, [] { tg::sleep(triad::seconds(30)); }), tg::TimeoutExpired);  // ok-sleep
  EXPECT_EQ(tg::with_timeout(triad::seconds(30), [] { return 3; }), 3);
}

// test__hub: LoopExit. Run in a fresh single-threaded process (a death test re-executes the
// binary), so that no other OS thread exists that could ever wake the waiter.
TEST(HubDeathTest, WouldBlockForeverRaisesLoopExitInMain) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto g = tg::spawn([] { tg::sleep(triad::forever); });  // ok-sleep: the subject
        try {
          g.join();
        } catch (const tg::LoopExit& e) {
          std::fprintf(stderr, "LoopExit: %s\n", e.what());
          std::_Exit(3);
        }
        std::_Exit(0);
      },
      testing::ExitedWithCode(3), "LoopExit: This operation would block forever");
}

TEST(HubDeathTest, TimersKeepTheLoopAlive) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto g = tg::spawn([] { tg::sleep(triad::seconds(0.01)); });  // ok-sleep: subject
        g.join();
        std::_Exit(g.ready() ? 4 : 5);
      },
      testing::ExitedWithCode(4), "");
}

TEST(Hub, SleepFromHublessThreadCreatesHub) {
  std::thread t([] {
    EXPECT_EQ(tg::Hub::current_if_exists(), nullptr);
    tg::sleep(1ms);  // ok-sleep: the subject
    EXPECT_NE(tg::Hub::current_if_exists(), nullptr);
  });
  t.join();
}

}  // namespace
