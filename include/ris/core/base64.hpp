// Base64url without padding (RFC 4648 §5), the alphabet of JWTs, JWKs and RIS tokens.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ris {
std::string base64url_encode(std::string_view bytes);
// nullopt on any character outside the alphabet or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);
}  // namespace ris
