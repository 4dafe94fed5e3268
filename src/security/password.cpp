#include "ris/security/password.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

namespace ris::security {
namespace {
void init_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok)
    throw std::runtime_error("libsodium failed to initialise");
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}
}  // namespace

Result<std::string> hash_password(std::string_view password) {
  init_sodium();
  if (password.size() > kMaxPasswordLength)
    return fail(Errc::invalid_argument, "password is too long");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return fail(Errc::unavailable, "out of memory while hashing a password");
  return std::string(out);
}

bool verify_password(std::string_view password, std::string_view encoded_hash) {
  init_sodium();
  if (password.size() > kMaxPasswordLength || encoded_hash.size() >= crypto_pwhash_STRBYTES ||
      !encoded_hash.starts_with("$argon2id$"))
    return false;
  const std::string hash(encoded_hash);  // libsodium wants it NUL-terminated
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view encoded_hash) {
  init_sodium();
  const std::string hash(encoded_hash);
  return crypto_pwhash_str_needs_rehash(hash.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

Result<void> check_password_policy(std::string_view password, std::string_view username,
                                   std::string_view email) {
  if (password.size() < kMinPasswordLength)
    return fail(Errc::invalid_argument, "password must have at least " +
                                            std::to_string(kMinPasswordLength) + " characters");
  if (password.size() > kMaxPasswordLength)
    return fail(Errc::invalid_argument,
                "password must have at most " + std::to_string(kMaxPasswordLength) + " characters");
  const std::string p = lower(password);
  if ((!username.empty() && p == lower(username)) || (!email.empty() && p == lower(email)))
    return fail(Errc::invalid_argument, "password must not be the user name or the email address");
  if (std::set<char>(password.begin(), password.end()).size() < 4)
    return fail(Errc::invalid_argument, "password must use at least 4 different characters");
  return {};
}

}  // namespace ris::security
