// S34: examples/s34_greenlet_switch.cpp.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S34Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S34"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S34"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  // The exact interleaving of the seed, with and without its commented-out switches.
  const auto a = r.output.find("我吃了一口");
  const auto b = r.output.find("我又吃了一口", a);
  const auto c = r.output.find("我吃了一口", b);
  const auto d = r.output.find("我玩了一会儿", c);
  const auto e = r.output.find("我又吃了一口", d);
  const auto f = r.output.find("我又玩了一会", e);
  EXPECT_NE(f, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("我玩了一会儿"), d) << "play must not run in the as-written version";
}

}  // namespace
