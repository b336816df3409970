// S23: the seed port examples/s23_semaphore.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S23Semaphore, NeverMoreThanFiveInside) {
  ASSERT_NE(tour::find_scenario("S23"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S23"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("执行任务"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] never more than 5 threads inside the Semaphore at once"), std::string::npos) << r.output;
}

}  // namespace
