// Credentials arrive from the network: bearer JWTs (header and claims JSON in base64url), TOTP
// codes, and RFC 3339 times in request bodies. None may crash or verify when forged.
#include <cstdint>
#include <string_view>

#include "ris/core/base64.hpp"
#include "ris/core/time.hpp"
#include "ris/security/jwt.hpp"
#include "ris/security/totp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ris::security::JwtKeyRing* ring = [] {
    auto* r = new ris::security::JwtKeyRing;
    r->add({"k1", *ris::security::Ed25519Key::generate()});
    (void)r->set_active("k1");
    return r;
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (ring->verify(input, 1000, "risd", "risd"))
    __builtin_trap();  // a forged token verified
  (void)ris::base64url_decode(input);
  (void)ris::parse_rfc3339(input);
  (void)ris::security::base32_decode(input);
  (void)ris::security::totp_verify("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", input.substr(0, 6), 59, -1);
  return 0;
}
