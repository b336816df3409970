// S24: the seed port examples/s24_lost_update.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S24LostUpdate, LostWithoutLockExactWithLock) {
  ASSERT_NE(tour::find_scenario("S24"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S24"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("[ok] without the Lock, updates are lost (n > 0)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("with a Lock:    n = 0 in "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] with the Lock, n ends at exactly 0"), std::string::npos) << r.output;
}

}  // namespace
