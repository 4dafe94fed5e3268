// Secrets at rest: the sealed format (checked with OpenSSL directly), contexts, tampering, key
// ids across a rotation, and the master key file.
#include "ris/security/secret_box.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <thread>

#include "ris/core/base64.hpp"
#include "ris/security/digest.hpp"
#include "security/test_support.hpp"

namespace ris::security {
namespace {
using testing::file_mode;
using ::testing::HasSubstr;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');

SecretBox box_of(std::vector<std::string> keys) {
  auto box = SecretBox::from_keys(std::move(keys));
  EXPECT_TRUE(box) << box.error().message;
  return std::move(*box);
}

// AES-256-GCM decryption written against the documented format, independent of SecretBox.
std::optional<std::string> decrypt_by_hand(const std::string& key, const std::string& sealed,
                                           const std::string& aad) {
  const std::string head = "ris:enc:v1:" + sha256_hex(key).substr(0, 8) + ":";
  if (!sealed.starts_with(head))
    return std::nullopt;
  auto blob = base64url_decode(sealed.substr(head.size()));
  if (!blob || blob->size() < 28)
    return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(blob->data());
  const int n = static_cast<int>(blob->size()) - 28;
  std::string out(static_cast<size_t>(n), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()), b) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx, o, &len, b + 12, n) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, const_cast<unsigned char*>(b + 12 + n)) ==
          1 &&
      EVP_DecryptFinal_ex(ctx, o + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok ? std::optional<std::string>(out) : std::nullopt;
}

TEST(SecretBox, seals_aes_256_gcm_in_the_documented_format) {
  const auto box = box_of({kKeyA});
  auto sealed = box.seal("hunter2", "accounts.totp_secret");
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_TRUE(is_sealed(*sealed));
  EXPECT_THAT(*sealed, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_EQ(box.current_key_id(), sha256_hex(kKeyA).substr(0, 8));
  // nonce 12 + ciphertext 7 + tag 16 = 35 bytes → 47 base64url characters.
  EXPECT_EQ(sealed->size(), std::string("ris:enc:v1:12345678:").size() + 47);
  EXPECT_EQ(decrypt_by_hand(kKeyA, *sealed, "accounts.totp_secret"), "hunter2");
  EXPECT_EQ(decrypt_by_hand(kKeyA, *sealed, "other"), std::nullopt) << "context is the AAD";
}

TEST(SecretBox, opens_what_it_sealed_including_empty_and_binary_values) {
  const auto box = box_of({kKeyA});
  for (const std::string& plain :
       {std::string(), std::string("x"), std::string("\0\n\xff", 3), std::string(100000, 'z')}) {
    auto sealed = box.seal(plain, "ctx");
    ASSERT_TRUE(sealed);
    auto opened = box.open(*sealed, "ctx");
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(*opened, plain);
  }
}

TEST(SecretBox, the_same_secret_seals_differently_each_time) {
  const auto box = box_of({kKeyA});
  EXPECT_NE(*box.seal("same", "ctx"), *box.seal("same", "ctx"));
}

TEST(SecretBox, a_value_does_not_open_in_another_context) {
  const auto box = box_of({kKeyA});
  auto sealed = *box.seal("hunter2", "accounts.totp_secret");
  auto opened = box.open(sealed, "services.secret_env");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::internal);
  EXPECT_THAT(opened.error().message, HasSubstr("services.secret_env"));
  EXPECT_THAT(opened.error().message, ::testing::Not(HasSubstr("hunter2")));
}

TEST(SecretBox, tampered_truncated_or_malformed_values_are_refused) {
  const auto box = box_of({kKeyA});
  const std::string sealed = *box.seal("hunter2", "ctx");
  std::vector<std::string> bad;
  for (size_t i = std::string("ris:enc:v1:12345678:").size(); i < sealed.size(); ++i) {
    // Flip the top bit of one base64 digit (the low bits of the last digit are padding).
    static constexpr std::string_view kDigits =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string t = sealed;
    t[i] = kDigits[kDigits.find(t[i]) ^ 0x20];
    bad.push_back(t);
  }
  bad.push_back(sealed.substr(0, sealed.size() - 1));
  bad.push_back(sealed.substr(0, 30));
  bad.push_back(sealed + "AAAA");
  bad.push_back("ris:enc:v1:");
  bad.push_back("ris:enc:v1:" + box.current_key_id());
  bad.push_back("ris:enc:v1:" + box.current_key_id() + ":");
  bad.push_back("ris:enc:v1:" + box.current_key_id() + ":!!!!");
  bad.push_back("hunter2");
  for (const auto& t : bad) {
    auto opened = box.open(t, "ctx");
    EXPECT_FALSE(opened) << t;
    if (!opened) {
      EXPECT_EQ(opened.error().code, Errc::internal);
    }
  }
}

TEST(SecretBox, an_unknown_key_id_is_named_in_the_error) {
  const auto a = box_of({kKeyA});
  const auto b = box_of({kKeyB});
  auto opened = b.open(*a.seal("hunter2", "ctx"), "ctx");
  ASSERT_FALSE(opened);
  EXPECT_THAT(opened.error().message, HasSubstr(a.current_key_id()));
  EXPECT_THAT(opened.error().message, HasSubstr("not in the master key file"));
}

TEST(SecretBox, during_a_rotation_old_values_open_and_new_ones_use_the_new_key) {
  const auto old_box = box_of({kKeyA});
  const auto rotating = box_of({kKeyB, kKeyA});
  const std::string old_value = *old_box.seal("hunter2", "ctx");
  EXPECT_EQ(*rotating.open(old_value, "ctx"), "hunter2");
  EXPECT_FALSE(rotating.is_current(old_value));
  auto resealed = rotating.reseal(old_value, "ctx");
  ASSERT_TRUE(resealed);
  EXPECT_TRUE(rotating.is_current(*resealed));
  EXPECT_EQ(*box_of({kKeyB}).open(*resealed, "ctx"), "hunter2") << "opens without the old key";
  EXPECT_FALSE(old_box.open(*resealed, "ctx"));
  EXPECT_EQ(rotating.key_ids(),
            (std::vector<std::string>{master_key_id(kKeyB), master_key_id(kKeyA)}));
}

TEST(SecretBox, plaintext_from_before_encryption_is_read_once_and_sealed_on_reseal) {
  const auto box = box_of({kKeyA});
  EXPECT_EQ(*box.open_or_plain("legacy", "ctx"), "legacy");
  EXPECT_FALSE(box.open("legacy", "ctx")) << "open() insists on a sealed value";
  EXPECT_FALSE(box.is_current("legacy"));
  auto sealed = box.reseal("legacy", "ctx");
  ASSERT_TRUE(sealed);
  EXPECT_EQ(*box.open(*sealed, "ctx"), "legacy");
}

TEST(SecretBox, keys_must_be_32_bytes) {
  EXPECT_FALSE(SecretBox::from_keys({}));
  EXPECT_FALSE(SecretBox::from_keys({std::string(31, 'a')}));
  EXPECT_FALSE(SecretBox::from_keys({kKeyA, std::string(33, 'a')}));
}

TEST(SecretBox, is_safe_to_use_from_several_threads) {
  const auto box = box_of({kKeyA});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string plain = std::to_string(t) + ":" + std::to_string(i);
        auto sealed = box.seal(plain, "ctx");
        if (sealed && box.open(*sealed, "ctx").value_or("") == plain)
          ++ok;
      }
    });
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST(MasterKeyFile, is_created_once_0600_and_reused) {
  TempDir tmp;
  const auto file = tmp.path() / "data" / "master.key";
  bool created = false;
  auto first = SecretBox::load_or_create(file, &created);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(created);
  EXPECT_EQ(file_mode(file), 0600u);
  const std::string text = read_text(file);
  EXPECT_EQ(text.size(), 45u) << "44 base64 characters and a newline";
  auto again = SecretBox::load_or_create(file, &created);
  ASSERT_TRUE(again);
  EXPECT_FALSE(created);
  EXPECT_EQ(again->current_key_id(), first->current_key_id());
  EXPECT_EQ(read_text(file), text);
  EXPECT_EQ(*again->open(*first->seal("s", "ctx"), "ctx"), "s");
}

TEST(MasterKeyFile, load_needs_an_existing_file) {
  TempDir tmp;
  auto box = SecretBox::load(tmp.path() / "master.key");
  ASSERT_FALSE(box);
  EXPECT_EQ(box.error().code, Errc::not_found);
}

TEST(MasterKeyFile, refuses_a_file_group_or_others_can_read) {
  TempDir tmp;
  const auto file = tmp.path() / "master.key";
  write_text(file, format_master_key_file({kKeyA}), 0640);
  auto box = SecretBox::load(file);
  ASSERT_FALSE(box);
  EXPECT_THAT(box.error().message, HasSubstr("too open"));
  EXPECT_FALSE(SecretBox::load_or_create(file)) << "never replaced by a new key";
  EXPECT_EQ(read_text(file), format_master_key_file({kKeyA}));
}

TEST(MasterKeyFile, several_lines_are_the_current_key_then_older_ones) {
  TempDir tmp;
  const auto file = tmp.path() / "master.key";
  ASSERT_TRUE(write_master_key_file(file, {kKeyB, kKeyA}));
  EXPECT_EQ(file_mode(file), 0600u);
  auto box = SecretBox::load(file);
  ASSERT_TRUE(box) << box.error().message;
  EXPECT_EQ(box->key_ids(), (std::vector<std::string>{master_key_id(kKeyB), master_key_id(kKeyA)}));
}

TEST(MasterKeyFile, accepts_openssl_rand_base64_comments_and_base64url) {
  // `openssl rand -base64 32` output for 32 bytes of 0xfb: "+/v7...=".
  const std::string std_b64 = format_master_key_file({std::string(32, '\xfb')});
  EXPECT_TRUE(std_b64.starts_with("+/v7")) << std_b64;
  auto keys = parse_master_key_file(
      "# rotated 2024-05-01\n\n" + std_b64 + "  \r\n" + base64url_encode(kKeyA) + "\n",
      "master.key");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(*keys, (std::vector<std::string>{std::string(32, '\xfb'), kKeyA}));
}

TEST(MasterKeyFile, bad_content_names_the_line) {
  auto short_key = parse_master_key_file("# c\n" + base64url_encode("short") + "\n", "mk");
  ASSERT_FALSE(short_key);
  EXPECT_THAT(short_key.error().message, HasSubstr("mk:2"));
  EXPECT_FALSE(parse_master_key_file("\n# nothing\n", "mk"));
  auto twice = parse_master_key_file(format_master_key_file({kKeyA, kKeyA}), "mk");
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error().message, HasSubstr("twice"));
}

}  // namespace
}  // namespace ris::security
