// Behaviour shared by Queue, LifoQueue and PriorityQueue (CPython test_queue's
// BaseQueueTestMixin, task_done/join and the 3.13 shutdown tests), run for all three.
#include "triad/queue/basic_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "triad/queue/lifo_queue.hpp"
#include "triad/queue/priority_queue.hpp"
#include "triad/queue/queue.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;
using queue_test::CountingContext;
using queue_test::eventually;
using queue_test::kPrompt;
using queue_test::ScopedContext;

template <class Q>
class QueueKinds : public ::testing::Test {};

struct FifoKind {
  template <class T>
  using type = Queue<T>;
  static std::vector<int> expected_order() { return {111, 333, 222}; }
};
struct LifoKind {
  template <class T>
  using type = LifoQueue<T>;
  static std::vector<int> expected_order() { return {222, 333, 111}; }
};
struct PriorityKind {
  template <class T>
  using type = PriorityQueue<T>;
  static std::vector<int> expected_order() { return {111, 222, 333}; }
};
using Kinds = ::testing::Types<FifoKind, LifoKind, PriorityKind>;
TYPED_TEST_SUITE(QueueKinds, Kinds);

template <class Kind, class T = int>
using Q = typename Kind::template type<T>;

// Runs fn on a thread whose parks are counted; waits until it has parked (is blocked).
class BlockedCall {
 public:
  template <class Fn>
  explicit BlockedCall(Fn fn)
      : thread_([this, fn = std::move(fn)]() mutable {
          ScopedContext scope(ctx_);
          try {
            fn();
          } catch (...) {
            error_ = std::current_exception();
          }
          done_ = true;
        }) {}
  BlockedCall(const BlockedCall&) = delete;
  BlockedCall& operator=(const BlockedCall&) = delete;
  ~BlockedCall() {
    if (thread_.joinable()) thread_.join();
  }
  // True once the call is parked (or finished).
  bool parked() {
    return eventually([&] { return ctx_.parks.load() > 0 || done_.load(); });
  }
  bool finished() const { return done_.load(); }
  // Joins; rethrows what the call threw.
  void join() {
    thread_.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  CountingContext ctx_;
  std::atomic<bool> done_{false};
  std::exception_ptr error_;
  std::thread thread_;
};

TYPED_TEST(QueueKinds, SimpleQueueTest) {
  // CPython's simple_queue_test: order, sizes, Full/Empty, blocking put/get unblocked.
  Q<TypeParam> q(3);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_FALSE(q.full());
  EXPECT_EQ(q.maxsize(), 3u);
  q.put(111);
  q.put(333);
  q.put(222);
  std::vector<int> got;
  for (int i = 0; i < 3; ++i) got.push_back(q.get());
  EXPECT_EQ(got, TypeParam::expected_order());
  EXPECT_TRUE(q.empty());

  q.put(100);
  EXPECT_FALSE(q.empty());
  EXPECT_EQ(q.qsize(), 1u);
  q.put(99);
  EXPECT_FALSE(q.full());
  q.put(101);
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.qsize(), 3u);
  EXPECT_THROW(q.put(5, false), Full);
  EXPECT_THROW(q.put_nowait(5), Full);
  EXPECT_THROW(q.put(5, true, 10ms), Full);
  EXPECT_THROW(q.put(5, 10ms), Full);
  EXPECT_EQ(q.qsize(), 3u);

  // A blocking put waits until a get makes room.
  BlockedCall putter([&] { q.put(50); });
  ASSERT_TRUE(putter.parked());
  EXPECT_FALSE(putter.finished());
  (void)q.get();
  putter.join();
  EXPECT_EQ(q.qsize(), 3u);
  for (int i = 0; i < 3; ++i) (void)q.get();
  EXPECT_TRUE(q.empty());
  EXPECT_THROW((void)q.get(false), Empty);
  EXPECT_THROW((void)q.get_nowait(), Empty);
  EXPECT_THROW((void)q.get(true, 10ms), Empty);
  EXPECT_THROW((void)q.get(10ms), Empty);

  // A blocking get waits until a put.
  int value = 0;
  BlockedCall getter([&] { value = q.get(); });
  ASSERT_TRUE(getter.parked());
  q.put(7);
  getter.join();
  EXPECT_EQ(value, 7);
  EXPECT_EQ(q.unfinished_tasks(), 8u);
}

TYPED_TEST(QueueKinds, UnboundedNeverFull) {
  Q<TypeParam> q;
  EXPECT_EQ(q.maxsize(), 0u);
  for (int i = 0; i < 10000; ++i) q.put_nowait(i);
  EXPECT_FALSE(q.full());
  EXPECT_EQ(q.qsize(), 10000u);
}

TYPED_TEST(QueueKinds, TimedGetTimesOutAfterTheTimeout) {
  Q<TypeParam> q;
  const auto start = Clock::now();
  EXPECT_THROW((void)q.get(true, 50ms), Empty);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, kPrompt);
}

TYPED_TEST(QueueKinds, TimedPutTimesOutAfterTheTimeout) {
  Q<TypeParam> q(1);
  q.put(1);
  const auto start = Clock::now();
  EXPECT_THROW(q.put(2, triad::seconds(0.05)), Full);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, kPrompt);
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.unfinished_tasks(), 1u);
}

TYPED_TEST(QueueKinds, ZeroAndNegativeTimeoutsDoNotWait) {
  // Python raises ValueError for a negative timeout; triad treats it as "don't wait".
  Q<TypeParam> q(1);
  EXPECT_THROW((void)q.get(true, 0s), Empty);
  EXPECT_THROW((void)q.get(true, -1s), Empty);
  q.put(1);
  EXPECT_THROW(q.put(2, true, 0s), Full);
  EXPECT_THROW(q.put(2, true, -1s), Full);
}

TYPED_TEST(QueueKinds, BlockFalseIgnoresTimeout) {
  Q<TypeParam> q(1);
  const auto start = Clock::now();
  EXPECT_THROW((void)q.get(false, 10s), Empty);
  q.put(1);
  EXPECT_THROW(q.put(2, false, 10s), Full);
  EXPECT_LT(Clock::now() - start, 5s);
}

TYPED_TEST(QueueKinds, TryFormsReturnInsteadOfThrowing) {
  Q<TypeParam> q(1);
  EXPECT_EQ(q.try_get(), std::nullopt);
  EXPECT_EQ(q.try_get(1ms), std::nullopt);
  EXPECT_TRUE(q.try_put(4));
  EXPECT_FALSE(q.try_put(5));
  EXPECT_FALSE(q.try_put(5, 1ms));
  EXPECT_EQ(q.try_get(), 4);
  int x = 9;
  EXPECT_TRUE(q.try_put(x, forever));
  EXPECT_EQ(q.try_get(forever), 9);
  q.shutdown();
  EXPECT_THROW((void)q.try_get(), ShutDown);  // "no more, ever" is not "nothing yet"
  EXPECT_THROW((void)q.try_put(1), ShutDown);
}

TYPED_TEST(QueueKinds, MoveOnlyItems) {
  Q<TypeParam, std::unique_ptr<int>> q(1);
  auto p = std::make_unique<int>(5);
  q.put(std::move(p));
  EXPECT_EQ(p, nullptr);
  // A put that fails leaves the caller's item where it was.
  auto keep = std::make_unique<int>(6);
  EXPECT_THROW(q.put(std::move(keep), false), Full);
  ASSERT_NE(keep, nullptr);
  EXPECT_EQ(*keep, 6);
  EXPECT_FALSE(q.try_put(std::move(keep)));
  ASSERT_NE(keep, nullptr);
  auto got = q.get();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, 5);
  q.emplace(new int(7));
  auto opt = q.try_get();
  ASSERT_TRUE(opt.has_value());
  EXPECT_EQ(**opt, 7);
  q.shutdown();
  EXPECT_THROW(q.put(std::move(keep)), ShutDown);
  EXPECT_NE(keep, nullptr);
}

TYPED_TEST(QueueKinds, MoveOnlyItemHandedToBlockedGetterAndFromBlockedPutter) {
  Q<TypeParam, std::unique_ptr<int>> q(1);
  std::unique_ptr<int> got;
  {
    BlockedCall getter([&] { got = q.get(); });
    ASSERT_TRUE(getter.parked());
    q.put(std::make_unique<int>(1));
    getter.join();
  }
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, 1);
  q.put(std::make_unique<int>(2));
  {
    BlockedCall putter([&] { q.put(std::make_unique<int>(3)); });
    ASSERT_TRUE(putter.parked());
    EXPECT_EQ(*q.get(), 2);
    putter.join();
  }
  EXPECT_EQ(*q.get(), 3);
  EXPECT_EQ(q.unfinished_tasks(), 3u);
}

TYPED_TEST(QueueKinds, GetReleasesTheItem) {
  // CPython test_references: the queue keeps no reference to an item it returned.
  Q<TypeParam, std::shared_ptr<int>> q;
  auto p = std::make_shared<int>(1);
  q.put(p);
  EXPECT_EQ(p.use_count(), 2);
  { auto got = q.get(); }
  EXPECT_EQ(p.use_count(), 1);
}

// ---- task_done / join ------------------------------------------------------------------

TYPED_TEST(QueueKinds, TaskDoneTooManyRaisesValueError) {
  Q<TypeParam> q;
  try {
    q.task_done();
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "task_done() called too many times");
  }
  q.put(1);
  (void)q.get();
  q.task_done();
  EXPECT_THROW(q.task_done(), ValueError);
}

TYPED_TEST(QueueKinds, JoinWithWorkers) {
  // CPython queue_join_test: workers sum the items and task_done each; join waits for all.
  Q<TypeParam> q;
  std::atomic<long> sum{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        const int x = q.get();
        if (x < 0) {
          q.task_done();
          return;
        }
        sum += x;
        q.task_done();
      }
    });
  }
  for (int round = 0; round < 2; ++round) {
    sum = 0;
    for (int i = 0; i < 100; ++i) q.put(i);
    q.join();
    EXPECT_EQ(sum.load(), 4950) << "join() returned before the tasks were done";
    EXPECT_EQ(q.unfinished_tasks(), 0u);
  }
  for (int w = 0; w < 2; ++w) q.put(-1);
  for (auto& t : workers) t.join();
  q.join();  // nothing unfinished: returns at once
}

TYPED_TEST(QueueKinds, TimedJoin) {
  Q<TypeParam> q;
  EXPECT_TRUE(q.join(0s));
  q.put(1);
  const auto start = Clock::now();
  EXPECT_FALSE(q.join(30ms));
  EXPECT_GE(Clock::now() - start, 30ms);
  (void)q.get();
  EXPECT_FALSE(q.join(0s));  // got, but not task_done
  q.task_done();
  EXPECT_TRUE(q.join(0s));
  EXPECT_TRUE(q.join(forever));
}

TYPED_TEST(QueueKinds, JoinIsReleasedByTheLastTaskDone) {
  Q<TypeParam> q;
  q.put(1);
  q.put(2);
  BlockedCall joiner1([&] { q.join(); });
  BlockedCall joiner2([&] { EXPECT_TRUE(q.join(kPrompt)); });
  ASSERT_TRUE(joiner1.parked());
  ASSERT_TRUE(joiner2.parked());
  (void)q.get();
  (void)q.get();
  q.task_done();
  EXPECT_FALSE(joiner1.finished());
  q.task_done();
  joiner1.join();
  joiner2.join();
}

// ---- shutdown (Python 3.13) ------------------------------------------------------------

TYPED_TEST(QueueKinds, ShutdownEmpty) {
  Q<TypeParam> q;
  EXPECT_FALSE(q.is_shutdown());
  q.shutdown();
  EXPECT_TRUE(q.is_shutdown());
  EXPECT_THROW(q.put(1), ShutDown);
  EXPECT_THROW((void)q.get(), ShutDown);
}

TYPED_TEST(QueueKinds, ShutdownNonEmptyStillGivesItems) {
  Q<TypeParam> q;
  q.put(1);
  q.shutdown();
  EXPECT_EQ(q.get(), 1);
  EXPECT_THROW((void)q.get(), ShutDown);
}

TYPED_TEST(QueueKinds, ShutdownImmediateDiscards) {
  Q<TypeParam> q;
  q.put(1);
  q.shutdown(true);
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_THROW((void)q.get(), ShutDown);
}

TYPED_TEST(QueueKinds, ShutdownAllowedTransitions) {
  Q<TypeParam> q;
  q.shutdown();
  EXPECT_TRUE(q.is_shutdown());
  q.shutdown(true);
  EXPECT_TRUE(q.is_shutdown());
  q.shutdown(false);
  EXPECT_TRUE(q.is_shutdown());
}

TYPED_TEST(QueueKinds, ShutdownPutRaisesEvenWithRoomAndNonBlocking) {
  Q<TypeParam> q(2);
  q.shutdown();
  EXPECT_THROW(q.put(1, false), ShutDown);
  EXPECT_THROW(q.put_nowait(1), ShutDown);
  EXPECT_THROW(q.put(1, 0s), ShutDown);
  EXPECT_THROW((void)q.get_nowait(), ShutDown);  // ShutDown wins over Empty
  EXPECT_THROW((void)q.get(true, 0s), ShutDown);
}

void all_methods_in_one_thread(auto& q, bool immediate) {
  q.put(1);
  q.put_nowait(2);
  q.shutdown(immediate);
  EXPECT_THROW(q.put(3), ShutDown);
  EXPECT_THROW(q.put_nowait(4), ShutDown);
  if (immediate) {
    EXPECT_THROW((void)q.get(), ShutDown);
    EXPECT_THROW((void)q.get_nowait(), ShutDown);
    EXPECT_THROW(q.task_done(), ValueError);  // the drained items finished their tasks
    q.join();
  } else {
    const int a = q.get();
    q.task_done();
    const int b = q.get_nowait();
    q.task_done();
    EXPECT_EQ(a + b, 3);
    q.join();
    EXPECT_THROW((void)q.get(), ShutDown);
    EXPECT_THROW((void)q.get_nowait(), ShutDown);
    EXPECT_THROW((void)q.get(true, 1s), ShutDown);
  }
}

TYPED_TEST(QueueKinds, ShutdownAllMethodsInOneThread) {
  Q<TypeParam> q(2);
  all_methods_in_one_thread(q, false);
}

TYPED_TEST(QueueKinds, ShutdownImmediateAllMethodsInOneThread) {
  Q<TypeParam> q(2);
  all_methods_in_one_thread(q, true);
}

TYPED_TEST(QueueKinds, ShutdownWakesPendingGetters) {
  Q<TypeParam> q;
  BlockedCall g1([&] { EXPECT_THROW((void)q.get(), ShutDown); });
  BlockedCall g2([&] { EXPECT_THROW((void)q.get(true, kPrompt), ShutDown); });
  ASSERT_TRUE(g1.parked());
  ASSERT_TRUE(g2.parked());
  q.shutdown();
  g1.join();
  g2.join();
}

TYPED_TEST(QueueKinds, ShutdownWakesPendingPutters) {
  Q<TypeParam> q(1);
  q.put(0);
  BlockedCall p1([&] { EXPECT_THROW(q.put(1), ShutDown); });
  BlockedCall p2([&] { EXPECT_THROW(q.put(2, kPrompt), ShutDown); });
  ASSERT_TRUE(p1.parked());
  ASSERT_TRUE(p2.parked());
  q.shutdown();
  p1.join();
  p2.join();
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.get(), 0);  // non-immediate: the item is still there
  EXPECT_EQ(q.unfinished_tasks(), 1u);
}

TYPED_TEST(QueueKinds, ShutdownImmediateReleasesJoinAndPutters) {
  // CPython test_shutdown_put_join: a putter blocked on a full queue and a joiner; an
  // immediate shutdown fails the put, drains the items and releases the join.
  Q<TypeParam> q(2);
  q.put(1);
  q.put(2);
  BlockedCall putter([&] { EXPECT_THROW(q.put(3), ShutDown); });
  BlockedCall joiner([&] { q.join(); });
  ASSERT_TRUE(putter.parked());
  ASSERT_TRUE(joiner.parked());
  q.shutdown(true);
  putter.join();
  joiner.join();
  EXPECT_EQ(q.unfinished_tasks(), 0u);
  EXPECT_EQ(q.qsize(), 0u);
}

TYPED_TEST(QueueKinds, ShutdownImmediateKeepsJoinForItemsAlreadyTaken) {
  // CPython test_shutdown_get_task_done_join: an item taken but not task_done() keeps join()
  // waiting after the immediate shutdown drained the rest.
  Q<TypeParam> q(2);
  q.put(1);
  q.put(2);
  (void)q.get();
  BlockedCall joiner([&] { q.join(); });
  ASSERT_TRUE(joiner.parked());
  q.shutdown(true);
  EXPECT_EQ(q.unfinished_tasks(), 1u);
  EXPECT_FALSE(q.join(0s));
  EXPECT_FALSE(joiner.finished());
  q.task_done();
  joiner.join();
  EXPECT_THROW(q.task_done(), ValueError);
}

TYPED_TEST(QueueKinds, ShutdownImmediateDestroysItemsOnce) {
  Q<TypeParam, std::shared_ptr<int>> q;
  auto p = std::make_shared<int>(1);
  for (int i = 0; i < 5; ++i) q.put(p);
  EXPECT_EQ(p.use_count(), 6);
  q.shutdown(true);
  EXPECT_EQ(p.use_count(), 1);
}

TYPED_TEST(QueueKinds, ShutdownInManyThreads) {
  // CPython _shutdown_all_methods_in_many_threads: putters, getters and joiners all end.
  for (const bool immediate : {false, true}) {
    Q<TypeParam> q(4);
    std::atomic<int> got{0};
    std::atomic<int> put{0};
    std::latch started(6);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] {
        started.count_down();
        try {
          for (int k = 0;; ++k) {
            q.put(i * 1000 + k);
            ++put;
          }
        } catch (const ShutDown&) {
        }
      });
      threads.emplace_back([&] {
        started.count_down();
        try {
          for (;;) {
            (void)q.get();
            ++got;
            q.task_done();
          }
        } catch (const ShutDown&) {
        }
      });
    }
    started.wait();
    std::thread joiner([&] { q.join(); });
    ASSERT_TRUE(eventually([&] { return got.load() > 100; }));
    q.shutdown(immediate);
    for (auto& t : threads) t.join();
    joiner.join();
    EXPECT_EQ(q.qsize(), 0u);
    EXPECT_EQ(q.unfinished_tasks(), 0u);
    if (!immediate) {
      EXPECT_EQ(got.load(), put.load());  // nothing lost: every put was got
    }
  }
}

// ---- parking interface ----------------------------------------------------------------

TYPED_TEST(QueueKinds, BlocksOnlyThroughTheParkingInterface) {
  Q<TypeParam> q(1);
  CountingContext ctx;
  ScopedContext scope(ctx);
  EXPECT_THROW((void)q.get(true, 5ms), Empty);
  EXPECT_GE(ctx.parks.load(), 1);
  q.put(1);
  const int before = ctx.parks.load();
  EXPECT_THROW(q.put(2, 5ms), Full);
  EXPECT_GT(ctx.parks.load(), before);
  const int after = ctx.parks.load();
  EXPECT_THROW(q.put(2, false), Full);  // non-blocking forms never park
  EXPECT_THROW(q.put(2, 0s), Full);
  (void)q.get();
  EXPECT_THROW((void)q.get(false), Empty);
  EXPECT_EQ(ctx.parks.load(), after);
}

// ---- failing element operations (CPython FailingQueue) ---------------------------------

using queue_test::FailGuard;
using queue_test::Fragile;

TYPED_TEST(QueueKinds, FailingCopyOnPutLeavesQueueUnchanged) {
  Q<TypeParam, Fragile> q(3);
  q.put(Fragile(1));
  const Fragile two(2);
  {
    FailGuard fail;
    EXPECT_THROW(q.put(two), std::runtime_error);
    EXPECT_THROW(q.put(Fragile(5)), std::runtime_error);
  }
  EXPECT_EQ(two.value, 2);
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.unfinished_tasks(), 1u);
  q.put(two);
  EXPECT_EQ(q.qsize(), 2u);
  EXPECT_EQ(q.unfinished_tasks(), 2u);
}

TYPED_TEST(QueueKinds, FailingMoveOnGetKeepsTheItem) {
  Q<TypeParam, Fragile> q(3);
  q.put(Fragile(1));
  {
    FailGuard fail;
    EXPECT_THROW((void)q.get(), std::runtime_error);
    EXPECT_THROW((void)q.try_get(), std::runtime_error);
  }
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.get().value, 1);
  EXPECT_TRUE(q.empty());
  EXPECT_THROW((void)q.get(false), Empty);
}

TYPED_TEST(QueueKinds, FailingItemsWithBlockedPartners) {
  // Items whose move may throw are never handed over through a waiter's slot; the waiter is
  // woken to take the item itself. Blocking still works both ways.
  Q<TypeParam, Fragile> q(1);
  int value = 0;
  {
    BlockedCall getter([&] { value = q.get().value; });
    ASSERT_TRUE(getter.parked());
    q.put(Fragile(8));
    getter.join();
  }
  EXPECT_EQ(value, 8);
  q.put(Fragile(1));
  {
    BlockedCall putter([&] { q.put(Fragile(2)); });
    ASSERT_TRUE(putter.parked());
    EXPECT_EQ(q.get().value, 1);
    putter.join();
  }
  EXPECT_EQ(q.get().value, 2);
}

TYPED_TEST(QueueKinds, FailingHandOffFromBlockedPutterIsRetriedByThePutter) {
  // A get that frees a slot copies the parked putter's item in; when that copy throws, the
  // putter is woken to try itself and gets the exception in its own thread. The get itself
  // succeeds, and nothing is counted twice or lost.
  Q<TypeParam, Fragile> q(1);
  q.put(Fragile(1));
  const Fragile two(2);
  BlockedCall putter([&] { q.put(two); });
  ASSERT_TRUE(putter.parked());
  {
    FailGuard fail(/*moves_too=*/false);
    EXPECT_EQ(q.get().value, 1);
    EXPECT_THROW(putter.join(), std::runtime_error);
  }
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_EQ(q.unfinished_tasks(), 1u);
  EXPECT_EQ(two.value, 2);
  q.put(two);
  EXPECT_EQ(q.get().value, 2);
}

TYPED_TEST(QueueKinds, FailingHandOffToBlockedGetterLeavesItWaiting) {
  // A nothrow-movable item goes straight into a parked getter's slot; if copying it there
  // throws, the put fails and the getter keeps waiting for the next item.
  Q<TypeParam, queue_test::CopyFragile> q;
  int got = 0;
  BlockedCall getter([&] { got = q.get().value; });
  ASSERT_TRUE(getter.parked());
  const queue_test::CopyFragile first(1);
  {
    FailGuard fail(/*moves_too=*/false);
    EXPECT_THROW(q.put(first), std::runtime_error);
  }
  EXPECT_FALSE(getter.finished());
  EXPECT_EQ(q.unfinished_tasks(), 0u);
  q.put(queue_test::CopyFragile(2));
  getter.join();
  EXPECT_EQ(got, 2);
  EXPECT_EQ(first.value, 1);
}

}  // namespace
}  // namespace triad
