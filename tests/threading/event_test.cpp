// Behaviour of CPython's lock_tests.EventTests, for triad::Event.
#include "triad/threading/event.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "primitives_test_util.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(Event, IsSetSetClear) {
  Event e;
  EXPECT_FALSE(e.is_set());
  e.set();
  EXPECT_TRUE(e.is_set());
  e.set();
  EXPECT_TRUE(e.is_set());
  e.clear();
  EXPECT_FALSE(e.is_set());
  e.clear();
  EXPECT_FALSE(e.is_set());
}

TEST(Event, WaitOnSetEventReturnsAtOnce) {
  Event e;
  e.set();
  EXPECT_TRUE(e.wait());
  EXPECT_TRUE(e.wait(0s));
  EXPECT_TRUE(e.wait(-1s));
}

TEST(Event, ZeroAndNegativeTimeoutsDoNotWait) {
  Event e;
  EXPECT_FALSE(e.wait(0s));
  EXPECT_FALSE(e.wait(-1s));
}

TEST(Event, WaitTimesOut) {
  // Python: test_timeout — wait returns False after the timeout.
  Event e;
  const auto start = Clock::now();
  EXPECT_FALSE(e.wait(50ms));
  test::expect_waited(Clock::now() - start, 50ms);
  EXPECT_FALSE(e.wait(triad::seconds(0.01)));
}

TEST(Event, SetWakesAllWaiters) {
  // Python: test_notify — every waiter wakes and returns True.
  Event e;
  std::atomic<int> woke{0};
  std::atomic<int> entered{0};
  {
    test::Bunch bunch(5, [&](std::size_t i) {
      ++entered;
      bool r = (i % 2 == 0) ? e.wait() : e.wait(60s);
      if (r) ++woke;
    });
    test::eventually([&] { return entered.load() == 5; });
    e.set();
  }
  EXPECT_EQ(woke.load(), 5);
}

TEST(Event, ClearAfterSetMakesWaitersBlockAgain) {
  Event e;
  e.set();
  e.clear();
  EXPECT_FALSE(e.wait(10ms));
  std::atomic<bool> done{false};
  std::thread t([&] {
    EXPECT_TRUE(e.wait(60s));
    done = true;
  });
  e.set();
  t.join();
  EXPECT_TRUE(done);
}

TEST(Event, SetPublishesWrites) {
  Event e;
  int payload = 0;
  std::thread t([&] {
    payload = 7;
    e.set();
  });
  EXPECT_TRUE(e.wait());
  EXPECT_EQ(payload, 7);
  t.join();
}

TEST(Event, SetAndClearRacingWaitsNeverHang) {
  // Python: test_set_and_clear — waiters racing a set/clear pair all return.
  Event e;
  const std::size_t rounds = test::scaled(50);
  for (std::size_t r = 0; r < rounds; ++r) {
    std::atomic<int> results{0};
    {
      test::Bunch bunch(3, [&](std::size_t) {
        e.wait(5ms);  // true or false, but it returns
        ++results;
      });
      e.set();
      e.clear();
    }
    EXPECT_EQ(results.load(), 3);
  }
}

TEST(Event, PingPong) {
  Event ping;
  Event pong;
  const std::size_t rounds = test::scaled(2000);
  std::thread t([&] {
    for (std::size_t i = 0; i < rounds; ++i) {
      ping.wait();
      ping.clear();
      pong.set();
    }
  });
  for (std::size_t i = 0; i < rounds; ++i) {
    ping.set();
    pong.wait();
    pong.clear();
  }
  t.join();
  EXPECT_FALSE(ping.is_set());
}

}  // namespace
}  // namespace triad
