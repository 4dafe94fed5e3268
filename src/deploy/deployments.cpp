#include "ris/deploy/deployments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "deploy_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"

namespace ris::deploy {
namespace json = boost::json;

namespace {

struct Input {
  std::string file, environment;
  std::optional<std::string> plan_hash;
};

Result<Input> input(const json::object& body, bool apply) {
  Input in;
  for (const auto& kv : body) {
    const std::string_view k = kv.key();
    if (k != "file" && k != "environment" && !(apply && k == "plan_hash"))
      return fail(Errc::invalid_argument,
                  fmt::format("unknown field \"{}\" (expected file, environment{})", k,
                              apply ? ", plan_hash" : ""));
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

// What apply cannot run yet, said before anything starts.
Result<void> check_runnable(const Deployment& d, const Plan& p) {
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
      if (s.kind == ServiceKind::docker)
        return fail(Errc::invalid_argument,
                    fmt::format("service '{}': apply runs shell and config services so far; "
                                "docker services are validated and planned, not applied yet",
                                s.name));
      for (const auto& n : s.on)
        if (nodes.at(n)->kind == NodeKind::ssh)
          return fail(Errc::invalid_argument,
                      fmt::format("service '{}': node '{}' is an SSH host; apply runs on agents "
                                  "so far",
                                  s.name, n));
    }
  return {};
}

}  // namespace

Result<std::variant<Deployment, Invalid>> Deployments::validate(const identity::SpaceAccess& access,
                                                                const json::object& body) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto in, input(body, false));
  auto read = read_deployment(in.file, in.environment);
  if (!read.deployment)
    return std::variant<Deployment, Invalid>(Invalid{std::move(read.diagnostics)});
  return std::variant<Deployment, Invalid>(std::move(*read.deployment));
}

Result<std::variant<std::pair<Plan, int64_t>, Invalid>> Deployments::plan(
    const identity::SpaceAccess& access, std::string_view name, const json::object& body) {
  using Out = std::variant<std::pair<Plan, int64_t>, Invalid>;
  RIS_TRY_VOID(identity::require(access, identity::kDeploy | identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  RIS_TRY(auto in, input(body, false));
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
  using Out = std::variant<Revision, Invalid>;
  RIS_TRY_VOID(identity::require(access, identity::kDeploy | identity::kViewAgents));
  RIS_TRY_VOID(check_name(name));
  RIS_TRY(auto in, input(body, true));
  auto read = read_deployment(in.file, in.environment);
  if (!read.deployment)
    return Out(Invalid{std::move(read.diagnostics)});
  const Deployment& d = *read.deployment;
  DeployRepository repo(store_);
  RIS_TRY(auto last, repo.last_applied(access.space_id, name, in.environment));
  const Live live = live_of(last);
  const Plan p = make_plan(d, live);
  if (in.plan_hash && *in.plan_hash != p.hash)
    return fail(Errc::conflict,
                fmt::format("the plan is now {}, not {}: the file or what is applied changed "
                            "since; plan again",
                            p.hash, *in.plan_hash));
  RIS_TRY_VOID(check_runnable(d, p));

  Revision r;
  r.id = new_id();
  r.space_id = access.space_id;
  r.deployment = std::string(name);
  r.environment = in.environment;
  r.state = "applying";
  r.plan_hash = p.hash;
  r.file = in.file;
  for (const auto& s : d.services)
    r.specs[s.name] = s.spec;
  r.created_by = access.member.account_id;
  r.created_at = now_rfc3339();
  std::vector<StepRow> steps;
  for (size_t w = 0; w < p.waves.size(); ++w)
    for (const auto& st : p.waves[w]) {
      std::vector<std::string> on;
      const json::object* spec = nullptr;
      if (st.change == Change::remove) {
        spec = &live.at(st.service);
      } else {
        for (const auto& s : d.services)
          if (s.name == st.service)
            spec = &s.spec;
      }
      for (const auto& n : spec->at("on").as_array())
        on.emplace_back(n.as_string());
      for (const auto& node : on) {
        StepRow row;
        row.service = st.service;
        row.node = node;
        row.wave = static_cast<int64_t>(w) + 1;
        row.change = std::string(name_of(st.change));
        row.phase = "action";
        row.state = st.change == Change::unchanged ? "succeeded" : "pending";
        steps.push_back(std::move(row));
      }
    }
  RIS_TRY(auto made, repo.insert(std::move(r), steps));
  made.steps = std::move(steps);
  return Out(std::move(made));
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
