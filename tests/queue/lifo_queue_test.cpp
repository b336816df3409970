// LifoQueue specifics. Behaviour shared with Queue/PriorityQueue: basic_queue_test.cpp.
#include "triad/queue/lifo_queue.hpp"

#include <gtest/gtest.h>

#include <string>

namespace triad {
namespace {

TEST(LifoQueue, LastInFirstOut) {
  LifoQueue<std::string> q;
  for (const char* s : {"a", "b", "c", "d"}) q.put(s);
  std::string out;
  while (!q.empty()) out += q.get();
  EXPECT_EQ(out, "dcba");
}

TEST(LifoQueue, InterleavedPushPop) {
  LifoQueue<int> q(3);
  q.put(1);
  q.put(2);
  EXPECT_EQ(q.get(), 2);
  q.put(3);
  q.put(4);
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.get(), 4);
  EXPECT_EQ(q.get(), 3);
  EXPECT_EQ(q.get(), 1);
}

}  // namespace
}  // namespace triad
