// Behaviour of CPython's lock_tests.BarrierTests, for triad::Barrier.
#include "triad/threading/barrier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "primitives_test_util.hpp"
#include "triad/core/error.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/lock.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kParties = 5;

TEST(Barrier, ZeroPartiesIsValueError) {
  try {
    Barrier b(0);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "parties must be >= 1");
  }
}

TEST(Barrier, Accessors) {
  Barrier b(3);
  EXPECT_EQ(b.parties(), 3U);
  EXPECT_EQ(b.n_waiting(), 0U);
  EXPECT_FALSE(b.broken());
}

TEST(Barrier, SinglePartyPassesAtOnce) {
  int actions = 0;
  Barrier b(1, [&] { ++actions; });
  EXPECT_EQ(b.wait(), 0U);
  EXPECT_EQ(b.wait(0s), 0U);  // completing the round needs no waiting
  EXPECT_EQ(actions, 2);
}

TEST(Barrier, SeveralRoundsReturnEveryIndexOnce) {
  // Python: test_barrier / test_wait_return, over several passes.
  Barrier b(kParties);
  const std::size_t passes = 4;
  Lock lock;
  std::vector<std::vector<std::size_t>> indices(passes);
  std::atomic<int> arrived_after{0};
  std::vector<std::atomic<int>> arrived(passes);
  {
    test::Bunch bunch(kParties, [&](std::size_t) {
      for (std::size_t p = 0; p < passes; ++p) {
        ++arrived[p];
        const std::size_t i = b.wait();
        // Everybody of this pass arrived before anybody left.
        if (arrived[p].load() != static_cast<int>(kParties)) ++arrived_after;
        std::scoped_lock guard(lock);
        indices[p].push_back(i);
      }
    });
  }
  EXPECT_EQ(arrived_after.load(), 0);
  for (auto& v : indices) {
    std::sort(v.begin(), v.end());
    EXPECT_EQ(v, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  }
  EXPECT_EQ(b.n_waiting(), 0U);
  EXPECT_FALSE(b.broken());
}

TEST(Barrier, ActionRunsOnceInTheLastArrival) {
  std::atomic<int> runs{0};
  std::thread::id action_thread;
  Barrier b(kParties, [&] {
    ++runs;
    action_thread = std::this_thread::get_id();
  });
  std::thread::id last_thread;
  std::mutex m;
  {
    test::Bunch bunch(kParties, [&](std::size_t) {
      if (b.wait() == kParties - 1) {
        std::scoped_lock guard(m);
        last_thread = std::this_thread::get_id();
      }
    });
  }
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(action_thread, last_thread);
}

TEST(Barrier, ActionExceptionBreaksTheBarrierAndReachesItsThread) {
  // Python: test_action_exception.
  Barrier b(kParties, [] { throw std::runtime_error("action failed"); });
  std::atomic<int> action_errors{0};
  std::atomic<int> broken_errors{0};
  {
    test::Bunch bunch(kParties, [&](std::size_t) {
      try {
        b.wait();
      } catch (const BrokenBarrierError&) {
        ++broken_errors;
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "action failed") ++action_errors;
      }
    });
  }
  EXPECT_EQ(action_errors.load(), 1);
  EXPECT_EQ(broken_errors.load(), static_cast<int>(kParties) - 1);
  EXPECT_TRUE(b.broken());
  EXPECT_THROW(b.wait(), BrokenBarrierError);
}

TEST(Barrier, AbortBreaksWaitersAndLaterWaits) {
  // Python: test_abort.
  Barrier b(kParties);
  std::atomic<int> broken_errors{0};
  {
    test::Bunch bunch(kParties - 1, [&](std::size_t) {
      try {
        b.wait();
      } catch (const BrokenBarrierError&) {
        ++broken_errors;
      }
    });
    test::eventually([&] { return b.n_waiting() == kParties - 1; });
    b.abort();
  }
  EXPECT_EQ(broken_errors.load(), static_cast<int>(kParties) - 1);
  EXPECT_TRUE(b.broken());
  EXPECT_EQ(b.n_waiting(), 0U);
  EXPECT_THROW(b.wait(), BrokenBarrierError);
  EXPECT_THROW(b.wait(0s), BrokenBarrierError);
}

TEST(Barrier, ResetBreaksCurrentWaitersAndIsUsableAfter) {
  // Python: test_reset.
  Barrier b(3);
  std::atomic<int> broken_errors{0};
  {
    test::Bunch bunch(2, [&](std::size_t) {
      try {
        b.wait();
      } catch (const BrokenBarrierError&) {
        ++broken_errors;
      }
    });
    test::eventually([&] { return b.n_waiting() == 2; });
    b.reset();
  }
  EXPECT_EQ(broken_errors.load(), 2);
  EXPECT_FALSE(b.broken());
  EXPECT_EQ(b.n_waiting(), 0U);
  // A full round works after the reset.
  std::atomic<int> passed{0};
  {
    test::Bunch bunch(3, [&](std::size_t) {
      b.wait();
      ++passed;
    });
  }
  EXPECT_EQ(passed.load(), 3);
}

TEST(Barrier, AbortThenResetRestoresIt) {
  // Python: test_abort_and_reset (in outline).
  Barrier b(2);
  b.abort();
  EXPECT_THROW(b.wait(), BrokenBarrierError);
  b.reset();
  EXPECT_FALSE(b.broken());
  std::size_t other = 99;
  std::thread t([&] { other = b.wait(); });
  const std::size_t mine = b.wait();
  t.join();
  EXPECT_EQ(mine + other, 1U);  // indices 0 and 1
}

TEST(Barrier, ResetByOnePartyThenEveryonePassesAgain) {
  // Python: test_reset, step by step: the party with the middle index resets the barrier
  // once all the others wait in the second round; they get BrokenBarrierError, and then all
  // parties pass a third round together.
  Barrier b(kParties);
  std::atomic<int> passed_second{0};
  std::atomic<int> broken_second{0};
  std::atomic<int> passed_third{0};
  {
    test::Bunch bunch(kParties, [&](std::size_t) {
      if (b.wait() == kParties / 2) {
        test::eventually([&] { return b.n_waiting() == kParties - 1; });
        b.reset();
      } else {
        try {
          b.wait();
          ++passed_second;
        } catch (const BrokenBarrierError&) {
          ++broken_second;
        }
      }
      b.wait();
      ++passed_third;
    });
  }
  EXPECT_EQ(passed_second.load(), 0);
  EXPECT_EQ(broken_second.load(), static_cast<int>(kParties) - 1);
  EXPECT_EQ(passed_third.load(), static_cast<int>(kParties));
}

TEST(Barrier, AbortByOnePartyThenResetAndPassAgain) {
  // Python: test_abort_and_reset.
  Barrier b(kParties);
  Barrier sync(kParties);
  std::atomic<int> passed{0};
  std::atomic<int> broken_errors{0};
  std::atomic<int> passed_after_reset{0};
  {
    test::Bunch bunch(kParties, [&](std::size_t) {
      try {
        if (b.wait() == kParties / 2) throw std::logic_error("this party gives up");
        b.wait();
        ++passed;
      } catch (const BrokenBarrierError&) {
        ++broken_errors;
      } catch (const std::logic_error&) {
        b.abort();
      }
      // Everyone has left b before the reset, and nobody enters it before the reset.
      if (sync.wait() == kParties / 2) b.reset();
      sync.wait();
      b.wait();
      ++passed_after_reset;
    });
  }
  EXPECT_EQ(passed.load(), 0);
  EXPECT_EQ(broken_errors.load(), static_cast<int>(kParties) - 1);
  EXPECT_EQ(passed_after_reset.load(), static_cast<int>(kParties));
}

TEST(Barrier, TimeoutBreaksTheBarrierForEveryone) {
  // Python: test_timeout.
  Barrier b(3);
  std::atomic<int> broken_errors{0};
  std::thread patient([&] {
    try {
      b.wait();
    } catch (const BrokenBarrierError&) {
      ++broken_errors;
    }
  });
  test::eventually([&] { return b.n_waiting() == 1; });
  const auto start = Clock::now();
  EXPECT_THROW(b.wait(50ms), BrokenBarrierError);
  test::expect_waited(Clock::now() - start, 50ms);
  patient.join();
  EXPECT_EQ(broken_errors.load(), 1);
  EXPECT_TRUE(b.broken());
}

TEST(Barrier, DefaultTimeout) {
  // Python: test_default_timeout.
  Barrier b(2, {}, 40ms);
  const auto start = Clock::now();
  EXPECT_THROW(b.wait(), BrokenBarrierError);
  test::expect_waited(Clock::now() - start, 40ms);
  EXPECT_TRUE(b.broken());
}

TEST(Barrier, ZeroTimeoutBreaksAtOnceUnlessItCompletesTheRound) {
  Barrier b(2);
  EXPECT_THROW(b.wait(0s), BrokenBarrierError);
  EXPECT_TRUE(b.broken());
  b.reset();
  std::thread t([&] { EXPECT_EQ(b.wait(), 0U); });
  test::eventually([&] { return b.n_waiting() == 1; });
  EXPECT_EQ(b.wait(-1s), 1U);  // the last arrival does not wait
  t.join();
}

TEST(Barrier, ArrivalsDuringTheActionMakeUpTheNextRound) {
  Event in_action;
  Event finish_action;
  int runs = 0;
  Barrier b(2, [&] {
    if (++runs == 1) {
      in_action.set();
      finish_action.wait();
    }
  });
  std::size_t a = 99;
  std::size_t c = 99;
  std::size_t d = 99;
  std::thread ta([&] { a = b.wait(); });
  test::eventually([&] { return b.n_waiting() == 1; });
  std::thread tb([&] { b.wait(); });  // completes round 1 and runs the action
  in_action.wait();
  EXPECT_EQ(b.n_waiting(), 0U);           // the round is complete
  std::thread tc([&] { c = b.wait(); });  // must join round 2, not round 1
  finish_action.set();
  ta.join();
  tb.join();
  EXPECT_EQ(a, 0U);
  std::thread td([&] { d = b.wait(); });
  tc.join();
  td.join();
  EXPECT_EQ(c + d, 1U);  // indices 0 and 1 of round 2
  EXPECT_EQ(runs, 2);
}

TEST(Barrier, TimeoutDuringTheActionDoesNotBreak) {
  // As in Python, a waiter whose timeout expires while the completed round's action runs
  // still passes: the round was complete before its deadline.
  std::atomic<Clock::rep> waiter_deadline{0};
  Barrier b(2, [&] {
    const Clock::time_point deadline{Clock::duration(waiter_deadline.load())};
    std::this_thread::sleep_until(deadline +
                                  100ms);  // ok-sleep: the action must outlast the waiter's timeout
  });
  std::size_t first = 99;
  bool first_broken = false;
  std::thread t([&] {
    waiter_deadline = (Clock::now() + 200ms).time_since_epoch().count();
    try {
      first = b.wait(200ms);
    } catch (const BrokenBarrierError&) {
      first_broken = true;
    }
  });
  test::eventually([&] { return b.n_waiting() == 1; });
  if (Clock::now() + 50ms > Clock::time_point{Clock::duration(waiter_deadline.load())}) {
    b.abort();
    t.join();
    GTEST_SKIP() << "the machine stalled: the waiter's timeout expired before the round completed";
  }
  EXPECT_EQ(b.wait(), 1U);
  t.join();
  EXPECT_FALSE(first_broken);
  EXPECT_EQ(first, 0U);
  EXPECT_FALSE(b.broken());
}

}  // namespace
}  // namespace triad
