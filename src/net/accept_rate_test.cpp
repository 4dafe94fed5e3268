#include "ris/net/accept_rate.hpp"

#include <gtest/gtest.h>

namespace ris::net {
namespace {

using namespace std::chrono_literals;

TEST(AcceptRate, takes_a_seconds_worth_at_once_then_refills_at_the_rate) {
  AcceptRate rate(100);
  const auto t0 = AcceptRate::Clock::now();
  int taken = 0;
  for (int i = 0; i < 250; ++i)
    taken += rate.take(t0) ? 1 : 0;
  EXPECT_EQ(taken, 100);
  EXPECT_FALSE(rate.take(t0 + 5ms));  // half a token
  EXPECT_TRUE(rate.take(t0 + 10ms));  // one
  EXPECT_FALSE(rate.take(t0 + 10ms));
  taken = 0;
  for (int i = 0; i < 250; ++i)
    taken += rate.take(t0 + 510ms) ? 1 : 0;
  EXPECT_EQ(taken, 50);  // 0.5 s more: 50 tokens, never more than the burst
  taken = 0;
  for (int i = 0; i < 250; ++i)
    taken += rate.take(t0 + 60s) ? 1 : 0;
  EXPECT_EQ(taken, 100);
}

TEST(AcceptRate, zero_means_no_cap) {
  AcceptRate rate(0);
  const auto t0 = AcceptRate::Clock::now();
  for (int i = 0; i < 10000; ++i)
    ASSERT_TRUE(rate.take(t0));
}

}  // namespace
}  // namespace ris::net
