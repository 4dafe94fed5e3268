#include "ris/deploy/secrets.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <boost/json.hpp>

#include "ris/core/time.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/security/secret_box.hpp"

namespace ris::deploy {
namespace {

Result<void> check_name(std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      });
  if (!ok)
    return fail(
        Errc::invalid_argument,
        fmt::format("'{}': a secret's name is 1 to 64 letters, digits, '.', '_' or '-'", name));
  return {};
}

SecretInfo info_of(const store::Row& r) {
  return {r.get<std::string>("name"), r.get<std::string>("updated_by"),
          r.get<std::string>("created_at"), r.get<std::string>("updated_at")};
}

}  // namespace

Result<SecretInfo> Secrets::put(const identity::SpaceAccess& access, std::string_view name,
                                std::string_view value) {
  RIS_TRY_VOID(identity::require(access, identity::kDeploy));
  RIS_TRY_VOID(check_name(name));
  if (value.empty() || value.size() > kMaxSecretBytes)
    return fail(
        Errc::invalid_argument,
        fmt::format("a secret's value is 1 byte to 64 KiB (this one is {} bytes)", value.size()));
  RIS_TRY(auto sealed, box_.seal(value, kDeploySecretContext));
  const std::string now = now_rfc3339();
  const std::string space(access.space_id), n(name);
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto had, tx.query("SELECT name FROM deploy_secrets WHERE space_id = ? AND name = ?",
                               {space, n}));
    if (had.rows.empty())
      RIS_TRY_VOID(
          tx.query("INSERT INTO deploy_secrets (space_id, name, value, updated_by, "
                   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                   {space, n, sealed, access.member.account_id, now, now}));
    else
      RIS_TRY_VOID(
          tx.query("UPDATE deploy_secrets SET value = ?, updated_by = ?, updated_at = ? "
                   "WHERE space_id = ? AND name = ?",
                   {sealed, access.member.account_id, now, space, n}));
    return {};
  }));
  RIS_TRY(auto q, store_.query("SELECT name, updated_by, created_at, updated_at FROM "
                               "deploy_secrets WHERE space_id = ? AND name = ?",
                               {space, n}));
  if (q.rows.empty())
    return fail(Errc::internal, "the secret was written but is not there");
  return info_of(q.rows[0]);
}

Result<std::vector<SecretInfo>> Secrets::list(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto q, store_.query("SELECT name, updated_by, created_at, updated_at FROM "
                               "deploy_secrets WHERE space_id = ? ORDER BY name",
                               {std::string(access.space_id)}));
  std::vector<SecretInfo> out;
  for (const auto& r : q.rows)
    out.push_back(info_of(r));
  return out;
}

Result<void> Secrets::remove(const identity::SpaceAccess& access, std::string_view name) {
  RIS_TRY_VOID(identity::require(access, identity::kDeploy));
  RIS_TRY_VOID(check_name(name));
  RIS_TRY(auto q, store_.query("DELETE FROM deploy_secrets WHERE space_id = ? AND name = ?",
                               {std::string(access.space_id), std::string(name)}));
  if (q.changes == 0)
    return fail(Errc::not_found, fmt::format("no secret '{}' in this space", name));
  return {};
}

Result<std::map<std::string, std::string>> Secrets::open(std::string_view space_id,
                                                         const std::set<std::string>& names) const {
  std::map<std::string, std::string> out;
  for (const auto& name : names) {
    RIS_TRY(auto q, store_.query("SELECT value FROM deploy_secrets WHERE space_id = ? AND name = ?",
                                 {std::string(space_id), name}));
    if (q.rows.empty())
      return fail(
          Errc::not_found,
          fmt::format("secret '{}' is not set in this space (risctl secret set {})", name, name));
    auto value = box_.open(q.rows[0].get<std::string>("value"), kDeploySecretContext);
    if (!value)
      return fail(Errc::internal,
                  fmt::format("secret '{}' does not open: {}", name, value.error().message));
    out[name] = std::move(*value);
  }
  return out;
}

Result<std::string> Secrets::seal_for_task(std::string_view value) const {
  return box_.seal(value, fleet::kTaskEnvContext);
}

Result<int> Secrets::reseal_tasks(store::Store& store, const security::SecretBox& box) {
  int rewritten = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    rewritten = 0;  // the body may run again (Errc::busy)
    RIS_TRY(auto q, tx.query("SELECT id, spec FROM tasks WHERE spec LIKE ?",
                             {"%" + std::string(security::kSealedPrefix) + "%"}));
    for (const auto& r : q.rows) {
      boost::json::error_code ec;
      auto spec = boost::json::parse(r.get<std::string>("spec"), ec);
      auto* params = !ec && spec.is_object() ? spec.as_object().if_contains("parameters") : nullptr;
      auto* env = params && params->is_object() ? params->as_object().if_contains("env") : nullptr;
      if (env == nullptr || !env->is_object())
        continue;
      bool changed = false;
      for (auto& kv : env->as_object()) {
        if (!kv.value().is_string() || !security::is_sealed(kv.value().as_string()) ||
            box.is_current(kv.value().as_string()))
          continue;
        RIS_TRY(auto sealed, box.reseal(kv.value().as_string(), fleet::kTaskEnvContext));
        kv.value() = sealed;
        changed = true;
      }
      if (!changed)
        continue;
      RIS_TRY_VOID(tx.query("UPDATE tasks SET spec = ? WHERE id = ?",
                            {boost::json::serialize(spec), r.get<std::string>("id")}));
      ++rewritten;
    }
    return {};
  }));
  return rewritten;
}

Result<int> Secrets::reseal(store::Store& store, const security::SecretBox& box) {
  int rewritten = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    rewritten = 0;  // the body may run again (Errc::busy)
    RIS_TRY(auto q, tx.query("SELECT space_id, name, value FROM deploy_secrets"));
    for (const auto& r : q.rows) {
      const auto value = r.get<std::string>("value");
      if (box.is_current(value))
        continue;
      RIS_TRY(auto sealed, box.reseal(value, kDeploySecretContext));
      RIS_TRY_VOID(
          tx.query("UPDATE deploy_secrets SET value = ? WHERE space_id = ? AND name = ? "
                   "AND value = ?",
                   {sealed, r.get<std::string>("space_id"), r.get<std::string>("name"), value}));
      ++rewritten;
    }
    return {};
  }));
  return rewritten;
}

}  // namespace ris::deploy
