// S21: the seed port examples/s21_rlock.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S21RLock, RecursionCountAsInPython) {
  ASSERT_NE(tour::find_scenario("S21"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S21"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("aaaaaaaaaaa\n    bbbbbbbbbbb"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("another thread can acquire it: held twice no, once no, released yes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("one release too many raises RuntimeError: cannot release un-acquired lock"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] each thread's five lines come as one block"), std::string::npos) << r.output;
}

}  // namespace
