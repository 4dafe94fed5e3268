// ris-agent's two jobs. `join` enrols: pins the server's CA by hash, sends a CSR with a join
// token, stores the signed certificate. `Agent::run` keeps one WebSocket to a server (mutual
// TLS), reconnecting with jittered exponential back-off, executes signed task runs exactly once,
// streams output, reports health, and keeps everything unacknowledged in its on-disk outbox.
#pragma once
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::agent {

struct JoinOptions {
  std::string server_url;  // https://host:8057
  std::string token;       // ris_join_…
  std::string ca_hash;     // sha256:… (printed by risd at start)
  std::string name;        // default: host name
  std::filesystem::path state_dir;
};
Result<std::string> join(const JoinOptions& options);  // → the agent id

struct AgentOptions {
  std::filesystem::path state_dir;
  std::vector<std::string> extra_servers;  // besides those learnt at enrolment
  std::chrono::milliseconds heartbeat_interval{10'000};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::seconds replay_window{300};
  unsigned max_parallel_runs = 8;
  std::string docker_socket = "/var/run/docker.sock";
  std::chrono::milliseconds reconcile_interval{2000};
};

class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();
  // Blocks until stop(). Errors only for unusable state (not enrolled, unreadable files).
  Result<void> run();
  void stop();  // thread-safe (signal handlers post it from a watcher thread)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ris::agent
