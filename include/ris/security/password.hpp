// Password hashing with argon2id (libsodium's crypto_pwhash_str, "interactive" limits: 2 passes,
// 64 MiB), verification in constant time, and the minimum policy every new password meets.
#pragma once
#include <string>
#include <string_view>

#include "ris/core/result.hpp"

namespace ris::security {

inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength =
    1024;  // bounds the hashing work an attacker can ask for

// The encoded hash ("$argon2id$v=19$m=65536,t=2,p=1$…"), salt and parameters included.
Result<std::string> hash_password(std::string_view password);
// False for a wrong password and for a hash that is not argon2id (never throws, never logs).
bool verify_password(std::string_view password, std::string_view encoded_hash);
// True when the hash was made with weaker limits than today's: rehash after a good sign-in.
bool password_needs_rehash(std::string_view encoded_hash);
// At least kMinPasswordLength characters, not more than kMaxPasswordLength, not the account's
// user name or email, not a few characters repeated. Errc::invalid_argument says which rule.
Result<void> check_password_policy(std::string_view password, std::string_view username,
                                   std::string_view email = {});

}  // namespace ris::security
