// SimpleQueue (CPython test_queue's C/Py SimpleQueue tests, minus the reentrancy ones that
// are about the GIL).
#include "triad/queue/simple_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(SimpleQueue, BasicOrderAndSize) {
  SimpleQueue<int> q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.qsize(), 0u);
  q.put(1);
  q.put_nowait(2);
  q.put(3, false, 0s);  // block/timeout accepted and ignored
  q.emplace(4);
  EXPECT_FALSE(q.empty());
  EXPECT_EQ(q.qsize(), 4u);
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get_nowait(), 2);
  EXPECT_EQ(q.get(false), 3);
  EXPECT_EQ(q.try_get(), 4);
  EXPECT_TRUE(q.empty());
}

TEST(SimpleQueue, EmptyRaises) {
  SimpleQueue<int> q;
  EXPECT_THROW((void)q.get(false), Empty);
  EXPECT_THROW((void)q.get_nowait(), Empty);
  const auto start = Clock::now();
  EXPECT_THROW((void)q.get(true, 20ms), Empty);
  EXPECT_GE(Clock::now() - start, 20ms);
  EXPECT_THROW((void)q.get(20ms), Empty);
  EXPECT_EQ(q.try_get(1ms), std::nullopt);
}

TEST(SimpleQueue, PutNeverBlocks) {
  SimpleQueue<int> q;
  for (int i = 0; i < 100000; ++i) q.put(i, true, 0s);
  EXPECT_EQ(q.qsize(), 100000u);
}

TEST(SimpleQueue, References) {
  SimpleQueue<std::shared_ptr<int>> q;
  auto p = std::make_shared<int>(1);
  q.put(p);
  { auto got = q.get(); }
  EXPECT_EQ(p.use_count(), 1);
}

TEST(SimpleQueue, MoveOnly) {
  SimpleQueue<std::unique_ptr<int>> q;
  q.put(std::make_unique<int>(3));
  EXPECT_EQ(*q.get(), 3);
}

// CPython test_many_threads / _nonblock / _timeout: items put by many threads are all got.
void many_threads(int mode) {
  SimpleQueue<int> q;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::atomic<int>> seen(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) q.put(t * kPerThread + i);
    });
    threads.emplace_back([&] {
      for (int got = 0; got < kPerThread;) {
        std::optional<int> x;
        if (mode == 0) {
          x = q.get();
        } else if (mode == 1) {
          x = q.try_get();
          if (!x) std::this_thread::yield();
        } else {
          x = q.try_get(1ms);
        }
        if (x) {
          ++seen[static_cast<std::size_t>(*x)];
          ++got;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& s : seen) EXPECT_EQ(s.load(), 1);
  EXPECT_TRUE(q.empty());
}

TEST(SimpleQueue, ManyThreads) {
  many_threads(0);
}
TEST(SimpleQueue, ManyThreadsNonBlocking) {
  many_threads(1);
}
TEST(SimpleQueue, ManyThreadsTimeout) {
  many_threads(2);
}

}  // namespace
}  // namespace triad
