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
#include "ris/security/secure_file.hpp"

namespace ris::services {
namespace {
namespace json = boost::json;
using identity::kManageServices;
using identity::kViewAgents;

constexpr const char* kColumns =
    "s.id, s.space_id, s.name, s.version, s.desired_state, s.replicas, s.restart_generation, "
    "s.rollout_state, s.rollout_error, s.created_by, s.created_at, s.updated_at, v.spec";
constexpr int64_t kMaxServicesPerSpace = 500;

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<Service> from_row(const store::Row& r) {
  Service s;
  s.id = r.get<std::string>("id");
  s.space_id = r.get<std::string>("space_id");
  s.name = r.get<std::string>("name");
  s.version = r.get<int64_t>("version");
  s.desired_state = r.get<std::string>("desired_state");
  s.replicas = r.get<int64_t>("replicas");
  s.restart_generation = r.get<int64_t>("restart_generation");
  s.rollout_state = r.get<std::string>("rollout_state");
  s.rollout_error = r.get_optional<std::string>("rollout_error");
  s.created_by = r.get<std::string>("created_by");
  s.created_at = r.get<std::string>("created_at");
  s.updated_at = r.get<std::string>("updated_at");
  boost::json::error_code ec;
  auto spec = json::parse(r.get<std::string>("spec"), ec);
  if (ec || !spec.is_object())
    return fail(Errc::internal, "stored service spec is not JSON");
  RIS_TRY(s.spec, parse_service_spec(spec.as_object()));
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
}  // namespace

Services::Services(store::Store& store, fleet::Gateway& gateway, std::filesystem::path archive_dir)
    : store_(store), gateway_(gateway), archive_dir_(std::move(archive_dir)) {}

void Services::attach() {
  gateway_.on_connected([this](const std::string& agent_id) { push_agent(agent_id); });
  gateway_.on_message(
      [this](const std::string& agent_id, const fleet::Envelope& e) -> Result<void> {
        if (e.message_type != "service_status") {
          log::warn("agent_unknown_message", {{"agent", agent_id}, {"type", e.message_type}});
          return {};
        }
        return on_status(agent_id, e.payload);
      });
}

Result<Service> Services::load(const std::string& space_id, std::string_view ref) {
  RIS_TRY(auto rows, store_.query(std::string("SELECT ") + kColumns +
                                      " FROM services s JOIN service_versions v ON v.service_id "
                                      "= s.id AND v.version = s.version WHERE s.space_id = ? AND "
                                      "(s.id = ? OR s.name = ?)",
                                  {space_id, std::string(ref), std::string(ref)}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no service \"" + std::string(ref) + "\" in this space");
  RIS_TRY(auto s, from_row(rows.rows[0]));
  RIS_TRY(auto reports,
          store_.query("SELECT agent_id, report, updated_at FROM service_reports WHERE "
                       "service_id = ? ORDER BY agent_id",
                       {s.id}));
  RIS_TRY(auto targeted, targeted_agents(s));
  for (const auto& agent : targeted) {
    json::object entry{{"agent_id", agent}, {"connected", gateway_.connected(agent)}};
    for (const auto& r : reports.rows) {
      if (r.get<std::string>("agent_id") != agent)
        continue;
      boost::json::error_code ec;
      auto v = json::parse(r.get<std::string>("report"), ec);
      if (!ec && v.is_object())
        for (auto& [k, val] : v.as_object())
          if (k != "id")
            entry[k] = val;
      entry["reported_at"] = r.get<std::string>("updated_at");
    }
    s.agents.push_back(std::move(entry));
  }
  return s;
}

Result<std::vector<std::string>> Services::targeted_agents(const Service& s) {
  RIS_TRY(auto rows, store_.query("SELECT id, labels FROM agents WHERE space_id = ? AND "
                                  "revoked_at IS NULL ORDER BY id",
                                  {s.space_id}));
  fleet::Selector selector;
  if (!s.spec.target_selector.empty()) {
    RIS_TRY(selector, fleet::parse_selector(s.spec.target_selector));
  }
  std::vector<std::string> out;
  for (const auto& r : rows.rows) {
    const std::string id = r.get<std::string>("id");
    if (!s.spec.target_agents.empty()) {
      if (std::find(s.spec.target_agents.begin(), s.spec.target_agents.end(), id) !=
          s.spec.target_agents.end())
        out.push_back(id);
      continue;
    }
    boost::json::error_code ec;
    auto labels = json::parse(r.get<std::string>("labels"), ec);
    if (!ec && selector.matches(fleet::labels_from_json(labels)))
      out.push_back(id);
  }
  return out;
}

Result<Service> Services::create(const identity::SpaceAccess& access, const json::object& body) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto spec, parse_service_spec(body));
  if (!spec.target_selector.empty())
    RIS_TRY_VOID(fleet::parse_selector(spec.target_selector));
  RIS_TRY(auto count,
          store_.query("SELECT COUNT(*) FROM services WHERE space_id = ?", {access.space_id}));
  if (count.rows[0].get<int64_t>(0) >= kMaxServicesPerSpace)
    return fail(Errc::conflict, "a space holds at most 500 services");
  const std::string id = new_id(), now = now_rfc3339();
  auto created = store_.transaction([&](store::Store& tx) -> Result<void> {
    auto ins = tx.query(
        "INSERT INTO services (id, space_id, name, version, replicas, created_by, created_at, "
        "updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
        {id, access.space_id, spec.name, spec.replicas, access.member.account_id, now, now});
    if (!ins)
      return fail(Errc::conflict, "a service named \"" + spec.name + "\" already exists");
    RIS_TRY_VOID(
        tx.query("INSERT INTO service_versions (service_id, version, spec, created_by, "
                 "created_at, reason) VALUES (?, 1, ?, ?, ?, 'create')",
                 {id, json::serialize(to_json(spec, true)), access.member.account_id, now}));
    return {};
  });
  if (!created)
    return fail(created.error());
  push_space(access.space_id, id);
  return load(access.space_id, id);
}

Result<Service> Services::add_version(const Service& s, const ServiceSpec& spec,
                                      const std::string& by, const std::string& reason,
                                      const std::string& rollout_state) {
  const std::string now = now_rfc3339();
  const int64_t next = s.version + 1;
  // A version whose containers equal the running ones (only replicas, target or the update
  // policy changed) has nothing to roll out.
  const bool same_containers = container_hash(spec, s.restart_generation) == s.hash;
  auto done = store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto max,
            tx.query("SELECT MAX(version) FROM service_versions WHERE service_id = ?", {s.id}));
    const int64_t version = std::max(next, max.rows[0].get<int64_t>(0) + 1);
    RIS_TRY_VOID(
        tx.query("INSERT INTO service_versions (service_id, version, spec, created_by, "
                 "created_at, reason) VALUES (?, ?, ?, ?, ?, ?)",
                 {s.id, version, json::serialize(to_json(spec, true)), by, now, reason}));
    RIS_TRY_VOID(tx.query(
        "UPDATE services SET version = ?, replicas = ?, rollout_state = ?, rollout_error = NULL, "
        "updated_at = ? WHERE id = ?",
        {version, spec.replicas, same_containers ? s.rollout_state : rollout_state, now, s.id}));
    return {};
  });
  if (!done)
    return fail(done.error());
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
  RIS_TRY_VOID(store_.query("UPDATE services SET replicas = ?, updated_at = ? WHERE id = ?",
                            {replicas, now_rfc3339(), s.id}));
  push_space(s.space_id, s.id);
  return load(s.space_id, s.id);
}

Result<Service> Services::set_state(const identity::SpaceAccess& access, std::string_view ref,
                                    std::string_view action) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto s, load(access.space_id, ref));
  const std::string now = now_rfc3339();
  if (action == "stop" || action == "start") {
    RIS_TRY_VOID(store_.query("UPDATE services SET desired_state = ?, updated_at = ? WHERE id = ?",
                              {action == "stop" ? "stopped" : "running", now, s.id}));
  } else if (action == "restart") {
    // New containers of the same spec, rolled like an update.
    RIS_TRY_VOID(store_.query(
        "UPDATE services SET restart_generation = restart_generation + 1, desired_state = "
        "'running', rollout_state = 'updating', rollout_error = NULL, updated_at = ? WHERE id = ?",
        {now, s.id}));
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
  RIS_TRY(auto rows, store_.query("SELECT spec FROM service_versions WHERE service_id = ? AND "
                                  "version = ?",
                                  {s.id, to}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "service \"" + s.name + "\" has no version " + std::to_string(to));
  auto spec_json = json::parse(rows.rows[0].get<std::string>(0));
  RIS_TRY(auto spec, parse_service_spec(spec_json.as_object()));
  spec.replicas = s.replicas;  // a rollback restores the containers, not the scale
  return add_version(s, spec, access.member.account_id, "rollback to " + std::to_string(to),
                     "updating");
}

Result<void> Services::remove(const identity::SpaceAccess& access, std::string_view ref) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto s, load(access.space_id, ref));
  RIS_TRY_VOID(store_.query("DELETE FROM services WHERE id = ?", {s.id}));
  push_space(s.space_id, s.id);  // agents remove the containers of services they no longer get
  return {};
}

Result<Service> Services::get(const identity::SpaceAccess& access, std::string_view ref) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  return load(access.space_id, ref);
}

Result<std::vector<Service>> Services::list(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  RIS_TRY(auto rows, store_.query("SELECT id FROM services WHERE space_id = ? ORDER BY name",
                                  {access.space_id}));
  std::vector<Service> out;
  for (const auto& r : rows.rows) {
    RIS_TRY(auto s, load(access.space_id, r.get<std::string>(0)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<ServiceVersion>> Services::history(const identity::SpaceAccess& access,
                                                      std::string_view ref) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  RIS_TRY(auto s, load(access.space_id, ref));
  RIS_TRY(auto rows, store_.query("SELECT version, spec, created_by, created_at, reason FROM "
                                  "service_versions WHERE service_id = ? ORDER BY version DESC",
                                  {s.id}));
  std::vector<ServiceVersion> out;
  for (const auto& r : rows.rows) {
    ServiceVersion v;
    v.version = r.get<int64_t>("version");
    v.created_by = r.get<std::string>("created_by");
    v.created_at = r.get<std::string>("created_at");
    v.reason = r.get<std::string>("reason");
    auto spec = parse_service_spec(json::parse(r.get<std::string>("spec")).as_object());
    if (spec)
      v.spec = to_json(*spec, false);
    out.push_back(std::move(v));
  }
  return out;
}

Result<boost::json::array> Services::desired_for(const std::string& agent_id) {
  RIS_TRY(auto agent, store_.query("SELECT space_id FROM agents WHERE id = ? AND revoked_at IS "
                                   "NULL",
                                   {agent_id}));
  json::array out;
  if (agent.rows.empty())
    return out;
  const std::string space = agent.rows[0].get<std::string>(0);
  RIS_TRY(auto rows, store_.query(std::string("SELECT ") + kColumns +
                                      " FROM services s JOIN service_versions v ON v.service_id "
                                      "= s.id AND v.version = s.version WHERE s.space_id = ?",
                                  {space}));
  for (const auto& r : rows.rows) {
    auto s = from_row(r);
    if (!s)
      continue;
    RIS_TRY(auto targeted, targeted_agents(*s));
    if (std::find(targeted.begin(), targeted.end(), agent_id) == targeted.end())
      continue;
    json::object d{{"id", s->id},
                   {"version", s->version},
                   {"hash", s->hash},
                   {"state", s->desired_state},
                   {"spec", to_json(s->spec, true)}};
    out.push_back(std::move(d));
  }
  return out;
}

void Services::push_agent(const std::string& agent_id) {
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
  auto rows =
      store_.query("SELECT id FROM agents WHERE space_id = ? AND revoked_at IS NULL", {space_id});
  if (!rows)
    return;
  for (const auto& r : rows->rows)
    if (gateway_.connected(r.get<std::string>(0)))
      push_agent(r.get<std::string>(0));
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
  RIS_TRY(auto agent, store_.query("SELECT space_id FROM agents WHERE id = ?", {agent_id}));
  if (agent.rows.empty())
    return {};
  const std::string space = agent.rows[0].get<std::string>(0);
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
    RIS_TRY(auto before, store_.query("SELECT report FROM service_reports WHERE service_id = ? "
                                      "AND agent_id = ?",
                                      {s.id, agent_id}));
    if (!before.rows.empty()) {
      boost::system::error_code ec;
      auto old = json::parse(before.rows[0].get<std::string>(0), ec);
      if (!ec && old.is_object())
        if (const auto* d = old.as_object().if_contains("drift"); d && d->is_array())
          drift = d->as_array();
    }
    for (auto& d : drift_by_service[s.id])
      drift.push_back(std::move(d));
    while (drift.size() > 10)
      drift.erase(drift.begin());
    report["drift"] = std::move(drift);
    RIS_TRY_VOID(store_.query(
        "INSERT INTO service_reports (service_id, agent_id, report, updated_at) VALUES (?, ?, ?, "
        "?) ON CONFLICT (service_id, agent_id) DO UPDATE SET report = excluded.report, "
        "updated_at = excluded.updated_at",
        {s.id, agent_id, json::serialize(report), now_rfc3339()}));
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
        auto previous =
            store_.query("SELECT spec FROM service_versions WHERE service_id = ? AND version = ?",
                         {s.id, s.version - 1});
        if (previous && !previous->rows.empty()) {
          auto spec =
              parse_service_spec(json::parse(previous->rows[0].get<std::string>(0)).as_object());
          if (spec) {
            spec->replicas = s.replicas;
            auto rolled = add_version(
                s, *spec, "system",
                "automatic rollback of version " + std::to_string(s.version) + ": " + error,
                "rolled_back");
            if (!rolled)
              return fail(rolled.error());
            RIS_TRY_VOID(
                store_.query("UPDATE services SET rollout_error = ? WHERE id = ?",
                             {"version " + std::to_string(s.version) + " failed: " + error, s.id}));
            continue;
          }
        }
      }
      RIS_TRY_VOID(
          store_.query("UPDATE services SET rollout_state = ?, rollout_error = ? WHERE id = ?",
                       {s.spec.update.failure_action == "continue" ? "complete"
                        : s.spec.update.failure_action == "pause"  ? "paused"
                                                                   : "failed",
                        error, s.id}));
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
      RIS_TRY_VOID(
          store_.query("UPDATE services SET rollout_state = 'complete' WHERE id = ? AND "
                       "rollout_state = 'updating'",
                       {s.id}));
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
  RIS_TRY_VOID(store_.query(
      "INSERT INTO image_archives (id, space_id, image, format, sha256, "
      "size, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {a.id, a.space_id, a.image, a.format, a.sha256, a.size, a.created_by, a.created_at}));
  return a;
}

Result<std::vector<ImageArchiveInfo>> Services::archives(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, kViewAgents));
  RIS_TRY(auto rows, store_.query("SELECT * FROM image_archives WHERE space_id = ? ORDER BY id",
                                  {access.space_id}));
  std::vector<ImageArchiveInfo> out;
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>("id"), r.get<std::string>("space_id"),
                   r.get<std::string>("image"), r.get<std::string>("format"),
                   r.get<std::string>("sha256"), r.get<std::string>("created_by"),
                   r.get<std::string>("created_at"), r.get<int64_t>("size")});
  return out;
}

Result<void> Services::remove_archive(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, kManageServices));
  RIS_TRY(auto rows, store_.query("DELETE FROM image_archives WHERE id = ? AND space_id = ? "
                                  "RETURNING id",
                                  {std::string(id), access.space_id}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such image archive");
  std::error_code ec;
  std::filesystem::remove(archive_dir_ / std::string(id), ec);
  return {};
}

Result<std::pair<std::string, std::string>> Services::archive_for_agent(const std::string& agent_id,
                                                                        std::string_view id) {
  RIS_TRY(auto rows,
          store_.query("SELECT a.format FROM image_archives a JOIN agents g ON g.space_id = "
                       "a.space_id WHERE a.id = ? AND g.id = ? AND g.revoked_at IS NULL",
                       {std::string(id), agent_id}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such image archive");
  std::ifstream in(archive_dir_ / std::string(id), std::ios::binary);
  if (!in)
    return fail(Errc::internal, "the image archive's file is missing");
  const std::string type = rows.rows[0].get<std::string>(0) == "rootfs"
                               ? "application/x-tar; format=rootfs"
                               : "application/x-tar";
  return std::pair{std::string(std::istreambuf_iterator<char>(in), {}), type};
}

}  // namespace ris::services
