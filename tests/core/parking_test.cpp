#include "triad/core/parking.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "triad/core/detail/spinlock.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(Parking, UnparkBeforeParkReturnsWokenAtOnce) {
  WaitNode node;
  node.context->unpark(node);
  EXPECT_EQ(node.context->park(node, Deadline::never()), ParkResult::woken);
}

TEST(Parking, ParkTimesOutAtDeadline) {
  WaitNode node;
  const auto start = Clock::now();
  EXPECT_EQ(node.context->park(node, Deadline::after(30ms)), ParkResult::timed_out);
  EXPECT_GE(Clock::now() - start, 30ms);
}

TEST(Parking, ExpiredDeadlineDoesNotWait) {
  WaitNode node;
  EXPECT_EQ(node.context->park(node, Deadline::after(-1s)), ParkResult::timed_out);
}

TEST(Parking, UnparkFromAnotherThreadWakes) {
  set_park_spin(0ns);  // force the futex path
  WaitNode node;
  int payload = 0;
  std::thread waker([&] {
    payload = 42;
    node.context->unpark(node);
  });
  EXPECT_EQ(node.context->park(node, Deadline::never()), ParkResult::woken);
  EXPECT_EQ(payload, 42);  // published by the unpark's release store
  waker.join();
  set_park_spin(20us);
}

TEST(Parking, ParkAndResolveTimesOutAndUnlinks) {
  detail::SpinLock lock;
  WaitList list;
  WaitNode node;
  list.push_back(node);
  EXPECT_FALSE(park_and_resolve(node, list, lock, Deadline::after(1ms)));
  EXPECT_TRUE(list.empty());
}

TEST(Parking, ParkAndResolveSeesHandOffRacingTheTimeout) {
  // Many short waits racing a waker: every hand-off the waker decides is observed by the
  // waiter as success, and every other wait is a clean timeout with the node unlinked.
  detail::SpinLock lock;
  WaitList list;
  std::atomic<int> handed{0};
  std::atomic<bool> stop{false};
  std::thread waker([&] {
    while (!stop.load()) {
      lock.lock();
      WaitNode* n = list.pop_front();
      lock.unlock();
      if (n) {
        handed.fetch_add(1);
        n->context->unpark(*n);
      }
    }
  });
  int got = 0;
  for (int i = 0; i < 2000; ++i) {
    WaitNode node;
    lock.lock();
    list.push_back(node);
    lock.unlock();
    if (park_and_resolve(node, list, lock, Deadline::after(std::chrono::microseconds(i % 50))))
      ++got;
  }
  stop.store(true);
  waker.join();
  EXPECT_EQ(got, handed.load());
  EXPECT_TRUE(list.empty());
}

TEST(Parking, WaitListIsFifoAndRemovesFromTheMiddle) {
  WaitList list;
  WaitNode a, b, c;
  list.push_back(a);
  list.push_back(b);
  list.push_back(c);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_TRUE(list.remove(b));
  EXPECT_FALSE(list.remove(b));
  EXPECT_EQ(list.pop_front(), &a);
  EXPECT_EQ(list.pop_front(), &c);
  EXPECT_EQ(list.pop_front(), nullptr);
}

TEST(Parking, ContextCanBeReplacedAndRestored) {
  struct Counting final : ParkingContext {
    int parks = 0;
    ParkResult park(WaitNode&, Deadline) override { ++parks; return ParkResult::woken; }
    void unpark(WaitNode&) noexcept override {}
  } counting;
  ParkingContext* prev = exchange_parking_context(&counting);
  EXPECT_EQ(prev, &thread_parking_context());
  {
    WaitNode node;
    EXPECT_EQ(node.context, &counting);
    node.context->park(node, Deadline::never());
  }
  EXPECT_EQ(counting.parks, 1);
  exchange_parking_context(nullptr);
  EXPECT_EQ(&current_parking_context(), &thread_parking_context());
}

}  // namespace
}  // namespace triad
