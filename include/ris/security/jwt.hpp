// JSON Web Tokens (RFC 7519) signed with EdDSA/Ed25519 (RFC 8037), `kid` in the header, so any
// standard JWT library can verify RIS access tokens against /.well-known/jwks.json.
//
// The ring holds every key whose tokens may still be alive: the active one signs, retired ones
// only verify, so rotating the key signs nobody out.
#pragma once
#include <boost/json/object.hpp>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/security/ed25519.hpp"

namespace ris::security {

struct JwtKey {
  std::string kid;
  Ed25519Key key;
};

class JwtKeyRing {
 public:
  // Adds a key that verifies; it signs only once made active.
  void add(JwtKey key);
  Result<void> set_active(std::string_view kid);
  void remove(std::string_view kid);

  Result<std::string> sign(const boost::json::object& claims) const;
  // Checks the signature with the key named by `kid`, then exp, nbf, iss and aud. Every failure
  // is Errc::unauthenticated; the message says which check failed (never the token).
  Result<boost::json::object> verify(std::string_view token, int64_t now, std::string_view issuer,
                                     std::string_view audience) const;
  // {"keys": [{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}, …]}
  boost::json::object jwks() const;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<JwtKey> keys_;
  std::string active_;
};

}  // namespace ris::security
