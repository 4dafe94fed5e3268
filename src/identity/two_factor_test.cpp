#include "ris/identity/two_factor.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "ris/security/totp.hpp"
#include "test_store.hpp"
#include "two_factor_repository.hpp"

namespace ris::identity {
namespace {

class TwoFactorTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    accounts_ = std::make_unique<Accounts>(*store_);
    alice_ = *accounts_->create({"alice@example.com", "alice", "alice's passphrase", "", {}});
    tf_ = std::make_unique<TwoFactor>(*store_, *box_, *accounts_);
  }
  void TearDown() override {
    tf_.reset();
    accounts_.reset();
    StoreTest::TearDown();
  }
  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::string stored_secret() {
    auto state = TwoFactorRepository(*store_).state(alice_.id);
    EXPECT_TRUE(state && *state && (*state)->secret);
    return state && *state ? (*state)->secret.value_or("") : "";
  }
  // Alice with 2FA on; returns the secret the API showed her.
  std::string enable() {
    auto e = tf_->begin(alice_.id, "alice's passphrase");
    EXPECT_TRUE(e) << e.error().message;
    EXPECT_TRUE(tf_->confirm(alice_.id, *security::totp_code(e->secret, now() - 30)));
    return e->secret;
  }
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<TwoFactor> tf_;
  Account alice_;
};

TEST_F(TwoFactorTest, enrol_confirm_then_codes_work_once) {
  ASSERT_FALSE(tf_->begin(alice_.id, "wrong password"));
  auto e = tf_->begin(alice_.id, "alice's passphrase");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_TRUE(e->uri.starts_with("otpauth://totp/RIS:alice?secret="));
  const int64_t t = now();
  auto codes = tf_->confirm(alice_.id, *security::totp_code(e->secret, t - 30));
  ASSERT_TRUE(codes) << codes.error().message;
  EXPECT_EQ(codes->size(), 10u);
  EXPECT_TRUE(accounts_->find(alice_.id)->totp_enabled);
  // The confirming code's step is used: a code of the next step works, once.
  const std::string next = *security::totp_code(e->secret, t);
  EXPECT_TRUE(tf_->check(alice_.id, next, t));
  EXPECT_FALSE(tf_->check(alice_.id, next, t)) << "replayed code accepted";
  // Recovery codes: any spelling, once each.
  std::string upper = (*codes)[0];
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(tf_->check(alice_.id, upper, t));
  EXPECT_FALSE(tf_->check(alice_.id, (*codes)[0], t));
  EXPECT_FALSE(tf_->check(alice_.id, "aaaa-bbbb-cccc", t));
}

TEST_F(TwoFactorTest, disable_needs_password_and_a_code) {
  auto e = *tf_->begin(alice_.id, "alice's passphrase");
  auto codes = *tf_->confirm(alice_.id, *security::totp_code(e.secret, now()));
  EXPECT_FALSE(tf_->disable(alice_.id, "wrong password", codes[1]));
  EXPECT_FALSE(tf_->disable(alice_.id, "alice's passphrase", "123"));
  EXPECT_TRUE(tf_->disable(alice_.id, "alice's passphrase", codes[1]));
  EXPECT_FALSE(accounts_->find(alice_.id)->totp_enabled);
  EXPECT_FALSE(tf_->check(alice_.id, codes[2], now())) << "codes die with 2FA";
}

TEST_F(TwoFactorTest, the_secret_is_stored_sealed) {
  auto e = tf_->begin(alice_.id, "alice's passphrase");
  ASSERT_TRUE(e);
  const std::string stored = stored_secret();
  EXPECT_TRUE(security::is_sealed(stored)) << stored;
  EXPECT_EQ(stored.find(e->secret), std::string::npos);
  EXPECT_EQ(*box_->open(stored, kTotpSecretContext), e->secret);
}

TEST_F(TwoFactorTest, a_secret_stored_in_clear_before_encryption_is_sealed_at_start) {
  const std::string secret = enable();
  // A database from before encryption held the secret in clear.
  ASSERT_TRUE(TwoFactorRepository(*store_).set_pending_secret(alice_.id, secret));
  const int64_t t = now();
  auto refused = tf_->check(alice_.id, *security::totp_code(secret, t), t);
  ASSERT_FALSE(refused) << "a value in clear is not taken for a sealed one";
  EXPECT_EQ(refused.error().code, Errc::internal);
  auto sealed = tf_->seal_plaintext();
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_EQ(*sealed, 1);
  EXPECT_TRUE(security::is_sealed(stored_secret()));
  EXPECT_EQ(*tf_->seal_plaintext(), 0) << "idempotent";
  EXPECT_TRUE(tf_->check(alice_.id, *security::totp_code(secret, t), t));
}

TEST_F(TwoFactorTest, reseal_moves_the_secrets_to_the_new_master_key) {
  const std::string secret = enable();
  const std::string new_key = security::generate_master_key();
  const auto rotating = box_of({new_key, master_key_});
  auto n = TwoFactor::reseal(*store_, rotating);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(*TwoFactor::reseal(*store_, rotating), 0) << "values already current are skipped";
  const auto rotated = box_of({new_key});
  TwoFactor after(*store_, rotated, *accounts_);
  const int64_t t = now() + 30;
  EXPECT_TRUE(after.check(alice_.id, *security::totp_code(secret, t), t));
  EXPECT_FALSE(tf_->check(alice_.id, *security::totp_code(secret, t + 30), t + 30))
      << "the old key alone no longer opens it";
}

}  // namespace
}  // namespace ris::identity
