#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "ris/net/http.hpp"

namespace ris::net {
namespace {
TEST(ParseTarget, decodes_path_and_query) {
  auto t = parse_target("/api/v1/a%20b?detailed=true&q=x+y&q=%2F&flag");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->path, "/api/v1/a b");
  EXPECT_EQ(t->query.count("q"), 2u);
  EXPECT_EQ(t->query.find("detailed")->second, "true");
  EXPECT_EQ(t->query.find("flag")->second, "");
}

TEST(ParseTarget, rejects_malformed_targets) {
  EXPECT_FALSE(parse_target(""));
  EXPECT_FALSE(parse_target("http://example.com/"));
  EXPECT_FALSE(parse_target("/a%2"));
  EXPECT_FALSE(parse_target("/a%zz"));
  EXPECT_FALSE(parse_target("/a%00b"));
  EXPECT_FALSE(parse_target("/?k=%"));
  EXPECT_EQ(parse_target("/" + std::string(9000, 'a')).error().code, Errc::too_large);
}

TEST(Problem, is_rfc9457_json) {
  auto r = problem(404, "not-found", "Not found", "no resource at /x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto j = boost::json::parse(r.body).as_object();
  EXPECT_EQ(j.at("type").as_string(), "https://ris.dev/problems/not-found");
  EXPECT_EQ(j.at("status").as_int64(), 404);
  EXPECT_EQ(j.at("detail").as_string(), "no resource at /x");
}

TEST(Problem, maps_error_codes_to_statuses) {
  EXPECT_EQ(problem(Error{Errc::invalid_argument, "x"}).status, 400);
  EXPECT_EQ(problem(Error{Errc::not_found, "x"}).status, 404);
  EXPECT_EQ(problem(Error{Errc::conflict, "x"}).status, 409);
  EXPECT_EQ(problem(Error{Errc::unavailable, "x"}).status, 503);
  EXPECT_EQ(problem(Error{Errc::internal, "x"}).status, 500);
}
}  // namespace
}  // namespace ris::net
