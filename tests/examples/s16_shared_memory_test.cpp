// S16: the seed port examples/s16_shared_memory.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S16SharedMemory, ChildWriteVisibleAndSubclassRun) {
  ASSERT_NE(tour::find_scenario("S16"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S16"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("a = 1 (after join)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run 函数执行!"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("current_thread() in main: MainThread"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] inside run(), current_thread() is the MyThread object"), std::string::npos) << r.output;
}

}  // namespace
