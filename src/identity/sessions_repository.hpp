// The SQL of sign-in sessions: refresh tokens (stored as SHA-256) and the JWT signing keys
// (tables refresh_tokens, jwt_keys). Private to the identity module; construct it over the
// store or over a transaction's Store&.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct StoredRefreshToken {
  std::string id, family_id, account_id, token_hash, created_at, expires_at;
  std::optional<std::string> used_at, revoked_at;
};

struct StoredJwtKey {
  std::string kid, private_pem;  // sealed (or in clear, from before encryption)
  bool retired = false;
};

class SessionsRepository {
 public:
  explicit SessionsRepository(store::Store& store) : store_(store) {}

  // The active key and the keys retired after `retired_after`, oldest first.
  Result<std::vector<StoredJwtKey>> signing_keys(std::string_view retired_after);
  // Every key, retired long ago or not, by kid: for sealing and re-sealing them all.
  Result<std::vector<StoredJwtKey>> all_signing_keys();
  // Writes `private_pem` where `old` is still stored; false when it changed meanwhile.
  Result<bool> replace_private_pem(std::string_view kid, std::string_view old,
                                   std::string_view private_pem);
  // Retires the active key and stores a new one (two statements: call it inside a transaction).
  Result<void> replace_active_key(std::string_view kid, std::string_view private_pem,
                                  std::string_view public_pem, std::string_view now);

  // `used_at` and `revoked_at` are ignored.
  Result<void> insert_refresh(const StoredRefreshToken& token);
  Result<std::optional<StoredRefreshToken>> find_refresh(std::string_view token_hash);
  Result<void> mark_refresh_used(std::string_view id, std::string_view now);
  // Revokes the tokens of one sign-in, or of every sign-in of an account, not yet revoked.
  Result<void> revoke_family(std::string_view family_id, std::string_view now);
  Result<void> revoke_account(std::string_view account_id, std::string_view now);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
