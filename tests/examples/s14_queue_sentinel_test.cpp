// S14: examples/s14_queue_sentinel.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S14Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S14"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S14"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
