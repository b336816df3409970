// S04: examples/s04_green_echo_server.cpp.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S04Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S04"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S04"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 3U);
  EXPECT_NE(r.output.find("50/50 client threads"), std::string::npos) << r.output;
}

}  // namespace
