// The secrets a space's deployment files reference: ${secret:NAME} in a service's values, and an
// SSH node's key (key: secret:NAME). Values are sealed under the master key before they reach
// the store (context "deploy_secrets.value") and are never returned by the API; the Deployer
// opens the ones a step uses, when it runs it. Setting and removing need DEPLOY; listing the
// names needs VIEW_AGENTS.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::security {
class SecretBox;
}

namespace ris::deploy {

inline constexpr std::string_view kDeploySecretContext = "deploy_secrets.value";
inline constexpr size_t kMaxSecretBytes = 64 * 1024;

struct SecretInfo {
  std::string name, updated_by, created_at, updated_at;
};

class Secrets {
 public:
  Secrets(store::Store& store, const security::SecretBox& box) : store_(store), box_(box) {}

  // Creates or replaces `name` (1 to 64 letters, digits, '.', '_' or '-'); value 1 B to 64 KiB.
  Result<SecretInfo> put(const identity::SpaceAccess& access, std::string_view name,
                         std::string_view value);
  Result<std::vector<SecretInfo>> list(const identity::SpaceAccess& access);
  Result<void> remove(const identity::SpaceAccess& access, std::string_view name);

  // For the Deployer: the values of `names` in `space_id`; Errc::not_found names a missing one.
  Result<std::map<std::string, std::string>> open(std::string_view space_id,
                                                  const std::set<std::string>& names) const;

  // A value sealed for a task's env (fleet::kTaskEnvContext): the task row keeps it sealed.
  Result<std::string> seal_for_task(std::string_view value) const;

  // For `risd admin rotate-master-key`: re-seals every value not under `box`'s current key.
  static Result<int> reseal(store::Store& store, const security::SecretBox& box);

 private:
  store::Store& store_;
  const security::SecretBox& box_;
};

}  // namespace ris::deploy
