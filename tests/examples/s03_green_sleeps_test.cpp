// S03: examples/s03_green_sleeps.cpp.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S03Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S03"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S03"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 3U);
  EXPECT_NE(r.output.find("嘿嘿嘿 (after 5 s)"), std::string::npos) << r.output;
}

}  // namespace
