#include "security/certificates.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace ris::security {
namespace {
constexpr int kCaDays = 3652;            // ten years
constexpr int kServerDays = 397;         // the CA/Browser Forum maximum, so browsers accept it too
constexpr long kBackdateSeconds = 3600;  // tolerate a peer whose clock runs an hour behind

Failure openssl_failure(std::string what) {
  std::string detail = openssl_error();
  return fail(Errc::internal, what + (detail.empty() ? "" : ": " + detail));
}

std::string hex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0f]);
  }
  return out;
}

BioPtr read_bio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

Result<std::string> bio_contents(BIO* bio) {
  BUF_MEM* mem = nullptr;
  if (BIO_get_mem_ptr(bio, &mem) != 1 || mem == nullptr)
    return openssl_failure("PEM output");
  return std::string(mem->data, mem->length);
}

// Never prompts for a pass phrase; records that one was asked for.
int no_passphrase(char*, int, int, void* asked) {
  if (asked != nullptr)
    *static_cast<bool*>(asked) = true;
  return 0;
}

Result<void> set_random_serial(X509* cert) {
  // 128 random bits: unpredictable serials, as CA/B Forum asks (at least 64 bits of entropy).
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return openssl_failure("random serial number");
  }
  bytes[15] |= 1;  // never zero
  BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
    return openssl_failure("serial number");
  }
  return {};
}

Result<void> add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return openssl_failure(std::string("certificate extension ") + OBJ_nid2sn(nid));
  }
  return {};
}

Result<void> add_subject_alt_names(X509* cert, const std::vector<std::string>& names) {
  GeneralNamesPtr sans(sk_GENERAL_NAME_new_null());
  if (!sans)
    return openssl_failure("subjectAltName");
  for (const std::string& name : names) {
    GeneralNamePtr gn(GENERAL_NAME_new());
    if (!gn)
      return openssl_failure("subjectAltName");
    if (is_ip_literal(name)) {
      Asn1OctetStringPtr ip(a2i_IPADDRESS(name.c_str()));
      if (!ip)
        return openssl_failure("subjectAltName IP " + name);
      GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, ip.release());
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (dns == nullptr || ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
        ASN1_IA5STRING_free(dns);
        return openssl_failure("subjectAltName DNS " + name);
      }
      GENERAL_NAME_set0_value(gn.get(), GEN_DNS, dns);
    }
    if (sk_GENERAL_NAME_push(sans.get(), gn.get()) == 0)
      return openssl_failure("subjectAltName");
    gn.release();  // owned by `sans` now
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_failure("subjectAltName");
  }
  return {};
}

// What differs between the certificates we issue; the rest is common.
struct CertSpec {
  EVP_PKEY* subject_key = nullptr;
  std::string common_name;
  int days = 0;
  X509* issuer = nullptr;  // nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;
  std::vector<std::pair<int, const char*>> extensions;
  const std::vector<std::string>* alt_names = nullptr;
};

Result<X509Ptr> build_certificate(const CertSpec& spec) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return openssl_failure("X509");
  RIS_TRY_VOID(set_random_serial(cert.get()));

  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1) {
    return openssl_failure("subject name");
  }
  X509* issuer = spec.issuer != nullptr ? spec.issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_set_pubkey(cert.get(), spec.subject_key) != 1) {
    return openssl_failure("issuer name or public key");
  }

  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), spec.days, 0, nullptr) == nullptr) {
    return openssl_failure("validity");
  }
  // A certificate that outlives its CA would only fail later and more confusingly.
  if (spec.issuer != nullptr &&
      ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(spec.issuer)) > 0 &&
      X509_set1_notAfter(cert.get(), X509_get0_notAfter(spec.issuer)) != 1) {
    return openssl_failure("validity");
  }

  for (const auto& [nid, value] : spec.extensions) {
    RIS_TRY_VOID(add_extension(cert.get(), issuer, nid, value));
  }
  if (spec.alt_names != nullptr)
    RIS_TRY_VOID(add_subject_alt_names(cert.get(), *spec.alt_names));

  if (X509_sign(cert.get(), spec.issuer_key, EVP_sha256()) <= 0)
    return openssl_failure("signing");
  return cert;
}
}  // namespace

Result<EvpPkeyPtr> generate_p256_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key)
    return openssl_failure("generating a P-256 key");
  return key;
}

Result<std::string> private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_failure("encoding a private key");
  }
  return bio_contents(bio.get());
}

Result<std::string> certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return openssl_failure("encoding a certificate");
  }
  return bio_contents(bio.get());
}

Result<std::string> certificate_fingerprint(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0)
    return openssl_failure("encoding a certificate");
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  int ok = EVP_Digest(der, static_cast<size_t>(len), md.data(), &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1)
    return openssl_failure("SHA-256");
  return "sha256:" + hex(md.data(), md_len);
}

Result<EvpPkeyPtr> parse_private_key(std::string_view pem, std::string_view source) {
  ERR_clear_error();
  BioPtr bio = read_bio(pem);
  bool asked_passphrase = false;
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, &asked_passphrase)
                     : nullptr);
  if (!key) {
    std::string detail = openssl_error();
    if (asked_passphrase) {
      return fail(Errc::invalid_argument,
                  std::string(source) + " is encrypted; RIS needs an unencrypted private key");
    }
    return fail(
        Errc::invalid_argument,
        std::string(source) + " does not contain a readable PEM private key (" + detail + ")");
  }
  return key;
}

Result<std::vector<X509Ptr>> parse_certificates(std::string_view pem, std::string_view source) {
  ERR_clear_error();
  BioPtr bio = read_bio(pem);
  std::vector<X509Ptr> certs;
  while (bio) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
    if (!cert)
      break;
    certs.push_back(std::move(cert));
  }
  // Running out of PEM blocks ends the loop with "no start line"; anything else is damage.
  unsigned long last = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  std::string detail = openssl_error();
  if (certs.empty() || !clean_end) {
    return fail(
        Errc::invalid_argument,
        std::string(source) + " does not contain readable PEM certificates (" + detail + ")");
  }
  return certs;
}

Result<X509ReqPtr> parse_csr(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = read_bio(pem);
  X509ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!req) {
    return fail(Errc::invalid_argument,
                "the certificate request is not a readable PEM CSR (" + openssl_error() + ")");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    return fail(Errc::invalid_argument,
                "the certificate request's signature does not verify (" + openssl_error() + ")");
  }
  return req;
}

Result<X509Ptr> make_ca_certificate(EVP_PKEY* ca_key) {
  std::array<unsigned char, 4> tag{};
  if (RAND_bytes(tag.data(), static_cast<int>(tag.size())) != 1)
    return openssl_failure("random");
  CertSpec spec;
  spec.subject_key = ca_key;
  spec.issuer_key = ca_key;
  spec.common_name = "RIS CA " + hex(tag.data(), tag.size());
  spec.days = kCaDays;
  spec.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                     {NID_key_usage, "critical,keyCertSign,cRLSign"},
                     {NID_subject_key_identifier, "hash"}};
  return build_certificate(spec);
}

Result<X509Ptr> issue_server_certificate(X509* ca, EVP_PKEY* ca_key, EVP_PKEY* server_key,
                                         const std::vector<std::string>& names) {
  CertSpec spec;
  spec.subject_key = server_key;
  spec.issuer = ca;
  spec.issuer_key = ca_key;
  // Clients match on the SANs; the CN is for people reading the certificate, so it names the
  // machine (the first DNS name after "localhost") when there is one.
  auto named = std::find_if(names.begin(), names.end(), [](const std::string& n) {
    return n != "localhost" && !is_ip_literal(n);
  });
  spec.common_name = named != names.end() ? *named : "localhost";
  spec.days = kServerDays;
  spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, "serverAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}};
  spec.alt_names = &names;
  return build_certificate(spec);
}

Result<X509Ptr> issue_client_certificate(X509* ca, EVP_PKEY* ca_key, EVP_PKEY* client_key,
                                         std::string_view common_name, int days) {
  CertSpec spec;
  spec.subject_key = client_key;
  spec.issuer = ca;
  spec.issuer_key = ca_key;
  spec.common_name = std::string(common_name);
  spec.days = days;
  spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, "clientAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}};
  return build_certificate(spec);
}

bool is_ip_literal(const std::string& name) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, name.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buf.data()) == 1;
}

Result<std::string> normalize_server_name(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (is_ip_literal(out))
    return out;
  if (!out.empty() && out.back() == '.')
    out.pop_back();  // fully qualified form
  std::string_view rest = out;
  if (rest.starts_with("*."))
    rest.remove_prefix(2);
  bool ok = !rest.empty() && out.size() <= 253;
  size_t label = 0;
  for (char c : rest) {
    if (c == '.') {
      ok = ok && label > 0;
      label = 0;
    } else {
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-') && ++label <= 63;
    }
  }
  if (!ok || label == 0) {
    return fail(Errc::invalid_argument, "server name \"" + std::string(name) +
                                            "\" is neither a DNS name nor an IP address");
  }
  return out;
}

bool issued_by(X509* cert, X509* ca) {
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  bool ok = X509_check_issued(ca, cert) == X509_V_OK && ca_key != nullptr &&
            X509_verify(cert, ca_key) == 1;
  ERR_clear_error();
  return ok;
}

bool key_matches(X509* cert, EVP_PKEY* key) {
  bool ok = X509_check_private_key(cert, key) == 1;
  ERR_clear_error();
  return ok;
}

bool expires_within(X509* cert, std::chrono::seconds window) {
  std::time_t limit = std::time(nullptr) + static_cast<std::time_t>(window.count());
  return X509_cmp_time(X509_get0_notAfter(cert), &limit) <= 0;
}

bool covers_names(X509* cert, const std::vector<std::string>& names) {
  constexpr unsigned kExact = X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  bool ok = std::all_of(names.begin(), names.end(), [&](const std::string& n) {
    return is_ip_literal(n) ? X509_check_ip_asc(cert, n.c_str(), 0) == 1
                            : X509_check_host(cert, n.data(), n.size(), kExact, nullptr) == 1;
  });
  ERR_clear_error();
  return ok;
}

}  // namespace ris::security
