// Carries out applied revisions: risd runs round() twice a second under the duty "deployer"
// (ris/cluster/duty_loop.hpp), on one server at a time; it advances every revision that is
// applying, wave by wave. A wave's steps (one per service and node) run in parallel, at most
// kMaxParallelSteps of a revision and a service's rollout.batch_size at a time: the action (a
// shell script on the node: files placed, install, stop on update, start; a config file and its
// reload), then the service's health check, retried every interval until it passes or its
// retries are spent. A wave starts when every step of the ones before it has ended. A step that
// fails fails the revision, unless its service's rollout.max_failure_percent allows that many
// failed steps; a failed revision whose on_failure is rollback is followed, in the same
// transaction, by the revision that returns to the last applied one (revision_steps.hpp).
//
// A docker service is the space's service named <deployment>.<service> (src/services), created or
// updated to the file's spec with the union of its nodes as its target; its steps pass when the
// service's rollout is complete and fail when the rollout fails (or is rolled back or paused).
//
// Executors: on agent nodes a step is a shell task, submitted with the idempotency key
// deploy:<revision>:<service>:<node>:<phase>:<attempt>; on SSH nodes it is an SshRunner run with
// the same key, which the host itself remembers. Either way a revision whose server died
// (kill -9) is finished by the next holder, each step run once. Secrets the step references are
// opened when it starts and reach the script in its environment, never in its text.
// Tasks act with the permissions their revision's author holds at that moment.
#pragma once
#include <memory>

#include "ris/cluster/duty.hpp"
#include "ris/core/time.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/store/store.hpp"

namespace ris::services {
class Services;
}

namespace ris::deploy {

class Secrets;
class SshRunner;

inline constexpr int kMaxParallelSteps = 64;

class Deployer {
 public:
  Deployer(store::Store& store, fleet::Tasks& tasks, services::Services& services,
           const Secrets& secrets);
  ~Deployer();
  // Every revision that is applying, moved on as far as it can go now; writes fenced.
  Result<void> round(SystemTime now, const cluster::Fence& fence);

 private:
  store::Store& store_;
  fleet::Tasks& tasks_;
  services::Services& services_;
  const Secrets& secrets_;
  std::unique_ptr<SshRunner> ssh_;  // its worker threads connect and wait, never round()
};

}  // namespace ris::deploy
