// A Docker service's spec: what risd stores (with a version history) and agents reconcile to.
// Parsed from the API's JSON (network input: fuzzed by fuzz_service_spec), validated with errors
// that name the field, written back in one canonical form, and turned into the Docker Engine
// API's container-create body on the agent. Both sides use this file.
#pragma once
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::services {

struct PortSpec {
  int container = 0, host = 0;
  std::string protocol = "tcp";
};
struct MountSpec {
  std::string type = "bind";  // bind | volume | tmpfs
  std::string source, target;
  bool read_only = false;
};
struct HealthSpec {
  std::vector<std::string> test;  // ["CMD", ...] or ["CMD-SHELL", "..."]
  int64_t interval_seconds = 5, timeout_seconds = 3, retries = 3, start_period_seconds = 0;
};
struct UpdatePolicy {
  int64_t parallelism = 1;
  int64_t delay_seconds = 0;
  std::string failure_action = "rollback";  // rollback | pause | continue
  int64_t monitor_seconds = 30;             // how long a new replica has to prove healthy
};

struct ServiceSpec {
  std::string name;
  std::string image;          // a reference ("busybox:ris", "nginx:1.25")
  std::string image_archive;  // optional: id of an uploaded archive that provides `image`
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> secret_env;  // masked in every read
  std::vector<PortSpec> ports;
  std::vector<MountSpec> mounts;
  std::map<std::string, std::string> labels;
  int64_t replicas = 1;                           // per targeted agent
  std::string restart_policy = "unless-stopped";  // no | always | on-failure | unless-stopped
  std::optional<HealthSpec> health;
  int64_t memory_bytes = 0;  // 0: no limit
  double cpus = 0;           // 0: no limit
  std::string network_mode;  // "" (Docker's default), host, none, bridge, or a network name
  std::vector<std::string> target_agents;  // agent ids, or …
  std::string target_selector;             // … a label selector ("" and no ids: every agent)
  UpdatePolicy update;
};

inline constexpr std::string_view kSecretMask = "********";
inline constexpr int64_t kMaxReplicas = 64;

Result<ServiceSpec> parse_service_spec(const boost::json::object& o);
// Canonical JSON; masks secret values unless `with_secrets`.
boost::json::object to_json(const ServiceSpec& s, bool with_secrets);
// The hash of everything that shapes a container (not replicas, target or update policy):
// containers whose label differs are replaced. `restart_generation` forces replacement.
std::string container_hash(const ServiceSpec& s, int64_t restart_generation);

// The Engine API body of POST /containers/create for replica `index`: labels ris.* included.
boost::json::object container_create_body(const ServiceSpec& s, const std::string& service_id,
                                          const std::string& space_id, const std::string& agent_id,
                                          int64_t version, const std::string& hash, int64_t index);

}  // namespace ris::services
