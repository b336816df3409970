// S29: the seed port examples/s29_crawler.cpp, run with sleeps scaled by 0.05.
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S29Crawler, NinePagesFetchedAndParsed) {
  ASSERT_NE(tour::find_scenario("S29"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S29"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_NE(r.output.find("local web server on http://127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GET http://127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("解析结果为"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[ok] the local server answered all 9 requests (got 9)"), std::string::npos) << r.output;
}

}  // namespace
