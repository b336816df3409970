// S19: the seed port examples/s19_lock_blocks.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S19LockBlocks, BlocksNeverInterleave) {
  ASSERT_NE(tour::find_scenario("S19"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S19"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("===================   (x100)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("!!!!!!!!!!!!!!!!!!   (x100)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("********************   (x100)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] the output is exactly three unbroken 100-line blocks (3 runs)"), std::string::npos) << r.output;
}

}  // namespace
