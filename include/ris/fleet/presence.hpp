// This server among the servers that share a store (DESIGN.md, "Several servers"): its id, its
// row in `servers` with a lease it renews in the background, and the presence rows of the
// agents whose connection it holds. An agent is held while its presence row names a server whose
// lease has not lapsed; a server whose lease lapsed is dead to the others, which then sweep its
// agents' runs. Such a server does no duties of its own until it renews (alive()).
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

struct PresenceOptions {
  std::string server_id;                    // empty: a new id at every start
  std::chrono::milliseconds lease{10'000};  // renewed every third of it
  std::string version;
  std::vector<std::string> advertise;  // URLs other servers reach this one at
};

// A server among those sharing the store, as the cluster view shows it.
struct ServerInfo {
  std::string id, version, started_at, lease_until;  // times RFC 3339 UTC
  std::vector<std::string> advertise;                // URLs other servers reach it at
  int64_t presence_rows = 0;  // agents whose presence row names it (held while it is alive)
};

class Presence {
 public:
  Presence(store::Store& store, PresenceOptions options);
  ~Presence();
  Presence(const Presence&) = delete;
  Presence& operator=(const Presence&) = delete;

  const std::string& server_id() const { return options_.server_id; }
  std::chrono::milliseconds lease() const { return options_.lease; }

  // Registers (with `advertise`, if given, replacing the options') and starts renewing.
  Result<void> start(std::vector<std::string> advertise = {});
  // Stops renewing and deregisters: the server's row and its agents' presence rows go, so the
  // others know at once that nobody holds those agents. Idempotent.
  void stop();
  // The last renewal succeeded less than a lease ago.
  bool alive() const;

  // Every server row in the store, by id (dead ones too, until they are forgotten), and one.
  Result<std::vector<ServerInfo>> servers() const;
  Result<std::optional<ServerInfo>> server(const std::string& id) const;

  // The agent's session `session_id` is established here (blocking: on the pool).
  Result<void> hold(const std::string& agent_id, const std::string& session_id);
  // The session ended: its row goes unless a newer session (here or elsewhere) replaced it.
  Result<void> release(const std::string& agent_id, const std::string& session_id);

 private:
  Result<void> register_now();
  void renew_loop();

  store::Store& store_;
  PresenceOptions options_;
  std::string started_at_;
  std::atomic<int64_t> alive_until_{0};  // steady clock, nanoseconds since its epoch

  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false, stopping_ = false;
  std::thread renewer_;
};

}  // namespace ris::fleet
