#include "ris/core/result.hpp"

#include <gtest/gtest.h>

namespace ris {
namespace {
Result<int> parse_positive(int x) {
  if (x <= 0)
    return fail(Errc::invalid_argument, "must be positive");
  return x;
}
Result<int> doubled(int x) {
  RIS_TRY(int v, parse_positive(x));
  return v * 2;
}

TEST(Result, carries_value_or_error) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_EQ(bad.error().message, "must be positive");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, try_propagates_the_first_error) {
  EXPECT_EQ(*doubled(4), 8);
  auto r = doubled(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}
}  // namespace
}  // namespace ris
