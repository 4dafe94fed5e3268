#include "ris/identity/sessions.hpp"
#include "store/testing/test_database.hpp"

#include "ris/identity/accounts.hpp"
#include "ris/security/ed25519.hpp"
#include "sessions_repository.hpp"
#include "test_store.hpp"

namespace ris::identity {
namespace {

class SessionsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    accounts_ = std::make_unique<Accounts>(*store_);
    sessions_ = std::make_unique<Sessions>(*store_, *box_, SessionOptions{});
    ASSERT_TRUE(sessions_->init());
    auto a = accounts_->create(
        {"alice@example.com", "alice", "correct horse battery staple", "Alice", {}});
    ASSERT_TRUE(a) << a.error().message;
    alice_ = *a;
  }
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<Sessions> sessions_;
  Account alice_;
};

TEST_F(SessionsTest, authenticates_by_email_or_username_and_refuses_alike_otherwise) {
  EXPECT_TRUE(accounts_->authenticate("alice", "correct horse battery staple"));
  EXPECT_TRUE(accounts_->authenticate("ALICE@example.com", "correct horse battery staple"));
  auto wrong = accounts_->authenticate("alice", "wrong password!!");
  auto nobody = accounts_->authenticate("nobody", "wrong password!!");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(wrong.error().code, Errc::unauthenticated);
  EXPECT_EQ(wrong.error().message, nobody.error().message);  // existence is not revealed
}

TEST_F(SessionsTest, refuses_duplicate_accounts_and_weak_passwords) {
  auto dup = accounts_->create({"ALICE@example.com", "alice2", "another long passphrase", "", {}});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::conflict);
  auto weak = accounts_->create({"bob@example.com", "bob", "short", "", {}});
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, Errc::invalid_argument);
  EXPECT_FALSE(accounts_->create({"not-an-email", "carol", "a long enough passphrase", "", {}}));
  EXPECT_FALSE(
      accounts_->create({"c@example.com", "bad name!", "a long enough passphrase", "", {}}));
}

TEST_F(SessionsTest, access_token_verifies_and_names_the_account) {
  auto t = sessions_->issue(alice_);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->expires_in, 15 * 60);
  auto c = sessions_->verify(t->access_token);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->account_id, alice_.id);
  EXPECT_EQ(c->username, "alice");
  std::string tampered = t->access_token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sessions_->verify(tampered));
}

TEST_F(SessionsTest, refresh_rotates_and_reuse_revokes_the_whole_family) {
  auto first = sessions_->issue(alice_);
  ASSERT_TRUE(first);
  auto second = sessions_->refresh(first->refresh_token);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_NE(second->refresh_token, first->refresh_token);
  // The first token is replayed (stolen copy): refused, and the legitimate newer one dies too.
  auto replay = sessions_->refresh(first->refresh_token);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, Errc::unauthenticated);
  EXPECT_FALSE(sessions_->refresh(second->refresh_token));
}

TEST_F(SessionsTest, logout_revokes_the_refresh_token) {
  auto t = sessions_->issue(alice_);
  ASSERT_TRUE(t);
  ASSERT_TRUE(sessions_->logout(t->refresh_token));
  EXPECT_FALSE(sessions_->refresh(t->refresh_token));
  EXPECT_FALSE(sessions_->refresh("garbage"));
}

TEST_F(SessionsTest, signing_keys_survive_a_restart) {
  auto t = sessions_->issue(alice_);
  ASSERT_TRUE(t);
  Sessions again(*store_, *box_, SessionOptions{});
  ASSERT_TRUE(again.init());
  EXPECT_TRUE(again.verify(t->access_token));
  auto keys = again.jwks().at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].at("kty").as_string(), "OKP");
}

TEST_F(SessionsTest, key_rotation_keeps_old_tokens_valid_until_they_expire) {
  auto before = sessions_->issue(alice_);
  ASSERT_TRUE(sessions_->rotate_keys());
  auto after = sessions_->issue(alice_);
  EXPECT_TRUE(sessions_->verify(before->access_token));
  EXPECT_TRUE(sessions_->verify(after->access_token));
  // A restart within the access-token lifetime still knows the retired key...
  Sessions restarted(*store_, *box_, SessionOptions{});
  ASSERT_TRUE(restarted.init());
  EXPECT_TRUE(restarted.verify(before->access_token));
  EXPECT_EQ(restarted.jwks().at("keys").as_array().size(), 2u);
  // ...and one whose tokens live 0 s has dropped it.
  Sessions later(*store_, *box_, SessionOptions{.access_ttl_seconds = 0});
  ASSERT_TRUE(later.init());
  EXPECT_EQ(later.jwks().at("keys").as_array().size(), 1u);
  EXPECT_TRUE(later.verify(after->access_token));
}

TEST_F(SessionsTest, signing_keys_are_stored_sealed) {
  ASSERT_TRUE(sessions_->rotate_keys());
  auto stored = SessionsRepository(*store_).all_signing_keys();
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 2u);
  for (const auto& k : *stored) {
    EXPECT_TRUE(security::is_sealed(k.private_pem)) << k.private_pem;
    EXPECT_EQ(k.private_pem.find("PRIVATE KEY"), std::string::npos);
    auto pem = box_->open(k.private_pem, kJwtPrivateKeyContext);
    ASSERT_TRUE(pem) << pem.error().message;
    EXPECT_TRUE(pem->starts_with("-----BEGIN PRIVATE KEY-----"));
  }
}

TEST_F(SessionsTest, keys_stored_in_clear_before_encryption_are_sealed_at_start) {
  // A database from before encryption: the active key's PEM in clear.
  auto key = security::Ed25519Key::generate();
  ASSERT_TRUE(key);
  ASSERT_TRUE(store_->transaction([&](store::Store& tx) -> Result<void> {
    return SessionsRepository(tx).replace_active_key("plain-kid", *key->private_pem(),
                                                     *key->public_pem(), "2000-01-01T00:00:00Z");
  }));
  Sessions restarted(*store_, *box_, SessionOptions{});
  ASSERT_TRUE(restarted.init());
  auto stored = SessionsRepository(*store_).all_signing_keys();
  ASSERT_TRUE(stored);
  for (const auto& k : *stored)
    EXPECT_TRUE(security::is_sealed(k.private_pem)) << k.kid;
  auto t = restarted.issue(alice_);
  ASSERT_TRUE(t);
  EXPECT_TRUE(restarted.verify(t->access_token));
  // Idempotent: the next start finds nothing in clear and leaves the stored values alone.
  Sessions again(*store_, *box_, SessionOptions{});
  ASSERT_TRUE(again.init());
  EXPECT_TRUE(again.verify(t->access_token));
  auto after = SessionsRepository(*store_).all_signing_keys();
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), stored->size());
  for (size_t i = 0; i < after->size(); ++i)
    EXPECT_EQ((*after)[i].private_pem, (*stored)[i].private_pem);
}

TEST_F(SessionsTest, a_key_not_in_the_master_key_file_is_refused_not_read_as_plaintext) {
  const auto other_key = box_of({security::generate_master_key()});
  Sessions other(*store_, other_key, SessionOptions{});
  auto r = other.init();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("jwt_keys.private_pem"), std::string::npos) << r.error().message;
}

TEST_F(SessionsTest, reseal_moves_every_key_to_the_new_master_key) {
  auto before = sessions_->issue(alice_);
  ASSERT_TRUE(sessions_->rotate_keys());
  const std::string new_key = security::generate_master_key();
  const auto rotating = box_of({new_key, master_key_});
  auto n = Sessions::reseal(*store_, rotating);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(*Sessions::reseal(*store_, rotating), 0) << "values already current are skipped";
  const auto rotated = box_of({new_key});
  Sessions restarted(*store_, rotated, SessionOptions{});
  ASSERT_TRUE(restarted.init());
  EXPECT_TRUE(restarted.verify(before->access_token));
}

TEST_F(SessionsTest, first_admin_is_created_once) {
  // The fixture already created alice, so an instance with accounts gets no new admin.
  auto none = accounts_->ensure_first_admin("admin@localhost", "");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST(FirstAdmin, is_created_with_a_generated_password_on_an_empty_instance) {
  auto dir =
      std::filesystem::temp_directory_path() / ("ris-first-admin-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto s = store::open_store(store::testing::fresh_database_url(dir), dir);
    ASSERT_TRUE(s);
    Accounts accounts(**s);
    auto r = accounts.ensure_first_admin("admin@localhost", "");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    const std::string password = **r;
    EXPECT_GE(password.size(), 20u);
    auto admin = accounts.authenticate("admin", password);
    ASSERT_TRUE(admin);
    EXPECT_EQ(admin->app_roles, std::vector<std::string>{std::string(kApplicationAdministrator)});
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ris::identity
