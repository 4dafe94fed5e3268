// Sign-in sessions: short-lived access tokens (JWT, EdDSA, 15 minutes, `kid` in the header,
// public keys at /.well-known/jwks.json) and opaque refresh tokens stored as SHA-256, rotated on
// every use. A refresh token used twice means it was stolen: its whole family is revoked. The
// signing keys' private halves are stored sealed under the master key (jwt_keys.private_pem,
// docs/secrets.md).
#pragma once
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/store/store.hpp"

namespace ris::security {
class JwtKeyRing;
class SecretBox;
}  // namespace ris::security

namespace ris::identity {

inline constexpr std::string_view kJwtPrivateKeyContext = "jwt_keys.private_pem";

struct TokenPair {
  std::string access_token;
  int64_t expires_in = 0;  // seconds
  std::string refresh_token;
  int64_t refresh_expires_in = 0;
};

struct AccessClaims {
  std::string account_id;
  std::string username;
  std::vector<std::string> app_roles;
  int64_t expires_at = 0;
};

struct SessionOptions {
  std::string issuer = "risd";
  int64_t access_ttl_seconds = 15 * 60;
  int64_t refresh_ttl_seconds = 30 * 24 * 3600;
};

class Sessions {
 public:
  Sessions(store::Store& store, const security::SecretBox& box, SessionOptions options);
  ~Sessions();
  // Loads the signing keys from the store, creating the first on a new instance. Keys a risd
  // from before encryption stored in clear are sealed first.
  Result<void> init();
  // For `risd admin rotate-master-key`: re-seals under `box`'s current key every stored signing
  // key not sealed under it yet. Returns how many.
  static Result<int> reseal(store::Store& store, const security::SecretBox& box);
  // A new signing key becomes active; the old one keeps verifying until its tokens expire
  // (and is dropped at the next start after that).
  Result<void> rotate_keys();
  Result<TokenPair> issue(const Account& account);
  Result<TokenPair> refresh(std::string_view refresh_token);
  Result<void> logout(std::string_view refresh_token);
  // Ends every sign-in of the account (after a password change, or by the account itself).
  Result<void> revoke_all(std::string_view account_id);
  // Thread-safe once init() has returned.
  Result<AccessClaims> verify(std::string_view access_token) const;
  boost::json::object jwks() const;

 private:
  Result<TokenPair> issue_in_family(store::Store& tx, const Account& account,
                                    const std::string& family);
  store::Store& store_;
  const security::SecretBox& box_;
  SessionOptions options_;
  std::unique_ptr<security::JwtKeyRing> keys_;
};

}  // namespace ris::identity
