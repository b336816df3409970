// S13: examples/s13_joinable_queue.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S13Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S13"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S13"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
