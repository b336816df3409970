// S08: examples/s08_process_methods.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S08Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S08"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S08"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
