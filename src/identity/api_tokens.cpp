#include "ris/identity/api_tokens.hpp"

#include <chrono>

#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/random.hpp"

namespace ris::identity {
namespace {
constexpr std::string_view kColumns =
    "id, space_id, account_id, name, created_at, permissions, expires_at, last_used_at, revoked_at";

std::optional<std::string> opt(const store::Row& r, const char* col) {
  if (r.is_null(col))
    return std::nullopt;
  return r.get<std::string>(col);
}

ApiToken from_row(const store::Row& r) {
  ApiToken t;
  t.id = r.get<std::string>("id");
  t.space_id = r.get<std::string>("space_id");
  t.account_id = r.get<std::string>("account_id");
  t.name = r.get<std::string>("name");
  t.created_at = r.get<std::string>("created_at");
  t.permissions = static_cast<Permissions>(r.get<int64_t>("permissions"));
  t.expires_at = opt(r, "expires_at");
  t.last_used_at = opt(r, "last_used_at");
  t.revoked_at = opt(r, "revoked_at");
  return t;
}
}  // namespace

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
  RIS_TRY_VOID(store_.query(
      "INSERT INTO api_tokens (id, space_id, account_id, name, token_hash, permissions, "
      "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {t.id, t.space_id, t.account_id, t.name, security::sha256_hex(out.secret),
       static_cast<int64_t>(permissions), t.created_at,
       t.expires_at ? store::Value(*t.expires_at) : store::Value()}));
  return out;
}

Result<std::vector<ApiToken>> ApiTokens::list(const SpaceAccess& access) {
  RIS_TRY_VOID(require(access, kManageTokens));
  RIS_TRY(auto rows, store_.query("SELECT " + std::string(kColumns) +
                                      " FROM api_tokens WHERE space_id = ? "
                                      "ORDER BY id DESC",
                                  {access.space_id}));
  std::vector<ApiToken> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<void> ApiTokens::revoke(const SpaceAccess& access, std::string_view token_id) {
  RIS_TRY_VOID(require(access, kManageTokens));
  RIS_TRY(auto rows, store_.query("SELECT 1 FROM api_tokens WHERE id = ? AND space_id = ?",
                                  {std::string(token_id), access.space_id}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such token");
  RIS_TRY_VOID(
      store_.query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                   {now_rfc3339(), std::string(token_id)}));
  return {};
}

Result<Principal> ApiTokens::authenticate(std::string_view secret) {
  const Failure invalid = fail(Errc::unauthenticated, "invalid, expired or revoked API token");
  if (!looks_like_token(secret) || secret.size() > 128)
    return invalid;
  RIS_TRY(auto rows,
          store_.query("SELECT " + std::string(kColumns) + " FROM api_tokens WHERE token_hash = ?",
                       {security::sha256_hex(secret)}));
  if (rows.rows.empty())
    return invalid;
  ApiToken t = from_row(rows.rows[0]);
  const std::string now = now_rfc3339();
  if (t.revoked_at || (t.expires_at && *t.expires_at <= now))
    return invalid;
  RIS_TRY_VOID(store_.query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {now, t.id}));
  Principal p;
  p.account_id = t.account_id;
  p.token = ApiTokenScope{t.id, t.space_id, t.permissions};
  return p;
}

}  // namespace ris::identity
