#include "exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ris::metrics::exposition {
namespace {

TEST(Exposition, numbers_are_written_so_prometheus_parses_them) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(1e15), "1000000000000000");
  EXPECT_EQ(format_value(9007199254740993.0), "9007199254740992");  // nearest double, no exponent
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1.5), "1.5");
  EXPECT_EQ(format_value(0.0005), "0.0005");
  EXPECT_EQ(format_value(1e100), "1e+100");
  EXPECT_EQ(format_value(kInf), "+Inf");
  EXPECT_EQ(format_value(-kInf), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(Exposition, label_values_escape_backslash_quote_and_newline_only) {
  std::string out;
  append_label_value(out, "a\\b\"c\nd\te/é");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd\te/é");
}

TEST(Exposition, help_escapes_backslash_and_newline_but_not_quotes) {
  std::string out;
  append_header(out, "x_total", "say \"hi\"\\\nbye", Type::counter);
  EXPECT_EQ(out, "# HELP x_total say \"hi\"\\\\\\nbye\n# TYPE x_total counter\n");
}

TEST(Exposition, names_follow_the_prometheus_grammar) {
  EXPECT_TRUE(valid_metric_name("ris_server_requests_total"));
  EXPECT_TRUE(valid_metric_name(":recorded:rule"));
  EXPECT_TRUE(valid_metric_name("_x9"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9x"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_FALSE(valid_metric_name("a.b"));

  EXPECT_TRUE(valid_label_name("route"));
  EXPECT_TRUE(valid_label_name("_x1"));
  EXPECT_FALSE(valid_label_name(""));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("1a"));
}

}  // namespace
}  // namespace ris::metrics::exposition
