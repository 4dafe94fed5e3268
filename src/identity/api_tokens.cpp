#include "ris/identity/api_tokens.hpp"

#include <chrono>

#include "api_tokens_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/random.hpp"

namespace ris::identity {

Result<CreatedApiToken> ApiTokens::create(const SpaceAccess& access, std::string name,
                                          Permissions permissions, int64_t ttl_seconds) {
  RIS_TRY_VOID(require(access, kManageTokens));
  if (name.empty() || name.size() > 100)
    return fail(Errc::invalid_argument, "token name must be 1 to 100 characters");
  if (permissions == 0)
    return fail(Errc::invalid_argument, "a token needs at least one permission");
  if ((permissions & ~access.permissions) != 0)
    return fail(Errc::forbidden, "a token can only carry permissions you hold in this space");
  if (ttl_seconds < 0)
    return fail(Errc::invalid_argument, "ttl must not be negative");
  CreatedApiToken out;
  out.secret = std::string(kApiTokenPrefix) + security::random_token(32);
  ApiToken& t = out.token;
  t.id = new_id();
  t.space_id = access.space_id;
  t.account_id = access.member.account_id;
  t.name = std::move(name);
  t.created_at = now_rfc3339();
  t.permissions = permissions;
  if (ttl_seconds > 0)
    t.expires_at = to_rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(ttl_seconds));
  RIS_TRY_VOID(ApiTokensRepository(store_).insert(t, security::sha256_hex(out.secret)));
  return out;
}

Result<std::vector<ApiToken>> ApiTokens::list(const SpaceAccess& access) {
  RIS_TRY_VOID(require(access, kManageTokens));
  return ApiTokensRepository(store_).of_space(access.space_id);
}

Result<void> ApiTokens::revoke(const SpaceAccess& access, std::string_view token_id) {
  RIS_TRY_VOID(require(access, kManageTokens));
  ApiTokensRepository tokens(store_);
  RIS_TRY(const bool exists, tokens.exists(token_id, access.space_id));
  if (!exists)
    return fail(Errc::not_found, "no such token");
  return tokens.revoke(token_id, now_rfc3339());
}

Result<Principal> ApiTokens::authenticate(std::string_view secret) {
  const Failure invalid = fail(Errc::unauthenticated, "invalid, expired or revoked API token");
  if (!looks_like_token(secret) || secret.size() > 128)
    return invalid;
  ApiTokensRepository tokens(store_);
  RIS_TRY(auto found, tokens.find_by_hash(security::sha256_hex(secret)));
  if (!found)
    return invalid;
  const ApiToken& t = *found;
  const std::string now = now_rfc3339();
  if (t.revoked_at || (t.expires_at && *t.expires_at <= now))
    return invalid;
  RIS_TRY_VOID(tokens.touch(t.id, now));
  Principal p;
  p.account_id = t.account_id;
  p.token = ApiTokenScope{t.id, t.space_id, t.permissions};
  return p;
}

}  // namespace ris::identity
