// SQL for api_tokens. Portable SQL only (SQLite and PostgreSQL 15). Ids are UUIDv7, so
// ordering by id is ordering by creation.
#include "api_tokens_repository.hpp"

namespace ris::identity {
namespace {
constexpr std::string_view kColumns =
    "id, space_id, account_id, name, created_at, permissions, expires_at, last_used_at, revoked_at";

ApiToken from_row(const store::Row& r) {
  ApiToken t;
  t.id = r.get<std::string>("id");
  t.space_id = r.get<std::string>("space_id");
  t.account_id = r.get<std::string>("account_id");
  t.name = r.get<std::string>("name");
  t.created_at = r.get<std::string>("created_at");
  t.permissions = static_cast<Permissions>(r.get<int64_t>("permissions"));
  t.expires_at = r.get_optional<std::string>("expires_at");
  t.last_used_at = r.get_optional<std::string>("last_used_at");
  t.revoked_at = r.get_optional<std::string>("revoked_at");
  return t;
}
}  // namespace

Result<void> ApiTokensRepository::insert(const ApiToken& t, std::string_view token_hash) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO api_tokens (id, space_id, account_id, name, token_hash, permissions, "
      "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {t.id, t.space_id, t.account_id, t.name, std::string(token_hash),
       static_cast<int64_t>(t.permissions), t.created_at,
       t.expires_at ? store::Value(*t.expires_at) : store::Value()}));
  return {};
}

Result<std::vector<ApiToken>> ApiTokensRepository::of_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT " + std::string(kColumns) +
                                      " FROM api_tokens WHERE space_id = ? ORDER BY id DESC",
                                  {std::string(space_id)}));
  std::vector<ApiToken> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<bool> ApiTokensRepository::exists(std::string_view id, std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT 1 FROM api_tokens WHERE id = ? AND space_id = ?",
                                  {std::string(id), std::string(space_id)}));
  return !rows.rows.empty();
}

Result<std::optional<ApiToken>> ApiTokensRepository::find_by_hash(std::string_view token_hash) {
  RIS_TRY(auto rows,
          store_.query("SELECT " + std::string(kColumns) + " FROM api_tokens WHERE token_hash = ?",
                       {std::string(token_hash)}));
  if (rows.rows.empty())
    return std::optional<ApiToken>();
  return std::optional<ApiToken>(from_row(rows.rows[0]));
}

Result<void> ApiTokensRepository::revoke(std::string_view id, std::string_view now) {
  RIS_TRY_VOID(
      store_.query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                   {std::string(now), std::string(id)}));
  return {};
}

Result<void> ApiTokensRepository::touch(std::string_view id, std::string_view now) {
  RIS_TRY_VOID(store_.query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
                            {std::string(now), std::string(id)}));
  return {};
}

}  // namespace ris::identity
