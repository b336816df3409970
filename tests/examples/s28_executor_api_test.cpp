// S28: the seed port examples/s28_executor_api.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S28ExecutorApi, MapOrderTimeoutsAndShutdown) {
  ASSERT_NE(tour::find_scenario("S28"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S28"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("map gave 0 1 4"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("raised TimeoutError after"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] every task submitted before shutdown(wait=False) still finished"), std::string::npos) << r.output;
}

}  // namespace
