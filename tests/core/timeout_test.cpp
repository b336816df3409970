#include "triad/core/timeout.hpp"

#include <gtest/gtest.h>

namespace triad {
namespace {

using namespace std::chrono_literals;

TEST(Timeout, DefaultIsForever) {
  EXPECT_TRUE(Timeout().is_forever());
  EXPECT_TRUE(Timeout(forever).is_forever());
  EXPECT_TRUE(Timeout(std::nullopt).is_forever());
  EXPECT_TRUE(Deadline::after(Timeout()).is_never());
}

TEST(Timeout, FloatingSecondsRoundUp) {
  const Timeout t = seconds(1.5e-9);
  EXPECT_FALSE(t.is_forever());
  EXPECT_EQ(t.duration(), 2ns);
  EXPECT_EQ(Timeout(seconds(0.25)).duration(), 250ms);
}

TEST(Timeout, NegativeAndZeroAreAlreadyExpired) {
  EXPECT_TRUE(Deadline::after(0s).expired());
  EXPECT_TRUE(Deadline::after(-5s).expired());
  EXPECT_EQ(Deadline::after(-5s).remaining(), Clock::duration::zero());
}

TEST(Timeout, HugeTimeoutsSaturateInsteadOfOverflowing) {
  const auto d = Deadline::after(std::chrono::hours(24 * 365 * 1000));
  EXPECT_FALSE(d.expired());
  EXPECT_GT(d.remaining(), std::chrono::hours(24));
  const auto e = Deadline::after(seconds(1e30));
  EXPECT_FALSE(e.expired());
}

TEST(Timeout, RemainingShrinks) {
  const auto d = Deadline::after(10s);
  EXPECT_LE(d.remaining(), 10s);
  EXPECT_GT(d.remaining(), 5s);
  EXPECT_EQ(Deadline::never().remaining(), Clock::duration::max());
}

}  // namespace
}  // namespace triad
