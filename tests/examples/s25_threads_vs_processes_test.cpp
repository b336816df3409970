// S25: examples/s25_threads_vs_processes.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S25Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S25"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S25"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 4U);
  EXPECT_NE(r.output.find("IO-bound, 20 threads"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("in Pool(2)"), std::string::npos) << r.output;
}

}  // namespace
