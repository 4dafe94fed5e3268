// The server's own certificate authority and TLS credentials.
//
// On first start risd creates a small CA in its data directory and issues itself a server
// certificate from it; agents pin the CA by its SHA-256 hash (`ris-agent join --ca-hash`), so
// there is no trust on first use. Operators who run their own PKI supply files instead.
//
// Policy for files under `dir` (see ensure_server_credentials):
// - The CA (ca.crt, ca.key) is never replaced: a corrupt, missing-half or mismatched CA is an
//   error, because every enrolled agent pins it.
// - server.crt is derived data: when it is missing, corrupt, not issued by this CA, not for
//   server.key, expiring within 30 days or missing a requested name, it is reissued.
// - Key files must not be accessible by group or others, and a corrupt key file is an error.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::security {

struct ServerCredentials {
  std::string cert_chain_pem;       // server certificate followed by the CA certificate
  std::string key_pem;              // server private key (PKCS#8 PEM)
  std::string ca_cert_pem;          // the CA certificate clients pin
  std::string ca_sha256;            // "sha256:<64 lower-case hex>" of the CA certificate's DER
  bool created_ca = false;          // true when this call generated a new CA
  bool issued_server_cert = false;  // true when this call (re)issued the server certificate
};

// Loads <dir>/ca.crt, ca.key, server.crt, server.key, creating them when missing.
// `server_names` are extra DNS names or IP literals for the server certificate; it always
// covers localhost, 127.0.0.1, ::1 and the machine's host name. The CA is ECDSA P-256 for 10
// years; the server certificate ECDSA P-256 for 397 days. The directory is created with mode
// 0700 and key files are written 0600 (temp file, fsync, rename). Concurrent callers on the
// same directory are serialised with a lock file.
Result<ServerCredentials> ensure_server_credentials(const std::filesystem::path& dir,
                                                    const std::vector<std::string>& server_names);

// Operator-supplied certificate (chain) and key files; validates that they parse and match.
// ca_sha256 is the hash of the last certificate in the chain file. The key may be group-readable
// (Debian's ssl-cert group convention) but not accessible by others, and must not be encrypted.
Result<ServerCredentials> load_operator_credentials(const std::filesystem::path& cert_file,
                                                    const std::filesystem::path& key_file);

// "sha256:<hex>" of the DER of the first certificate in a PEM string.
Result<std::string> certificate_sha256(std::string_view pem);

// Signs a PEM CSR with the CA in `dir` (which must exist) and returns the client certificate
// as PEM (the leaf only): clientAuth EKU, subject CN = `common_name`, valid `days` (1..3650)
// but never past the CA. Only the CSR's public key is used; its subject and extensions are not.
Result<std::string> sign_client_csr(const std::filesystem::path& dir, std::string_view csr_pem,
                                    std::string_view common_name, int days);

// An agent's side of enrolment: a new P-256 key and a CSR for it.
struct ClientKeyAndCsr {
  std::string key_pem, csr_pem;
};
Result<ClientKeyAndCsr> new_client_key_and_csr(std::string_view common_name);

}  // namespace ris::security
