// The SQL of the agent registry: join tokens, agents and their health history. The fleet module
// owns these tables; other modules ask fleet::Agents, never the tables. Portable SQL only: it
// runs unchanged on SQLite and PostgreSQL.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

struct NewJoinToken {
  std::string id, space_id, token_hash, labels_json, created_by, created_at, expires_at;
  int64_t max_uses = 1;
};

// What one use of a join token gives the agent that enrols with it.
struct JoinTokenUse {
  std::string space_id, labels_json;
};

struct NewAgent {
  std::string id, space_id, name, labels_json, hostname, cert_sha256, seen_at;
};

struct HelloFacts {
  std::string hostname, os, kernel, arch, agent_version, addresses_json, capabilities_json;
};

struct HealthSample {
  std::string time, sample_json;
};

// A thin view over a Store (or a transaction's Store): construct one where it is needed.
class AgentsRepository {
 public:
  explicit AgentsRepository(store::Store& store) : store_(store) {}

  Result<void> insert_join_token(const NewJoinToken& t);
  // Takes one use of the token if it is valid at `now` (not revoked, not expired, uses left),
  // in one statement; nullopt when it is not.
  Result<std::optional<JoinTokenUse>> use_join_token(std::string_view token_hash,
                                                     std::string_view now);

  Result<void> insert_agent(const NewAgent& a);
  Result<std::optional<Agent>> find(std::string_view id);
  Result<std::vector<Agent>> in_space(std::string_view space_id);  // by name
  // The agents of the space among `ids` (chunked: a fan-out lists thousands), in no order.
  Result<std::vector<Agent>> many(std::string_view space_id, const std::vector<std::string>& ids);
  // Not revoked, by id: for other modules (services' targets).
  Result<std::vector<AgentLabels>> active_in_space(std::string_view space_id);
  Result<int64_t> count_active();

  Result<void> set_labels(std::string_view id, const std::string& labels_json);
  Result<void> revoke(std::string_view id, const std::string& now);
  Result<void> record_hello(std::string_view id, const HelloFacts& facts, const std::string& now);
  // The latest sample on the agent, and the newest `keep` samples in the history.
  Result<void> record_heartbeat(std::string_view id, const std::string& sample_json,
                                const std::string& now, int64_t keep);
  Result<void> touch(std::string_view id, const std::string& now);  // last_seen = now
  // Newest first.
  Result<std::vector<HealthSample>> health(std::string_view id, int64_t limit);

 private:
  store::Store& store_;
};

}  // namespace ris::fleet
