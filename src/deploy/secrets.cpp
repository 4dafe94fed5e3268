#include "ris/deploy/secrets.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ris/core/time.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/security/secret_box.hpp"
#include "secrets_repository.hpp"

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
  return SecretsRepository(store_).put(access.space_id, std::string(name), sealed,
                                       access.member.account_id, now_rfc3339());
}

Result<std::vector<SecretInfo>> Secrets::list(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  return SecretsRepository(store_).list(access.space_id);
}

Result<void> Secrets::remove(const identity::SpaceAccess& access, std::string_view name) {
  RIS_TRY_VOID(identity::require(access, identity::kDeploy));
  RIS_TRY_VOID(check_name(name));
  RIS_TRY(const bool removed, SecretsRepository(store_).remove(access.space_id, std::string(name)));
  if (!removed)
    return fail(Errc::not_found, fmt::format("no secret '{}' in this space", name));
  return {};
}

Result<std::map<std::string, std::string>> Secrets::open(std::string_view space_id,
                                                         const std::set<std::string>& names) const {
  std::map<std::string, std::string> out;
  SecretsRepository repo(store_);
  for (const auto& name : names) {
    RIS_TRY(auto sealed, repo.sealed_value(std::string(space_id), name));
    if (!sealed)
      return fail(Errc::not_found,
                  fmt::format("secret '{}' is not set in this space (risctl deploy secret set {})",
                              name, name));
    auto value = box_.open(*sealed, kDeploySecretContext);
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

Result<int> Secrets::reseal(store::Store& store, const security::SecretBox& box) {
  int rewritten = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    rewritten = 0;  // the body may run again (Errc::busy)
    SecretsRepository repo(tx);
    RIS_TRY(auto all, repo.all());
    for (const auto& s : all) {
      if (box.is_current(s.value))
        continue;
      RIS_TRY(auto sealed, box.reseal(s.value, kDeploySecretContext));
      RIS_TRY_VOID(repo.replace(s, sealed));
      ++rewritten;
    }
    return {};
  }));
  return rewritten;
}

}  // namespace ris::deploy
