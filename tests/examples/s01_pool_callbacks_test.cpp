// S01: the seed port examples/s01_pool_callbacks.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S01PoolCallbacks, FiveThreadsReusedCallbacksSeeResults) {
  ASSERT_NE(tour::find_scenario("S01"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S01"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("拿到了异步提交任务的返回结果: 81"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("拿到了异步提交任务的返回结果: 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] all 10 callbacks ran, each seeing its own task's result n*n"), std::string::npos) << r.output;
}

}  // namespace
