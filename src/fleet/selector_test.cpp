#include "ris/fleet/selector.hpp"

#include <gtest/gtest.h>

namespace ris::fleet {
namespace {
bool match(std::string_view sel, const Labels& l) {
  auto s = parse_selector(sel);
  EXPECT_TRUE(s) << sel << ": " << (s ? "" : s.error().message);
  return s && s->matches(l);
}

TEST(Selector, the_issue_example_matches_as_documented) {
  const std::string sel = "env=prod,role in (db,cache),!canary";
  EXPECT_TRUE(match(sel, {{"env", "prod"}, {"role", "db"}}));
  EXPECT_TRUE(match(sel, {{"env", "prod"}, {"role", "cache"}, {"zone", "eu"}}));
  EXPECT_FALSE(match(sel, {{"env", "prod"}, {"role", "web"}}));
  EXPECT_FALSE(match(sel, {{"env", "prod"}, {"role", "db"}, {"canary", "yes"}}));
  EXPECT_FALSE(match(sel, {{"env", "dev"}, {"role", "db"}}));
}

TEST(Selector, other_operators) {
  EXPECT_TRUE(match("zone!=eu", {{"zone", "us"}}));
  EXPECT_TRUE(match("zone!=eu", {}));
  EXPECT_TRUE(match("gpu", {{"gpu", "a100"}}));
  EXPECT_FALSE(match("gpu", {}));
  EXPECT_TRUE(match("role notin (db, cache)", {{"role", "web"}}));
  EXPECT_TRUE(match("env==prod", {{"env", "prod"}}));
  EXPECT_TRUE(match("", {{"anything", "x"}}));
}

TEST(Selector, errors_say_where) {
  for (const char* bad : {"env=", "role in db", "role in (db", ",", "a=b,,c", "=x", "a b"}) {
    auto s = parse_selector(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().message.find("position"), std::string::npos) << s.error().message;
  }
}

TEST(Labels, validation) {
  EXPECT_TRUE(validate_label("env", "prod"));
  EXPECT_FALSE(validate_label("", "x"));
  EXPECT_FALSE(validate_label("env", "has space"));
  EXPECT_FALSE(validate_label("-env", "x"));
}
}  // namespace
}  // namespace ris::fleet
