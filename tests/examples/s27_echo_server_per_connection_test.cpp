// S27: examples/s27_echo_server_per_connection.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S27Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S27"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S27"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 3U);
}

}  // namespace
