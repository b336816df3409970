// S26: FIFO, LIFO and priority orders of the thread queues (examples/s26_thread_queues.cpp).
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S26ThreadQueues, OrdersAsInPython) {
  ASSERT_NE(tour::find_scenario("S26"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S26"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 4U);
  EXPECT_NE(r.output.find("Queue:         put 1 2 3 -> get 1 2 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("LifoQueue:     put 1 2 3 -> get 3 2 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-> get (2, '你') (3, 'abc') (3, 'ta') (4, '我')"), std::string::npos)
      << r.output;
}

}  // namespace
