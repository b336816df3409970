// S11: examples/s11_manager_dict.cpp.
#include <gtest/gtest.h>

#include "tour/scenario.hpp"

namespace {

TEST(S11Scenario, ChildChangeIsSeenByTheParent) {
  ASSERT_NE(tour::find_scenario("S11"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S11"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_NE(r.output.find("子进程xxxxx"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("after:  {'name': 'xx'}, li[0] = 1"), std::string::npos) << r.output;
}

}  // namespace
