// S06: examples/s06_process_subclass.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S06Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S06"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S06"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
