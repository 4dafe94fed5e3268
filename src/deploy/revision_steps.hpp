// The steps of a revision, and the revision that rolls a failed one back. Shared by apply (the
// API) and the Deployer (an automatic rollback is made where the failure is seen).
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ris/deploy/deployments.hpp"

namespace ris::deploy {

// One step per service and node of each step of `p`: create and update run on the nodes
// `target` names; a removal on the nodes of its spec in `live`. Unchanged steps start
// succeeded.
std::vector<StepRow> steps_for(const Plan& p, const Deployment& target, const Live& live);

// The live state a revision leaves behind: `applied`'s specs, where each service in `touched`
// (its step began) is as `failed` would have made it (its spec, or gone for a removal).
Live live_after(const Revision& failed, const std::optional<Revision>& applied,
                const std::set<std::string>& touched);

struct Rollback {
  Revision revision;  // state applying, kind rollback, removes_from the failed revision
  std::vector<StepRow> steps;
};

// The rollback of `failed` (whose steps in `touched` began) to `applied`, the last revision
// applied before it (nullopt: none, so everything the failed one created goes).
Result<Rollback> rollback_of(const Revision& failed, const std::optional<Revision>& applied,
                             const std::set<std::string>& touched, const std::string& at);

}  // namespace ris::deploy
