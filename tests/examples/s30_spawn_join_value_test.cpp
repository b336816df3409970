// S30: examples/s30_spawn_join_value.cpp.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S30Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S30"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S30"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_NE(r.output.find("g1.value = 15"), std::string::npos) << r.output;
}

}  // namespace
