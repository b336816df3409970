// S15: examples/s15_ipc_queue.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S15Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S15"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S15"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
