#include "ris/security/ca.hpp"

#include <limits.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <algorithm>
#include <optional>

#include "ris/security/secure_file.hpp"
#include "security/certificates.hpp"

namespace ris::security {
namespace {
namespace fs = std::filesystem;

constexpr std::chrono::seconds kRenewBefore = std::chrono::hours(24 * 30);
constexpr int kMaxClientDays = 3650;
constexpr size_t kMaxCommonName = 64;  // X.520 upper bound

const char* const kCaCert = "ca.crt";
const char* const kCaKey = "ca.key";
const char* const kServerCert = "server.crt";
const char* const kServerKey = "server.key";

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

struct Ca {
  X509Ptr cert;
  EvpPkeyPtr key;
  std::string cert_pem;
  bool created = false;
};

// The names the server certificate must cover: the fixed loopback set, the host name and the
// caller's names, normalised and without duplicates.
Result<std::vector<std::string>> wanted_names(const std::vector<std::string>& extra) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) == 0) {
    // A host name that is not a valid DNS name (it happens) is left out rather than fatal.
    if (auto n = normalize_server_name(host))
      names.push_back(std::move(*n));
  }
  for (const std::string& name : extra) {
    RIS_TRY(std::string n, normalize_server_name(name));
    names.push_back(std::move(n));
  }
  std::vector<std::string> unique;
  for (std::string& n : names) {
    if (std::find(unique.begin(), unique.end(), n) == unique.end())
      unique.push_back(std::move(n));
  }
  return unique;
}

Result<EvpPkeyPtr> read_key(const fs::path& path, const std::string& pem) {
  return parse_private_key(pem, quoted(path));
}

Result<X509Ptr> read_first_cert(const fs::path& path, const std::string& pem) {
  RIS_TRY(std::vector<X509Ptr> certs, parse_certificates(pem, quoted(path)));
  return std::move(certs.front());
}

// Loads the CA, or creates it when neither file exists. Never replaces a CA that is there in
// part or in a damaged state: agents pin its hash, so a new CA would cut them all off.
Result<Ca> load_or_create_ca(const fs::path& dir, bool may_create) {
  const fs::path cert_path = dir / kCaCert, key_path = dir / kCaKey;
  RIS_TRY(std::optional<std::string> key_pem, read_small_file(key_path, kOwnerOnly));
  RIS_TRY(std::optional<std::string> cert_pem, read_small_file(cert_path, kAnyMode));
  Ca ca;
  if (!key_pem && !cert_pem) {
    if (!may_create) {
      return fail(Errc::not_found, "no CA in " + quoted(dir) + " (" + kCaCert + " and " + kCaKey +
                                       " are missing); start risd once to create it");
    }
    RIS_TRY(ca.key, generate_p256_key());
    RIS_TRY(ca.cert, make_ca_certificate(ca.key.get()));
    RIS_TRY(std::string new_key_pem, private_key_pem(ca.key.get()));
    RIS_TRY(ca.cert_pem, certificate_pem(ca.cert.get()));
    // Key first: a crash in between leaves a key without a certificate, which is refused
    // below instead of a certificate nobody can sign with.
    RIS_TRY_VOID(write_file_atomic(key_path, new_key_pem, 0600));
    RIS_TRY_VOID(write_file_atomic(cert_path, ca.cert_pem, 0644));
    ca.created = true;
    return ca;
  }
  if (!key_pem || !cert_pem) {
    const fs::path& present = key_pem ? key_path : cert_path;
    const fs::path& missing = key_pem ? cert_path : key_path;
    return fail(Errc::conflict, quoted(present) + " exists but " + quoted(missing) +
                                    " is missing; restore it from a backup, or remove " +
                                    quoted(present) +
                                    " to create a new CA (every agent must then join again)");
  }
  RIS_TRY(ca.key, read_key(key_path, *key_pem));
  RIS_TRY(ca.cert, read_first_cert(cert_path, *cert_pem));
  if (!key_matches(ca.cert.get(), ca.key.get())) {
    return fail(
        Errc::invalid_argument,
        quoted(key_path) + " is not the private key of the CA certificate " + quoted(cert_path));
  }
  if (X509_check_ca(ca.cert.get()) == 0) {
    return fail(Errc::invalid_argument, quoted(cert_path) + " is not a CA certificate");
  }
  RIS_TRY(ca.cert_pem, certificate_pem(ca.cert.get()));
  return ca;
}

// The server key, generated when missing; `created` tells the caller to reissue the certificate.
Result<EvpPkeyPtr> load_or_create_server_key(const fs::path& dir, bool& created) {
  const fs::path path = dir / kServerKey;
  RIS_TRY(std::optional<std::string> pem, read_small_file(path, kOwnerOnly));
  if (pem)
    return read_key(path, *pem);
  RIS_TRY(EvpPkeyPtr key, generate_p256_key());
  RIS_TRY(std::string new_pem, private_key_pem(key.get()));
  RIS_TRY_VOID(write_file_atomic(path, new_pem, 0600));
  created = true;
  return key;
}

// The current server certificate when it can still be used; nullptr when it must be reissued.
// server.crt is derived data, so a damaged one is replaced rather than refused.
Result<X509Ptr> usable_server_cert(const fs::path& dir, const Ca& ca, EVP_PKEY* key,
                                   const std::vector<std::string>& names) {
  RIS_TRY(std::optional<std::string> pem, read_small_file(dir / kServerCert, kAnyMode));
  if (!pem)
    return X509Ptr();
  auto certs = parse_certificates(*pem, kServerCert);
  if (!certs)
    return X509Ptr();
  X509Ptr cert = std::move(certs->front());
  if (!issued_by(cert.get(), ca.cert.get()) || !key_matches(cert.get(), key) ||
      expires_within(cert.get(), kRenewBefore) || !covers_names(cert.get(), names)) {
    return X509Ptr();
  }
  return cert;
}
}  // namespace

Result<ServerCredentials> ensure_server_credentials(const fs::path& dir,
                                                    const std::vector<std::string>& server_names) {
  RIS_TRY(std::vector<std::string> names, wanted_names(server_names));
  RIS_TRY_VOID(ensure_private_dir(dir));
  RIS_TRY(DirLock lock, DirLock::acquire(dir));

  RIS_TRY(Ca ca, load_or_create_ca(dir, /*may_create=*/true));
  bool new_key = false;
  RIS_TRY(EvpPkeyPtr key, load_or_create_server_key(dir, new_key));
  X509Ptr cert;
  if (!new_key && !ca.created) {
    RIS_TRY(cert, usable_server_cert(dir, ca, key.get(), names));
  }

  ServerCredentials out;
  out.created_ca = ca.created;
  if (!cert) {
    RIS_TRY(cert, issue_server_certificate(ca.cert.get(), ca.key.get(), key.get(), names));
    RIS_TRY(std::string pem, certificate_pem(cert.get()));
    RIS_TRY_VOID(write_file_atomic(dir / kServerCert, pem, 0644));
    out.issued_server_cert = true;
  }
  RIS_TRY(std::string leaf_pem, certificate_pem(cert.get()));
  RIS_TRY(out.key_pem, private_key_pem(key.get()));
  RIS_TRY(out.ca_sha256, certificate_fingerprint(ca.cert.get()));
  out.cert_chain_pem = leaf_pem + ca.cert_pem;
  out.ca_cert_pem = std::move(ca.cert_pem);
  return out;
}

Result<ServerCredentials> load_operator_credentials(const fs::path& cert_file,
                                                    const fs::path& key_file) {
  RIS_TRY(std::optional<std::string> cert_pem, read_small_file(cert_file, kAnyMode));
  if (!cert_pem) {
    return fail(Errc::not_found, "certificate file " + quoted(cert_file) + " does not exist");
  }
  RIS_TRY(std::optional<std::string> key_text, read_small_file(key_file, kNotOthers));
  if (!key_text)
    return fail(Errc::not_found, "key file " + quoted(key_file) + " does not exist");

  RIS_TRY(std::vector<X509Ptr> chain, parse_certificates(*cert_pem, quoted(cert_file)));
  RIS_TRY(EvpPkeyPtr key, read_key(key_file, *key_text));
  if (!key_matches(chain.front().get(), key.get())) {
    return fail(Errc::invalid_argument, "key file " + quoted(key_file) +
                                            " does not match the first certificate in " +
                                            quoted(cert_file));
  }
  ServerCredentials out;
  // Re-encoded, so text around the PEM blocks is dropped and the key is PKCS#8 whatever its
  // original form.
  for (const X509Ptr& cert : chain) {
    RIS_TRY(std::string pem, certificate_pem(cert.get()));
    out.cert_chain_pem += pem;
  }
  RIS_TRY(out.key_pem, private_key_pem(key.get()));
  RIS_TRY(out.ca_cert_pem, certificate_pem(chain.back().get()));
  RIS_TRY(out.ca_sha256, certificate_fingerprint(chain.back().get()));
  return out;
}

Result<std::string> certificate_sha256(std::string_view pem) {
  RIS_TRY(std::vector<X509Ptr> certs, parse_certificates(pem, "the PEM text"));
  return certificate_fingerprint(certs.front().get());
}

Result<std::string> sign_client_csr(const fs::path& dir, std::string_view csr_pem,
                                    std::string_view common_name, int days) {
  if (common_name.empty() || common_name.size() > kMaxCommonName) {
    return fail(Errc::invalid_argument,
                "a client certificate's common name must have 1 to 64 "
                "characters");
  }
  if (days < 1 || days > kMaxClientDays) {
    return fail(Errc::invalid_argument, "a client certificate's validity must be 1 to 3650 days");
  }
  RIS_TRY(X509ReqPtr req, parse_csr(csr_pem));
  EVP_PKEY* client_key = X509_REQ_get0_pubkey(req.get());
  if (EVP_PKEY_get_security_bits(client_key) < 112) {
    return fail(Errc::invalid_argument,
                "the certificate request's key is too weak (use P-256, Ed25519 or RSA-2048+)");
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return fail(Errc::not_found,
                "no CA directory " + quoted(dir) + "; start risd once to create it");
  }
  RIS_TRY(DirLock lock, DirLock::acquire(dir));
  RIS_TRY(Ca ca, load_or_create_ca(dir, /*may_create=*/false));
  RIS_TRY(X509Ptr cert,
          issue_client_certificate(ca.cert.get(), ca.key.get(), client_key, common_name, days));
  return certificate_pem(cert.get());
}

}  // namespace ris::security

namespace ris::security {

Result<ClientKeyAndCsr> new_client_key_and_csr(std::string_view common_name) {
  RIS_TRY(EvpPkeyPtr key, generate_p256_key());
  X509ReqPtr req(X509_REQ_new());
  if (!req)
    return fail(Errc::internal, "cannot create a certificate request");
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  const std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0)
    return fail(Errc::internal, "cannot sign the certificate request: " + openssl_error());
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1)
    return fail(Errc::internal, "cannot encode the certificate request");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  ClientKeyAndCsr out;
  out.csr_pem.assign(data, static_cast<size_t>(len));
  RIS_TRY(out.key_pem, private_key_pem(key.get()));
  return out;
}

}  // namespace ris::security
