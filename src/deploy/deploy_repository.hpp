// The SQL of deployments: deploy_revisions and deploy_steps (portable, both engines).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/cluster/duty.hpp"
#include "ris/deploy/deployments.hpp"
#include "ris/store/store.hpp"

namespace ris::deploy {

class DeployRepository {
 public:
  explicit DeployRepository(store::Store& store) : store_(store) {}

  // The revision with the next number of its deployment and environment, and its steps, in one
  // transaction; Errc::conflict when one of them is still applying.
  Result<Revision> insert(Revision r, const std::vector<StepRow>& steps);
  // Fails `failed_id` with `why` and inserts its rollback revision `r`, in one fenced
  // transaction (a crash leaves either both or neither).
  Result<Revision> roll_back(std::string_view failed_id, const std::string& why,
                             const std::string& at, Revision r, const std::vector<StepRow>& steps,
                             const cluster::Fence& fence);
  Result<std::optional<Revision>> by_id(std::string_view id);
  // The newest revision of each deployment and environment of a space, by name.
  Result<std::vector<Revision>> latest(std::string_view space_id);
  Result<std::optional<Revision>> last_applied(std::string_view space_id,
                                               std::string_view deployment,
                                               std::string_view environment);
  Result<std::vector<Revision>> list(std::string_view space_id, std::string_view deployment,
                                     const std::optional<std::string>& environment);
  Result<std::optional<Revision>> get(std::string_view space_id, std::string_view deployment,
                                      std::string_view environment, int64_t number);
  Result<std::vector<Revision>> applying();
  Result<std::vector<StepRow>> steps(std::string_view revision_id);
  // Writes of the deployer, fenced by its duty.
  Result<void> save_step(std::string_view revision_id, const StepRow& s,
                         const cluster::Fence& fence);
  Result<void> finish(std::string_view revision_id, std::string_view state,
                      const std::optional<std::string>& detail, const std::string& at,
                      const cluster::Fence& fence);

 private:
  static Result<void> insert_in(store::Store& tx, Revision& r, const std::vector<StepRow>& steps);
  static Result<void> finish_in(store::Store& tx, std::string_view revision_id,
                                std::string_view state, const std::optional<std::string>& detail,
                                const std::string& at);
  store::Store& store_;
};

}  // namespace ris::deploy
