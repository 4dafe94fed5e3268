#include "ris/deploy/deployer.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "deploy_repository.hpp"
#include "ris/core/log.hpp"
#include "step_scripts.hpp"

namespace ris::deploy {
namespace json = boost::json;
using std::chrono::system_clock;

namespace {

constexpr int64_t kActionTimeoutSeconds = 600;

bool final_state(const std::string& s) {
  return s == "succeeded" || s == "failed" || s == "timed_out" || s == "cancelled" || s == "lost";
}

// Settled: every run ended. Outcome: nullopt while running, "" when all succeeded, else why not.
std::optional<std::string> outcome(const fleet::Task& t) {
  for (const auto& r : t.runs)
    if (!final_state(r.state))
      return std::nullopt;
  if (t.runs.empty())
    return std::string("no agent took it");
  for (const auto& r : t.runs)
    if (r.state != "succeeded") {
      std::string why = fmt::format("agent {}: {}", r.agent_id, r.state);
      if (r.exit_code)
        why += fmt::format(" (exit code {})", *r.exit_code);
      if (r.error)
        why += ": " + *r.error;
      return why;
    }
  return std::string();
}

int64_t field(const json::object& o, std::string_view k, int64_t fallback) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

}  // namespace

struct Advance {
  store::Store& store;
  fleet::Tasks& tasks;

  json::object target(const Deployment& d, const std::string& node) const {
    for (const auto& n : d.nodes) {
      if (n.name != node)
        continue;
      if (n.kind == NodeKind::agent)
        return {{"agents", json::array{json::string(n.agent)}}};
      std::string selector;
      for (const auto& [k, v] : n.selector)
        selector += (selector.empty() ? "" : ",") + k + "=" + v;
      return {{"selector", selector}};
    }
    return {};
  }

  // Submits (or finds again, by its key) the task of a step's phase.
  Result<std::string> submit(const identity::SpaceAccess& access, const Revision& r,
                             const StepRow& s, const json::object& target,
                             const std::string& script, int64_t timeout) {
    json::object body{{"type", "shell"},
                      {"parameters", json::object{{"script", script}}},
                      {"target", target},
                      {"mode", "all"},
                      {"timeout_seconds", timeout}};
    fleet::Submission how;
    how.needed = identity::kDeploy | identity::kViewAgents;
    how.idempotency_key =
        fmt::format("deploy:{}:{}:{}:{}:{}", r.id, s.service, s.node, s.phase, s.attempt);
    RIS_TRY(auto submitted, tasks.submit(access, body, how));
    return submitted.task.id;
  }

  // One step moved on as far as it can now; its new row, or why the revision fails.
  Result<StepRow> advance(const identity::SpaceAccess& access, const Revision& r,
                          const Deployment& d, const json::object& spec, StepRow s,
                          SystemTime now) {
    const std::string at = to_rfc3339(now);
    const json::object* health =
        spec.if_contains("health") ? &spec.at("health").as_object() : nullptr;
    if (s.state == "pending" && s.phase == "action") {
      auto id = submit(access, r, s, target(d, s.node), action_script(s.change, spec),
                       kActionTimeoutSeconds);
      if (!id)
        return fail(id.error());
      s.state = "running";
      s.task_id = *id;
      s.started_at = at;
      return s;
    }
    if (s.state == "pending" && s.phase == "health") {
      if (s.next_at && *s.next_at > at)
        return s;
      auto id = submit(access, r, s, target(d, s.node), health_script(spec),
                       health ? field(*health, "timeout_seconds", 10) : 10);
      if (!id)
        return fail(id.error());
      s.state = "running";
      s.task_id = *id;
      return s;
    }
    if (s.state != "running" || !s.task_id)
      return s;
    RIS_TRY(auto task, tasks.get(access, *s.task_id));
    auto done = outcome(task);
    if (!done)
      return s;
    if (s.phase == "action") {
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
    const int64_t retries = field(*health, "retries", 3);
    if (s.attempt > retries)
      return fail(Errc::internal, fmt::format("{} on {}: unhealthy after {} checks: {}", s.service,
                                              s.node, s.attempt, *done));
    s.attempt += 1;
    s.state = "pending";
    s.task_id.reset();
    s.detail = *done;
    s.next_at = to_rfc3339(now + std::chrono::seconds(field(*health, "interval_seconds", 10)));
    return s;
  }

  void run(DeployRepository& repo, const Revision& r, const cluster::Fence& fence, SystemTime now) {
    const std::string at = to_rfc3339(now);
    auto failed = [&](const std::string& why) {
      if (auto f = repo.finish(r.id, "failed", why, at, fence); !f)
        log::warn("deploy_finish_failed", {{"revision", r.id}, {"error", f.error().message}});
      else
        log::warn("deploy_failed", {{"revision", r.id},
                                    {"deployment", r.deployment},
                                    {"environment", r.environment},
                                    {"why", why}});
    };
    auto read = read_deployment(r.file, r.environment);
    if (!read.deployment)
      return failed("the file no longer reads: " + format_diagnostics("file", read.diagnostics));
    identity::Principal author;
    author.account_id = r.created_by;
    auto access = identity::load_access(store, r.space_id, author);
    if (!access)
      return failed("its author can no longer deploy here: " + access.error().message);
    auto steps = repo.steps(r.id);
    if (!steps)
      return;  // the store is unreachable: try again next tick
    int64_t wave = 0;
    for (const auto& s : *steps)
      if (s.state != "succeeded" && (wave == 0 || s.wave < wave))
        wave = s.wave;
    if (wave == 0) {
      if (auto f = repo.finish(r.id, "applied", std::nullopt, at, fence); f)
        log::info(
            "deploy_applied",
            {{"revision", r.id}, {"deployment", r.deployment}, {"environment", r.environment}});
      return;
    }
    DeployRepository prior(store);
    // A removal runs what was applied, on the nodes the applied file named.
    std::optional<Revision> applied;
    std::optional<Deployment> applied_file;
    for (const auto& s : *steps) {
      if (s.wave != wave || s.state == "succeeded")
        continue;
      const json::value* spec = nullptr;
      const Deployment* nodes_from = &*read.deployment;
      if (s.change == "remove") {
        if (!applied) {
          auto a = prior.last_applied(r.space_id, r.deployment, r.environment);
          if (!a)
            return;  // the store is away: next tick
          if (!*a)
            return failed(fmt::format("{}: the applied revision it removes is gone", s.service));
          applied = **a;
          applied_file = read_deployment(applied->file, applied->environment).deployment;
        }
        spec = applied->specs.if_contains(s.service);
        if (applied_file)
          nodes_from = &*applied_file;
      } else {
        spec = r.specs.if_contains(s.service);
      }
      if (spec == nullptr || !spec->is_object())
        return failed(fmt::format("{}: its spec is missing from the revision", s.service));
      auto next = advance(*access, r, *nodes_from, spec->as_object(), s, now);
      if (!next) {
        if (next.error().code == Errc::unavailable || next.error().code == Errc::busy)
          continue;  // NATS or the store is away for a moment: the same step next tick
        StepRow failed_step = s;
        failed_step.state = "failed";
        failed_step.detail = next.error().message;
        failed_step.finished_at = at;
        (void)repo.save_step(r.id, failed_step, fence);
        return failed(next.error().message);
      }
      if (next->state != s.state || next->phase != s.phase || next->attempt != s.attempt)
        if (auto w = repo.save_step(r.id, *next, fence); !w)
          return;  // the duty was lost, or the store is away: the next holder goes on
    }
  }
};

Result<void> Deployer::round(SystemTime now, const cluster::Fence& fence) {
  DeployRepository repo(store_);
  RIS_TRY(auto applying, repo.applying());
  Advance advance{store_, tasks_};
  for (const auto& r : applying)
    advance.run(repo, r, fence, now);
  return {};
}

}  // namespace ris::deploy
