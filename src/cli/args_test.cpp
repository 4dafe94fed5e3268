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

}  // namespace
}  // namespace ris::cli
