// Two-factor sign-in with TOTP (authenticator apps) and one-time recovery codes. Enabling is two
// steps — begin (a new secret and its otpauth:// URI), then confirm with a first code — so a
// mistyped secret never locks anyone out. Enabling and disabling need the password.
#pragma once
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct TotpEnrolment {
  std::string secret;  // base32, for manual entry
  std::string uri;     // otpauth://…, for a QR code
};

class TwoFactor {
 public:
  TwoFactor(store::Store& store, Accounts& accounts, std::string issuer = "RIS")
      : store_(store), accounts_(accounts), issuer_(std::move(issuer)) {}
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
  Accounts& accounts_;
  std::string issuer_;
};

}  // namespace ris::identity
