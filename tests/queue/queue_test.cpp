// Queue (FIFO) specifics. Behaviour shared with LifoQueue/PriorityQueue: basic_queue_test.cpp.
#include "triad/queue/queue.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(Queue, FifoOrder) {
  Queue<std::string> q;
  for (const char* s : {"a", "b", "c", "d"}) q.put(s);
  std::string out;
  while (!q.empty()) out += q.get();
  EXPECT_EQ(out, "abcd");
}

TEST(Queue, FifoOrderAcrossWrapAround) {
  Queue<int> q(4);
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    while (!q.full()) q.put(next_in++);
    for (int k = 0; k < 3; ++k) EXPECT_EQ(q.get(), next_out++);
  }
}

TEST(Queue, EmplaceConstructsTheItem) {
  Queue<std::pair<int, std::string>> q;
  q.emplace(1, "one");
  q.put({2, "two"});
  EXPECT_EQ(q.get(), std::make_pair(1, std::string("one")));
  EXPECT_EQ(q.get().second, "two");
}

TEST(Queue, SentinelProducerConsumer) {
  // Seed S14: a producer and consumers with a sentinel; every item consumed once.
  Queue<int> q(5);
  std::vector<int> seen(200, 0);
  std::vector<std::thread> consumers;
  std::mutex m;
  for (int c = 0; c < 2; ++c) {
    consumers.emplace_back([&] {
      for (;;) {
        const int x = q.get();
        if (x < 0) return;
        std::lock_guard lock(m);
        ++seen[static_cast<std::size_t>(x)];
      }
    });
  }
  for (int i = 0; i < 200; ++i) q.put(i);
  q.put(-1);
  q.put(-1);
  for (auto& t : consumers) t.join();
  for (int n : seen) EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace triad
