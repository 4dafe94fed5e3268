#include "reconciler.hpp"

#include "desired_file.hpp"

#include <boost/json/serialize.hpp>

#include "ris/core/log.hpp"
#include "ris/net/http.hpp"
#include "ris/services/spec.hpp"

namespace ris::agent {
namespace {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::string label(const json::object& container, std::string_view k) {
  const auto* l = container.if_contains("Labels");
  return l && l->is_object() ? str(l->as_object(), k) : std::string();
}
std::string pointer_str(const json::value& v, std::string_view p) {
  boost::system::error_code ec;
  const auto* x = v.find_pointer(p, ec);
  return x && x->is_string() ? std::string(x->as_string()) : std::string();
}
int64_t pointer_int(const json::value& v, std::string_view p) {
  boost::system::error_code ec;
  const auto* x = v.find_pointer(p, ec);
  return x && x->is_int64() ? x->as_int64() : 0;
}
}  // namespace

Reconciler::Reconciler(const DockerClient& docker, const security::SecretBox& secrets,
                       ReconcilerOptions options, ArchiveFetcher fetch, Reporter report)
    : docker_(docker),
      secrets_(secrets),
      opt_(std::move(options)),
      fetch_(std::move(fetch)),
      report_(std::move(report)) {}

Reconciler::~Reconciler() {
  stop();
}

void Reconciler::start() {
  const auto file = opt_.state_dir / kDesiredFile;
  auto loaded = load_desired_services(file, secrets_);
  if (!loaded) {
    // Acting on nothing would remove every container; wait for risd's set instead.
    log::error("desired_services_unreadable",
               {{"error", loaded.error().message}, {"note", "waiting for the server's set"}});
    held_ = true;
  } else if (*loaded) {
    desired_ = std::move((*loaded)->services);
    if ((*loaded)->had_plaintext) {
      auto w = save_desired_services(file, desired_, secrets_);
      log::info("desired_services_sealed", {{"ok", static_cast<bool>(w)}});
    }
  }
  thread_ = std::thread([this] { loop(); });
}

void Reconciler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void Reconciler::set_desired(json::array services) {
  if (auto w = save_desired_services(opt_.state_dir / kDesiredFile, services, secrets_); !w)
    log::error("desired_services_not_saved", {{"error", w.error().message}});
  {
    std::lock_guard lock(mu_);
    desired_ = std::move(services);
    held_ = false;
    woken_ = true;
  }
  cv_.notify_all();
}

void Reconciler::resend_status() {
  {
    std::lock_guard lock(mu_);
    force_report_ = true;
    woken_ = true;
  }
  cv_.notify_all();
}

bool Reconciler::pause_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_; });
  return !stopping_;
}

void Reconciler::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (stopping_)
        return;
    }
    pass();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, opt_.interval, [&] { return stopping_ || woken_; });
    woken_ = false;
  }
}

void Reconciler::pass() {
  json::array desired;
  bool force;
  {
    std::lock_guard lock(mu_);
    if (held_)
      return;
    desired = desired_;
    force = force_report_;
    force_report_ = false;
  }
  json::object status;
  json::array services;
  auto version = docker_.json("GET", "/version", {}, std::chrono::seconds(5));
  if (!version) {
    status["docker"] = json::object{{"available", false}, {"error", version.error().message}};
    for (const auto& d : desired)
      services.push_back(json::object{{"id", str(d.as_object(), "id")},
                                      {"hash", str(d.as_object(), "hash")},
                                      {"error", version.error().message},
                                      {"replicas", json::array{}}});
  } else {
    status["docker"] = json::object{{"available", true},
                                    {"version", pointer_str(*version, "/Version")},
                                    {"api_version", pointer_str(*version, "/ApiVersion")}};
    const std::string filters = "{\"label\":[\"ris.agent=" + opt_.agent_id + "\",\"ris.service\"]}";
    auto list =
        docker_.json("GET", "/containers/json?all=1&filters=" + net::percent_encode(filters));
    if (!list || !list->is_array()) {
      status["docker"].as_object()["error"] =
          list ? std::string("unexpected container list") : list.error().message;
    } else {
      std::map<std::string, std::vector<json::object>> by_service;
      for (const auto& c : list->as_array())
        if (c.is_object())
          by_service[label(c.as_object(), "ris.service")].push_back(c.as_object());
      std::set<std::string> wanted;
      for (const auto& d : desired) {
        if (!d.is_object())
          continue;
        const std::string id = str(d.as_object(), "id");
        wanted.insert(id);
        services.push_back(reconcile(d.as_object(), by_service[id]));
      }
      // Containers of services that are gone (removed, or no longer targeting this agent).
      for (const auto& [service, containers] : by_service) {
        if (wanted.contains(service))
          continue;
        for (const auto& c : containers) {
          auto r = docker_.json("DELETE", "/containers/" + str(c, "Id") + "?force=1&v=1");
          log::info("service_container_removed", {{"service", service},
                                                  {"container", str(c, "Id").substr(0, 12)},
                                                  {"ok", static_cast<bool>(r)}});
        }
        failed_hash_.erase(service);
        rollout_.erase(service);
        seen_.erase(service);
      }
    }
  }
  status["services"] = std::move(services);
  json::array drift;
  for (auto& d : drift_)
    drift.emplace_back(std::move(d));
  drift_.clear();
  const bool drifted = !drift.empty();
  status["drift"] = std::move(drift);
  std::string text = json::serialize(status);
  if (force || drifted || text != last_report_ ||
      Clock::now() - last_sent_ > std::chrono::seconds(30)) {
    last_report_ = std::move(text);
    last_sent_ = Clock::now();
    report_(std::move(status));
  }
}

Result<std::string> Reconciler::create_replica(const json::object& d, int64_t index) {
  auto spec = services::parse_service_spec(d.at("spec").as_object());
  if (!spec)
    return fail(spec.error());
  const int64_t version = d.at("version").is_int64() ? d.at("version").as_int64() : 0;
  auto body = services::container_create_body(*spec, str(d, "id"), opt_.space_id, opt_.agent_id,
                                              version, str(d, "hash"), index);
  // Names are unique per host: the agent's id tail keeps two agents on one daemon apart.
  const std::string tail =
      opt_.agent_id.size() > 6 ? opt_.agent_id.substr(opt_.agent_id.size() - 6) : opt_.agent_id;
  const std::string name = "ris-" + spec->name + "-" + std::to_string(index) + "-" + tail;
  // A leftover of that name (a removal that failed half-way) would block the create.
  (void)docker_.json("DELETE", "/containers/" + name + "?force=1&v=1");
  RIS_TRY(auto created, docker_.json("POST", "/containers/create?name=" + net::percent_encode(name),
                                     json::serialize(body)));
  const std::string id = pointer_str(created, "/Id");
  RIS_TRY_VOID(docker_.json("POST", "/containers/" + id + "/start"));
  return id;
}

Result<void> Reconciler::wait_healthy(const std::vector<std::string>& ids, bool has_health,
                                      std::chrono::seconds monitor) {
  // Without a health check a replica proves itself by staying up (at most 5 s of watching).
  const auto watch = has_health ? monitor : std::min(monitor, std::chrono::seconds(5));
  const auto deadline = Clock::now() + watch;
  std::set<std::string> waiting(ids.begin(), ids.end());
  while (true) {
    for (auto it = waiting.begin(); it != waiting.end();) {
      RIS_TRY(auto info, docker_.json("GET", "/containers/" + *it + "/json"));
      const std::string state = pointer_str(info, "/State/Status");
      if (state != "running" && state != "created" && state != "restarting")
        return fail(Errc::unavailable, "replica container " + it->substr(0, 12) + " " + state +
                                           " with exit code " +
                                           std::to_string(pointer_int(info, "/State/ExitCode")));
      const std::string health = pointer_str(info, "/State/Health/Status");
      if (has_health && health == "unhealthy") {
        std::string output;
        boost::system::error_code ec;
        if (const auto* log = info.find_pointer("/State/Health/Log", ec);
            log && log->is_array() && !log->as_array().empty())
          output = pointer_str(log->as_array().back(), "/Output");
        return fail(Errc::unavailable, "replica container " + it->substr(0, 12) + " is unhealthy" +
                                           (output.empty() ? "" : ": " + output.substr(0, 200)));
      }
      if (has_health && health == "healthy")
        it = waiting.erase(it);
      else
        ++it;
    }
    if (waiting.empty())
      return {};
    if (Clock::now() >= deadline) {
      if (!has_health)
        return {};  // stayed up the whole time
      return fail(Errc::unavailable,
                  "replica did not become healthy within " + std::to_string(watch.count()) + " s");
    }
    if (!pause_for(std::chrono::milliseconds(250)))
      return fail(Errc::unavailable, "the agent is stopping");
  }
}

json::object Reconciler::reconcile(const json::object& d,
                                   const std::vector<json::object>& containers) {
  const std::string id = str(d, "id");
  const std::string hash = str(d, "hash");
  const bool running_wanted = str(d, "state") != "stopped";
  json::object out{{"id", id}, {"hash", hash}};
  auto spec = d.contains("spec") && d.at("spec").is_object()
                  ? services::parse_service_spec(d.at("spec").as_object())
                  : Result<services::ServiceSpec>(fail(Errc::invalid_argument, "no spec"));
  std::string error;
  // index → container; duplicates (and indexes past the replica count) are surplus.
  std::map<int64_t, json::object> replicas;
  std::vector<json::object> surplus;
  const int64_t wanted = spec ? spec->replicas : 0;
  for (const auto& c : containers) {
    const int64_t index = std::atoll(label(c, "ris.replica").c_str());
    if (index >= wanted || replicas.contains(index))
      surplus.push_back(c);
    else
      replicas[index] = c;
  }
  if (spec && wanted > 0 && running_wanted) {
    if (auto img = ensure_image(docker_, spec->image, spec->image_archive, fetch_); !img)
      error = img.error().message;
  }
  if (!spec)
    error = spec.error().message;
  for (const auto& c : surplus) {
    (void)docker_.json("DELETE", "/containers/" + str(c, "Id") + "?force=1&v=1");
  }
  const int64_t had = seen_.contains(id) ? seen_.at(id) : 0;
  if (error.empty() && !running_wanted) {
    for (const auto& [index, c] : replicas)
      if (str(c, "State") == "running")
        (void)docker_.json("POST", "/containers/" + str(c, "Id") + "/stop?t=10", {},
                           std::chrono::seconds(40));
  } else if (error.empty()) {
    std::vector<int64_t> outdated;
    for (int64_t i = 0; i < wanted; ++i) {
      auto it = replicas.find(i);
      if (it == replicas.end()) {
        if (i < had)
          drift_.push_back({{"service", id},
                            {"message", "replica " + std::to_string(i) +
                                            " was missing (removed by hand?); recreated"}});
        if (auto r = create_replica(d, i); !r)
          error = r.error().message;
        continue;
      }
      const auto& c = it->second;
      if (label(c, "ris.hash") != hash) {
        outdated.push_back(i);
        continue;
      }
      const std::string state = str(c, "State");
      if (state != "running" && state != "restarting") {
        drift_.push_back(
            {{"service", id},
             {"message", "replica " + std::to_string(i) + " was " + state + "; started"}});
        if (auto r = docker_.json("POST", "/containers/" + str(c, "Id") + "/start"); !r)
          error = r.error().message;
      }
    }
    // A rolling update, one batch at a time, unless this spec already failed here.
    const bool failed_before = failed_hash_.contains(id) && failed_hash_[id] == hash;
    if (!outdated.empty() && !failed_before) {
      rollout_[id] = {{"hash", hash}, {"state", "updating"}};
      const auto batch_size = static_cast<size_t>(spec->update.parallelism);
      for (size_t at = 0; at < outdated.size(); at += batch_size) {
        std::vector<std::string> fresh;
        for (size_t k = at; k < std::min(outdated.size(), at + batch_size); ++k) {
          const auto& old = replicas[outdated[k]];
          (void)docker_.json("POST", "/containers/" + str(old, "Id") + "/stop?t=10", {},
                             std::chrono::seconds(40));
          (void)docker_.json("DELETE", "/containers/" + str(old, "Id") + "?force=1&v=1");
          auto created = create_replica(d, outdated[k]);
          if (!created) {
            error = created.error().message;
            break;
          }
          fresh.push_back(*created);
        }
        Result<void> healthy =
            error.empty() ? wait_healthy(fresh, spec->health.has_value(),
                                         std::chrono::seconds(spec->update.monitor_seconds))
                          : Result<void>(fail(Errc::unavailable, error));
        if (!healthy) {
          failed_hash_[id] = hash;
          rollout_[id] = {{"hash", hash}, {"state", "failed"}, {"error", healthy.error().message}};
          log::warn("service_update_failed",
                    {{"service", spec->name}, {"hash", hash}, {"error", healthy.error().message}});
          break;
        }
        if (at + batch_size < outdated.size() && spec->update.delay_seconds > 0 &&
            !pause_for(std::chrono::seconds(spec->update.delay_seconds)))
          break;
      }
      if (rollout_[id].at("state") == "updating")
        rollout_[id] = {{"hash", hash}, {"state", "complete"}};
    }
  }
  seen_[id] = wanted;
  if (!error.empty())
    out["error"] = error;
  if (auto it = rollout_.find(id); it != rollout_.end())
    out["rollout"] = it->second;
  // What is there now, replica by replica.
  const std::string filters =
      "{\"label\":[\"ris.agent=" + opt_.agent_id + "\",\"ris.service=" + id + "\"]}";
  json::array reps;
  if (auto list =
          docker_.json("GET", "/containers/json?all=1&filters=" + net::percent_encode(filters));
      list && list->is_array()) {
    for (const auto& c : list->as_array()) {
      const std::string cid = str(c.as_object(), "Id");
      json::object r{{"replica", std::atoll(label(c.as_object(), "ris.replica").c_str())},
                     {"container_id", cid.substr(0, 12)},
                     {"hash", label(c.as_object(), "ris.hash")},
                     {"version", std::atoll(label(c.as_object(), "ris.version").c_str())},
                     {"state", str(c.as_object(), "State")}};
      if (auto info = docker_.json("GET", "/containers/" + cid + "/json")) {
        r["name"] = pointer_str(*info, "/Name").substr(1);
        r["restarts"] = pointer_int(*info, "/RestartCount");
        r["exit_code"] = pointer_int(*info, "/State/ExitCode");
        r["started_at"] = pointer_str(*info, "/State/StartedAt");
        r["health"] = pointer_str(*info, "/State/Health/Status");
      }
      reps.push_back(std::move(r));
    }
  }
  out["replicas"] = std::move(reps);
  return out;
}

}  // namespace ris::agent
