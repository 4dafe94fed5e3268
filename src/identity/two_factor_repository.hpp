// The SQL of two-factor sign-in: the TOTP columns of accounts (secret, enabled, last step used)
// and recovery_codes. Private to the identity module; construct it over the store or over a
// transaction's Store&.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct TotpState {
  std::optional<std::string> secret;  // sealed base32; set while enrolling or enabled
  bool enabled = false;
  int64_t last_step = 0;  // the last time step accepted: a replayed code is refused
};

struct StoredTotpSecret {
  std::string account_id, secret;  // as stored: sealed (or in clear, from before encryption)
};

class TwoFactorRepository {
 public:
  explicit TwoFactorRepository(store::Store& store) : store_(store) {}

  // nullopt: no such account.
  Result<std::optional<TotpState>> state(std::string_view account_id);
  // A new pending secret (enrolment started, not yet enabled).
  Result<void> set_pending_secret(std::string_view account_id, std::string_view secret);
  Result<void> enable(std::string_view account_id, int64_t step);
  // Clears the secret too.
  Result<void> disable(std::string_view account_id);
  Result<void> set_last_step(std::string_view account_id, int64_t step);

  // Every stored secret, by account id: for sealing and re-sealing them all.
  Result<std::vector<StoredTotpSecret>> secrets();
  // Writes `secret` where `old` is still stored; false when it changed meanwhile (or the
  // account is gone).
  Result<bool> replace_secret(std::string_view account_id, std::string_view old,
                              std::string_view secret);

  // Replaces the account's recovery codes by these SHA-256 hashes (two statements: call it
  // inside a transaction).
  Result<void> replace_recovery_codes(std::string_view account_id,
                                      const std::vector<std::string>& code_hashes);
  Result<void> delete_recovery_codes(std::string_view account_id);
  // Burns an unused code; false when there is no such unused code.
  Result<bool> use_recovery_code(std::string_view account_id, std::string_view code_hash,
                                 std::string_view now);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
