#include "args.hpp"

#include <gtest/gtest.h>

namespace ris::cli {
namespace {

const FlagSpec kSpec{{"output", "selector", "space"}, {"watch", "one"}};

TEST(Args, PositionalFlagsAndCommand) {
  auto a = parse_args({"exec", "env=prod", "--one", "-o", "json", "--space=ops", "--", "ls", "-la"},
                      kSpec);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->positional, (std::vector<std::string>{"exec", "env=prod"}));
  EXPECT_TRUE(a->has("one"));
  EXPECT_EQ(a->get("output"), "json");
  EXPECT_EQ(a->get("space"), "ops");
  EXPECT_EQ(a->command,
            (std::vector<std::string>{"ls", "-la"}));  // flags after -- are the command's
}

TEST(Args, ErrorsNameTheFlag) {
  auto unknown = parse_args({"get", "--bogus"}, kSpec);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("--bogus"), std::string::npos);
  auto missing = parse_args({"get", "agents", "-o"}, kSpec);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("--output needs a value"), std::string::npos);
  EXPECT_FALSE(parse_args({"get", "--watch=maybe"}, kSpec));
}

TEST(Args, NegativeNumbersArePositional) {
  auto a = parse_args({"scale", "service", "web", "-1"}, kSpec);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->positional.back(), "-1");
}

TEST(Args, WholeNumbersWithALowerBound) {
  EXPECT_EQ(*parse_int("42", "N"), 42);
  EXPECT_FALSE(parse_int("4x", "N"));
  EXPECT_FALSE(parse_int("", "N"));
  auto low = parse_int("0", "--timeout", 1);
  ASSERT_FALSE(low);
  EXPECT_NE(low.error().message.find("--timeout must be a whole number of at least 1"),
            std::string::npos);
  auto a = parse_args({"get", "--limit", "7"}, FlagSpec{{"limit"}, {}});
  ASSERT_TRUE(a);
  EXPECT_EQ(*a->get_int("limit", 0), 7);
  EXPECT_EQ(*a->get_int("absent", 300), 300);
}

}  // namespace
}  // namespace ris::cli
