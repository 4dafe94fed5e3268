#include "secrets_repository.hpp"

namespace ris::deploy {
namespace {

SecretInfo info_of(const store::Row& r) {
  return {r.get<std::string>("name"), r.get<std::string>("updated_by"),
          r.get<std::string>("created_at"), r.get<std::string>("updated_at")};
}

constexpr const char* kInfo =
    "SELECT name, updated_by, created_at, updated_at FROM deploy_secrets WHERE space_id = ?";

}  // namespace

Result<SecretInfo> SecretsRepository::put(const std::string& space_id, const std::string& name,
                                          const std::string& sealed, const std::string& by,
                                          const std::string& at) {
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto had, tx.query("SELECT name FROM deploy_secrets WHERE space_id = ? AND name = ?",
                               {space_id, name}));
    if (had.rows.empty())
      RIS_TRY_VOID(
          tx.query("INSERT INTO deploy_secrets (space_id, name, value, updated_by, "
                   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                   {space_id, name, sealed, by, at, at}));
    else
      RIS_TRY_VOID(
          tx.query("UPDATE deploy_secrets SET value = ?, updated_by = ?, updated_at = ? "
                   "WHERE space_id = ? AND name = ?",
                   {sealed, by, at, space_id, name}));
    return {};
  }));
  RIS_TRY(auto q, store_.query(std::string(kInfo) + " AND name = ?", {space_id, name}));
  if (q.rows.empty())
    return fail(Errc::internal, "the secret was written but is not there");
  return info_of(q.rows[0]);
}

Result<std::vector<SecretInfo>> SecretsRepository::list(const std::string& space_id) {
  RIS_TRY(auto q, store_.query(std::string(kInfo) + " ORDER BY name", {space_id}));
  std::vector<SecretInfo> out;
  for (const auto& r : q.rows)
    out.push_back(info_of(r));
  return out;
}

Result<bool> SecretsRepository::remove(const std::string& space_id, const std::string& name) {
  RIS_TRY(auto q, store_.query("DELETE FROM deploy_secrets WHERE space_id = ? AND name = ?",
                               {space_id, name}));
  return q.changes > 0;
}

Result<std::optional<std::string>> SecretsRepository::sealed_value(const std::string& space_id,
                                                                   const std::string& name) {
  RIS_TRY(auto q, store_.query("SELECT value FROM deploy_secrets WHERE space_id = ? AND name = ?",
                               {space_id, name}));
  if (q.rows.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(q.rows[0].get<std::string>("value"));
}

Result<std::vector<SealedSecret>> SecretsRepository::all() {
  RIS_TRY(auto q, store_.query("SELECT space_id, name, value FROM deploy_secrets"));
  std::vector<SealedSecret> out;
  for (const auto& r : q.rows)
    out.push_back(
        {r.get<std::string>("space_id"), r.get<std::string>("name"), r.get<std::string>("value")});
  return out;
}

Result<void> SecretsRepository::replace(const SealedSecret& was, const std::string& sealed) {
  RIS_TRY_VOID(store_.query(
      "UPDATE deploy_secrets SET value = ? WHERE space_id = ? AND name = ? AND value = ?",
      {sealed, was.space_id, was.name, was.value}));
  return {};
}

}  // namespace ris::deploy
