// The SQL of Docker services: services, their version history, agents' reports and image
// archives. The services module owns these tables; it asks fleet::Agents about agents, never the
// agents table. Portable SQL only: it runs unchanged on SQLite and PostgreSQL.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/services/services.hpp"
#include "ris/store/store.hpp"

namespace ris::services {

// A service row with the spec of its current version (JSON text, secret values sealed: see
// sealed_spec.hpp).
struct StoredService {
  std::string id, space_id, name, desired_state, rollout_state, created_by, created_at, updated_at;
  std::optional<std::string> rollout_error;
  int64_t version = 0, replicas = 0, restart_generation = 0;
  std::string spec_json;
};

struct NewService {
  std::string id, space_id, name;
  int64_t replicas = 0;
  std::string created_by, created_at, spec_json;
};

struct NewVersion {
  std::string service_id;
  int64_t at_least = 1;  // the version written is this or one past the highest stored
  std::string spec_json, created_by, created_at, reason;
  int64_t replicas = 0;
  std::string rollout_state;
};

struct StoredReport {
  std::string agent_id, report_json, updated_at;
};

struct StoredVersion {
  int64_t version = 0;
  std::string spec_json, created_by, created_at, reason;
};

struct StoredSpec {
  std::string service_id;
  int64_t version = 0;
  std::string spec_json;
};

// A thin view over a Store: construct one where it is needed.
class ServicesRepository {
 public:
  explicit ServicesRepository(store::Store& store) : store_(store) {}

  Result<int64_t> count_in_space(std::string_view space_id);
  // The service and its first version; Errc::conflict when the space has one of that name.
  Result<void> create(const NewService& s);
  // By id or name.
  Result<std::optional<StoredService>> find(std::string_view space_id, std::string_view ref);
  Result<std::vector<StoredService>> in_space(std::string_view space_id);    // by name
  Result<std::vector<std::string>> ids_in_space(std::string_view space_id);  // by name
  Result<void> remove(std::string_view id);

  // A new current version (and its replicas and rollout state), in one transaction.
  Result<void> add_version(const NewVersion& v);
  Result<std::optional<std::string>> version_spec(std::string_view service_id, int64_t version);
  Result<std::vector<StoredVersion>> versions(std::string_view service_id);  // newest first
  // Every version of every service whose spec has secret_env values: for sealing and re-sealing
  // them all.
  Result<std::vector<StoredSpec>> specs_with_secrets();
  // Writes `spec_json` where `old` is still stored; false when it changed meanwhile.
  Result<bool> replace_version_spec(std::string_view service_id, int64_t version,
                                    std::string_view old, std::string_view spec_json);

  Result<void> set_replicas(std::string_view id, int64_t replicas, const std::string& now);
  Result<void> set_desired_state(std::string_view id, const std::string& state,
                                 const std::string& now);
  // New containers of the same spec, rolled out like an update.
  Result<void> restart(std::string_view id, const std::string& now);
  Result<void> set_rollout_error(std::string_view id, const std::string& error);
  Result<void> set_rollout(std::string_view id, const std::string& state, const std::string& error);
  // updating → complete (only from updating).
  Result<void> complete_rollout(std::string_view id);

  Result<std::vector<StoredReport>> reports(std::string_view service_id);  // by agent
  Result<std::optional<std::string>> report(std::string_view service_id, std::string_view agent_id);
  Result<void> save_report(std::string_view service_id, std::string_view agent_id,
                           const std::string& report_json, const std::string& now);

  Result<void> insert_archive(const ImageArchiveInfo& a);
  Result<std::vector<ImageArchiveInfo>> archives(std::string_view space_id);  // by id
  // False when the space has no such archive.
  Result<bool> remove_archive(std::string_view id, std::string_view space_id);
  Result<std::optional<std::string>> archive_format(std::string_view id, std::string_view space_id);

 private:
  store::Store& store_;
};

}  // namespace ris::services
