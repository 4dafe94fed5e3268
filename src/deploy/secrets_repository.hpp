// The SQL of deployment secrets: deploy_secrets (portable, both engines). Values arrive and
// leave sealed; only Secrets (secrets.cpp) seals and opens them.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/deploy/secrets.hpp"
#include "ris/store/store.hpp"

namespace ris::deploy {

struct SealedSecret {
  std::string space_id, name, value;
};

class SecretsRepository {
 public:
  explicit SecretsRepository(store::Store& store) : store_(store) {}

  // Creates or replaces the sealed value of (space, name), in one transaction.
  Result<SecretInfo> put(const std::string& space_id, const std::string& name,
                         const std::string& sealed, const std::string& by, const std::string& at);
  Result<std::vector<SecretInfo>> list(const std::string& space_id);
  // False when there was none.
  Result<bool> remove(const std::string& space_id, const std::string& name);
  Result<std::optional<std::string>> sealed_value(const std::string& space_id,
                                                  const std::string& name);
  // For re-sealing: every value, and a compare-and-set write of one.
  Result<std::vector<SealedSecret>> all();
  Result<void> replace(const SealedSecret& was, const std::string& sealed);

 private:
  store::Store& store_;
};

}  // namespace ris::deploy
