// S10: examples/s10_ticket_lock.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S10Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S10"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S10"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
