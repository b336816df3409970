// S12: examples/s12_process_queue.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S12Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S12"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S12"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
