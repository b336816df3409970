// S05: examples/s05_process_join.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S05Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S05"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S05"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
