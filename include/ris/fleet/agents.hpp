// The agent registry of a space: join tokens, enrolment (CSR signed by risd's CA, the
// certificate's CN is the agent id), identity facts and labels, health history, revocation.
#pragma once
#include <boost/json/object.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/fleet/selector.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

inline constexpr std::string_view kJoinTokenPrefix = "ris_join_";

struct JoinTokenSpec {
  Labels labels;
  int64_t ttl_seconds = 3600;
  int64_t max_uses = 1;  // 0: unlimited
};

struct CreatedJoinToken {
  std::string id, token, expires_at;
};

struct EnrolRequest {
  std::string token, csr_pem, name, hostname;
};

struct Enrolled {
  std::string agent_id, space_id, certificate_pem;
};

struct Agent {
  std::string id, space_id, name, hostname, os, kernel, arch, agent_version, first_seen, last_seen;
  Labels labels;
  boost::json::array addresses;
  boost::json::array capabilities;  // from the latest hello: "docker" when Docker answers
  boost::json::object health;
  bool revoked = false;
  bool online = false;  // a live server (this one or another) holds its session: agent_presence
};

// An agent as another module's targeting sees it.
struct AgentLabels {
  std::string id;
  Labels labels;
  bool online = false;
};

class Agents {
 public:
  Agents(store::Store& store, std::filesystem::path ca_dir)
      : store_(store), ca_dir_(std::move(ca_dir)) {}

  Result<CreatedJoinToken> create_join_token(const identity::SpaceAccess& access,
                                             const JoinTokenSpec& spec);
  // Consumes one use of the token; an expired, revoked, used-up or unknown token is refused alike.
  Result<Enrolled> enrol(const EnrolRequest& request);

  Result<std::vector<Agent>> list(const identity::SpaceAccess& access, const Selector& selector);
  // Enrolled and not revoked, in every space (the instance's health).
  Result<int64_t> count_active();
  Result<Agent> get(const identity::SpaceAccess& access, std::string_view id);
  // The agents of the space among `ids`, in chunked queries (a fan-out's target list); ids of
  // other spaces or of no agent are left out.
  Result<std::vector<Agent>> get_many(const identity::SpaceAccess& access,
                                      const std::vector<std::string>& ids);
  Result<Agent> set_labels(const identity::SpaceAccess& access, std::string_view id,
                           const Labels& labels);
  Result<void> revoke(const identity::SpaceAccess& access, std::string_view id);
  Result<boost::json::array> health_history(const identity::SpaceAccess& access,
                                            std::string_view id, int limit);

  // For the gateway and other modules acting for the system (no caller: the agent's
  // certificate is the authority).
  Result<Agent> find(std::string_view id);
  // The space's agents that are not revoked, by id (a service's targets).
  Result<std::vector<AgentLabels>> active_in_space(std::string_view space_id);
  Result<void> record_hello(std::string_view id, const boost::json::object& facts);
  // Keeps the latest sample on the agent and a bounded history for charts.
  Result<void> record_heartbeat(std::string_view id, const boost::json::object& sample);
  // Its session ended: last seen now (the sweeper counts lost_after from last_seen).
  Result<void> record_disconnect(std::string_view id);

 private:
  store::Store& store_;
  std::filesystem::path ca_dir_;
};

Labels labels_from_json(const boost::json::value& v);
boost::json::object labels_to_json(const Labels& l);

}  // namespace ris::fleet
