// Two-factor sign-in with TOTP (authenticator apps) and one-time recovery codes. Enabling is two
// steps — begin (a new secret and its otpauth:// URI), then confirm with a first code — so a
// mistyped secret never locks anyone out. Enabling and disabling need the password. The TOTP
// secret is stored sealed under the master key (accounts.totp_secret, docs/secrets.md): only this
// class opens it, to check a code.
#pragma once
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/store/store.hpp"

namespace ris::security {
class SecretBox;
}

namespace ris::identity {

inline constexpr std::string_view kTotpSecretContext = "accounts.totp_secret";

struct TotpEnrolment {
  std::string secret;  // base32, for manual entry
  std::string uri;     // otpauth://…, for a QR code
};

class TwoFactor {
 public:
  TwoFactor(store::Store& store, const security::SecretBox& box, Accounts& accounts,
            std::string issuer = "RIS")
      : store_(store), box_(box), accounts_(accounts), issuer_(std::move(issuer)) {}
  // Seals the secrets a risd from before encryption stored in clear; run once at start (the
  // ones already sealed are left alone, so running it again does nothing). Returns how many.
  Result<int> seal_plaintext();
  // For `risd admin rotate-master-key`: re-seals under `box`'s current key every stored secret
  // not sealed under it yet. Returns how many.
  static Result<int> reseal(store::Store& store, const security::SecretBox& box);
  Result<TotpEnrolment> begin(std::string_view account_id, std::string_view password);
  // Turns 2FA on when `code` matches the pending secret; returns 10 recovery codes, shown once.
  Result<std::vector<std::string>> confirm(std::string_view account_id, std::string_view code);
  // Needs the password and a current code or an unused recovery code.
  Result<void> disable(std::string_view account_id, std::string_view password,
                       std::string_view code);
  // The second factor at sign-in: a TOTP code (each usable once) or a recovery code (burnt on use).
  // A wrong one is Errc::unauthenticated.
  Result<void> check(std::string_view account_id, std::string_view code, int64_t unix_seconds);
  Result<void> check(std::string_view account_id, std::string_view code);

 private:
  store::Store& store_;
  const security::SecretBox& box_;
  Accounts& accounts_;
  std::string issuer_;
};

}  // namespace ris::identity
