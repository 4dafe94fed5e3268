// Keeps this host's containers equal to the services risd wants here. risd sends the desired
// set (services_desired, on connect and on every change); it is kept on disk so that a restarted
// agent reconciles before it reconnects. A thread compares Docker's containers (labelled
// ris.agent = this agent) with it every `interval` and when woken: creates what is missing,
// starts what stopped, removes what is no longer wanted, and replaces containers of an older
// spec in batches, each batch health-gated. A batch that fails marks that spec failed here (it
// is not retried) and is reported; risd then rolls back or pauses. Status goes to risd after
// every pass that changed something, and at least every 30 s. The copy on disk keeps secret
// values sealed (desired_file.hpp).
#pragma once
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "docker_ops.hpp"
#include "ris/agent/docker_client.hpp"
#include "ris/security/secret_box.hpp"

namespace ris::agent {

struct ReconcilerOptions {
  std::string agent_id, space_id;
  std::filesystem::path state_dir;
  std::chrono::milliseconds interval{2000};
};

class Reconciler {
 public:
  using Reporter = std::function<void(boost::json::object status)>;
  // `secrets` seals the secret values of the copy on disk; it must outlive the reconciler.
  Reconciler(const DockerClient& docker, const security::SecretBox& secrets,
             ReconcilerOptions options, ArchiveFetcher fetch, Reporter report);
  ~Reconciler();
  void start();  // loads the last desired set from disk
  void stop();
  // `services`: [{"id", "version", "hash", "state": running|stopped, "spec": {...},
  // "image_archive_format"}]. Persisted, then reconciled at once.
  void set_desired(boost::json::array services);
  void resend_status();  // after a reconnect

 private:
  void loop();
  void pass();
  boost::json::object reconcile(const boost::json::object& desired,
                                const std::vector<boost::json::object>& containers);
  Result<std::string> create_replica(const boost::json::object& desired, int64_t index);
  Result<void> wait_healthy(const std::vector<std::string>& ids, bool has_health,
                            std::chrono::seconds monitor);
  bool pause_for(std::chrono::milliseconds d);  // false when stopping

  const DockerClient& docker_;
  const security::SecretBox& secrets_;
  ReconcilerOptions opt_;
  ArchiveFetcher fetch_;
  Reporter report_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false, force_report_ = true;
  bool held_ = false;  // the set on disk was unusable: touch nothing until risd sends one
  boost::json::array desired_;
  std::thread thread_;

  // Reconciler thread only.
  std::map<std::string, std::string> failed_hash_;      // service → spec hash that failed here
  std::map<std::string, boost::json::object> rollout_;  // service → last rollout outcome
  // Replicas each service had when last reconciled: a replica missing below that count is
  // drift; one above it is a scale-up.
  std::map<std::string, int64_t> seen_;
  std::vector<boost::json::object> drift_;  // {"service": id, "message": …}
  std::string last_report_;
  std::chrono::steady_clock::time_point last_sent_{};
};

}  // namespace ris::agent
