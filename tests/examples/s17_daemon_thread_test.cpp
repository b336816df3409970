// S17: the seed port examples/s17_daemon_thread.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S17DaemonThread, DaemonLineNeverAppears) {
  ASSERT_NE(tour::find_scenario("S17"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S17"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("daemon thread:     child printed \"over\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("non-daemon thread: child printed \"over | 子线程...\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] only \"over\" appears: the daemon thread's late line never does"), std::string::npos) << r.output;
}

}  // namespace
