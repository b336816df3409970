// S32: the seed port examples/s32_timer.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S32Timer, RunsOnceCancelledNever) {
  ASSERT_NE(tour::find_scenario("S32"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S32"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("我是大帅逼———lqz"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] the timer ran exactly once"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] the cancelled timer never ran"), std::string::npos) << r.output;
}

}  // namespace
