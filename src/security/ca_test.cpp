#include "ris/security/ca.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>

#include "security/test_support.hpp"

namespace ris::security {
namespace {
using testing::alt_names;
using ::testing::Contains;
using testing::file_mode;
using ::testing::HasSubstr;
using testing::parse_cert;
using testing::read_text;
using testing::TempDir;
using testing::verifies;
using testing::write_text;

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string out = host;
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TEST(EnsureServerCredentials, first_call_creates_private_files_and_later_calls_reuse_them) {
  TempDir tmp;
  const auto dir = tmp.path() / "tls";
  auto first = ensure_server_credentials(dir, {});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->created_ca);
  EXPECT_TRUE(first->issued_server_cert);
  for (const char* name : {"ca.crt", "ca.key", "server.crt", "server.key"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(dir / name)) << name;
  }
  EXPECT_EQ(file_mode(dir), 0700u);
  EXPECT_EQ(file_mode(dir / "ca.key"), 0600u);
  EXPECT_EQ(file_mode(dir / "server.key"), 0600u);
  EXPECT_THAT(first->key_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(first->cert_chain_pem, read_text(dir / "server.crt") + first->ca_cert_pem);

  auto second = ensure_server_credentials(dir, {});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->created_ca);
  EXPECT_FALSE(second->issued_server_cert);
  EXPECT_EQ(second->ca_sha256, first->ca_sha256);
  EXPECT_EQ(second->cert_chain_pem, first->cert_chain_pem);
  EXPECT_EQ(second->key_pem, first->key_pem);
}

TEST(EnsureServerCredentials, server_cert_verifies_against_the_ca_and_covers_every_name) {
  TempDir tmp;
  auto creds = ensure_server_credentials(tmp.path(), {"ris.example.test", "192.0.2.10"});
  ASSERT_TRUE(creds) << creds.error().message;
  X509Ptr ca = parse_cert(creds->ca_cert_pem);
  X509Ptr leaf = parse_cert(creds->cert_chain_pem);
  ASSERT_TRUE(ca && leaf);
  EXPECT_TRUE(verifies(leaf.get(), ca.get(), X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_SERVER);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);

  auto sans = alt_names(leaf.get());
  for (const char* want :
       {"DNS:localhost", "IP:127.0.0.1", "IP:::1", "DNS:ris.example.test", "IP:192.0.2.10"}) {
    EXPECT_THAT(sans, Contains(want));
  }
  if (std::string host = host_name(); !host.empty()) {
    EXPECT_THAT(sans, Contains("DNS:" + host));
  }
}

TEST(EnsureServerCredentials, new_name_reissues_the_server_cert_but_keeps_the_ca) {
  TempDir tmp;
  auto first = ensure_server_credentials(tmp.path(), {"a.example.test"});
  ASSERT_TRUE(first) << first.error().message;
  auto second = ensure_server_credentials(tmp.path(), {"a.example.test", "b.example.test"});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->created_ca);
  EXPECT_TRUE(second->issued_server_cert);
  EXPECT_EQ(second->ca_sha256, first->ca_sha256);
  EXPECT_NE(second->cert_chain_pem, first->cert_chain_pem);
  X509Ptr leaf = parse_cert(second->cert_chain_pem);
  EXPECT_THAT(alt_names(leaf.get()), Contains("DNS:b.example.test"));

  // A subset of the names already covered is not a reason to reissue.
  auto third = ensure_server_credentials(tmp.path(), {"B.example.test"});
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_FALSE(third->issued_server_cert);
}

TEST(EnsureServerCredentials, ca_hash_is_the_sha256_of_the_ca_certificate) {
  TempDir tmp;
  auto creds = ensure_server_credentials(tmp.path(), {});
  ASSERT_TRUE(creds) << creds.error().message;
  X509Ptr ca = parse_cert(read_text(tmp.path() / "ca.crt"));
  ASSERT_TRUE(ca);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(ca.get(), EVP_sha256(), md.data(), &len), 1);
  std::string expected = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", md[i]);
    expected += byte;
  }
  EXPECT_EQ(creds->ca_sha256, expected);
  auto again = certificate_sha256(creds->ca_cert_pem);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, expected);
}

TEST(EnsureServerCredentials, refuses_a_key_file_readable_by_others_naming_it) {
  TempDir tmp;
  ASSERT_TRUE(ensure_server_credentials(tmp.path(), {}));
  for (const char* name : {"ca.key", "server.key"}) {
    const auto key = tmp.path() / name;
    ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
    auto r = ensure_server_credentials(tmp.path(), {});
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, Errc::forbidden);
    EXPECT_THAT(r.error().message, HasSubstr(key.string()));
    EXPECT_THAT(r.error().message, HasSubstr("too open"));
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  }
}

TEST(EnsureServerCredentials, reissues_a_corrupt_server_cert_from_the_same_ca) {
  TempDir tmp;
  auto first = ensure_server_credentials(tmp.path(), {});
  ASSERT_TRUE(first);
  write_text(tmp.path() / "server.crt", "-----BEGIN CERTIFICATE-----\ngarbage\n", 0644);
  auto second = ensure_server_credentials(tmp.path(), {});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->issued_server_cert);
  EXPECT_FALSE(second->created_ca);
  EXPECT_EQ(second->ca_sha256, first->ca_sha256);
  EXPECT_TRUE(parse_cert(read_text(tmp.path() / "server.crt")));
}

TEST(EnsureServerCredentials, reissues_a_server_cert_from_another_ca) {
  TempDir a, b;
  ASSERT_TRUE(ensure_server_credentials(a.path(), {}));
  ASSERT_TRUE(ensure_server_credentials(b.path(), {}));
  std::filesystem::copy_file(b.path() / "server.crt", a.path() / "server.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(b.path() / "server.key", a.path() / "server.key",
                             std::filesystem::copy_options::overwrite_existing);
  auto r = ensure_server_credentials(a.path(), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->issued_server_cert);
  EXPECT_TRUE(verifies(parse_cert(r->cert_chain_pem).get(), parse_cert(r->ca_cert_pem).get()));
}

TEST(EnsureServerCredentials, never_replaces_a_corrupt_or_incomplete_ca) {
  TempDir tmp;
  ASSERT_TRUE(ensure_server_credentials(tmp.path(), {}));
  const auto ca_crt = tmp.path() / "ca.crt";
  write_text(ca_crt, "not a certificate\n", 0644);
  auto corrupt = ensure_server_credentials(tmp.path(), {});
  ASSERT_FALSE(corrupt);
  EXPECT_THAT(corrupt.error().message, HasSubstr(ca_crt.string()));
  EXPECT_EQ(read_text(ca_crt), "not a certificate\n");

  std::filesystem::remove(ca_crt);
  auto missing = ensure_server_credentials(tmp.path(), {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::conflict);
  EXPECT_THAT(missing.error().message, HasSubstr("ca.crt"));
  EXPECT_FALSE(std::filesystem::exists(ca_crt));
}

TEST(EnsureServerCredentials, refuses_a_ca_key_that_does_not_match_the_ca_cert) {
  TempDir a, b;
  ASSERT_TRUE(ensure_server_credentials(a.path(), {}));
  ASSERT_TRUE(ensure_server_credentials(b.path(), {}));
  std::filesystem::copy_file(b.path() / "ca.key", a.path() / "ca.key",
                             std::filesystem::copy_options::overwrite_existing);
  auto r = ensure_server_credentials(a.path(), {});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr((a.path() / "ca.key").string()));
}

TEST(EnsureServerCredentials, refuses_a_name_that_is_neither_dns_nor_ip) {
  TempDir tmp;
  auto r = ensure_server_credentials(tmp.path() / "tls", {"bad name/with spaces"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_THAT(r.error().message, HasSubstr("bad name/with spaces"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "tls"));
}

}  // namespace
}  // namespace ris::security
