#include "ris/identity/two_factor.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "ris/security/totp.hpp"
#include "test_store.hpp"

namespace ris::identity {
namespace {

class TwoFactorTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    accounts_ = std::make_unique<Accounts>(*store_);
    alice_ = *accounts_->create({"alice@example.com", "alice", "alice's passphrase", "", {}});
    tf_ = std::make_unique<TwoFactor>(*store_, *accounts_);
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

}  // namespace
}  // namespace ris::identity
