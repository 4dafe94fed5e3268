// Message digests for integrity checks (audit chain, content addressing). Not for passwords.
#pragma once
#include <string>
#include <string_view>

namespace ris::security {
// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
}  // namespace ris::security
