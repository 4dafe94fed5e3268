#include "ris/identity/throttle.hpp"

#include <gtest/gtest.h>

namespace ris::identity {
namespace {
using namespace std::chrono_literals;
using Clock = SignInThrottle::Clock;

TEST(SignInThrottle, free_failures_then_exponential_back_off) {
  SignInThrottle t({.free_failures_per_login = 3, .free_failures_per_source = 100});
  const auto t0 = Clock::time_point{} + 10h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.retry_after("alice", "1.2.3.4", t0), 0);
    t.record_failure("alice", "1.2.3.4", t0);
  }
  EXPECT_EQ(t.retry_after("alice", "1.2.3.4", t0), 0);
  t.record_failure("alice", "1.2.3.4", t0);  // 4th: 1 s
  EXPECT_EQ(t.retry_after("alice", "1.2.3.4", t0), 1);
  t.record_failure("alice", "1.2.3.4", t0 + 1s);  // 5th: 2 s
  EXPECT_EQ(t.retry_after("alice", "1.2.3.4", t0 + 1s), 2);
  t.record_failure("alice", "1.2.3.4", t0 + 3s);  // 6th: 4 s
  EXPECT_EQ(t.retry_after("ALICE", "5.6.7.8", t0 + 3s), 4)
      << "the login is the key, in any case, from anywhere";
  EXPECT_EQ(t.retry_after("alice", "1.2.3.4", t0 + 7s), 0);
}

TEST(SignInThrottle, delay_is_capped) {
  SignInThrottle t({.free_failures_per_login = 0, .max_delay = 60s});
  const auto t0 = Clock::time_point{} + 10h;
  for (int i = 0; i < 40; ++i)
    t.record_failure("bob", "src", t0);
  EXPECT_EQ(t.retry_after("bob", "src", t0), 60);
}

TEST(SignInThrottle, success_clears_the_login_but_not_the_source) {
  SignInThrottle t({.free_failures_per_login = 1, .free_failures_per_source = 1});
  const auto t0 = Clock::time_point{} + 10h;
  t.record_failure("carol", "src", t0);
  t.record_failure("carol", "src", t0);
  EXPECT_GT(t.retry_after("carol", "other", t0), 0);
  t.record_success("carol", t0);
  EXPECT_EQ(t.retry_after("carol", "other", t0), 0);
  EXPECT_GT(t.retry_after("dave", "src", t0), 0) << "a source spraying logins stays throttled";
}

TEST(SignInThrottle, unknown_and_known_logins_are_throttled_alike) {
  SignInThrottle t({.free_failures_per_login = 2, .free_failures_per_source = 100});
  const auto t0 = Clock::time_point{} + 10h;
  for (int i = 0; i < 3; ++i) {
    t.record_failure("exists", "a", t0);
    t.record_failure("ghost", "b", t0);
  }
  EXPECT_EQ(t.retry_after("exists", "a", t0), t.retry_after("ghost", "b", t0));
}

TEST(SignInThrottle, memory_stays_bounded_under_a_spray) {
  SignInThrottle t({.max_keys = 1000});
  const auto t0 = Clock::time_point{} + 10h;
  for (int i = 0; i < 10'000; ++i)
    t.record_failure("user" + std::to_string(i), "src" + std::to_string(i), t0);
  EXPECT_LE(t.tracked_keys(), 1002u);
}

}  // namespace
}  // namespace ris::identity
