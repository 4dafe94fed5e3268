#include "ris/security/totp.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ris::security {
namespace {
const std::string kRfcSecret = base32_encode("12345678901234567890");

TEST(Totp, matches_rfc6238_sha1_vectors) {
  const std::pair<int64_t, const char*> vectors[] = {
      {59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
      {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}};
  for (const auto& [t, code] : vectors)
    EXPECT_EQ(*totp_code(kRfcSecret, t), code) << t;
}

TEST(Totp, accepts_one_step_either_side_at_the_boundaries) {
  const std::string at_29 = *totp_code(kRfcSecret, 29);  // step 0
  const std::string at_30 = *totp_code(kRfcSecret, 30);  // step 1
  EXPECT_NE(at_29, at_30);
  EXPECT_EQ(*totp_verify(kRfcSecret, at_29, 30, -1), 0) << "previous step still accepted";
  EXPECT_EQ(*totp_verify(kRfcSecret, at_30, 29, -1), 1) << "next step accepted (clock skew)";
  EXPECT_EQ(*totp_verify(kRfcSecret, at_29, 59, -1), 0);
  EXPECT_FALSE(*totp_verify(kRfcSecret, at_29, 60, -1)) << "two steps away refused";
  EXPECT_EQ(*totp_verify(kRfcSecret, *totp_code(kRfcSecret, 90), 60, -1), 3);
  EXPECT_FALSE(*totp_verify(kRfcSecret, *totp_code(kRfcSecret, 120), 60, -1))
      << "two steps ahead refused";
}

TEST(Totp, a_used_step_cannot_be_replayed) {
  const std::string code = *totp_code(kRfcSecret, 1000);
  auto first = *totp_verify(kRfcSecret, code, 1000, 0);
  ASSERT_TRUE(first);
  EXPECT_FALSE(*totp_verify(kRfcSecret, code, 1005, *first));
}

TEST(Totp, malformed_codes_are_refused) {
  EXPECT_FALSE(*totp_verify(kRfcSecret, "12345", 59, -1));
  EXPECT_FALSE(*totp_verify(kRfcSecret, "28708a", 59, -1));
  EXPECT_FALSE(*totp_verify(kRfcSecret, "2870822", 59, -1));
  EXPECT_FALSE(totp_verify("not base32!", "287082", 59, -1));
}

TEST(Base32, matches_rfc4648_vectors_and_round_trips) {
  EXPECT_EQ(base32_encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(base32_encode("f"), "MY");
  EXPECT_EQ(*base32_decode("mzxw6ytboi======"), "foobar");
  EXPECT_EQ(*base32_decode("MZXW 6YTB OI"), "foobar");
  EXPECT_FALSE(base32_decode("MZXW1"));
  const std::string secret = new_totp_secret();
  EXPECT_EQ(secret.size(), 32u);
  EXPECT_EQ(base32_decode(secret)->size(), 20u);
}

TEST(Totp, uri_is_what_authenticator_apps_read) {
  EXPECT_EQ(
      totp_uri("RIS dev", "alice@example.com", "ABC"),
      "otpauth://totp/"
      "RIS%20dev:alice@example.com?secret=ABC&issuer=RIS%20dev&algorithm=SHA1&digits=6&period=30");
}

TEST(RecoveryCodes, are_distinct_readable_and_normalise) {
  auto codes = new_recovery_codes(10);
  ASSERT_EQ(codes.size(), 10u);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 10u);
  for (const auto& c : codes) {
    EXPECT_EQ(c.size(), 14u);
    EXPECT_EQ(c[4], '-');
    EXPECT_EQ(c.find_first_of("01lio"), std::string::npos);
  }
  EXPECT_EQ(normalize_recovery_code(" K7DM-2xqp 9hfw"), "k7dm2xqp9hfw");
}

}  // namespace
}  // namespace ris::security
