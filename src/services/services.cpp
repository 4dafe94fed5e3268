#include "ris/services/services.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <map>

#include "ris/core/ids.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/fleet/selector.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/secret_box.hpp"
#include "ris/security/secure_file.hpp"
#include "sealed_spec.hpp"
#include "services_repository.hpp"

namespace ris::services {
namespace {
namespace json = boost::json;
using identity::kManageServices;
using identity::kViewAgents;

constexpr int64_t kMaxServicesPerSpace = 500;

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A stored service with its current spec's secrets opened.
Result<Service> from_stored(const StoredService& r, const security::SecretBox& box) {
  Service s;
  s.id = r.id;
  s.space_id = r.space_id;
  s.name = r.name;
  s.version = r.version;
  s.desired_state = r.desired_state;
  s.replicas = r.replicas;
  s.restart_generation = r.restart_generation;
  s.rollout_state = r.rollout_state;
  s.rollout_error = r.rollout_error;
  s.created_by = r.created_by;
  s.created_at = r.created_at;
  s.updated_at = r.updated_at;
  RIS_TRY(s.spec, open_spec(r.spec_json, box));
  s.spec.replicas = s.replicas;
  s.hash = container_hash(s.spec, s.restart_generation);
  return s;
}

bool all_replicas_current(const json::object& report, const Service& s) {
  const auto* reps = report.if_contains("replicas");
  if (!reps || !reps->is_array() || static_cast<int64_t>(reps->as_array().size()) != s.replicas)
    return false;
  for (const auto& r : reps->as_array()) {
    const auto& o = r.as_object();
    if (str(o, "hash") != s.hash || str(o, "state") != "running")
      return false;
    if (s.spec.health && str(o, "health") != "healthy")
      return false;
  }
  return true;
}

// Rewrites, in one transaction, the stored specs whose secret values `which` picks; returns how
// many versions it rewrote.
Result<int> reseal_specs(store::Store& store, const security::SecretBox& box, Reseal which) {
  int rewritten = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    rewritten = 0;  // the body may run again (Errc::busy)
    ServicesRepository repo(tx);
    RIS_TRY(auto stored, repo.specs_with_secrets());
    for (const auto& v : stored) {
      RIS_TRY(auto resealed, reseal_spec(v.spec_json, box, which));
      if (!resealed)
        continue;
      RIS_TRY(const bool replaced,
              repo.replace_version_spec(v.service_id, v.version, v.spec_json, *resealed));
      rewritten += replaced ? 1 : 0;
    }
    return {};
  }));
  return rewritten;
}
}  // namespace

Services::Services(store::Store& store, const security::SecretBox& box, fleet::Agents& agents,
                   fleet::Gateway& gateway, std::filesystem::path archive_dir)
    : store_(store),
      box_(box),
      agents_(agents),
      gateway_(gateway),
      archive_dir_(std::move(archive_dir)) {}

Result<int> Services::seal_plaintext() {
  RIS_TRY(const int n, reseal_specs(store_, box_, Reseal::plaintext));
  if (n > 0)
    log::info("secrets_sealed", {{"column", kSecretEnvContext}, {"versions", n}});
  return n;
}

Result<int> Services::reseal(store::Store& store, const security::SecretBox& box) {
  return reseal_specs(store, box, Reseal::not_current);
}

void Services::attach() {
  gateway_.on_connected([this](const std::string& agent_id) { push_agent(agent_id); });
  // An agent connected to another server gets its desired services from that server.
  gateway_.on_refresh("services", [this](const std::string& agent_id) { push_agent(agent_id); });
  gateway_.on_message("service_status",
                      [this](const std::string& agent_id, const fleet::Envelope& e) {
                        return on_status(agent_id, e.payload);
                      });
}

Result<Service> Services::load(const std::string& space_id, std::string_view ref) {
  ServicesRepository repo(store_);
  RIS_TRY(auto stored, repo.find(space_id, ref));
  if (!stored)
    return fail(Errc::not_found, "no service \"" + std::string(ref) + "\" in this space");
  RIS_TRY(auto s, from_stored(*stored, box_));
  RIS_TRY(auto reports, repo.reports(s.id));
  RIS_TRY(auto targeted, targeted_agents(s));
  for (const auto& [agent, labels, online] : targeted) {
    // Connected to any server sharing the store (presence), not only to this one.
    json::object entry{{"agent_id", agent}, {"connected", online}};
    for (const auto& r : reports) {
      if (r.agent_id != agent)
        continue;
      boost::json::error_code ec;
      auto v = json::parse(r.report_json, ec);
      if (!ec && v.is_object())
        for (auto& [k, val] : v.as_object())
          if (k != "id")
            entry[k] = val;
      entry["reported_at"] = r.updated_at;
    }
    s.agents.push_back(std::move(entry));
  }
  return s;
}

Result<std::vector<fleet::AgentLabels>> Services::targeted_agents(const Service& s) {
  RIS_TRY(auto agents, agents_.active_in_space(s.space_id));
  fleet::Selector selector;
  if (!s.spec.target_selector.empty()) {
    RIS_TRY(selector, fleet::parse_selector(s.spec.target_selector));
  }
  std::vector<fleet::AgentLabels> out;
  for (auto& a : agents) {
    if (!s.spec.target_agents.empty()) {
      if (std::find(s.spec.target_agents.begin(), s.spec.target_agents.end(), a.id) !=
          s.spec.target_agents.end())
        out.push_back(std::move(a));
      continue;
    }
    if (selector.matches(a.labels))
      out.push_back(std::move(a));
  }
  return out;
}

Result<Service> Services::create(const identity::SpaceAccess& access, const json::object& body) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto spec, parse_service_spec(body));
  if (!spec.target_selector.empty())
    RIS_TRY_VOID(fleet::parse_selector(spec.target_selector));
  ServicesRepository repo(store_);
  RIS_TRY(auto count, repo.count_in_space(access.space_id));
  if (count >= kMaxServicesPerSpace)
    return fail(Errc::conflict, "a space holds at most 500 services");
  const std::string id = new_id();
  RIS_TRY(std::string sealed, seal_spec(spec, box_));
  auto created = repo.create({id, access.space_id, spec.name, spec.replicas,
                              access.member.account_id, now_rfc3339(), std::move(sealed)});
  if (!created && created.error().code == Errc::conflict)
    return fail(Errc::conflict, "a service named \"" + spec.name + "\" already exists");
  if (!created)
    return fail(created.error());
  push_space(access.space_id, id);
  return load(access.space_id, id);
}

Result<Service> Services::add_version(const Service& s, const ServiceSpec& spec,
                                      const std::string& by, const std::string& reason,
                                      const std::string& rollout_state) {
  // A version whose containers equal the running ones (only replicas, target or the update
  // policy changed) has nothing to roll out.
  const bool same_containers = container_hash(spec, s.restart_generation) == s.hash;
  RIS_TRY(std::string sealed, seal_spec(spec, box_));
  RIS_TRY_VOID(ServicesRepository(store_).add_version(
      {s.id, s.version + 1, std::move(sealed), by, now_rfc3339(), reason, spec.replicas,
       same_containers ? s.rollout_state : rollout_state}));
  push_space(s.space_id, s.id);
  return load(s.space_id, s.id);
}

Result<Service> Services::update(const identity::SpaceAccess& access, std::string_view ref,
                                 const json::object& body) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto s, load(access.space_id, ref));
  RIS_TRY(auto spec, parse_service_spec(body));
  if (spec.name != s.name)
    return fail(Errc::invalid_argument, "\"name\" cannot change (create a new service)");
  if (!spec.target_selector.empty())
    RIS_TRY_VOID(fleet::parse_selector(spec.target_selector));
  // Masked secrets sent back unchanged keep their stored values.
  for (auto& [k, v] : spec.secret_env)
    if (v == kSecretMask && s.spec.secret_env.contains(k))
      v = s.spec.secret_env.at(k);
  return add_version(s, spec, access.member.account_id, "update", "updating");
}

Result<Service> Services::scale(const identity::SpaceAccess& access, std::string_view ref,
                                int64_t replicas) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  if (replicas < 0 || replicas > kMaxReplicas)
    return fail(Errc::invalid_argument, "\"replicas\" must be between 0 and 64");
  RIS_TRY(auto s, load(access.space_id, ref));
  RIS_TRY_VOID(ServicesRepository(store_).set_replicas(s.id, replicas, now_rfc3339()));
  push_space(s.space_id, s.id);
  return load(s.space_id, s.id);
}

Result<Service> Services::set_state(const identity::SpaceAccess& access, std::string_view ref,
                                    std::string_view action) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto s, load(access.space_id, ref));
  const std::string now = now_rfc3339();
  ServicesRepository repo(store_);
  if (action == "stop" || action == "start") {
    RIS_TRY_VOID(repo.set_desired_state(s.id, action == "stop" ? "stopped" : "running", now));
  } else if (action == "restart") {
    RIS_TRY_VOID(repo.restart(s.id, now));
  } else {
    return fail(Errc::invalid_argument, "unknown action (stop, start, restart)");
  }
  push_space(s.space_id, s.id);
  return load(s.space_id, s.id);
}

Result<Service> Services::rollback(const identity::SpaceAccess& access, std::string_view ref,
                                   std::optional<int64_t> version) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto s, load(access.space_id, ref));
  const int64_t to = version.value_or(s.version - 1);
  RIS_TRY(auto stored, ServicesRepository(store_).version_spec(s.id, to));
  if (!stored)
    return fail(Errc::not_found, "service \"" + s.name + "\" has no version " + std::to_string(to));
  RIS_TRY(auto spec, open_spec(*stored, box_));
  spec.replicas = s.replicas;  // a rollback restores the containers, not the scale
  return add_version(s, spec, access.member.account_id, "rollback to " + std::to_string(to),
                     "updating");
}

Result<void> Services::remove(const identity::SpaceAccess& access, std::string_view ref) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  // Without opening the secrets: a service whose secrets no longer open (a lost master key) can
  // still be removed, and created again.
  ServicesRepository repo(store_);
  RIS_TRY(auto s, repo.find(access.space_id, ref));
  if (!s)
    return fail(Errc::not_found, "no service \"" + std::string(ref) + "\" in this space");
  RIS_TRY_VOID(repo.remove(s->id));
  push_space(s->space_id, s->id);  // agents remove the containers of services they no longer get
  return {};
}

Result<Service> Services::get(const identity::SpaceAccess& access, std::string_view ref) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  return load(access.space_id, ref);
}

Result<std::vector<Service>> Services::list(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  RIS_TRY(auto ids, ServicesRepository(store_).ids_in_space(access.space_id));
  std::vector<Service> out;
  for (const auto& id : ids) {
    RIS_TRY(auto s, load(access.space_id, id));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<ServiceVersion>> Services::history(const identity::SpaceAccess& access,
                                                      std::string_view ref) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  RIS_TRY(auto s, load(access.space_id, ref));
  RIS_TRY(auto versions, ServicesRepository(store_).versions(s.id));
  std::vector<ServiceVersion> out;
  for (const auto& r : versions) {
    ServiceVersion v;
    v.version = r.version;
    v.created_by = r.created_by;
    v.created_at = r.created_at;
    v.reason = r.reason;
    auto spec = masked_spec(r.spec_json);
    if (spec)
      v.spec = to_json(*spec, false);
    out.push_back(std::move(v));
  }
  return out;
}

Result<boost::json::array> Services::desired_for(const std::string& agent_id) {
  json::array out;
  auto agent = agents_.find(agent_id);
  if (!agent && agent.error().code != Errc::not_found)
    return fail(agent.error());
  if (!agent || agent->revoked)
    return out;
  RIS_TRY(auto stored, ServicesRepository(store_).in_space(agent->space_id));
  for (const auto& r : stored) {
    // A secret that does not open fails the whole set: sent without that service, the agent
    // would remove its containers.
    RIS_TRY(auto s, from_stored(r, box_));
    RIS_TRY(auto targeted, targeted_agents(s));
    if (std::none_of(targeted.begin(), targeted.end(),
                     [&](const fleet::AgentLabels& a) { return a.id == agent_id; }))
      continue;
    json::object d{{"id", s.id},
                   {"version", s.version},
                   {"hash", s.hash},
                   {"state", s.desired_state},
                   {"spec", to_json(s.spec, true)}};
    out.push_back(std::move(d));
  }
  return out;
}

void Services::push_agent(const std::string& agent_id) {
  if (!gateway_.connected(agent_id))
    return gateway_.refresh("services", agent_id);  // its holder computes and sends them
  auto desired = desired_for(agent_id);
  if (!desired)
    return log::error("services_desired_failed",
                      {{"agent", agent_id}, {"error", desired.error().message}});
  fleet::Envelope e;
  e.message_type = "services_desired";
  e.payload = {{"services", std::move(*desired)}};
  gateway_.send_control(agent_id, std::move(e));
}

void Services::push_space(const std::string& space_id, const std::string& service_id) {
  gateway_.publish_change(space_id, "services", service_id);
  auto agents = agents_.active_in_space(space_id);
  if (!agents)
    return;
  for (const auto& a : *agents)
    push_agent(a.id);  // here, or through the server holding it
}

Result<void> Services::on_status(const std::string& agent_id, const json::object& status) {
  const auto* list = status.if_contains("services");
  if (!list || !list->is_array())
    return {};
  // Drift the agent corrected (containers removed or stopped behind RIS's back): logged, and kept
  // with the agent's report (the last 10 per service) so that people see it on the service.
  std::map<std::string, json::array> drift_by_service;
  if (const auto* drift = status.if_contains("drift"); drift && drift->is_array())
    for (const auto& d : drift->as_array())
      if (d.is_object()) {
        const std::string service = str(d.as_object(), "service");
        const std::string message = str(d.as_object(), "message");
        log::warn("service_drift_corrected",
                  {{"agent", agent_id}, {"service", service}, {"what", message}});
        drift_by_service[service].push_back(
            json::object{{"at", now_rfc3339()}, {"message", message}});
      }
  auto agent = agents_.find(agent_id);
  if (!agent && agent.error().code != Errc::not_found)
    return fail(agent.error());
  if (!agent)
    return {};
  const std::string space = agent->space_id;
  ServicesRepository repo(store_);
  for (const auto& item : list->as_array()) {
    if (!item.is_object())
      continue;
    json::object report = item.as_object();
    if (const auto* docker = status.if_contains("docker"))
      report["docker"] = *docker;
    const std::string id = str(report, "id");
    auto loaded = load(space, id);
    if (!loaded)
      continue;  // removed meanwhile, or another space's id
    Service& s = *loaded;
    json::array drift;
    RIS_TRY(auto before, repo.report(s.id, agent_id));
    if (before) {
      boost::system::error_code ec;
      auto old = json::parse(*before, ec);
      if (!ec && old.is_object())
        if (const auto* d = old.as_object().if_contains("drift"); d && d->is_array())
          drift = d->as_array();
    }
    for (auto& d : drift_by_service[s.id])
      drift.push_back(std::move(d));
    while (drift.size() > 10)
      drift.erase(drift.begin());
    report["drift"] = std::move(drift);
    RIS_TRY_VOID(repo.save_report(s.id, agent_id, json::serialize(report), now_rfc3339()));
    gateway_.publish_change(space, "services", s.id, {{"agent", agent_id}});
    if (s.rollout_state != "updating")
      continue;
    const auto* rollout = report.if_contains("rollout");
    if (rollout && rollout->is_object() && str(rollout->as_object(), "state") == "failed" &&
        str(rollout->as_object(), "hash") == s.hash) {
      const std::string error = str(rollout->as_object(), "error");
      log::warn(
          "service_update_failed",
          {{"service", s.name}, {"version", s.version}, {"agent", agent_id}, {"error", error}});
      if (s.spec.update.failure_action == "rollback" && s.version > 1) {
        auto previous = repo.version_spec(s.id, s.version - 1);
        if (previous && *previous) {
          auto spec = open_spec(**previous, box_);
          if (spec) {
            spec->replicas = s.replicas;
            auto rolled = add_version(
                s, *spec, "system",
                "automatic rollback of version " + std::to_string(s.version) + ": " + error,
                "rolled_back");
            if (!rolled)
              return fail(rolled.error());
            RIS_TRY_VOID(repo.set_rollout_error(
                s.id, "version " + std::to_string(s.version) + " failed: " + error));
            continue;
          }
        }
      }
      RIS_TRY_VOID(repo.set_rollout(s.id,
                                    s.spec.update.failure_action == "continue" ? "complete"
                                    : s.spec.update.failure_action == "pause"  ? "paused"
                                                                               : "failed",
                                    error));
      continue;
    }
    // Complete when every targeted agent runs the current spec on every replica.
    bool complete = !s.agents.empty();
    for (const auto& a : s.agents) {
      const auto& o = a.as_object();
      const std::string agent = str(o, "agent_id");
      if (agent == agent_id ? !all_replicas_current(report, s) : !all_replicas_current(o, s))
        complete = false;
    }
    if (complete)
      RIS_TRY_VOID(repo.complete_rollout(s.id));
  }
  return {};
}

Result<ImageArchiveInfo> Services::add_archive(const identity::SpaceAccess& access,
                                               const std::string& image, const std::string& format,
                                               const std::string& bytes) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  if (image.empty() || image.size() > 512)
    return fail(Errc::invalid_argument,
                "\"image\" (the reference the archive provides) is "
                "required");
  if (format != "image" && format != "rootfs")
    return fail(Errc::invalid_argument, "\"format\" must be image (docker save) or rootfs");
  if (bytes.size() < 512)
    return fail(Errc::invalid_argument, "the body must be a tar archive");
  ImageArchiveInfo a;
  a.id = new_id();
  a.space_id = access.space_id;
  a.image = image;
  a.format = format;
  a.sha256 = security::sha256_hex(bytes);
  a.size = static_cast<int64_t>(bytes.size());
  a.created_by = access.member.account_id;
  a.created_at = now_rfc3339();
  RIS_TRY_VOID(security::ensure_private_dir(archive_dir_));
  RIS_TRY_VOID(security::write_file_atomic(archive_dir_ / a.id, bytes, 0600));
  RIS_TRY_VOID(ServicesRepository(store_).insert_archive(a));
  return a;
}

Result<std::vector<ImageArchiveInfo>> Services::archives(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  return ServicesRepository(store_).archives(access.space_id);
}

Result<void> Services::remove_archive(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto removed, ServicesRepository(store_).remove_archive(id, access.space_id));
  if (!removed)
    return fail(Errc::not_found, "no such image archive");
  std::error_code ec;
  std::filesystem::remove(archive_dir_ / std::string(id), ec);
  return {};
}

Result<std::pair<std::string, std::string>> Services::archive_for_agent(const std::string& agent_id,
                                                                        std::string_view id) {
  const Failure missing = fail(Errc::not_found, "no such image archive");
  auto agent = agents_.find(agent_id);
  if (!agent && agent.error().code != Errc::not_found)
    return fail(agent.error());
  if (!agent || agent->revoked)
    return missing;
  RIS_TRY(auto format, ServicesRepository(store_).archive_format(id, agent->space_id));
  if (!format)
    return missing;
  std::ifstream in(archive_dir_ / std::string(id), std::ios::binary);
  if (!in)
    return fail(Errc::internal, "the image archive's file is missing");
  const std::string type =
      *format == "rootfs" ? "application/x-tar; format=rootfs" : "application/x-tar";
  return std::pair{std::string(std::istreambuf_iterator<char>(in), {}), type};
}

}  // namespace ris::services
