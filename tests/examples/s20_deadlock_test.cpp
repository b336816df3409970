// S20: the seed port examples/s20_deadlock.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S20Deadlock, DeadlockShownThenRLockCompletes) {
  ASSERT_NE(tour::find_scenario("S20"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S20"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("gave up waiting for 盘子: deadlock"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gave up waiting for 叉子: deadlock"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] deadlock: each thread holds one lock"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] with one shared RLock all ten threads complete"), std::string::npos) << r.output;
}

}  // namespace
