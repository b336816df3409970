// S35c: the asyncio echo server serves every client concurrently on one OS thread
// (examples/s35c_async_echo_server.cpp).
#include <gtest/gtest.h>

#include <string>

#include "tour/scenario.hpp"

namespace {

TEST(S35cAsyncEchoServer, ServesAllClientsOnOneThread) {
  ASSERT_NE(tour::find_scenario("S35c"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S35c"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 4U);
  EXPECT_NE(r.output.find("50 of 50 clients got their three upper-cased replies"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("rude client: got 'HELLO THEN RESET'"), std::string::npos) << r.output;
}

}  // namespace
