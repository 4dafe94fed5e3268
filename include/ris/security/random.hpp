// Unguessable values (refresh tokens, API tokens, join tokens, nonces) from OpenSSL's CSPRNG.
#pragma once
#include <cstddef>
#include <string>

namespace ris::security {
// `bytes` raw random bytes.
std::string random_bytes(size_t bytes);
// `bytes` random bytes as base64url without padding (32 bytes → 43 characters).
std::string random_token(size_t bytes = 32);
}  // namespace ris::security
