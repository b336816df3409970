// S31: the seed port examples/s31_submit_after_shutdown.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S31SubmitAfterShutdown, SubmitAfterShutdownRaises) {
  ASSERT_NE(tour::find_scenario("S31"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S31"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("屌丝19 结束"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-> RuntimeError: cannot schedule new futures after shutdown"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] shutdown(wait=True) returned only after all 20 tasks ended"), std::string::npos) << r.output;
}

}  // namespace
