// Sign-in through the API of a real risd: login, /me, refresh rotation, reuse, logout, JWKS.
#include <signal.h>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "support.hpp"

namespace ris::test {
namespace {
namespace json = boost::json;

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    risd_.set_env("RIS_ADMIN_EMAIL", "root@example.com");
    risd_.set_env("RIS_ADMIN_PASSWORD", "a long admin passphrase");
    risd_.start();
  }
  HttpResult post(const std::string& target, const json::object& body) {
    return https(risd_.port(), risd_.ca_file(), "POST", target, json::serialize(body),
                 {{"Content-Type", "application/json"}});
  }
  RisdProcess risd_;
};

TEST_F(Auth, login_gives_tokens_that_reach_me) {
  auto r =
      post("/api/v1/auth/login", {{"login", "admin"}, {"password", "a long admin passphrase"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body).as_object();
  EXPECT_EQ(j.at("token_type").as_string(), "Bearer");
  EXPECT_EQ(j.at("account").at("email").as_string(), "root@example.com");
  const std::string access(j.at("access_token").as_string());
  auto me = https(risd_.port(), risd_.ca_file(), "GET", "/api/v1/me", "",
                  {{"Authorization", "Bearer " + access}});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::parse(me.body).at("username").as_string(), "admin");
  auto anonymous = https(risd_.port(), risd_.ca_file(), "GET", "/api/v1/me");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.headers["content-type"], "application/problem+json");
  EXPECT_EQ(anonymous.headers["www-authenticate"], "Bearer");
}

TEST_F(Auth, wrong_password_and_unknown_account_get_the_same_401) {
  auto wrong = post("/api/v1/auth/login", {{"login", "admin"}, {"password", "not the passphrase"}});
  auto unknown =
      post("/api/v1/auth/login", {{"login", "ghost"}, {"password", "not the passphrase"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(json::parse(wrong.body).at("detail"), json::parse(unknown.body).at("detail"));
  EXPECT_EQ(post("/api/v1/auth/login", {{"login", "admin"}}).status, 400);
  EXPECT_EQ(https(risd_.port(), risd_.ca_file(), "POST", "/api/v1/auth/login", "{nope").status,
            400);
}

TEST_F(Auth, refresh_rotates_reuse_is_refused_and_logout_revokes) {
  auto login = json::parse(
      post("/api/v1/auth/login", {{"login", "admin"}, {"password", "a long admin passphrase"}})
          .body);
  const std::string first(login.at("refresh_token").as_string());
  auto rotated = post("/api/v1/auth/refresh", {{"refresh_token", first}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string second(json::parse(rotated.body).at("refresh_token").as_string());
  EXPECT_EQ(post("/api/v1/auth/refresh", {{"refresh_token", first}}).status, 401);  // reuse
  EXPECT_EQ(post("/api/v1/auth/refresh", {{"refresh_token", second}}).status,
            401);  // family revoked

  auto again = json::parse(
      post("/api/v1/auth/login", {{"login", "admin"}, {"password", "a long admin passphrase"}})
          .body);
  const std::string third(again.at("refresh_token").as_string());
  EXPECT_EQ(post("/api/v1/auth/logout", {{"refresh_token", third}}).status, 204);
  EXPECT_EQ(post("/api/v1/auth/refresh", {{"refresh_token", third}}).status, 401);
}

TEST_F(Auth, jwks_publishes_the_ed25519_key) {
  auto r = https(risd_.port(), risd_.ca_file(), "GET", "/.well-known/jwks.json");
  ASSERT_EQ(r.status, 200);
  auto keys = json::parse(r.body).at("keys").as_array();
  ASSERT_GE(keys.size(), 1u);
  EXPECT_EQ(keys[0].at("crv").as_string(), "Ed25519");
  EXPECT_FALSE(keys[0].at("kid").as_string().empty());
}

TEST(AuthFirstStart, generated_admin_password_is_printed_once_and_works) {
  RisdProcess risd;
  risd.start();
  ASSERT_EQ(risd.stop(SIGTERM, std::chrono::seconds(15)), 0) << risd.log();
  // The password went to the log (as well as the console), once.
  const std::string log = risd.log();
  auto at = log.find("\"password\":\"");
  ASSERT_NE(at, std::string::npos) << log;
  const std::string password = log.substr(at + 12, log.find('"', at + 12) - at - 12);
  RisdProcess again({}, risd.data_dir());
  again.start();
  auto r = https(again.port(), again.ca_file(), "POST", "/api/v1/auth/login",
                 json::serialize(json::object{{"login", "admin"}, {"password", password}}));
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(again.stop(SIGTERM, std::chrono::seconds(15)), 0);
  // Both runs append to the same stderr file: the event appears once, from the first start.
  const std::string both = again.log();
  const auto first = both.find("first_admin_created");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(both.find("first_admin_created", first + 1), std::string::npos)
      << "printed only on the first start";
}
}  // namespace
}  // namespace ris::test
