// S07: examples/s07_memory_isolation.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S07Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S07"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S07"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
