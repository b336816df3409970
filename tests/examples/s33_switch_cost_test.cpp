// S33: examples/s33_switch_cost.cpp.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S33Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S33"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S33"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_NE(r.output.find("switching to a generator every step"), std::string::npos) << r.output;
}

}  // namespace
