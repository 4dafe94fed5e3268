#include "ris/security/totp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>

#include "ris/security/random.hpp"

namespace ris::security {
namespace {
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int64_t kStep = 30;

std::string hotp(std::string_view key, uint64_t counter) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i, counter >>= 8)
    msg[i] = static_cast<unsigned char>(counter & 0xff);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key.data(), key.size(), msg, sizeof msg, mac,
            sizeof mac, &len);
  const int offset = mac[len - 1] & 0x0f;
  const uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                       (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                       (static_cast<uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  std::string code = std::to_string(bin % 1'000'000);
  return std::string(6 - code.size(), '0') + code;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}
}  // namespace

std::string base32_encode(std::string_view bytes) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32[(acc >> bits) & 0x1f]);
    }
  }
  if (bits > 0)
    out.push_back(kBase32[(acc << (5 - bits)) & 0x1f]);
  return out;
}

Result<std::string> base32_decode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char raw : text) {
    if (raw == ' ' || raw == '=')
      continue;
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    if (v < 0)
      return fail(Errc::invalid_argument, "not base32");
    acc = (acc << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string new_totp_secret() {
  return base32_encode(random_bytes(20));
}

Result<std::string> totp_code(std::string_view base32_secret, int64_t unix_seconds) {
  RIS_TRY(std::string key, base32_decode(base32_secret));
  if (key.empty())
    return fail(Errc::invalid_argument, "empty TOTP secret");
  return hotp(key, static_cast<uint64_t>(unix_seconds / kStep));
}

Result<std::optional<int64_t>> totp_verify(std::string_view base32_secret, std::string_view code,
                                           int64_t unix_seconds, int64_t last_used_step) {
  RIS_TRY(std::string key, base32_decode(base32_secret));
  if (key.empty())
    return fail(Errc::invalid_argument, "empty TOTP secret");
  if (code.size() != 6)
    return std::optional<int64_t>{};
  for (char c : code)
    if (c < '0' || c > '9')
      return std::optional<int64_t>{};
  const int64_t now_step = unix_seconds / kStep;
  std::optional<int64_t> matched;
  for (int64_t step = now_step - 1; step <= now_step + 1; ++step) {
    const std::string expected = hotp(key, static_cast<uint64_t>(step));
    // Every candidate is compared, matched or not, so timing says nothing about which step hit.
    if (CRYPTO_memcmp(expected.data(), code.data(), 6) == 0 && step > last_used_step && !matched)
      matched = step;
  }
  return matched;
}

std::string totp_uri(std::string_view issuer, std::string_view account,
                     std::string_view base32_secret) {
  return "otpauth://totp/" + percent_encode(issuer) + ":" + percent_encode(account) +
         "?secret=" + std::string(base32_secret) + "&issuer=" + percent_encode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

std::vector<std::string> new_recovery_codes(int count) {
  static constexpr char kAlphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";  // no 0/o, 1/l/i
  constexpr size_t kAlphabetSize = sizeof kAlphabet - 1;
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const std::string bytes = random_bytes(12);
    std::string code;
    for (size_t j = 0; j < 12; ++j) {
      if (j == 4 || j == 8)
        code.push_back('-');
      code.push_back(kAlphabet[static_cast<unsigned char>(bytes[j]) % kAlphabetSize]);
    }
    out.push_back(std::move(code));
  }
  return out;
}

std::string normalize_recovery_code(std::string_view code) {
  std::string out;
  for (char c : code)
    if (c != '-' && c != ' ')
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace ris::security
