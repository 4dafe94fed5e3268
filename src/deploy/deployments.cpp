#include "ris/deploy/deployments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <future>

#include "deploy_repository.hpp"
#include "revision_steps.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/deploy/secrets.hpp"
#include "ssh_runner.hpp"

namespace ris::deploy {
namespace json = boost::json;

namespace {

struct Input {
  std::string file, environment;
  std::optional<std::string> plan_hash, on_failure;
  bool check_hosts = false;
};

Result<Input> input(const json::object& body, bool apply) {
  Input in;
  for (const auto& kv : body) {
    const std::string_view k = kv.key();
    if (!apply && k == "check_hosts") {
      if (!kv.value().is_bool())
        return fail(Errc::invalid_argument, "\"check_hosts\" must be true or false");
      in.check_hosts = kv.value().as_bool();
      continue;
    }
    if (k != "file" && k != "environment" && !(apply && (k == "plan_hash" || k == "on_failure")))
      return fail(Errc::invalid_argument,
                  fmt::format("unknown field \"{}\" (expected file, environment{})", k,
                              apply ? ", plan_hash, on_failure" : ""));
    if (!kv.value().is_string())
      return fail(Errc::invalid_argument, fmt::format("\"{}\" must be a string", k));
  }
  const auto* f = body.if_contains("file");
  if (f == nullptr)
    return fail(Errc::invalid_argument, "\"file\" is required: the deployment file's YAML");
  in.file = std::string(f->as_string());
  if (const auto* e = body.if_contains("environment"))
    in.environment = std::string(e->as_string());
  if (const auto* h = body.if_contains("plan_hash"))
    in.plan_hash = std::string(h->as_string());
  if (const auto* f = body.if_contains("on_failure")) {
    const std::string_view policy = f->as_string();
    if (policy != "stop" && policy != "rollback")
      return fail(Errc::invalid_argument,
                  fmt::format("on_failure '{}': use stop or rollback", policy));
    in.on_failure = std::string(policy);
  }
  return in;
}

Result<void> check_name(std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (!ok)
    return fail(Errc::invalid_argument,
                fmt::format("'{}': a deployment name is 1 to 63 lower-case letters, digits, '-' "
                            "or '_'",
                            name));
  return {};
}

Live live_of(const std::optional<Revision>& r) {
  Live live;
  if (r)
    for (const auto& kv : r->specs)
      if (kv.value().is_object())
        live[std::string(kv.key())] = kv.value().as_object();
  return live;
}

// What apply cannot run, said before anything starts: a docker service is the space's service
// <deployment>.<service> (a name of at most 63 characters), on agents by id or one selector node.
Result<void> check_runnable(std::string_view name, const Deployment& d, const Plan& p) {
  std::map<std::string, const ServiceDef*> services;
  for (const auto& s : d.services)
    services[s.name] = &s;
  std::map<std::string, const NodeDef*> nodes;
  for (const auto& n : d.nodes)
    nodes[n.name] = &n;
  for (const auto& wave : p.waves)
    for (const auto& st : wave) {
      if (st.change == Change::unchanged || st.change == Change::remove)
        continue;
      const ServiceDef& s = *services.at(st.service);
      if (s.kind != ServiceKind::docker)
        continue;
      if (name.size() + 1 + s.name.size() > 63)
        return fail(Errc::invalid_argument,
                    fmt::format("service '{}': a docker service becomes the service '{}.{}', "
                                "longer than 63 characters; use shorter names",
                                s.name, name, s.name));
      size_t selectors = 0;
      for (const auto& n : s.on) {
        if (nodes.at(n)->kind == NodeKind::ssh)
          return fail(Errc::invalid_argument,
                      fmt::format("service '{}': node '{}' is an SSH host; a docker service runs "
                                  "on agents",
                                  s.name, n));
        selectors += nodes.at(n)->kind == NodeKind::selector ? 1 : 0;
      }
      if (selectors > 0 && s.on.size() > 1)
        return fail(Errc::invalid_argument,
                    fmt::format("service '{}': a docker service runs on agents by id or on one "
                                "selector node, not both",
                                s.name));
    }
  return {};
}

// DEPLOY on the environment: the space's roles, then the overwrites of resource type
// "environment" and id the environment's name ("default" for the file's base values), so that,
// say, only some roles deploy to prod.
Result<void> require_deploy(store::Store& store, const identity::SpaceAccess& access,
                            std::string_view environment) {
  const std::string_view id = environment.empty() ? "default" : environment;
  RIS_TRY(auto perms, identity::resource_permissions(store, access, "environment", id));
  if ((perms & identity::kDeploy) == 0)
    return fail(Errc::forbidden,
                fmt::format("you need the DEPLOY permission on environment {}", id));
  return {};
}

}  // namespace

std::vector<Diagnostic> Deployments::check_hosts(std::string_view space_id,
                                                 const Deployment& d) const {
  std::vector<std::future<std::optional<Diagnostic>>> checks;
  for (const auto& n : d.nodes) {
    if (n.kind != NodeKind::ssh)
      continue;
    const std::string path = "nodes." + n.name + ".ssh";
    auto key = secrets_ ? secrets_->open(space_id, {n.ssh.key_secret})
                        : Result<std::map<std::string, std::string>>(
                              fail(Errc::unavailable, "secrets are not open here"));
    if (!key) {
      std::promise<std::optional<Diagnostic>> p;
      p.set_value(Diagnostic{n.at, fmt::format("{}: {}", path, key.error().message)});
      checks.push_back(p.get_future());
      continue;
    }
    SshHost host{n.ssh.address, n.ssh.port, n.ssh.user, key->at(n.ssh.key_secret), n.ssh.host_key};
    // In parallel: each check is bounded by its own timeout.
    checks.push_back(
        std::async(std::launch::async,
                   [host = std::move(host), at = n.at, path]() -> std::optional<Diagnostic> {
                     auto ok = SshRunner::check(host, std::chrono::seconds(10));
                     if (ok)
                       return std::nullopt;
                     return Diagnostic{at, path + ": " + ok.error().message};
                   }));
  }
  std::vector<Diagnostic> out;
  for (auto& c : checks)
    if (auto bad = c.get())
      out.push_back(std::move(*bad));
  return out;
}

Result<std::variant<Deployment, Invalid>> Deployments::validate(const identity::SpaceAccess& access,
                                                                const json::object& body) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto in, input(body, false));
  auto read = read_deployment(in.file, in.environment);
  if (!read.deployment)
    return std::variant<Deployment, Invalid>(Invalid{std::move(read.diagnostics)});
  if (in.check_hosts) {
    auto unreachable = check_hosts(access.space_id, *read.deployment);
    if (!unreachable.empty())
      return std::variant<Deployment, Invalid>(Invalid{std::move(unreachable)});
  }
  return std::variant<Deployment, Invalid>(std::move(*read.deployment));
}

Result<std::variant<std::pair<Plan, int64_t>, Invalid>> Deployments::plan(
    const identity::SpaceAccess& access, std::string_view name, const json::object& body) {
  using Out = std::variant<std::pair<Plan, int64_t>, Invalid>;
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  RIS_TRY(auto in, input(body, false));
  RIS_TRY_VOID(require_deploy(store_, access, in.environment));
  auto read = read_deployment(in.file, in.environment);
  if (!read.deployment)
    return Out(Invalid{std::move(read.diagnostics)});
  DeployRepository repo(store_);
  RIS_TRY(auto last, repo.last_applied(access.space_id, name, in.environment));
  return Out(std::pair(make_plan(*read.deployment, live_of(last)), last ? last->revision : 0));
}

Result<std::variant<Revision, Invalid>> Deployments::apply(const identity::SpaceAccess& access,
                                                           std::string_view name,
                                                           const json::object& body) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  RIS_TRY(auto in, input(body, true));
  return start(access, name, in.file, in.environment, in.plan_hash, "apply", in.on_failure);
}

Result<std::variant<Revision, Invalid>> Deployments::rollback(const identity::SpaceAccess& access,
                                                              std::string_view name,
                                                              const json::object& body) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  std::string environment;
  std::optional<std::string> plan_hash;
  std::optional<int64_t> to;
  for (const auto& kv : body) {
    const std::string_view k = kv.key();
    if (k == "to" && kv.value().is_int64() && kv.value().as_int64() >= 1)
      to = kv.value().as_int64();
    else if (k == "environment" && kv.value().is_string())
      environment = kv.value().as_string();
    else if (k == "plan_hash" && kv.value().is_string())
      plan_hash = std::string(kv.value().as_string());
    else if (k == "to" || k == "environment" || k == "plan_hash")
      return fail(Errc::invalid_argument,
                  fmt::format("\"{}\" must be {}", k,
                              k == "to" ? "a revision number (1 or more)" : "a string"));
    else
      return fail(Errc::invalid_argument,
                  fmt::format("unknown field \"{}\" (expected to, environment, plan_hash)", k));
  }
  if (!to)
    return fail(Errc::invalid_argument, "\"to\" is required: the revision to return to");
  DeployRepository repo(store_);
  RIS_TRY(auto target, repo.get(access.space_id, name, environment, *to));
  if (!target)
    return fail(Errc::not_found,
                fmt::format("deployment {} has no revision {}{}", name, *to,
                            environment.empty() ? "" : fmt::format(" in {}", environment)));
  if (target->state != "applied")
    return fail(Errc::conflict,
                fmt::format("revision {} of {} is {}, not applied: only a revision that was "
                            "applied can be returned to",
                            *to, name, target->state));
  return start(access, name, target->file, environment, plan_hash, "rollback", std::nullopt,
               fmt::format("returns to revision {}", *to));
}

Result<std::variant<Revision, Invalid>> Deployments::start(
    const identity::SpaceAccess& access, std::string_view name, const std::string& file,
    const std::string& environment, const std::optional<std::string>& plan_hash,
    std::string_view kind, const std::optional<std::string>& on_failure,
    std::optional<std::string> detail) {
  using Out = std::variant<Revision, Invalid>;
  RIS_TRY_VOID(require_deploy(store_, access, environment));
  auto read = read_deployment(file, environment);
  if (!read.deployment)
    return Out(Invalid{std::move(read.diagnostics)});
  const Deployment& d = *read.deployment;
  DeployRepository repo(store_);
  RIS_TRY(auto last, repo.last_applied(access.space_id, name, environment));
  const Live live = live_of(last);
  const Plan p = make_plan(d, live);
  if (plan_hash && *plan_hash != p.hash)
    return fail(Errc::conflict,
                fmt::format("the plan is now {}, not {}: the file or what is applied changed "
                            "since; plan again",
                            p.hash, *plan_hash));
  RIS_TRY_VOID(check_runnable(name, d, p));

  Revision r;
  r.id = new_id();
  r.space_id = access.space_id;
  r.deployment = std::string(name);
  r.environment = environment;
  r.state = "applying";
  r.kind = std::string(kind);
  r.on_failure =
      on_failure.value_or(d.on_failure == OnFailure::rollback ? "rollback" : std::string("stop"));
  if (kind == "rollback")
    r.on_failure = "stop";
  r.plan_hash = p.hash;
  r.file = file;
  for (const auto& s : d.services)
    r.specs[s.name] = s.spec;
  if (last)
    r.removes_from = last->id;
  r.detail = std::move(detail);
  r.created_by = access.member.account_id;
  r.created_at = now_rfc3339();
  auto steps = steps_for(p, d, live);
  RIS_TRY(auto made, repo.insert(std::move(r), steps));
  made.steps = std::move(steps);
  return Out(std::move(made));
}

Result<Revision> Deployments::check_drift(const identity::SpaceAccess& access,
                                          std::string_view name, const json::object& body) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  std::string environment;
  bool repair = false;
  for (const auto& kv : body) {
    if (kv.key() == "environment" && kv.value().is_string())
      environment = kv.value().as_string();
    else if (kv.key() == "repair" && kv.value().is_bool())
      repair = kv.value().as_bool();
    else
      return fail(Errc::invalid_argument,
                  fmt::format("\"{}\": expected environment (a string) and repair (true or "
                              "false)",
                              std::string_view(kv.key())));
  }
  RIS_TRY_VOID(require_deploy(store_, access, environment));
  DeployRepository repo(store_);
  RIS_TRY(auto applied, repo.last_applied(access.space_id, name, environment));
  if (!applied)
    return fail(Errc::not_found, fmt::format("deployment {} has nothing applied{}", name,
                                             environment.empty() ? "" : " in " + environment));
  Revision r;
  r.id = new_id();
  r.space_id = access.space_id;
  r.deployment = std::string(name);
  r.environment = environment;
  r.state = "applying";
  r.kind = repair ? "repair" : "drift";
  r.plan_hash = applied->plan_hash;
  r.file = applied->file;
  r.specs = applied->specs;
  r.detail = fmt::format("checks revision {}", applied->revision);
  r.created_by = access.member.account_id;
  r.created_at = now_rfc3339();
  std::vector<StepRow> steps;
  for (const auto& kv : applied->specs) {
    if (!kv.value().is_object() || kv.value().as_object().at("kind") != "config")
      continue;
    for (const auto& node : kv.value().as_object().at("on").as_array()) {
      StepRow row;
      row.service = std::string(kv.key());
      row.node = std::string(node.as_string());
      row.wave = 1;
      row.change = "check";
      row.phase = "check";
      row.state = "pending";
      steps.push_back(std::move(row));
    }
  }
  if (steps.empty())
    return fail(Errc::invalid_argument,
                fmt::format("deployment {} has no config services to check", name));
  RIS_TRY(auto made, repo.insert(std::move(r), steps));
  made.steps = std::move(steps);
  return made;
}

Result<std::vector<Revision>> Deployments::list(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  return DeployRepository(store_).latest(access.space_id);
}

Result<std::vector<Revision>> Deployments::revisions(const identity::SpaceAccess& access,
                                                     std::string_view name,
                                                     std::optional<std::string> environment) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  return DeployRepository(store_).list(access.space_id, name, environment);
}

Result<Revision> Deployments::revision(const identity::SpaceAccess& access, std::string_view name,
                                       std::string_view environment, int64_t number) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  DeployRepository repo(store_);
  RIS_TRY(auto r, repo.get(access.space_id, name, environment, number));
  if (!r)
    return fail(Errc::not_found,
                fmt::format("deployment {} has no revision {}{}", name, number,
                            environment.empty() ? "" : fmt::format(" in {}", environment)));
  RIS_TRY(r->steps, repo.steps(r->id));
  return std::move(*r);
}

}  // namespace ris::deploy
