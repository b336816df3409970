// S18: the seed port examples/s18_thread_methods.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S18ThreadMethods, CountsIncludeMainThread) {
  ASSERT_NE(tour::find_scenario("S18"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S18"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("t.name = 矮根线程!"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("current_thread(): 矮根线程!"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] active_count() counts the main thread"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] enumerate() lists the main thread and 矮根线程!"), std::string::npos) << r.output;
}

}  // namespace
