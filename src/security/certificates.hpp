// X.509 building blocks for the RIS CA: ECDSA P-256 keys, PEM in and out, and issuing the CA,
// server and client certificates. No file access here (see secure_file.hpp); `source` arguments
// only name where the PEM came from, for error messages.
#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "security/openssl_ptr.hpp"

namespace ris::security {

Result<EvpPkeyPtr> generate_p256_key();
Result<std::string> private_key_pem(EVP_PKEY* key);  // PKCS#8, unencrypted
Result<std::string> certificate_pem(X509* cert);
// "sha256:<lower-case hex>" of the certificate's DER encoding.
Result<std::string> certificate_fingerprint(X509* cert);

// An unencrypted private key; an encrypted one is refused rather than prompting on a terminal.
Result<EvpPkeyPtr> parse_private_key(std::string_view pem, std::string_view source);
// Every certificate in `pem`, in order; at least one.
Result<std::vector<X509Ptr>> parse_certificates(std::string_view pem, std::string_view source);
// A CSR whose self-signature verifies.
Result<X509ReqPtr> parse_csr(std::string_view pem);

// Self-signed CA: 10 years, CA:TRUE and keyCertSign|cRLSign (both critical), subject key id.
Result<X509Ptr> make_ca_certificate(EVP_PKEY* ca_key);
// Server certificate for `names` (already validated: DNS names and IP literals), 397 days.
Result<X509Ptr> issue_server_certificate(X509* ca, EVP_PKEY* ca_key, EVP_PKEY* server_key,
                                         const std::vector<std::string>& names);
// Client certificate (clientAuth) with subject CN = `common_name`.
Result<X509Ptr> issue_client_certificate(X509* ca, EVP_PKEY* ca_key, EVP_PKEY* client_key,
                                         std::string_view common_name, int days);

bool is_ip_literal(const std::string& name);
// `name` lower-cased when it is an IP literal or a plausible DNS name (a leading "*." allowed);
// an error naming it otherwise.
Result<std::string> normalize_server_name(std::string_view name);

// Signed by `ca`'s key, with `ca` as issuer.
bool issued_by(X509* cert, X509* ca);
bool key_matches(X509* cert, EVP_PKEY* key);
bool expires_within(X509* cert, std::chrono::seconds window);
// Every name appears in the subjectAltName (exact, case-insensitive match).
bool covers_names(X509* cert, const std::vector<std::string>& names);

}  // namespace ris::security
