// Time-based one-time passwords (RFC 6238 over RFC 4226): SHA-1, 6 digits, 30-second steps,
// the parameters every authenticator app supports. Plus recovery codes for a lost device.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::security {

std::string base32_encode(std::string_view bytes);         // RFC 4648, upper case, no padding
Result<std::string> base32_decode(std::string_view text);  // any case; spaces and '=' ignored

std::string new_totp_secret();  // 20 random bytes, base32
Result<std::string> totp_code(std::string_view base32_secret, int64_t unix_seconds);
// The step (unix_seconds / 30) the code belongs to when it matches the current step or one
// either side and is later than `last_used_step` (a used code cannot be replayed); nullopt
// otherwise. Constant-time comparison.
Result<std::optional<int64_t>> totp_verify(std::string_view base32_secret, std::string_view code,
                                           int64_t unix_seconds, int64_t last_used_step);
// otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
std::string totp_uri(std::string_view issuer, std::string_view account,
                     std::string_view base32_secret);

// `count` codes like "k7dm-2xqp-9hfw" (no look-alike characters); store sha256 of the
// normalised form.
std::vector<std::string> new_recovery_codes(int count = 10);
std::string normalize_recovery_code(std::string_view code);  // lower case, no spaces or dashes

}  // namespace ris::security
