// Docker services in risd: specs with a version history, the desired set each agent reconciles
// to (sent on connect and on every change), the agents' reports, and the rollout decisions —
// an update that fails on an agent is rolled back to the previous version (or paused) as the
// spec's update policy says. Image archives uploaded here reach hosts without a registry.
// Services' secret_env values are stored sealed under the master key (docs/secrets.md) and
// opened only to be sent to the agents that run them.
#pragma once
#include <boost/json/object.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/identity/access.hpp"
#include "ris/services/spec.hpp"
#include "ris/store/store.hpp"

namespace ris::security {
class SecretBox;
}

namespace ris::services {

struct Service {
  std::string id, space_id, name, desired_state, rollout_state, created_by, created_at, updated_at;
  std::optional<std::string> rollout_error;
  int64_t version = 0, replicas = 0, restart_generation = 0;
  ServiceSpec spec;
  std::string hash;           // what the current version's containers are labelled with
  boost::json::array agents;  // per targeted agent: its latest report
};

struct ServiceVersion {
  int64_t version = 0;
  std::string created_by, created_at, reason;
  boost::json::object spec;  // masked
};

struct ImageArchiveInfo {
  std::string id, space_id, image, format, sha256, created_by, created_at;
  int64_t size = 0;
};

class Services {
 public:
  // Agents are asked through `agents` (the fleet module owns their tables).
  Services(store::Store& store, const security::SecretBox& box, fleet::Agents& agents,
           fleet::Gateway& gateway, std::filesystem::path archive_dir);

  // Seals the secret values a risd from before encryption stored in clear, in every version of
  // every service; run once at start (sealed values are left alone, so running it again does
  // nothing). Returns how many versions it rewrote.
  Result<int> seal_plaintext();
  // For `risd admin rotate-master-key`: re-seals under `box`'s current key every stored secret
  // value not sealed under it yet. Returns how many versions it rewrote.
  static Result<int> reseal(store::Store& store, const security::SecretBox& box);

  // Hooks itself into the gateway (agent connected, service_status).
  void attach();

  // MANAGE_SERVICES for changes, VIEW_AGENTS for reads. `ref` is an id or a name.
  Result<Service> create(const identity::SpaceAccess& access, const boost::json::object& body);
  Result<Service> update(const identity::SpaceAccess& access, std::string_view ref,
                         const boost::json::object& body);
  Result<Service> scale(const identity::SpaceAccess& access, std::string_view ref,
                        int64_t replicas);
  // stop | start | restart
  Result<Service> set_state(const identity::SpaceAccess& access, std::string_view ref,
                            std::string_view action);
  Result<Service> rollback(const identity::SpaceAccess& access, std::string_view ref,
                           std::optional<int64_t> version);
  Result<void> remove(const identity::SpaceAccess& access, std::string_view ref);
  Result<Service> get(const identity::SpaceAccess& access, std::string_view ref);
  Result<std::vector<Service>> list(const identity::SpaceAccess& access);
  Result<std::vector<ServiceVersion>> history(const identity::SpaceAccess& access,
                                              std::string_view ref);

  Result<ImageArchiveInfo> add_archive(const identity::SpaceAccess& access,
                                       const std::string& image, const std::string& format,
                                       const std::string& bytes);
  Result<std::vector<ImageArchiveInfo>> archives(const identity::SpaceAccess& access);
  Result<void> remove_archive(const identity::SpaceAccess& access, std::string_view id);
  // For an agent (its certificate is the authority): the archive's bytes if in its space.
  // The archive's bytes and its media type: application/x-tar for a `docker save` image,
  // application/x-tar; format=rootfs for a root file system.
  Result<std::pair<std::string, std::string>> archive_for_agent(const std::string& agent_id,
                                                                std::string_view id);

  // Sends the space's desired services to its connected agents and tells people's views.
  void push_space(const std::string& space_id, const std::string& service_id);

 private:
  Result<Service> load(const std::string& space_id, std::string_view ref);
  Result<Service> add_version(const Service& s, const ServiceSpec& spec, const std::string& by,
                              const std::string& reason, const std::string& rollout_state);
  Result<boost::json::array> desired_for(const std::string& agent_id);
  void push_agent(const std::string& agent_id);
  Result<void> on_status(const std::string& agent_id, const boost::json::object& status);
  Result<std::vector<fleet::AgentLabels>> targeted_agents(const Service& s);

  store::Store& store_;
  const security::SecretBox& box_;
  fleet::Agents& agents_;
  fleet::Gateway& gateway_;
  std::filesystem::path archive_dir_;
};

}  // namespace ris::services
