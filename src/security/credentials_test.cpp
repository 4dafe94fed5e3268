// Operator-supplied credentials, certificate hashes and client certificates from CSRs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ris/security/ca.hpp"
#include "security/test_support.hpp"

namespace ris::security {
namespace {
using testing::common_name;
using ::testing::HasSubstr;
using testing::parse_cert;
using testing::read_text;
using testing::TempDir;
using testing::verifies;
using testing::write_text;

TEST(LoadOperatorCredentials, loads_a_matching_certificate_chain_and_key) {
  TempDir tmp;
  auto made = ensure_server_credentials(tmp.path() / "ca", {});
  ASSERT_TRUE(made) << made.error().message;
  const auto cert_file = tmp.path() / "fullchain.pem", key_file = tmp.path() / "privkey.pem";
  write_text(cert_file, made->cert_chain_pem, 0644);
  write_text(key_file, made->key_pem, 0640);

  auto loaded = load_operator_credentials(cert_file, key_file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->cert_chain_pem, made->cert_chain_pem);
  EXPECT_EQ(loaded->key_pem, made->key_pem);
  EXPECT_EQ(loaded->ca_cert_pem, made->ca_cert_pem);
  EXPECT_EQ(loaded->ca_sha256, made->ca_sha256);
  EXPECT_FALSE(loaded->created_ca);
  EXPECT_FALSE(loaded->issued_server_cert);
}

TEST(LoadOperatorCredentials, refuses_a_key_that_does_not_match_the_certificate) {
  TempDir tmp;
  auto made = ensure_server_credentials(tmp.path() / "ca", {});
  ASSERT_TRUE(made);
  const auto cert_file = tmp.path() / "cert.pem", key_file = tmp.path() / "other.key";
  write_text(cert_file, made->cert_chain_pem, 0644);
  write_text(key_file, read_text(tmp.path() / "ca" / "ca.key"), 0600);
  auto r = load_operator_credentials(cert_file, key_file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_THAT(r.error().message, HasSubstr(key_file.string()));
  EXPECT_THAT(r.error().message, HasSubstr("does not match"));
}

TEST(LoadOperatorCredentials, names_a_missing_or_unreadable_file) {
  TempDir tmp;
  auto made = ensure_server_credentials(tmp.path() / "ca", {});
  ASSERT_TRUE(made);
  const auto cert_file = tmp.path() / "cert.pem", key_file = tmp.path() / "key.pem";
  auto missing = load_operator_credentials(cert_file, key_file);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr(cert_file.string()));

  write_text(cert_file, "junk", 0644);
  write_text(key_file, made->key_pem, 0600);
  auto corrupt = load_operator_credentials(cert_file, key_file);
  ASSERT_FALSE(corrupt);
  EXPECT_THAT(corrupt.error().message, HasSubstr(cert_file.string()));

  write_text(cert_file, made->cert_chain_pem, 0644);
  ::chmod(key_file.c_str(), 0604);
  auto open_key = load_operator_credentials(cert_file, key_file);
  ASSERT_FALSE(open_key);
  EXPECT_THAT(open_key.error().message, HasSubstr(key_file.string()));
}

TEST(CertificateSha256, refuses_text_without_a_certificate) {
  auto r = certificate_sha256("hello");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

// A CSR as an agent would make it: its own P-256 key, a subject the server ignores.
std::string make_csr() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  X509ReqPtr req(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("chosen-by-agent"), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key.get());
  X509_REQ_sign(req.get(), key.get(), EVP_sha256());
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

TEST(SignClientCsr, issues_a_client_certificate_that_verifies_against_the_ca) {
  TempDir tmp;
  auto creds = ensure_server_credentials(tmp.path(), {});
  ASSERT_TRUE(creds);
  auto pem = sign_client_csr(tmp.path(), make_csr(), "agent-0192", 30);
  ASSERT_TRUE(pem) << pem.error().message;
  X509Ptr cert = parse_cert(*pem);
  X509Ptr ca = parse_cert(creds->ca_cert_pem);
  ASSERT_TRUE(cert && ca);
  EXPECT_TRUE(verifies(cert.get(), ca.get(), X509_PURPOSE_SSL_CLIENT));
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT);
  EXPECT_FALSE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  EXPECT_EQ(common_name(cert.get()), "agent-0192");
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
}

TEST(SignClientCsr, refuses_bad_input_and_a_missing_ca) {
  TempDir tmp;
  auto no_ca = sign_client_csr(tmp.path() / "none", make_csr(), "agent", 30);
  ASSERT_FALSE(no_ca);
  EXPECT_EQ(no_ca.error().code, Errc::not_found);

  ASSERT_TRUE(ensure_server_credentials(tmp.path(), {}));
  EXPECT_FALSE(sign_client_csr(tmp.path(), "not a csr", "agent", 30));
  EXPECT_FALSE(sign_client_csr(tmp.path(), make_csr(), "", 30));
  EXPECT_FALSE(sign_client_csr(tmp.path(), make_csr(), "agent", 0));
}

}  // namespace
}  // namespace ris::security
