#include <gtest/gtest.h>

#include "ris/net/router.hpp"

namespace ris::net {
namespace {
Request req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(Router, matches_method_and_captures_parameters) {
  Router router;
  int hit = 0;
  router.add("GET", "/api/v1/agents/{id}", [&](Request&, Reply) { hit = 1; });
  router.add("DELETE", "/api/v1/agents/{id}", [&](Request&, Reply) { hit = 2; });
  auto r = req("DELETE", "/api/v1/agents/abc");
  auto m = router.match(r);
  ASSERT_NE(m.handler, nullptr);
  (*m.handler)(r, {});
  EXPECT_EQ(hit, 2);
  EXPECT_EQ(r.params.at("id"), "abc");
  EXPECT_EQ(m.route, "/api/v1/agents/{id}");
}

TEST(Router, unknown_path_is_404_and_wrong_method_is_405_with_allow) {
  Router router;
  router.add("GET", "/health", [](Request&, Reply) {});
  router.add("POST", "/health", [](Request&, Reply) {});
  auto a = req("GET", "/nope");
  EXPECT_EQ(router.match(a).status, 404);
  auto b = req("PUT", "/health");
  auto m = router.match(b);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, POST");
  auto c = req("GET", "/health/");
  EXPECT_EQ(router.match(c).status, 404);
}

TEST(Router, head_is_served_by_get) {
  Router router;
  router.add("GET", "/health", [](Request&, Reply) {});
  auto r = req("HEAD", "/health");
  EXPECT_NE(router.match(r).handler, nullptr);
}
}  // namespace
}  // namespace ris::net
