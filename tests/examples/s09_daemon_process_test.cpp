// S09: examples/s09_daemon_process.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S09Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S09"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S09"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
}

}  // namespace
