// Behaviour of triad::Timer, ported from the Timer parts of CPython's test_threading
// (runs once after the interval, cancel, start twice) plus triad's shared-timer-thread rules.
#include "triad/threading/timer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "thread_test_support.hpp"
#include "triad/threading/excepthook.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;


TEST(Timer, RunsOnceAfterTheInterval) {
  std::atomic<int> calls{0};
  Clock::time_point fired{};
  Timer t(
      50ms,
      [&](int add) {
        fired = Clock::now();
        calls += add;
      },
      1);
  EXPECT_FALSE(t.is_alive());
  const auto begin = Clock::now();
  t.start();
  EXPECT_TRUE(t.is_alive());
  EXPECT_TRUE(t.join(60s));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_GE(fired - begin, 50ms);  // never early
  EXPECT_LT(fired - begin, 30s);   // generous: noisy shared VM
  EXPECT_FALSE(t.is_alive());
  EXPECT_TRUE(t.finished());
}

TEST(Timer, CancelBeforeFireNeverRuns) {
  std::atomic<int> calls{0};
  Timer t(kLongDaemon, std::chrono::hours(1), [&] { ++calls; });
  t.start();
  EXPECT_FALSE(t.finished());
  t.cancel();
  EXPECT_TRUE(t.finished());
  EXPECT_TRUE(t.join(0s));  // cancel ends it at once
  EXPECT_FALSE(t.is_alive());
  EXPECT_EQ(calls.load(), 0);
}

TEST(Timer, CancelDestroysTheCallableOnTheCaller) {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  Timer t(
      kLongDaemon, std::chrono::hours(1), [](std::shared_ptr<int>) {}, std::move(token));
  t.start();
  EXPECT_FALSE(watch.expired());
  t.cancel();
  EXPECT_TRUE(watch.expired());
}

TEST(Timer, CancelBeforeStartThenStartEndsWithoutRunning) {
  std::atomic<int> calls{0};
  Timer t(0s, [&] { ++calls; });
  t.cancel();
  t.start();
  EXPECT_TRUE(t.join(0s));
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(expect_runtime_error([&] { t.start(); }), "threads can only be started once");
}

TEST(Timer, CancelAfterRunIsANoOp) {
  std::atomic<int> calls{0};
  Timer t(0s, [&] { ++calls; });
  t.start();
  t.join();
  t.cancel();
  t.cancel();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(t.finished());
}

TEST(Timer, CancelWhileRunningDoesNotStopIt) {
  Gate entered, release;
  std::atomic<bool> completed{false};
  Timer t(0s, [&] {
    entered.release();
    release.wait();
    completed = true;
  });
  t.start();
  entered.wait();
  t.cancel();  // too late: the callback is running
  EXPECT_TRUE(t.is_alive());
  EXPECT_FALSE(t.join(0s));
  release.release();
  EXPECT_TRUE(t.join());
  EXPECT_TRUE(completed.load());
}

TEST(Timer, StartTwiceAndJoinBeforeStartRaise) {
  Timer t(0s, [] {});
  EXPECT_EQ(expect_runtime_error([&] { t.join(); }), "cannot join thread before it is started");
  t.start();
  EXPECT_EQ(expect_runtime_error([&] { t.start(); }), "threads can only be started once");
  t.join();
}

TEST(Timer, NaNIntervalIsAValueError) {
  EXPECT_THROW(Timer(seconds(std::nan("")), [] {}), ValueError);
}

TEST(Timer, NamesDaemonAndInterval) {
  Timer t(250ms, [] {});
  EXPECT_EQ(t.name().rfind("Thread-", 0), 0u);
  EXPECT_FALSE(t.daemon());  // inherited from the main thread
  EXPECT_EQ(t.interval(), 250ms);
  t.set_name("tick");
  EXPECT_EQ(t.name(), "tick");
  Timer d(ThreadOptions{.name = "bg", .daemon = true}, 1s, [] {});
  EXPECT_EQ(d.name(), "bg");
  EXPECT_TRUE(d.daemon());
  d.start();
  EXPECT_EQ(expect_runtime_error([&] { d.set_daemon(false); }),
            "cannot set daemon status of active thread");
  d.cancel();
}

TEST(Timer, FiresInDeadlineOrderOnOneSharedThread) {
  std::mutex m;
  std::vector<int> order;
  std::vector<std::uint64_t> idents;
  auto record = [&](int i) {
    std::lock_guard g(m);
    order.push_back(i);
    idents.push_back(get_ident());
  };
  // Started in reverse deadline order.
  Timer c(300ms, record, 3);
  Timer b(200ms, record, 2);
  Timer a(100ms, record, 1);
  Timer z(100ms, record, 4);  // same interval as `a`, started later: fires after it
  c.start();
  b.start();
  a.start();
  z.start();
  c.join();
  b.join();
  a.join();
  z.join();
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0], 1);
  EXPECT_EQ(order[1], 4);
  EXPECT_EQ(order[2], 2);
  EXPECT_EQ(order[3], 3);
  for (auto id : idents) {
    EXPECT_EQ(id, idents[0]);  // one timer thread for all
    EXPECT_NE(id, get_ident());
  }
}

TEST(Timer, CallbackSeesTheTimerThreadAndInheritsItsDaemonFlag) {
  std::string name;
  bool listed = true;
  int child_daemon = -1;
  Timer t(ThreadOptions{.daemon = false}, 0s, [&] {
    name = current_thread().name();
    listed = false;
    for (const auto& h : enumerate()) {
      if (h == current_thread()) listed = true;
    }
    Thread child([] {});
    child_daemon = child.daemon() ? 1 : 0;
  });
  t.start();
  t.join();
  EXPECT_EQ(name, "triad-timer");
  EXPECT_FALSE(listed);
  EXPECT_EQ(child_daemon, 0);
}

TEST(Timer, JoinFromCallbackRaisesInsteadOfDeadlocking) {
  Timer later(kLongDaemon, std::chrono::hours(1), [] {});
  later.start();
  std::string other, self;
  std::unique_ptr<Timer> me;
  Gate ready;
  me = std::make_unique<Timer>(0s, [&] {
    ready.wait();
    other = expect_runtime_error([&] { later.join(1ms); });
    self = expect_runtime_error([&] { me->join(); });
  });
  me->start();
  ready.release();
  me->join();
  later.cancel();
  EXPECT_EQ(other, "cannot join a timer from a timer callback");
  EXPECT_EQ(self, "cannot join current thread");
}

TEST(Timer, ExceptionGoesToExcepthookWithTimerName) {
  std::string name, type;
  bool has_thread = true;
  set_excepthook([&](const ExceptHookArgs& a) {
    name = a.thread_name;
    type = a.exc_type;
    has_thread = a.thread.has_value();
  });
  Timer t(ThreadOptions{.name = "bad-timer"}, 0s, [] { throw ValueError("x"); });
  t.start();
  t.join();
  set_excepthook({});
  EXPECT_EQ(name, "bad-timer");
  EXPECT_EQ(type, "triad::ValueError");
  EXPECT_FALSE(has_thread);
  // The timer thread survives: later timers still fire.
  std::atomic<bool> ran{false};
  Timer next(0s, [&] { ran = true; });
  next.start();
  next.join();
  EXPECT_TRUE(ran.load());
}

TEST(Timer, DestroyingAStartedTimerDoesNotCancelIt) {
  auto fired = std::make_shared<std::latch>(1);
  {
    Timer t(10ms, [fired] { fired->count_down(); });
    t.start();
  }
  fired->wait();  // fire-and-forget, as Timer(5, f).start() in Python
}

TEST(Timer, CallbacksMayStartAndCancelTimers) {
  std::atomic<int> calls{0};
  auto inner = std::make_shared<std::unique_ptr<Timer>>();
  auto doomed = std::make_shared<Timer>(kLongDaemon, std::chrono::hours(1), [&] { ++calls; });
  doomed->start();
  Timer outer(0s, [&, inner, doomed] {
    *inner = std::make_unique<Timer>(0s, [&] { ++calls; });
    (*inner)->start();
    doomed->cancel();
  });
  outer.start();
  outer.join();
  (*inner)->join();
  EXPECT_TRUE(doomed->join(0s));
  EXPECT_EQ(calls.load(), 1);
}

TEST(Timer, ManyTimersAllFireExactlyOnce) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kTimers = 200;
#else
  constexpr int kTimers = 2000;
#endif
  std::vector<std::atomic<int>> hits(kTimers);
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < kTimers; ++i) {
    timers.push_back(std::make_unique<Timer>(std::chrono::microseconds((i * 37) % 5000),
                                             [&hits, i] { ++hits[static_cast<size_t>(i)]; }));
  }
  // Cancel every third one concurrently with firing.
  for (auto& t : timers) t->start();
  for (int i = 0; i < kTimers; i += 3) timers[static_cast<size_t>(i)]->cancel();
  for (auto& t : timers) EXPECT_TRUE(t->join(60s));
  for (int i = 0; i < kTimers; ++i) {
    EXPECT_LE(hits[static_cast<size_t>(i)].load(), 1) << i;
    if (i % 3 != 0) {
      EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
    }
  }
}

TEST(Timer, ConcurrentStartAndCancelFromManyThreads) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kPer = 50;
#else
  constexpr int kPer = 500;
#endif
  std::atomic<int> fired{0};
  std::vector<std::unique_ptr<Thread>> threads;
  for (int k = 0; k < 4; ++k) {
    threads.push_back(std::make_unique<Thread>([&] {
      for (int i = 0; i < kPer; ++i) {
        Timer t(kLongDaemon, i % 2 ? seconds(0) : seconds(3600), [&] { ++fired; });
        t.start();
        if (i % 2 == 0) t.cancel();
        t.join();
      }
    }));
    threads.back()->start();
  }
  for (auto& t : threads) t->join();
  EXPECT_EQ(fired.load(), 4 * kPer / 2);
}

TEST(Timer, PendingTimerJoinTimesOut) {
  Timer t(kLongDaemon, std::chrono::hours(1), [] {});
  t.start();
  const auto begin = Clock::now();
  EXPECT_FALSE(t.join(30ms));
  EXPECT_GE(Clock::now() - begin, 30ms);
  EXPECT_TRUE(t.is_alive());
  t.cancel();
  EXPECT_TRUE(t.join());
}

}  // namespace
}  // namespace triad
