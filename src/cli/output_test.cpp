#include "output.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ris::cli {
namespace {

TEST(Output, TableAlignsColumnsAndTrimsTrailingSpace) {
  EXPECT_EQ(render_table({"name", "status"}, {{"web-1", "online"}, {"db", ""}}),
            "NAME   STATUS\n"
            "web-1  online\n"
            "db\n");
}

TEST(Output, YamlQuotesWhatPlainScalarsWouldChange) {
  auto v = boost::json::parse(
      R"({"name":"web","count":3,"ok":true,"none":null,"version":"1.0","word":"yes",)"
      R"("load":1.875,"colon":"a: b","empty":"","list":["x",{"k":"v","n":[1,2]}],"obj":{},"multi":"a\nb"})");
  EXPECT_EQ(to_yaml(v),
            "name: web\n"
            "count: 3\n"
            "ok: true\n"
            "none: null\n"
            "version: \"1.0\"\n"
            "word: \"yes\"\n"
            "load: 1.875\n"
            "colon: \"a: b\"\n"
            "empty: \"\"\n"
            "list:\n"
            "- x\n"
            "- k: v\n"
            "  n:\n"
            "  - 1\n"
            "  - 2\n"
            "obj: {}\n"
            "multi: \"a\\nb\"\n");
}

TEST(Output, PrettyJsonRoundTrips) {
  auto v = boost::json::parse(R"({"a":[1,{"b":"c"}],"d":{},"e":[]})");
  const std::string text = to_pretty_json(v);
  EXPECT_EQ(boost::json::parse(text), v);
  EXPECT_NE(text.find("\n  \"a\": [\n    1,"), std::string::npos) << text;
}

TEST(Output, CellsFlattenArraysAndObjects) {
  auto v = boost::json::parse(R"({"l":["a","b"],"o":{"env":"prod","n":2},"z":null})");
  EXPECT_EQ(cell(v.as_object().if_contains("l")), "a,b");
  EXPECT_EQ(cell(v.as_object().if_contains("o")), "env=prod,n=2");
  EXPECT_EQ(cell(v.as_object().if_contains("z")), "");
  EXPECT_EQ(cell(nullptr), "");
  EXPECT_EQ(cell(&(v = boost::json::value(1.93603515625))), "1.94");
}

TEST(Output, AgeOfATime) {
  EXPECT_EQ(age(""), "");
  EXPECT_EQ(age("not a time"), "");
  EXPECT_EQ(age("2000-01-01T00:00:00Z").back(), 'o');  // "…d ago"
}

}  // namespace
}  // namespace ris::cli
