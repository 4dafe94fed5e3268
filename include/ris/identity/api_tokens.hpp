// API tokens for automation (CI jobs, scripts): named, bound to one space and a subset of the
// creator's permissions there, optionally expiring. The token is shown once at creation and
// stored as SHA-256; "ris_pat_" marks it so secret scanners can find leaked ones.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

inline constexpr std::string_view kApiTokenPrefix = "ris_pat_";

struct ApiToken {
  std::string id, space_id, account_id, name, created_at;
  Permissions permissions = 0;
  std::optional<std::string> expires_at, last_used_at, revoked_at;
};

struct CreatedApiToken {
  ApiToken token;
  std::string secret;  // the only time it exists in clear
};

class ApiTokens {
 public:
  explicit ApiTokens(store::Store& store) : store_(store) {}
  static bool looks_like_token(std::string_view credential) {
    return credential.starts_with(kApiTokenPrefix);
  }

  // Needs MANAGE_TOKENS; may only carry permissions the creator holds; ttl 0 = no expiry.
  Result<CreatedApiToken> create(const SpaceAccess& access, std::string name,
                                 Permissions permissions, int64_t ttl_seconds);
  // The space's tokens (MANAGE_TOKENS), newest first; never the secrets.
  Result<std::vector<ApiToken>> list(const SpaceAccess& access);
  Result<void> revoke(const SpaceAccess& access, std::string_view token_id);
  // A valid, unexpired, unrevoked token → the principal it stands for; records the last use.
  // Every failure is the same Errc::unauthenticated.
  Result<Principal> authenticate(std::string_view secret);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
