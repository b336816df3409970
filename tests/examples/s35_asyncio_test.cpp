// S35 / S35b: two coroutines of 3 s and 2 s take ~3 s on one OS thread
// (examples/s35_asyncio.cpp).
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S35Asyncio, SeedFormRunUntilCompleteWait) {
  ASSERT_NE(tour::find_scenario("S35"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S35"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 4U);
  EXPECT_NE(r.output.find("task  开始了"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("task2 结束了"), std::string::npos) << r.output;
  // task2 (2 s) finishes before task (3 s).
  EXPECT_LT(r.output.find("task2 结束了"), r.output.find("task  结束了")) << r.output;
}

TEST(S35Asyncio, ModernRunMain) {
  ASSERT_NE(tour::find_scenario("S35b"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S35b"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 3U);
  EXPECT_LT(r.output.find("task2 结束了"), r.output.find("task  结束了")) << r.output;
}

}  // namespace
