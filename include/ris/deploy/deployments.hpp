// Deployments of a space over the API: validate a file, plan it against what is applied, apply
// it (a revision whose steps the Deployer carries out through agents), and the revisions with
// their steps. Reading needs VIEW_AGENTS; plan and apply need DEPLOY.
//
// Apply runs shell and config services on agent nodes (by id or label selector) and SSH nodes,
// and docker services as the space's services (agent nodes only). A failed step stops the
// revision or, with on_failure rollback, starts the revision that returns to the last applied
// one.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/deploy/plan.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::deploy {

struct StepRow {
  std::string service, node, change, phase, state;
  int64_t wave = 0, attempt = 0;
  std::optional<std::string> task_id, next_at, detail, started_at, finished_at;
};

struct Revision {
  std::string id, space_id, deployment, environment, state, plan_hash, created_by, created_at;
  int64_t revision = 0;
  std::string kind = "apply";       // apply | rollback
  std::string on_failure = "stop";  // stop | rollback
  std::optional<std::string> detail, finished_at;
  std::optional<std::string> removes_from;  // the revision whose services the removals undo
  boost::json::object specs;                // {service: spec}
  std::string file;
  std::vector<StepRow> steps;  // filled by revision()
};

// A file that did not read: its problems, for a 422 that lists them.
struct Invalid {
  std::vector<Diagnostic> diagnostics;
};

class Secrets;

class Deployments {
 public:
  // `secrets` opens SSH nodes' keys for validate's check_hosts (nullptr: it reports them all).
  explicit Deployments(store::Store& store, const Secrets* secrets = nullptr)
      : store_(store), secrets_(secrets) {}

  // Body: {"file": YAML text, "environment": "prod", "check_hosts": false}. The deployment
  // read, or its problems; with check_hosts, each SSH node is also reached (its pinned host key
  // and its key secret checked), and one that is not is a problem at its node.
  Result<std::variant<Deployment, Invalid>> validate(const identity::SpaceAccess& access,
                                                     const boost::json::object& body);
  // The plan of `name` against its environment's last applied revision (0: none).
  Result<std::variant<std::pair<Plan, int64_t>, Invalid>> plan(const identity::SpaceAccess& access,
                                                               std::string_view name,
                                                               const boost::json::object& body);
  // Body as validate's, plus optional "plan_hash": refused (409) when the plan has changed
  // since. A new revision, state applying; the Deployer carries it out.
  Result<std::variant<Revision, Invalid>> apply(const identity::SpaceAccess& access,
                                                std::string_view name,
                                                const boost::json::object& body);
  // Body: {"to": N, "environment": "prod", "plan_hash"?}: a revision (kind rollback) that
  // returns the environment to revision N, which must have been applied. Needs DEPLOY.
  Result<std::variant<Revision, Invalid>> rollback(const identity::SpaceAccess& access,
                                                   std::string_view name,
                                                   const boost::json::object& body);
  // Body: {"environment"?, "repair"?: bool}. A revision of kind drift (or repair) that checks
  // each config service of the last applied revision on its nodes: the file's content, mode and
  // owner as applied. Its steps say "in sync", "drifted: …" or "repaired: …"; it ends in_sync or
  // drifted. It changes nothing unless repair is set, and never what is applied. Needs DEPLOY.
  Result<Revision> check_drift(const identity::SpaceAccess& access, std::string_view name,
                               const boost::json::object& body);
  // Each deployment and environment of the space with its newest revision (no steps), by name.
  Result<std::vector<Revision>> list(const identity::SpaceAccess& access);
  // Newest first; `environment` nullopt: all.
  Result<std::vector<Revision>> revisions(const identity::SpaceAccess& access,
                                          std::string_view name,
                                          std::optional<std::string> environment);
  Result<Revision> revision(const identity::SpaceAccess& access, std::string_view name,
                            std::string_view environment, int64_t number);

 private:
  Result<std::variant<Revision, Invalid>> start(const identity::SpaceAccess& access,
                                                std::string_view name, const std::string& file,
                                                const std::string& environment,
                                                const std::optional<std::string>& plan_hash,
                                                std::string_view kind,
                                                const std::optional<std::string>& on_failure,
                                                std::optional<std::string> detail = {});
  std::vector<Diagnostic> check_hosts(std::string_view space_id, const Deployment& d) const;
  store::Store& store_;
  const Secrets* secrets_;
};

}  // namespace ris::deploy
