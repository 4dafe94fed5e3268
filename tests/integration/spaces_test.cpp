// Spaces, roles, tokens, 2FA and throttling through a real risd, as users would drive them.
// The isolation matrix checks that every space-scoped route answers 404 to outsiders.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "ris/security/totp.hpp"
#include "support.hpp"

namespace ris::test {
namespace {
namespace json = boost::json;

class Spaces : public ::testing::Test {
 protected:
  void SetUp() override {
    risd_.set_env("RIS_ADMIN_EMAIL", "root@example.com");
    risd_.set_env("RIS_ADMIN_PASSWORD", "a long admin passphrase");
    risd_.start();
    admin_ = login("admin", "a long admin passphrase");
  }
  HttpResult call(const std::string& method, const std::string& target, const std::string& token,
                  const json::object* body = nullptr) {
    std::map<std::string, std::string> h{{"Content-Type", "application/json"}};
    if (!token.empty())
      h["Authorization"] = "Bearer " + token;
    return https(risd_.port(), risd_.ca_file(), method, target, body ? json::serialize(*body) : "",
                 h);
  }
  HttpResult call(const std::string& method, const std::string& target, const std::string& token,
                  const json::object& body) {
    return call(method, target, token, &body);
  }
  std::string login(const std::string& who, const std::string& password,
                    const std::string& totp = "") {
    json::object body{{"login", who}, {"password", password}};
    if (!totp.empty())
      body["totp"] = totp;
    auto r = call("POST", "/api/v1/auth/login", "", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? std::string(json::parse(r.body).at("access_token").as_string()) : "";
  }
  std::string signup(const std::string& name) {
    auto r = call("POST", "/api/v1/accounts", "",
                  json::object{{"email", name + "@example.com"},
                               {"username", name},
                               {"password", name + " passphrase"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return login(name, name + " passphrase");
  }
  std::string id_of(const HttpResult& r, const char* field = "id") {
    return std::string(json::parse(r.body).at(field).as_string());
  }
  std::string account_id(const std::string& token) {
    return id_of(call("GET", "/api/v1/me", token));
  }
  std::string create_space(const std::string& token, const std::string& name,
                           bool is_public = false) {
    auto r =
        call("POST", "/api/v1/spaces", token, json::object{{"name", name}, {"public", is_public}});
    EXPECT_EQ(r.status, 201) << r.body;
    return id_of(r);
  }
  RisdProcess risd_;
  std::string admin_;
};

TEST_F(Spaces, creator_owns_the_space_and_sees_all_permissions) {
  const std::string alice = signup("alice");
  const std::string space = create_space(alice, "ops");
  auto r = call("GET", "/api/v1/spaces/" + space, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body).as_object();
  EXPECT_EQ(j.at("owner_id").as_string(), account_id(alice));
  EXPECT_EQ(j.at("member_count").as_int64(), 1);
  EXPECT_GT(j.at("permissions").as_array().size(), 30u);
  auto mine = json::parse(call("GET", "/api/v1/spaces", alice).body);
  EXPECT_EQ(mine.at("items").as_array().size(), 1u);
}

TEST_F(Spaces, isolation_matrix_outsiders_get_404_everywhere) {
  const std::string alice = signup("alice"), mallory = signup("mallory");
  const std::string a_space = create_space(alice, "alpha");
  const std::string m_space = create_space(mallory, "mallory's");
  const std::string role =
      id_of(call("POST", "/api/v1/spaces/" + a_space + "/roles", alice,
                 json::object{{"name", "ops"}, {"permissions", json::array{"RUN_TASKS"}}}));
  const std::string alice_id = account_id(alice);
  const std::string s = "/api/v1/spaces/" + a_space;
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", s},
      {"PATCH", s},
      {"DELETE", s},
      {"POST", s + "/transfer"},
      {"POST", s + "/leave"},
      {"GET", s + "/members"},
      {"GET", s + "/members/" + alice_id},
      {"PATCH", s + "/members/" + alice_id},
      {"DELETE", s + "/members/" + alice_id},
      {"PUT", s + "/members/" + alice_id + "/roles/" + role},
      {"DELETE", s + "/members/" + alice_id + "/roles/" + role},
      {"GET", s + "/roles"},
      {"POST", s + "/roles"},
      {"PATCH", s + "/roles"},
      {"PATCH", s + "/roles/" + role},
      {"DELETE", s + "/roles/" + role},
      {"GET", s + "/overwrites/channel/c1"},
      {"PUT", s + "/overwrites/channel/c1/role/" + role},
      {"GET", s + "/bans"},
      {"PUT", s + "/bans/" + alice_id},
      {"DELETE", s + "/bans/" + alice_id},
      {"GET", s + "/invitations"},
      {"POST", s + "/invitations"},
      {"DELETE", s + "/invitations/whatever"},
      {"GET", s + "/tokens"},
      {"POST", s + "/tokens"},
      {"DELETE", s + "/tokens/whatever"},
      {"GET", s + "/audit"},
      {"POST", s + "/join"},
  };
  const json::object body{{"name", "x"}, {"positions", json::array{}}, {"owner_id", alice_id}};
  for (const auto& [method, target] : routes) {
    auto r = call(method, target, mallory, body);
    EXPECT_EQ(r.status, 404) << method << " " << target << ": " << r.body;
  }
  // A role id of space A under space B's path is unknown there too.
  EXPECT_EQ(call("PATCH", "/api/v1/spaces/" + m_space + "/roles/" + role, mallory, body).status,
            404);
  // Nothing of the private space shows in browse or in mallory's list.
  auto browse = json::parse(call("GET", "/api/v1/spaces?public=true&q=alpha", mallory).body);
  EXPECT_TRUE(browse.at("items").as_array().empty());
  // And the space still exists, untouched, for its owner.
  EXPECT_EQ(call("GET", s, alice).status, 200);
}

TEST_F(Spaces, public_space_can_be_browsed_and_joined_private_needs_an_invitation) {
  const std::string alice = signup("alice"), bob = signup("bob");
  const std::string pub = create_space(alice, "Public builds", true);
  const std::string priv = create_space(alice, "private ops");
  auto found = json::parse(call("GET", "/api/v1/spaces?public=true&q=builds", bob).body);
  ASSERT_EQ(found.at("items").as_array().size(), 1u);
  EXPECT_EQ(call("POST", "/api/v1/spaces/" + pub + "/join", bob).status, 204);
  EXPECT_EQ(call("POST", "/api/v1/spaces/" + priv + "/join", bob).status, 404);
  auto inv =
      call("POST", "/api/v1/spaces/" + priv + "/invitations", alice, json::object{{"max_uses", 1}});
  ASSERT_EQ(inv.status, 201) << inv.body;
  const std::string code = id_of(inv, "code");
  EXPECT_EQ(call("POST", "/api/v1/invitations/" + code + "/accept", bob).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + priv + "/members", bob).status, 200);
  const std::string carol = signup("carol");
  EXPECT_EQ(call("POST", "/api/v1/invitations/" + code + "/accept", carol).status, 404)
      << "used up";
}

TEST_F(Spaces, ban_keeps_a_member_out_and_hierarchy_protects_higher_roles) {
  const std::string alice = signup("alice"), bob = signup("bob"), carol = signup("carol");
  const std::string space = create_space(alice, "crew");
  const std::string code =
      id_of(call("POST", "/api/v1/spaces/" + space + "/invitations", alice), "code");
  ASSERT_EQ(call("POST", "/api/v1/invitations/" + code + "/accept", bob).status, 200);
  ASSERT_EQ(call("POST", "/api/v1/invitations/" + code + "/accept", carol).status, 200);
  const std::string s = "/api/v1/spaces/" + space;
  const std::string mod = id_of(call(
      "POST", s + "/roles", alice,
      json::object{{"name", "mod"}, {"permissions", json::array{"KICK_MEMBERS", "BAN_MEMBERS"}}}));
  const std::string bob_id = account_id(bob), carol_id = account_id(carol),
                    alice_id = account_id(alice);
  ASSERT_EQ(call("PUT", s + "/members/" + bob_id + "/roles/" + mod, alice).status, 204);
  // bob (mod) cannot kick alice (owner); carol (no role) cannot ban; bob bans carol.
  EXPECT_EQ(call("DELETE", s + "/members/" + alice_id, bob).status, 403);
  EXPECT_EQ(call("PUT", s + "/bans/" + bob_id, carol, json::object{{"reason", "x"}}).status, 403);
  EXPECT_EQ(call("PUT", s + "/bans/" + carol_id, bob, json::object{{"reason", "spam"}}).status,
            204);
  EXPECT_EQ(call("GET", s, carol).status, 404) << "a banned member sees nothing of a private space";
  const std::string again = id_of(call("POST", s + "/invitations", alice), "code");
  auto refused = call("POST", "/api/v1/invitations/" + again + "/accept", carol);
  EXPECT_EQ(refused.status, 403) << refused.body;
  // bob cannot edit his own role (not below his highest) nor grant what he lacks.
  EXPECT_EQ(call("PATCH", s + "/roles/" + mod, bob, json::object{{"name", "boss"}}).status, 403);
  // The permission denial was audited, and the owner can read it.
  auto audit = call("GET", s + "/audit?outcome=denied", alice);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_GE(json::parse(audit.body).at("items").as_array().size(), 2u);
}

TEST_F(Spaces, api_token_is_scoped_to_its_space_and_permissions_and_revocable) {
  const std::string alice = signup("alice");
  const std::string one = create_space(alice, "one"), two = create_space(alice, "two");
  auto created =
      call("POST", "/api/v1/spaces/" + one + "/tokens", alice,
           json::object{
               {"name", "ci"}, {"permissions", json::array{"VIEW_AGENTS"}}, {"ttl_seconds", 3600}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string token(json::parse(created.body).at("token").as_string());
  EXPECT_TRUE(token.starts_with("ris_pat_"));
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + one, token).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + two, token).status, 404)
      << "another space of the same owner";
  EXPECT_EQ(
      call("POST", "/api/v1/spaces/" + one + "/roles", token, json::object{{"name", "x"}}).status,
      403);
  auto listed = json::parse(call("GET", "/api/v1/spaces/" + one + "/tokens", alice).body);
  ASSERT_EQ(listed.at("items").as_array().size(), 1u);
  EXPECT_FALSE(listed.at("items").as_array()[0].as_object().contains("token"))
      << "secret shown once only";
  EXPECT_FALSE(listed.at("items").as_array()[0].at("last_used_at").is_null());
  const std::string id = id_of(created);
  EXPECT_EQ(call("DELETE", "/api/v1/spaces/" + one + "/tokens/" + id, alice).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + one, token).status, 401);
}

TEST_F(Spaces, owner_cannot_leave_or_delete_account_while_owning) {
  const std::string alice = signup("alice");
  const std::string space = create_space(alice, "mine");
  EXPECT_EQ(call("POST", "/api/v1/spaces/" + space + "/leave", alice).status, 409);
  auto del = call("DELETE", "/api/v1/me", alice, json::object{{"password", "alice passphrase"}});
  EXPECT_EQ(del.status, 409);
  EXPECT_NE(del.body.find("mine"), std::string::npos) << del.body;
  EXPECT_EQ(call("DELETE", "/api/v1/spaces/" + space, alice).status, 204);
  EXPECT_EQ(
      call("DELETE", "/api/v1/me", alice, json::object{{"password", "alice passphrase"}}).status,
      204);
  auto gone = call("POST", "/api/v1/auth/login", "",
                   json::object{{"login", "alice"}, {"password", "alice passphrase"}});
  EXPECT_EQ(gone.status, 401);
}

TEST_F(Spaces, totp_is_required_after_enrolment) {
  const std::string alice = signup("alice");
  auto begin =
      call("POST", "/api/v1/me/2fa/totp", alice, json::object{{"password", "alice passphrase"}});
  ASSERT_EQ(begin.status, 200) << begin.body;
  const std::string secret = id_of(begin, "secret");
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto confirm = call("POST", "/api/v1/me/2fa/totp/confirm", alice,
                      json::object{{"code", *security::totp_code(secret, now - 30)}});
  ASSERT_EQ(confirm.status, 200) << confirm.body;
  const std::string recovery(
      json::parse(confirm.body).at("recovery_codes").as_array()[0].as_string());
  auto without = call("POST", "/api/v1/auth/login", "",
                      json::object{{"login", "alice"}, {"password", "alice passphrase"}});
  EXPECT_EQ(without.status, 401);
  EXPECT_NE(without.body.find("totp-required"), std::string::npos) << without.body;
  EXPECT_FALSE(login("alice", "alice passphrase", *security::totp_code(secret, now)).empty());
  EXPECT_FALSE(login("alice", "alice passphrase", recovery).empty());
}

TEST_F(Spaces, repeated_failures_are_throttled_alike_for_real_and_unknown_accounts) {
  signup("alice");
  auto attempt = [&](const std::string& who) {
    return call("POST", "/api/v1/auth/login", "",
                json::object{{"login", who}, {"password", "wrong password!"}});
  };
  // Five free failures; the sixth sets a one-second block, so an attempt right after it is
  // refused with 429 — the same for an account that exists and one that does not.
  for (const std::string who : {"alice", "ghost"}) {
    for (int i = 0; i < 6; ++i)
      EXPECT_EQ(attempt(who).status, 401) << who << " attempt " << i;
    auto blocked = attempt(who);
    EXPECT_EQ(blocked.status, 429) << who << ": " << blocked.body;
    EXPECT_EQ(blocked.headers["retry-after"], "1") << who;
    EXPECT_EQ(blocked.headers["content-type"], "application/problem+json");
  }
}

TEST_F(Spaces, audit_chain_verifies_for_the_administrator_only) {
  const std::string alice = signup("alice");
  create_space(alice, "x");
  auto v = call("POST", "/api/v1/audit/verify", admin_);
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_TRUE(json::parse(v.body).at("ok").as_bool());
  EXPECT_GE(json::parse(v.body).at("entries_checked").as_int64(), 3);
  EXPECT_EQ(call("POST", "/api/v1/audit/verify", alice).status, 403);
  auto all = json::parse(call("GET", "/api/v1/audit?action=space.create", admin_).body);
  EXPECT_EQ(all.at("items").as_array().size(), 1u);
}

TEST_F(Spaces, application_roles_administer_the_instance) {
  const std::string alice = signup("alice"), bob = signup("bob");
  const std::string space = create_space(alice, "abusive");
  EXPECT_EQ(call("GET", "/api/v1/admin/accounts", bob).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/admin/spaces/" + space, bob).status, 403);
  auto made = call("PUT", "/api/v1/admin/accounts/" + account_id(bob) + "/app_roles", admin_,
                   json::object{{"app_roles", json::array{"ServerModerator"}}});
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(call("PUT", "/api/v1/admin/accounts/" + account_id(bob) + "/app_roles", admin_,
                 json::object{{"app_roles", json::array{"Emperor"}}})
                .status,
            400);
  const std::string moderator = login("bob", "bob passphrase");  // new token carries the role
  EXPECT_EQ(call("DELETE", "/api/v1/admin/spaces/" + space, moderator).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + space, alice).status, 404);
  auto listed = call("GET", "/api/v1/admin/accounts?q=ali", admin_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(json::parse(listed.body).at("items").as_array().size(), 1u);
}

TEST_F(Spaces, rotated_signing_key_keeps_earlier_tokens_valid) {
  const std::string alice = signup("alice");
  auto rotated = call("POST", "/api/v1/admin/jwt/rotate", admin_);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(json::parse(rotated.body).at("keys").as_array().size(), 2u);
  EXPECT_EQ(call("GET", "/api/v1/me", alice).status, 200) << "token signed by the retired key";
  EXPECT_EQ(call("GET", "/api/v1/me", login("alice", "alice passphrase")).status, 200);
}

}  // namespace
}  // namespace ris::test
