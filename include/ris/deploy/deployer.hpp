// Carries out applied revisions: twice a second, on the one server holding the duty "deployer"
// (ris/cluster/duty.hpp), it advances every revision that is applying, wave by wave. A wave's
// steps (one per service and node) run in parallel: the action (a shell task on the node's
// agents: files placed, install, stop on update, start; a config file and its reload), then the
// service's health check, retried every interval until it passes or its retries are spent. A
// wave starts when every step of the ones before it succeeded; a step that fails fails the
// revision and skips what is left. Steps live in the store and every task is submitted with the
// idempotency key deploy:<revision>:<service>:<node>:<phase>:<attempt>, so a revision whose
// server died (kill -9) is finished by the next holder, each step's task run once. Tasks act with
// the permissions their revision's author holds at that moment.
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "ris/core/time.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/store/store.hpp"

namespace ris::deploy {

class Deployer {
 public:
  Deployer(store::Store& store, fleet::Presence& presence, fleet::Tasks& tasks);
  ~Deployer();
  Deployer(const Deployer&) = delete;
  Deployer& operator=(const Deployer&) = delete;

  void start();
  void stop();  // idempotent; releases the duty
  void tick(SystemTime now = std::chrono::system_clock::now());

 private:
  struct Impl;
  std::unique_ptr<Impl> p_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ris::deploy
