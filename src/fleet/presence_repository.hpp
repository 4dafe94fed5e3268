// The SQL of servers and agent presence (migration 0009): every risd registers itself with a
// lease it renews; which server holds which agent's connection, since when. An agent is held
// while its presence row names a server whose lease has not lapsed. Portable SQL only.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vector>

#include "ris/core/result.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

struct ServerRecord {
  std::string id, advertise_json, version, started_at, lease_until;
};

// A thin view over a Store: construct one where it is needed.
class PresenceRepository {
 public:
  explicit PresenceRepository(store::Store& store) : store_(store) {}

  // Inserts or refreshes the server's row.
  Result<void> register_server(const ServerRecord& s);
  // Moves the lease on; false when the row is gone (then register again).
  Result<bool> renew(std::string_view server_id, const std::string& lease_until);
  // The server's presence rows and its row.
  Result<void> deregister(std::string_view server_id);
  // The rows of servers whose lease lapsed before `lapsed_before`, and their presence rows
  // (their agents are not held anyway). Recently lapsed servers stay: one that was only
  // paused finds its agents held again when it renews.
  Result<void> forget_dead(const std::string& lapsed_before);

  // Every server row with the number of presence rows naming it, ordered by id; one by id.
  Result<std::vector<ServerInfo>> list_servers();
  Result<std::optional<ServerInfo>> find_server(std::string_view server_id);

  // The agent is held by this server's session `session_id`, from `since` (a reconnect, here or
  // elsewhere, replaces the previous row).
  Result<void> hold(std::string_view agent_id, std::string_view server_id,
                    std::string_view session_id, const std::string& since);
  // Removes the agent's row only if it is still this session's; false when another session
  // (a reconnect) holds the agent now.
  Result<bool> release(std::string_view agent_id, std::string_view session_id);
  // The live server holding the agent at `now`, if any.
  Result<std::optional<std::string>> holder(std::string_view agent_id, const std::string& now);
  // (agent, live holder) for those of `agent_ids` that a live server holds at `now`.
  Result<std::vector<std::pair<std::string, std::string>>> holders(
      const std::vector<std::string>& agent_ids, const std::string& now);
  // The advertised URLs of the servers alive at `now` (JSON arrays, one per server).
  Result<std::vector<std::string>> live_advertise(const std::string& now);

 private:
  store::Store& store_;
};

}  // namespace ris::fleet
