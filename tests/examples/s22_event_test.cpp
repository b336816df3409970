// S22: the seed port examples/s22_event.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S22Event, NoWaiterBeforeSet) {
  ASSERT_NE(tour::find_scenario("S22"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S22"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("启动....成功"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("连接成功!"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("汽车9号 正在加速飘逸..."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] no car passed wait() before the light called set()"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] all ten cars went once the light turned green"), std::string::npos) << r.output;
}

}  // namespace
