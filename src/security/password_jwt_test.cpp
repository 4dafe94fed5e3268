#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "ris/core/base64.hpp"
#include "ris/security/jwt.hpp"
#include "ris/security/password.hpp"

namespace ris::security {
namespace {

TEST(Password, HashIsArgon2idAndVerifies) {
  auto hash = hash_password("correct horse battery");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_TRUE(verify_password("correct horse battery", *hash));
  EXPECT_FALSE(verify_password("correct horse batterY", *hash));
  EXPECT_FALSE(password_needs_rehash(*hash));
}

TEST(Password, SamePasswordHashesDifferently) {
  EXPECT_NE(*hash_password("correct horse battery"), *hash_password("correct horse battery"));
}

TEST(Password, GarbageHashNeverVerifies) {
  EXPECT_FALSE(verify_password("x", ""));
  EXPECT_FALSE(verify_password("x", "$2b$10$abcdefghijklmnopqrstuv"));
  EXPECT_FALSE(verify_password("x", "$argon2id$garbage"));
}

TEST(Password, PolicyNamesTheRuleBroken) {
  EXPECT_TRUE(check_password_policy("correct horse battery", "alice"));
  auto short_pw = check_password_policy("short", "alice");
  ASSERT_FALSE(short_pw);
  EXPECT_NE(short_pw.error().message.find("at least 10"), std::string::npos);
  EXPECT_FALSE(check_password_policy("alice@example.com", "alice", "Alice@Example.com"));
  EXPECT_FALSE(check_password_policy("AliceAliceAlice", "alicealicealice"));
  EXPECT_FALSE(check_password_policy("aaaaaaaaaaaaaaab", "alice"));
  EXPECT_FALSE(check_password_policy(std::string(2000, 'x'), "alice"));
}

void add_active(JwtKeyRing& ring, const std::string& kid) {
  ring.add({kid, *Ed25519Key::generate()});
  EXPECT_TRUE(ring.set_active(kid));
}

boost::json::object claims(int64_t exp) {
  return {{"iss", "risd"}, {"aud", "risd"}, {"sub", "acct-1"}, {"exp", exp}, {"nbf", int64_t{0}}};
}

TEST(Jwt, SignedTokenVerifiesAndCarriesKidAndAlg) {
  JwtKeyRing ring;
  add_active(ring, "k1");
  auto token = ring.sign(claims(2000));
  ASSERT_TRUE(token);
  auto header =
      boost::json::parse(*base64url_decode(token->substr(0, token->find('.')))).as_object();
  EXPECT_EQ(header["alg"].as_string(), "EdDSA");
  EXPECT_EQ(header["kid"].as_string(), "k1");
  auto verified = ring.verify(*token, 1000, "risd", "risd");
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ((*verified)["sub"].as_string(), "acct-1");
}

TEST(Jwt, RefusesExpiredWrongIssuerAudienceAndTampering) {
  JwtKeyRing ring;
  add_active(ring, "k1");
  auto token = *ring.sign(claims(2000));
  EXPECT_FALSE(ring.verify(token, 2000, "risd", "risd"));
  EXPECT_FALSE(ring.verify(token, 1000, "other", "risd"));
  EXPECT_FALSE(ring.verify(token, 1000, "risd", "other"));
  std::string tampered = token;
  tampered[token.find('.') + 3] ^= 1;
  EXPECT_FALSE(ring.verify(tampered, 1000, "risd", "risd"));
  EXPECT_FALSE(ring.verify("a.b", 1000, "risd", "risd"));
  EXPECT_FALSE(ring.verify("", 1000, "risd", "risd"));
}

TEST(Jwt, RefusesAlgNoneAndForeignKeys) {
  JwtKeyRing ring;
  add_active(ring, "k1");
  JwtKeyRing other;
  add_active(other, "k1");  // same kid, different key
  EXPECT_FALSE(ring.verify(*other.sign(claims(2000)), 1000, "risd", "risd"));
  const std::string none = base64url_encode(R"({"alg":"none","kid":"k1"})") + "." +
                           base64url_encode(R"({"iss":"risd","aud":"risd","exp":3000})") + ".";
  EXPECT_FALSE(ring.verify(none, 1000, "risd", "risd"));
}

TEST(Jwt, RotationKeepsOldTokensVerifiable) {
  JwtKeyRing ring;
  add_active(ring, "k1");
  auto old_token = *ring.sign(claims(2000));
  ring.add({"k2", *Ed25519Key::generate()});
  ASSERT_TRUE(ring.set_active("k2"));
  auto new_token = *ring.sign(claims(2000));
  EXPECT_NE(new_token.find('.'), std::string::npos);
  EXPECT_TRUE(ring.verify(old_token, 1000, "risd", "risd"));
  EXPECT_TRUE(ring.verify(new_token, 1000, "risd", "risd"));
  EXPECT_EQ(ring.jwks()["keys"].as_array().size(), 2u);
  ring.remove("k1");
  EXPECT_FALSE(ring.verify(old_token, 1000, "risd", "risd"));
  EXPECT_TRUE(ring.verify(new_token, 1000, "risd", "risd"));
}

TEST(Ed25519, PemRoundTripKeepsTheKey) {
  auto key = *Ed25519Key::generate();
  auto again = Ed25519Key::from_private_pem(*key.private_pem());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_raw(), key.public_raw());
  auto sig = *key.sign("hello");
  EXPECT_TRUE(ed25519_verify(again->public_raw(), "hello", sig));
  EXPECT_FALSE(ed25519_verify(again->public_raw(), "hellO", sig));
  EXPECT_FALSE(Ed25519Key::from_private_pem("not pem"));
}

}  // namespace
}  // namespace ris::security
