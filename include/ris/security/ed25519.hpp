// Ed25519 signing keys: access tokens (JWT EdDSA) and the server's task key that signs control
// messages to agents. Deterministic signatures, 32-byte public keys, no parameters to get wrong.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace ris::security {

class Ed25519Key {
 public:
  static Result<Ed25519Key> generate();
  static Result<Ed25519Key> from_private_pem(std::string_view pem);
  Result<std::string> private_pem() const;
  Result<std::string> public_pem() const;
  // The raw 32-byte public key (the JWK "x" and what agents pin).
  std::string public_raw() const;
  // The 64-byte signature of `data`. Thread-safe: a key is immutable once made.
  Result<std::string> sign(std::string_view data) const;

 private:
  explicit Ed25519Key(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// True when `signature` is `public_raw`'s signature of `data`.
bool ed25519_verify(std::string_view public_raw, std::string_view data, std::string_view signature);

}  // namespace ris::security
