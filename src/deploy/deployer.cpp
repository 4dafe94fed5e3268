#include "ris/deploy/deployer.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "deploy_repository.hpp"
#include "revision_steps.hpp"
#include "ris/core/log.hpp"
#include "ris/deploy/secrets.hpp"
#include "ris/services/services.hpp"
#include "ssh_runner.hpp"
#include "step_scripts.hpp"

namespace ris::deploy {
namespace json = boost::json;

namespace {

constexpr int64_t kActionTimeoutSeconds = 600;

bool final_state(const std::string& s) {
  return s == "succeeded" || s == "failed" || s == "timed_out" || s == "cancelled" || s == "lost";
}

int64_t field(const json::object* o, std::string_view k, int64_t fallback) {
  const auto* v = o ? o->if_contains(k) : nullptr;
  return v && v->is_int64() ? v->as_int64() : fallback;
}

const json::object* section(const json::object& spec, std::string_view k) {
  const auto* v = spec.if_contains(k);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

// Settled: every run ended. Outcome: nullopt while running, "" when it passes, else why not. A
// step over many agents (a selector) passes while at most `max_failure_percent` of its runs
// failed.
std::optional<std::string> outcome(const fleet::Task& t, int64_t max_failure_percent) {
  for (const auto& r : t.runs)
    if (!final_state(r.state))
      return std::nullopt;
  if (t.runs.empty())
    return std::string("no agent took it");
  std::string first_why;
  size_t failed = 0;
  for (const auto& r : t.runs) {
    if (r.state == "succeeded")
      continue;
    ++failed;
    if (!first_why.empty())
      continue;
    first_why = fmt::format("agent {}: {}", r.agent_id, r.state);
    if (r.exit_code)
      first_why += fmt::format(" (exit code {})", *r.exit_code);
    if (r.error && !r.error->empty())
      first_why += ": " + *r.error;
  }
  if (failed == 0 || static_cast<int64_t>(failed) * 100 <=
                         max_failure_percent * static_cast<int64_t>(t.runs.size()))
    return std::string();
  if (t.runs.size() > 1)
    first_why = fmt::format("{} of {} agents failed; {}", failed, t.runs.size(), first_why);
  return first_why;
}

std::string tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "…" + s.substr(s.size() - n);
}

}  // namespace

struct Advance {
  store::Store& store;
  fleet::Tasks& tasks;
  services::Services& services;
  const Secrets& secrets;
  SshRunner& ssh;

  const NodeDef* node_of(const Deployment& d, const std::string& name) const {
    for (const auto& n : d.nodes)
      if (n.name == name)
        return &n;
    return nullptr;
  }

  json::object target(const NodeDef& n) const {
    if (n.kind == NodeKind::agent)
      return {{"agents", json::array{json::string(n.agent)}}};
    std::string selector;
    for (const auto& [k, v] : n.selector)
      selector += (selector.empty() ? "" : ",") + k + "=" + v;
    return {{"selector", selector}};
  }

  static std::string key_of(const Revision& r, const StepRow& s) {
    return fmt::format("deploy:{}:{}:{}:{}:{}", r.id, s.service, s.node, s.phase, s.attempt);
  }

  // Begins (or, by its key, finds again) the run of a step's phase; its handle for settled().
  Result<std::string> begin(const identity::SpaceAccess& access, const Revision& r,
                            const StepRow& s, const NodeDef& node, const std::string& script,
                            const json::object& spec, int64_t timeout) {
    RIS_TRY(auto values, secrets.open(r.space_id, secrets_used(spec)));
    if (node.kind == NodeKind::ssh) {
      RIS_TRY_VOID(start_ssh(r, s, node, script, values, timeout));
      return "ssh:" + key_of(r, s);
    }
    json::object env;
    for (const auto& [name, value] : values) {
      // Stored sealed with the task; opened only into the signed message to the agent.
      RIS_TRY(auto sealed, secrets.seal_for_task(value));
      env[secret_variable(name)] = sealed;
    }
    json::object parameters{{"script", script}};
    if (!env.empty())
      parameters["env"] = std::move(env);
    json::object body{{"type", "shell"},
                      {"parameters", std::move(parameters)},
                      {"target", target(node)},
                      {"mode", "all"},
                      {"timeout_seconds", timeout}};
    fleet::Submission how;
    how.needed = identity::kDeploy | identity::kViewAgents;
    how.idempotency_key = key_of(r, s);
    RIS_TRY(auto submitted, tasks.submit(access, body, how));
    return submitted.task.id;
  }

  Result<void> start_ssh(const Revision& r, const StepRow& s, const NodeDef& node,
                         const std::string& script,
                         const std::map<std::string, std::string>& values, int64_t timeout) {
    RIS_TRY(auto key, secrets.open(r.space_id, {node.ssh.key_secret}));
    SshHost host{node.ssh.address, node.ssh.port, node.ssh.user, key.at(node.ssh.key_secret),
                 node.ssh.host_key};
    std::string with_env;
    for (const auto& [name, value] : values)
      with_env += fmt::format("{}={}\nexport {}\n", secret_variable(name), sh_quote(value),
                              secret_variable(name));
    ssh.start(key_of(r, s), host, with_env + script, std::chrono::seconds(timeout));
    return {};
  }

  // A run's output, trailing blanks trimmed ("" when it cannot be read).
  std::string run_output(const identity::SpaceAccess& access, const std::string& run_id) {
    auto chunks = tasks.output(access, run_id, 0);
    if (!chunks)
      return {};
    std::string text;
    for (const auto& c : *chunks)
      text += c.data;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.pop_back();
    return text;
  }

  // ": <the end of its output>" of the first run of `t` that did not succeed ("" if none).
  std::string last_output(const identity::SpaceAccess& access, const fleet::Task& t) {
    for (const auto& r : t.runs) {
      if (r.state == "succeeded")
        continue;
      const std::string text = run_output(access, r.id);
      return text.empty() ? std::string() : ": " + tail(text, 400);
    }
    return {};
  }

  // nullopt while the run goes on; "" when it passed; else why it did not.
  Result<std::optional<std::string>> settled(const identity::SpaceAccess& access, const Revision& r,
                                             const StepRow& s, const NodeDef& node,
                                             const std::string& script, const json::object& spec,
                                             int64_t timeout, int64_t max_failure_percent,
                                             std::string* output) {
    using Out = std::optional<std::string>;
    if (!s.task_id->starts_with("ssh:")) {
      RIS_TRY(auto task, tasks.get(access, *s.task_id));
      auto done = outcome(task, max_failure_percent);
      if (done && !done->empty())
        *done += last_output(access, task);
      if (done && done->empty() && output != nullptr && !task.runs.empty())
        *output = run_output(access, task.runs[0].id);
      return done;
    }
    const std::string key = key_of(r, s);
    auto polled = ssh.poll(key);
    if (polled && !*polled && polled->error().code == Errc::not_found) {
      // Not known to this server (it took the duty over): start it again; the host replays it.
      RIS_TRY(auto values, secrets.open(r.space_id, secrets_used(spec)));
      RIS_TRY_VOID(start_ssh(r, s, node, script, values, timeout));
      return Out();
    }
    if (!polled)
      return Out();
    ssh.forget(key);
    if (!*polled)
      return Out(fmt::format("{}@{}:{}: {}", node.ssh.user, node.ssh.address, node.ssh.port,
                             polled->error().message));
    if ((*polled)->exit_code == 0) {
      if (output != nullptr)
        *output = (*polled)->output;
      return Out(std::string());
    }
    return Out(fmt::format("{}: exit code {}: {}", node.name, (*polled)->exit_code,
                           tail((*polled)->output, 400)));
  }

  // The body of the space's service a docker service is: its docker section, named
  // <deployment>.<service>, targeting every agent its nodes name (or its one selector).
  Result<json::object> service_body(const Revision& r, const Deployment& d,
                                    const std::string& service, const json::object& spec) {
    json::object body = spec.at("docker").as_object();
    body["name"] = r.deployment + "." + service;
    json::array agents;
    std::string selector;
    for (const auto& n : spec.at("on").as_array()) {
      const NodeDef* node = node_of(d, std::string(n.as_string()));
      if (node == nullptr || node->kind == NodeKind::ssh)
        return fail(Errc::invalid_argument,
                    fmt::format("{}: a docker service runs on agent nodes", service));
      const auto t = target(*node);
      if (const auto* a = t.if_contains("agents"))
        agents.push_back(a->as_array().at(0));
      else
        selector = std::string(t.at("selector").as_string());
    }
    if (!selector.empty() && (!agents.empty() || spec.at("on").as_array().size() > 1))
      return fail(Errc::invalid_argument,
                  fmt::format("{}: a docker service runs on agents by id or on one selector node",
                              service));
    body["target"] =
        selector.empty() ? json::object{{"agents", agents}} : json::object{{"selector", selector}};
    return body;
  }

  // A docker service's action: nullopt while its rollout goes on, "" once complete, else why not.
  Result<std::optional<std::string>> docker_action(const identity::SpaceAccess& access,
                                                   const Revision& r, const Deployment& d,
                                                   const StepRow& s, const json::object& spec,
                                                   bool begin) {
    using Out = std::optional<std::string>;
    const std::string name = r.deployment + "." + s.service;
    if (s.change == "remove") {
      auto removed = services.remove(access, name);
      if (!removed && removed.error().code != Errc::not_found)
        return fail(removed.error());
      return Out(std::string());
    }
    if (begin) {
      RIS_TRY(auto body, service_body(r, d, s.service, spec));
      RIS_TRY(auto wanted, services::parse_service_spec(body));
      auto existing = services.get(access, name);
      if (!existing && existing.error().code == Errc::not_found) {
        RIS_TRY_VOID(services.create(access, body));
      } else if (!existing) {
        return fail(existing.error());
      } else if (services::to_json(existing->spec, true) != services::to_json(wanted, true)) {
        RIS_TRY_VOID(services.update(access, name, body));
      }
      return Out();
    }
    RIS_TRY(auto now, services.get(access, name));
    if (now.rollout_state == "complete")
      return Out(std::string());
    if (now.rollout_state == "failed" || now.rollout_state == "rolled_back" ||
        now.rollout_state == "paused")
      return Out(fmt::format("service {} {}{}", name, now.rollout_state,
                             now.rollout_error ? ": " + *now.rollout_error : ""));
    return Out();
  }

  // One step moved on as far as it can now; its new row, or why it failed.
  Result<StepRow> advance(const identity::SpaceAccess& access, const Revision& r,
                          const Deployment& d, const json::object& spec, StepRow s,
                          SystemTime now) {
    const std::string at = to_rfc3339(now);
    const NodeDef* node = node_of(d, s.node);
    if (node == nullptr)
      return fail(Errc::internal,
                  fmt::format("{}: node '{}' is not in the file", s.service, s.node));
    const json::object* health = section(spec, "health");
    const int64_t max_failure_percent = field(section(spec, "rollout"), "max_failure_percent", 0);
    const bool checking = s.phase == "health";
    const bool drift = s.phase == "check";  // a drift check (kind drift or repair)
    const bool docker = !checking && !drift && spec.contains("docker");
    const std::string script = checking ? health_script(spec)
                               : drift  ? drift_script(spec, r.kind == "repair")
                               : docker ? std::string()
                                        : action_script(s.change, spec);
    const int64_t timeout = checking ? field(health, "timeout_seconds", 10) : kActionTimeoutSeconds;
    if (s.state == "pending" && docker) {
      if (auto begun = docker_action(access, r, d, s, spec, true); !begun)
        return fail(begun.error());
      s.state = "running";
      s.task_id = "service:" + r.deployment + "." + s.service;
      s.started_at = at;
      return s;
    }
    if (s.state == "pending") {
      if (checking && s.next_at && *s.next_at > at)
        return s;
      RIS_TRY(auto handle, begin(access, r, s, *node, script, spec, timeout));
      s.state = "running";
      s.task_id = handle;
      if (!checking)
        s.started_at = at;
      return s;
    }
    if (s.state != "running" || !s.task_id)
      return s;
    std::optional<std::string> done;
    std::string output;
    if (docker) {
      RIS_TRY(done, docker_action(access, r, d, s, spec, false));
    } else {
      RIS_TRY(done, settled(access, r, s, *node, script, spec, timeout, max_failure_percent,
                            drift ? &output : nullptr));
    }
    if (!done)
      return s;
    if (drift && done->empty()) {
      const auto last_line = output.rfind('\n');
      s.detail = last_line == std::string::npos ? output : output.substr(last_line + 1);
      s.state = "succeeded";
      s.finished_at = at;
      return s;
    }
    if (!checking) {
      if (!done->empty())
        return fail(Errc::internal, fmt::format("{} on {}: {}", s.service, s.node, *done));
      if (health != nullptr && s.change != "remove") {
        s.phase = "health";
        s.state = "pending";
        s.attempt = 1;
        s.task_id.reset();
        s.next_at = at;
        return s;
      }
      s.state = "succeeded";
      s.finished_at = at;
      return s;
    }
    if (done->empty()) {
      s.state = "succeeded";
      s.detail = fmt::format("healthy after {} check{}", s.attempt, s.attempt == 1 ? "" : "s");
      s.finished_at = at;
      return s;
    }
    const int64_t retries = field(health, "retries", 3);
    if (s.attempt > retries)
      return fail(Errc::internal, fmt::format("{} on {}: unhealthy after {} checks: {}", s.service,
                                              s.node, s.attempt, *done));
    s.attempt += 1;
    s.state = "pending";
    s.task_id.reset();
    s.detail = *done;
    s.next_at = to_rfc3339(now + std::chrono::seconds(field(health, "interval_seconds", 10)));
    return s;
  }

  // The revision fails with `why`; with on_failure rollback, its rollback starts at once.
  void fail_revision(DeployRepository& repo, const Revision& r, const std::vector<StepRow>& steps,
                     const std::string& failing_service, const std::string& why,
                     const cluster::Fence& fence, const std::string& at) {
    if (r.on_failure == "rollback" && r.kind == "apply") {
      std::set<std::string> touched{failing_service};
      for (const auto& s : steps)
        if (s.change != "unchanged" && !(s.phase == "action" && s.state == "pending"))
          touched.insert(s.service);
      auto applied = repo.last_applied(r.space_id, r.deployment, r.environment);
      if (!applied)
        return;  // the store is away: the step fails again next tick
      auto rollback = rollback_of(r, *applied, touched, at);
      if (rollback) {
        auto made = repo.roll_back(r.id, why + "; rolling back", at, std::move(rollback->revision),
                                   rollback->steps, fence);
        if (made) {
          log::warn("deploy_rolling_back", {{"revision", r.id},
                                            {"deployment", r.deployment},
                                            {"environment", r.environment},
                                            {"rollback_revision", made->revision},
                                            {"why", why}});
          return;
        }
        log::warn("deploy_rollback_failed", {{"revision", r.id}, {"error", made.error().message}});
        return;
      }
      log::warn("deploy_rollback_failed",
                {{"revision", r.id}, {"error", rollback.error().message}});
    }
    if (auto f = repo.finish(r.id, "failed", why, at, fence); !f)
      log::warn("deploy_finish_failed", {{"revision", r.id}, {"error", f.error().message}});
    else
      log::warn("deploy_failed", {{"revision", r.id},
                                  {"deployment", r.deployment},
                                  {"environment", r.environment},
                                  {"why", why}});
  }

  void run(DeployRepository& repo, const Revision& r, const cluster::Fence& fence, SystemTime now) {
    const std::string at = to_rfc3339(now);
    auto steps = repo.steps(r.id);
    if (!steps)
      return;  // the store is unreachable: try again next tick
    auto failed = [&](const std::string& service, const std::string& why) {
      fail_revision(repo, r, *steps, service, why, fence, at);
    };
    auto read = read_deployment(r.file, r.environment);
    if (!read.deployment)
      return failed("",
                    "the file no longer reads: " + format_diagnostics("file", read.diagnostics));
    identity::Principal author;
    author.account_id = r.created_by;
    auto access = identity::load_access(store, r.space_id, author);
    if (!access)
      return failed("", "its author can no longer deploy here: " + access.error().message);

    // The first wave with a step still going; steps that failed within their service's
    // max_failure_percent have ended too.
    int64_t wave = 0;
    size_t tolerated = 0;
    for (const auto& s : *steps) {
      tolerated += s.state == "failed" ? 1 : 0;
      if (s.state != "succeeded" && s.state != "failed" && (wave == 0 || s.wave < wave))
        wave = s.wave;
    }
    if (wave == 0 && (r.kind == "drift" || r.kind == "repair")) {
      size_t drifted = 0;
      for (const auto& s : *steps)
        drifted += s.detail && !s.detail->starts_with("in sync") ? 1 : 0;
      const std::string detail =
          drifted == 0
              ? fmt::format("{} file{} in sync", steps->size(), steps->size() == 1 ? "" : "s")
              : fmt::format("{} of {} file{} {}", drifted, steps->size(),
                            steps->size() == 1 ? "" : "s",
                            r.kind == "repair" ? "drifted and repaired" : "drifted");
      if (auto f = repo.finish(r.id, drifted == 0 ? "in_sync" : "drifted", detail, at, fence); f)
        log::info("deploy_drift_checked",
                  {{"revision", r.id}, {"deployment", r.deployment}, {"detail", detail}});
      return;
    }
    if (wave == 0) {
      std::optional<std::string> detail = r.detail;
      if (tolerated > 0)
        detail = fmt::format("{}{} step{} failed within max_failure_percent",
                             detail ? *detail + "; " : "", tolerated, tolerated == 1 ? "" : "s");
      if (auto f = repo.finish(r.id, "applied", detail, at, fence); f)
        log::info("deploy_applied", {{"revision", r.id},
                                     {"deployment", r.deployment},
                                     {"environment", r.environment},
                                     {"kind", r.kind}});
      return;
    }

    // A removal runs what was applied, on the nodes the file it came from named.
    std::optional<Revision> removed;
    std::optional<Deployment> removed_file;
    struct Count {
      int64_t total = 0, going = 0, failed = 0;
    };
    std::map<std::string, Count> counts;
    int64_t going = 0;
    for (const auto& s : *steps) {
      if (s.wave != wave)
        continue;
      auto& c = counts[s.service];
      ++c.total;
      const bool begun = !(s.phase == "action" && s.state == "pending");
      const bool ended = s.state == "succeeded" || s.state == "failed";
      c.failed += s.state == "failed" ? 1 : 0;
      if (begun && !ended) {
        ++c.going;
        ++going;
      }
    }
    for (const auto& s : *steps) {
      if (s.wave != wave || s.state == "succeeded" || s.state == "failed")
        continue;
      const json::value* spec = nullptr;
      const Deployment* nodes_from = &*read.deployment;
      if (s.change == "remove") {
        if (!removed) {
          auto a = r.removes_from ? repo.by_id(*r.removes_from)
                                  : repo.last_applied(r.space_id, r.deployment, r.environment);
          if (!a)
            return;  // the store is away: next tick
          if (!*a)
            return failed(s.service, fmt::format("{}: the revision it removes is gone", s.service));
          removed = **a;
          removed_file = read_deployment(removed->file, removed->environment).deployment;
        }
        spec = removed->specs.if_contains(s.service);
        if (removed_file)
          nodes_from = &*removed_file;
      } else {
        spec = r.specs.if_contains(s.service);
      }
      if (spec == nullptr || !spec->is_object())
        return failed(s.service,
                      fmt::format("{}: its spec is missing from the revision", s.service));
      auto& c = counts[s.service];
      if (s.phase == "action" && s.state == "pending") {
        const int64_t batch = field(section(spec->as_object(), "rollout"), "batch_size", 0);
        if ((batch > 0 && c.going >= batch) || going >= kMaxParallelSteps)
          continue;  // the next batch waits for this one
        ++c.going;
        ++going;
      }
      auto next = advance(*access, r, *nodes_from, spec->as_object(), s, now);
      if (!next) {
        if (next.error().code == Errc::unavailable || next.error().code == Errc::busy)
          continue;  // NATS or the store is away for a moment: the same step next tick
        StepRow failed_step = s;
        failed_step.state = "failed";
        failed_step.detail = next.error().message;
        failed_step.finished_at = at;
        const int64_t allowed =
            field(section(spec->as_object(), "rollout"), "max_failure_percent", 0);
        if ((c.failed + 1) * 100 <= allowed * c.total) {
          // Within the service's max_failure_percent: this step ends failed, the rest go on.
          if (repo.save_step(r.id, failed_step, fence)) {
            ++c.failed;
            --c.going;
            --going;
          }
          continue;
        }
        (void)repo.save_step(r.id, failed_step, fence);
        return failed(s.service, next.error().message);
      }
      if (next->state != s.state || next->phase != s.phase || next->attempt != s.attempt)
        if (auto w = repo.save_step(r.id, *next, fence); !w)
          return;  // the duty was lost, or the store is away: the next holder goes on
      if (next->state == "succeeded") {
        --c.going;
        --going;
      }
    }
  }
};

Deployer::Deployer(store::Store& store, fleet::Tasks& tasks, services::Services& services,
                   const Secrets& secrets)
    : store_(store),
      tasks_(tasks),
      services_(services),
      secrets_(secrets),
      ssh_(std::make_unique<SshRunner>()) {}

Deployer::~Deployer() = default;

Result<void> Deployer::round(SystemTime now, const cluster::Fence& fence) {
  DeployRepository repo(store_);
  RIS_TRY(auto applying, repo.applying());
  Advance advance{store_, tasks_, services_, secrets_, *ssh_};
  for (const auto& r : applying)
    advance.run(repo, r, fence, now);
  return {};
}

}  // namespace ris::deploy
