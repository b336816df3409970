// S02: examples/s02_process_pool.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S02Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S02"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S02"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 3U);
}

}  // namespace
