// Runs deployment steps on agentless nodes over SSH (libssh; this and ssh_runner.cpp are the only
// files that see it). The Deployer's round() must never block, so a run is started and then
// polled: a bounded pool of worker threads does the connecting, waiting and reading.
//
// Trust: the server's host key must match the pinned SHA256 fingerprint before any credential is
// offered; nothing is trusted on first use, and neither ~/.ssh/known_hosts nor ~/.ssh/config is
// read. Sign-in is by public key only, from the key text the deployment file's secret holds.
//
// Exactly once: a run's key is remembered by the host itself, under
// ${RIS_DEPLOY_DIR:-$HOME/.ris/deploy} (mode 0700). `mkdir KEY.lock` claims the key; the script
// runs from KEY.sh (removed when done) with its output (stdout and stderr) in KEY.out, and its exit
// code goes to KEY.rc (written to a temporary file, then renamed). Starting a key again — after
// risd was killed, or from another SshRunner — replays KEY.out and KEY.rc when KEY.rc exists, and
// when only the lock does, waits for KEY.rc (bounded by the timeout) instead of running the script
// a second time.
//
// Thread-safety: start, poll, forget and connections_made may be called from any thread; check
// is static and blocking.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::deploy {

struct SshHost {
  std::string address;
  int port = 22;
  std::string user;
  std::string private_key;  // PEM/OpenSSH text; never logged
  std::string host_key;     // "SHA256:<base64 without padding>", as `ssh-keygen -lf` prints
};

struct SshOutcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr, the last 64 KiB
};

class SshRunner {
 public:
  explicit SshRunner(int threads = 8);
  // Cancels runs not yet begun, stops the ones under way (their scripts go on on the host and
  // record their outcome there), closes the sessions and joins.
  ~SshRunner();
  SshRunner(const SshRunner&) = delete;
  SshRunner& operator=(const SshRunner&) = delete;

  // Starts running `script` (sh) on `host` under `key`, unless a run with this key is known
  // already; returns at once. `timeout` bounds the command (connecting is bounded by it too).
  void start(const std::string& key, const SshHost& host, const std::string& script,
             std::chrono::seconds timeout);
  // nullopt while the run is queued or running; then its outcome, or why there is none:
  // Errc::unavailable (cannot connect, sign-in refused, timed out, connection lost),
  // Errc::forbidden (the host key is not the pinned one), Errc::busy (an earlier run of the key
  // holds its lock on the host and did not finish in time), Errc::not_found (no run of this key
  // was started, or it was forgotten).
  std::optional<Result<SshOutcome>> poll(const std::string& key);
  // Drops what is known of `key` (cancels it if not yet begun). Its record on the host stays.
  void forget(const std::string& key);
  // Connects, checks the host key and signs in, then disconnects (`validate --check-hosts`).
  static Result<void> check(const SshHost& host, std::chrono::seconds timeout);

  // Sessions opened so far (reused sessions are not counted again): for tests and /metrics.
  std::uint64_t connections_made() const;

  // The name a key has on the host: [A-Za-z0-9._-] only, long or altered keys shortened with a
  // hash so that two keys never share a name.
  static std::string host_name_of(const std::string& key);

 private:
  struct Session;
  struct Run;
  void work();
  Result<SshOutcome> execute(const Run& run);
  std::unique_ptr<Session> take_session(const std::string& id);
  void give_back(const std::string& id, std::unique_ptr<Session> s);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Run>> runs_;
  std::deque<std::shared_ptr<Run>> queue_;
  std::map<std::string, std::vector<std::unique_ptr<Session>>> idle_;  // by user@address:port
  std::atomic<std::uint64_t> connections_made_ = 0;
  std::atomic<bool> stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ris::deploy
