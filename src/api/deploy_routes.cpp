// Deployments over the API: validate a file, plan it, apply it, and its revisions with their
// steps. Handlers parse and answer; src/deploy decides. A file with problems is a 422 whose
// "errors" list each one with its line and column.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>

#include "endpoint.hpp"
#include "ris/deploy/deployments.hpp"
#include "ris/deploy/secrets.hpp"

namespace ris::api {
namespace {
namespace json = boost::json;

net::Response invalid(const deploy::Invalid& bad) {
  json::array errors;
  for (const auto& d : bad.diagnostics)
    errors.push_back(
        json::object{{"line", d.at.line}, {"column", d.at.column}, {"message", d.message}});
  auto r = net::problem(
      422, "invalid-deployment", "The deployment file has problems",
      fmt::format("{} problem{}; the first: line {}, column {}: {}", bad.diagnostics.size(),
                  bad.diagnostics.size() == 1 ? "" : "s", bad.diagnostics[0].at.line,
                  bad.diagnostics[0].at.column, bad.diagnostics[0].message));
  json::object body = json::parse(r.body).as_object();
  body["errors"] = std::move(errors);
  r.body = json::serialize(body);
  return r;
}

json::object step_json(const deploy::StepRow& s) {
  json::object o{{"service", s.service}, {"node", s.node},   {"wave", s.wave},
                 {"change", s.change},   {"phase", s.phase}, {"state", s.state},
                 {"attempt", s.attempt}};
  auto add = [&](const char* k, const std::optional<std::string>& v) {
    if (v)
      o[k] = *v;
  };
  if (s.task_id && s.task_id->starts_with("ssh:"))
    o["executor"] = "ssh";  // the host keeps its run's record (docs/deploy.md)
  else
    add("task_id", s.task_id);
  add("detail", s.detail);
  add("started_at", s.started_at);
  add("finished_at", s.finished_at);
  return o;
}

json::object revision_json(const deploy::Revision& r, bool with_steps) {
  json::object o{{"id", r.id},
                 {"deployment", r.deployment},
                 {"environment", r.environment},
                 {"revision", r.revision},
                 {"kind", r.kind},
                 {"on_failure", r.on_failure},
                 {"state", r.state},
                 {"plan_hash", r.plan_hash},
                 {"created_by", r.created_by},
                 {"created_at", r.created_at}};
  if (r.detail)
    o["detail"] = *r.detail;
  if (r.finished_at)
    o["finished_at"] = *r.finished_at;
  if (with_steps) {
    json::array steps;
    for (const auto& s : r.steps)
      steps.push_back(step_json(s));
    o["steps"] = std::move(steps);
    o["file"] = r.file;
  }
  return o;
}

// 202 with the new revision and where to follow it.
net::Response accepted(const identity::SpaceAccess& access, const deploy::Revision& r) {
  auto res = net::json_response(202, revision_json(r, true));
  res.headers.emplace_back(
      "Location",
      fmt::format("/api/v1/spaces/{}/deployments/{}/revisions/{}?environment={}", access.space_id,
                  r.deployment, r.revision, net::percent_encode(r.environment)));
  return res;
}

Result<net::Response> validate(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  RIS_TRY(auto read, c.ctx.deployments->validate(access, body));
  if (auto* bad = std::get_if<deploy::Invalid>(&read))
    return invalid(*bad);
  const auto& d = std::get<deploy::Deployment>(read);
  const auto plan = deploy::make_plan(d, {});
  return net::json_response(200, json::object{{"valid", true},
                                              {"environment", d.environment},
                                              {"nodes", d.nodes.size()},
                                              {"services", d.services.size()},
                                              {"waves", plan.waves.size()}});
}

Result<net::Response> plan(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = std::string(c.req.params["deployment"]);
  RIS_TRY(auto made, c.ctx.deployments->plan(access, c.target, body));
  if (auto* bad = std::get_if<deploy::Invalid>(&made))
    return invalid(*bad);
  const auto& [p, against] = std::get<std::pair<deploy::Plan, int64_t>>(made);
  c.audit_details = {{"environment", p.environment}, {"plan_hash", p.hash}};
  json::object out = deploy::to_json(p);
  out["compared_with_revision"] = against;
  return net::json_response(200, out);
}

Result<net::Response> apply(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = std::string(c.req.params["deployment"]);
  RIS_TRY(auto made, c.ctx.deployments->apply(access, c.target, body));
  if (auto* bad = std::get_if<deploy::Invalid>(&made))
    return invalid(*bad);
  auto& r = std::get<deploy::Revision>(made);
  c.audit_details = {
      {"environment", r.environment}, {"revision", r.revision}, {"plan_hash", r.plan_hash}};
  return accepted(access, r);
}

Result<net::Response> rollback(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = std::string(c.req.params["deployment"]);
  RIS_TRY(auto made, c.ctx.deployments->rollback(access, c.target, body));
  if (auto* bad = std::get_if<deploy::Invalid>(&made))
    return invalid(*bad);
  auto& r = std::get<deploy::Revision>(made);
  c.audit_details = {{"environment", r.environment},
                     {"revision", r.revision},
                     {"plan_hash", r.plan_hash},
                     {"detail", r.detail.value_or("")}};
  return accepted(access, r);
}

Result<net::Response> drift(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = std::string(c.req.params["deployment"]);
  RIS_TRY(auto r, c.ctx.deployments->check_drift(access, c.target, body));
  c.audit_details = {{"environment", r.environment}, {"revision", r.revision}, {"kind", r.kind}};
  return accepted(access, r);
}

json::object secret_json(const deploy::SecretInfo& s) {
  return {{"name", s.name},
          {"updated_by", s.updated_by},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at}};
}

Result<net::Response> put_secret(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = std::string(c.req.params["name"]);
  const auto* v = body.if_contains("value");
  if (v == nullptr || !v->is_string() || body.size() != 1)
    return fail(Errc::invalid_argument, "give {\"value\": \"…\"} and nothing else");
  RIS_TRY(auto s, c.ctx.deploy_secrets->put(access, c.target, v->as_string()));
  return net::json_response(200, secret_json(s));
}

Result<net::Response> list_secrets(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list, c.ctx.deploy_secrets->list(access));
  json::array items;
  for (const auto& s : list)
    items.push_back(secret_json(s));
  return net::json_response(200, json::object{{"items", std::move(items)}});
}

Result<net::Response> delete_secret(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = std::string(c.req.params["name"]);
  RIS_TRY_VOID(c.ctx.deploy_secrets->remove(access, c.target));
  return no_content();
}

Result<net::Response> list_deployments(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list, c.ctx.deployments->list(access));
  json::array items;
  for (const auto& r : list) {
    auto o = revision_json(r, false);
    o.erase("id");
    items.push_back(json::object{
        {"name", r.deployment}, {"environment", r.environment}, {"latest", std::move(o)}});
  }
  return net::json_response(200, json::object{{"items", std::move(items)}});
}

Result<net::Response> list_revisions(Call& c) {
  RIS_TRY(auto access, space_access(c));
  std::optional<std::string> env;
  if (c.req.query.contains("environment"))
    env = std::string(c.req.query_param("environment"));
  RIS_TRY(auto list, c.ctx.deployments->revisions(access, c.req.params["deployment"], env));
  json::array items;
  for (const auto& r : list)
    items.push_back(revision_json(r, false));
  return net::json_response(200, json::object{{"items", std::move(items)}});
}

Result<net::Response> get_revision(Call& c) {
  RIS_TRY(auto access, space_access(c));
  int64_t n = 0;
  const std::string& text = c.req.params["revision"];
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1)
    return fail(Errc::invalid_argument, fmt::format("'{}' is not a revision number", text));
  RIS_TRY(auto r, c.ctx.deployments->revision(access, c.req.params["deployment"],
                                              c.req.query_param("environment"), n));
  return net::json_response(200, revision_json(r, true));
}

}  // namespace

void register_deploy_routes(net::Router& router, ApiContext& ctx) {
  const std::string d = "/api/v1/spaces/{space}/deployments";
  router.add("GET", d, endpoint(ctx, "deployment.list", list_deployments));
  router.add("POST", d + "/validate",
             endpoint(ctx, "deployment.validate", validate, Audit::refusals));
  router.add("POST", d + "/{deployment}/plan", endpoint(ctx, "deployment.plan", plan));
  router.add("POST", d + "/{deployment}/apply", endpoint(ctx, "deployment.apply", apply));
  router.add("POST", d + "/{deployment}/rollback", endpoint(ctx, "deployment.rollback", rollback));
  router.add("POST", d + "/{deployment}/drift", endpoint(ctx, "deployment.drift", drift));
  const std::string secrets = "/api/v1/spaces/{space}/deploy-secrets";
  router.add("GET", secrets, endpoint(ctx, "deploy_secret.list", list_secrets));
  router.add("PUT", secrets + "/{name}", endpoint(ctx, "deploy_secret.put", put_secret));
  router.add("DELETE", secrets + "/{name}", endpoint(ctx, "deploy_secret.delete", delete_secret));
  router.add("GET", d + "/{deployment}/revisions",
             endpoint(ctx, "deployment.revisions", list_revisions));
  router.add("GET", d + "/{deployment}/revisions/{revision}",
             endpoint(ctx, "deployment.revision", get_revision));
}

}  // namespace ris::api
