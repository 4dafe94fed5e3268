// SQL for refresh_tokens and jwt_keys. Portable SQL only (SQLite and PostgreSQL 15).
#include "sessions_repository.hpp"

namespace ris::identity {

Result<std::vector<StoredJwtKey>> SessionsRepository::signing_keys(std::string_view retired_after) {
  RIS_TRY(auto rows, store_.query("SELECT kid, private_pem, retired_at FROM jwt_keys "
                                  "WHERE retired_at IS NULL OR retired_at > ? "
                                  "ORDER BY created_at, kid",
                                  {std::string(retired_after)}));
  std::vector<StoredJwtKey> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), !r.is_null(2)});
  return out;
}

Result<std::vector<StoredJwtKey>> SessionsRepository::all_signing_keys() {
  RIS_TRY(auto rows,
          store_.query("SELECT kid, private_pem, retired_at FROM jwt_keys ORDER BY kid"));
  std::vector<StoredJwtKey> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), !r.is_null(2)});
  return out;
}

Result<bool> SessionsRepository::replace_private_pem(std::string_view kid, std::string_view old,
                                                     std::string_view private_pem) {
  RIS_TRY(auto r,
          store_.query("UPDATE jwt_keys SET private_pem = ? WHERE kid = ? AND private_pem = ?",
                       {std::string(private_pem), std::string(kid), std::string(old)}));
  return r.changes > 0;
}

Result<void> SessionsRepository::replace_active_key(std::string_view kid,
                                                    std::string_view private_pem,
                                                    std::string_view public_pem,
                                                    std::string_view now) {
  RIS_TRY_VOID(store_.query("UPDATE jwt_keys SET retired_at = ? WHERE retired_at IS NULL",
                            {std::string(now)}));
  RIS_TRY_VOID(store_.query(
      "INSERT INTO jwt_keys (kid, private_pem, public_pem, created_at) VALUES (?, ?, ?, ?)",
      {std::string(kid), std::string(private_pem), std::string(public_pem), std::string(now)}));
  return {};
}

Result<void> SessionsRepository::insert_refresh(const StoredRefreshToken& t) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO refresh_tokens (id, family_id, account_id, token_hash, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {t.id, t.family_id, t.account_id, t.token_hash, t.created_at, t.expires_at}));
  return {};
}

Result<std::optional<StoredRefreshToken>> SessionsRepository::find_refresh(
    std::string_view token_hash) {
  RIS_TRY(auto rows, store_.query("SELECT id, family_id, account_id, token_hash, created_at, "
                                  "expires_at, used_at, revoked_at FROM refresh_tokens "
                                  "WHERE token_hash = ?",
                                  {std::string(token_hash)}));
  if (rows.rows.empty())
    return std::optional<StoredRefreshToken>();
  const auto& r = rows.rows[0];
  StoredRefreshToken t;
  t.id = r.get<std::string>("id");
  t.family_id = r.get<std::string>("family_id");
  t.account_id = r.get<std::string>("account_id");
  t.token_hash = r.get<std::string>("token_hash");
  t.created_at = r.get<std::string>("created_at");
  t.expires_at = r.get<std::string>("expires_at");
  t.used_at = r.get_optional<std::string>("used_at");
  t.revoked_at = r.get_optional<std::string>("revoked_at");
  return std::optional<StoredRefreshToken>(std::move(t));
}

Result<void> SessionsRepository::mark_refresh_used(std::string_view id, std::string_view now) {
  RIS_TRY_VOID(store_.query("UPDATE refresh_tokens SET used_at = ? WHERE id = ?",
                            {std::string(now), std::string(id)}));
  return {};
}

Result<void> SessionsRepository::revoke_family(std::string_view family_id, std::string_view now) {
  RIS_TRY_VOID(store_.query(
      "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
      {std::string(now), std::string(family_id)}));
  return {};
}

Result<void> SessionsRepository::revoke_account(std::string_view account_id, std::string_view now) {
  RIS_TRY_VOID(store_.query(
      "UPDATE refresh_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
      {std::string(now), std::string(account_id)}));
  return {};
}

}  // namespace ris::identity
