// What an agent keeps on disk in its state directory (mode 0700):
//   agent.json   identity and servers: agent id, space, server URLs, the server's task key
//   agent.key    private key (0600), agent.crt its certificate, ca.crt the pinned CA
//   executed.log run ids started ("S id") and finished ("F id"), so a run never runs twice
//   outbox/      messages for the server (output, results) until it acknowledges them
//   services.json  the desired services (reconciler), secret values sealed under master.key
//   master.key   the agent's own key for secrets at rest (0600, created on first run)
// Results are fsynced before they are sent; a kill -9 of the agent or of risd loses nothing.
#pragma once
#include <boost/json/object.hpp>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::agent {

struct Identity {
  std::string agent_id, space_id, task_public_key;  // base64url raw Ed25519
  std::vector<std::string> servers;                 // https://host:port
  std::string key_pem, cert_pem, ca_pem;
};

Result<void> save_identity(const std::filesystem::path& dir, const Identity& id);
Result<Identity> load_identity(const std::filesystem::path& dir);

// The executed-run log. Thread-safe.
class ExecutedLog {
 public:
  static Result<ExecutedLog*> open(const std::filesystem::path& dir);  // caller owns
  ~ExecutedLog();
  bool seen(const std::string& run_id);
  // Records the start durably (fsync) before the run begins; false if it was already recorded.
  Result<bool> start(const std::string& run_id);
  Result<void> finish(const std::string& run_id);
  // Runs started but never finished: interrupted by an agent crash or restart.
  std::vector<std::string> unfinished();

 private:
  explicit ExecutedLog(int fd) : fd_(fd) {}
  Result<void> append(const std::string& line, bool durable);
  int fd_;
  std::mutex mu_;
  std::set<std::string> started_, finished_;
};

// Messages waiting for the server's acknowledgement, numbered by a sequence that never goes
// back (it survives restarts). Thread-safe.
class Outbox {
 public:
  static Result<Outbox*> open(const std::filesystem::path& dir);  // caller owns
  // Assigns the next seq, stores the message, returns (seq, text to send).
  Result<std::pair<int64_t, std::string>> add(boost::json::object message, bool durable);
  void acknowledge(int64_t up_to);
  std::vector<std::string> pending();  // in order
  size_t size();

 private:
  explicit Outbox(std::filesystem::path dir, int64_t next) : dir_(std::move(dir)), next_(next) {}
  std::filesystem::path dir_;
  std::mutex mu_;
  int64_t next_;
};

}  // namespace ris::agent
