// Carries out applied revisions: risd runs round() twice a second under the duty "deployer"
// (ris/cluster/duty_loop.hpp), on one server at a time; it advances every revision that is
// applying, wave by wave. A wave's steps (one per service and node) run in parallel: the action (a
// shell task on the node's agents: files placed, install, stop on update, start; a config file and
// its reload), then the service's health check, retried every interval until it passes or its
// retries are spent. A wave starts when every step of the ones before it succeeded; a step that
// fails fails the revision and skips what is left. Steps live in the store and every task is
// submitted with the idempotency key deploy:<revision>:<service>:<node>:<phase>:<attempt>, so a
// revision whose server died (kill -9) is finished by the next holder, each step's task run once.
// Tasks act with the permissions their revision's author holds at that moment.
#pragma once
#include "ris/cluster/duty.hpp"
#include "ris/core/time.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/store/store.hpp"

namespace ris::deploy {

class Deployer {
 public:
  Deployer(store::Store& store, fleet::Tasks& tasks) : store_(store), tasks_(tasks) {}
  // Every revision that is applying, moved on as far as it can go now; writes fenced.
  Result<void> round(SystemTime now, const cluster::Fence& fence);

 private:
  store::Store& store_;
  fleet::Tasks& tasks_;
};

}  // namespace ris::deploy
