// The fleet over the API: join tokens and enrolment, the agent registry (status, labels, health,
// revocation) and tasks (create, list, get, cancel, output). Handlers parse and answer;
// src/fleet decides.
#include <boost/json/parse.hpp>
#include <cstdio>

#include "endpoint.hpp"

namespace ris::api {
namespace {

boost::json::value opt(const std::optional<std::string>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
boost::json::value opt(const std::optional<int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

// Online while a live server sharing the store holds its session (presence), whichever server
// answers.
std::string status_of(const fleet::Agent& a) {
  if (a.revoked)
    return "revoked";
  return a.online ? "online" : "offline";
}

boost::json::object agent_json(const fleet::Agent& a) {
  return {{"id", a.id},
          {"space_id", a.space_id},
          {"name", a.name},
          {"status", status_of(a)},
          {"labels", fleet::labels_to_json(a.labels)},
          {"hostname", a.hostname},
          {"os", a.os},
          {"kernel", a.kernel},
          {"arch", a.arch},
          {"agent_version", a.agent_version},
          {"addresses", a.addresses},
          {"capabilities", a.capabilities},
          {"first_seen", a.first_seen},
          {"last_seen", a.last_seen},
          {"health", a.health}};
}

boost::json::object run_json(const fleet::Run& r) {
  return {{"id", r.id},
          {"agent_id", r.agent_id},
          {"state", r.state},
          {"attempt", r.attempt},
          {"created_at", r.created_at},
          {"dispatched_at", opt(r.dispatched_at)},
          {"started_at", opt(r.started_at)},
          {"finished_at", opt(r.finished_at)},
          {"exit_code", opt(r.exit_code)},
          {"signal", opt(r.signal)},
          {"error", opt(r.error)},
          {"output_bytes", r.output_bytes},
          {"output_truncated", r.output_truncated},
          {"result", r.result}};
}

boost::json::object task_json(const fleet::Task& t) {
  boost::json::array runs;
  for (const auto& r : t.runs)
    runs.push_back(run_json(r));
  boost::json::object out{{"id", t.id},
                          {"space_id", t.space_id},
                          {"type", t.type},
                          {"mode", t.mode},
                          {"spec", t.spec},
                          {"created_by", t.created_by},
                          {"created_at", t.created_at},
                          {"runs", std::move(runs)}};
  if (t.idempotency_key)
    out["idempotency_key"] = *t.idempotency_key;
  return out;
}

std::string percent(double used, double total) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", total > 0 ? 100.0 * used / total : 0.0);
  return buf;
}

double num(const boost::json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (!v)
    return 0;
  return v->is_double() ? v->as_double() : v->is_int64() ? static_cast<double>(v->as_int64()) : 0;
}

Result<net::Response> create_join_token(Call& c) {
  RIS_TRY(auto access, space_access(c));
  boost::json::object body;
  if (!c.req.body.empty()) {
    RIS_TRY(body, json_body(c.req));
  }
  fleet::JoinTokenSpec spec;
  if (const auto* l = body.if_contains("labels"))
    spec.labels = fleet::labels_from_json(*l);
  if (const auto* t = body.if_contains("ttl_seconds"); t && t->is_int64())
    spec.ttl_seconds = t->as_int64();
  if (const auto* u = body.if_contains("uses"); u && u->is_int64())
    spec.max_uses = u->as_int64();
  RIS_TRY(auto token, c.ctx.agents->create_join_token(access, spec));
  c.target = token.id;
  c.audit_details = {{"labels", fleet::labels_to_json(spec.labels)},
                     {"ttl_seconds", spec.ttl_seconds},
                     {"uses", spec.max_uses}};
  return net::json_response(201, boost::json::object{{"id", token.id},
                                                     {"token", token.token},
                                                     {"expires_at", token.expires_at},
                                                     {"ca_hash", c.ctx.ca_sha256}});
}

Result<net::Response> list_agents(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto selector, fleet::parse_selector(c.req.query_param("selector")));
  RIS_TRY(auto agents, c.ctx.agents->list(access, selector));
  boost::json::array out;
  for (const auto& a : agents)
    out.push_back(agent_json(a));
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

Result<net::Response> get_agent(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto a, c.ctx.agents->get(access, c.req.params["agent"]));
  return net::json_response(200, agent_json(a));
}

Result<net::Response> update_agent(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["agent"];
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = body;
  const auto* labels = body.if_contains("labels");
  if (!labels || !labels->is_object())
    return fail(Errc::invalid_argument, "\"labels\" (an object of strings) is required");
  RIS_TRY(auto a, c.ctx.agents->set_labels(access, c.target, fleet::labels_from_json(*labels)));
  return net::json_response(200, agent_json(a));
}

Result<net::Response> revoke_agent(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["agent"];
  RIS_TRY_VOID(c.ctx.agents->revoke(access, c.target));
  c.ctx.gateway->disconnect(c.target, 4403, "this agent has been revoked");
  return no_content();
}

// Seed 000's /client/{id}/health shape, plus the raw latest sample and, on request, history.
Result<net::Response> agent_health(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto a, c.ctx.agents->get(access, c.req.params["agent"]));
  const auto& h = a.health;
  const std::string status = status_of(a);
  boost::json::object out{
      {"status", status == "online" ? "healthy" : status},
      {"last_seen", a.last_seen},
      {"system_load", num(h, "load_1m")},
      {"memory_usage", percent(num(h, "memory_used_bytes"), num(h, "memory_total_bytes"))},
      {"disk_usage", percent(num(h, "disk_used_bytes"), num(h, "disk_total_bytes"))},
      {"sample", h}};
  if (auto n = c.req.query_param("history"); !n.empty()) {
    RIS_TRY(auto history,
            c.ctx.agents->health_history(access, a.id, std::atoi(std::string(n).c_str())));
    out["history"] = std::move(history);
  }
  return net::json_response(200, out);
}

Result<net::Response> create_task(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = identity::mask_secrets(body);
  fleet::Submission how;
  if (auto key = c.req.header("idempotency-key"); !key.empty())
    how.idempotency_key = std::string(key);
  RIS_TRY(auto submitted, c.ctx.tasks->submit(access, body, how));
  const fleet::Task& task = submitted.task;
  c.target = task.id;
  // A retried submission answers 200 with the task the first one made (and says so).
  auto res = net::json_response(submitted.replayed ? 200 : 201, task_json(task));
  res.headers.emplace_back("Location", "/api/v1/spaces/" + access.space_id + "/tasks/" + task.id);
  if (submitted.replayed)
    res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

Result<net::Response> list_tasks(Call& c) {
  RIS_TRY(auto access, space_access(c));
  std::optional<std::string> agent;
  if (auto a = c.req.query_param("agent"); !a.empty())
    agent = std::string(a);
  int limit = 50;
  if (auto l = c.req.query_param("limit"); !l.empty())
    limit = std::atoi(std::string(l).c_str());
  RIS_TRY(auto tasks, c.ctx.tasks->list(access, agent, limit));
  const std::string state(c.req.query_param("state"));
  boost::json::array out;
  for (const auto& t : tasks) {
    if (!state.empty() &&
        std::none_of(t.runs.begin(), t.runs.end(), [&](const auto& r) { return r.state == state; }))
      continue;
    out.push_back(task_json(t));
  }
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

Result<net::Response> get_task(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto t, c.ctx.tasks->get(access, c.req.params["task"]));
  return net::json_response(200, task_json(t));
}

Result<net::Response> cancel_task(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["task"];
  RIS_TRY(auto t, c.ctx.tasks->cancel(access, c.target));
  return net::json_response(200, task_json(t));
}

Result<net::Response> run_output(Call& c) {
  RIS_TRY(auto access, space_access(c));
  int64_t after = 0;
  if (auto a = c.req.query_param("after"); !a.empty())
    after = std::atoll(std::string(a).c_str());
  RIS_TRY(auto chunks, c.ctx.tasks->output(access, c.req.params["run"], after));
  boost::json::array out;
  for (const auto& ch : chunks)
    out.push_back(boost::json::object{{"seq", ch.seq}, {"stream", ch.stream}, {"data", ch.data}});
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

}  // namespace

// Enrolment is authenticated by the join token alone (the agent has nothing else yet).
void handle_enrol(ApiContext& ctx, net::Request& req, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(req), reply = std::move(reply)] {
    auto run = [&]() -> Result<net::Response> {
      RIS_TRY(auto body, json_body(req));
      fleet::EnrolRequest er{string_field(body, "token"), string_field(body, "csr"),
                             string_field(body, "name"), string_field(body, "hostname")};
      auto enrolled = ctx.agents->enrol(er);
      identity::AuditEntry e;
      e.actor = enrolled ? "agent:" + enrolled->agent_id : "anonymous";
      e.source = req.remote_address;
      e.space_id = enrolled ? enrolled->space_id : "";
      e.action = "agent.enrol";
      e.target = enrolled ? enrolled->agent_id : "";
      e.outcome = enrolled ? "success" : "failure";
      e.details = {{"request_id", req.request_id}, {"hostname", er.hostname}};
      (void)ctx.audit.append(std::move(e));
      if (!enrolled)
        return fail(enrolled.error());
      return net::json_response(
          200, boost::json::object{{"agent_id", enrolled->agent_id},
                                   {"space_id", enrolled->space_id},
                                   {"certificate", enrolled->certificate_pem},
                                   {"task_public_key", ctx.gateway->task_public_key()}});
    };
    auto r = run();
    reply(r ? std::move(*r) : net::problem(r.error()));
  });
}

void register_fleet_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.agents)
    return;
  const std::string s = "/api/v1/spaces/{space}";
  router.add("POST", "/api/v1/agents/enrol", [&ctx](net::Request& req, net::Reply reply) {
    handle_enrol(ctx, req, std::move(reply));
  });
  router.add("POST", s + "/agents/join-tokens",
             endpoint(ctx, "agent.join_token.create", create_join_token));
  router.add("GET", s + "/agents", endpoint(ctx, "agent.list", list_agents));
  router.add("GET", s + "/agents/{agent}", endpoint(ctx, "agent.get", get_agent));
  router.add("PATCH", s + "/agents/{agent}", endpoint(ctx, "agent.update", update_agent));
  router.add("POST", s + "/agents/{agent}/revoke", endpoint(ctx, "agent.revoke", revoke_agent));
  router.add("GET", s + "/agents/{agent}/health", endpoint(ctx, "agent.health", agent_health));
  router.add("POST", s + "/tasks", endpoint(ctx, "task.create", create_task));
  router.add("GET", s + "/tasks", endpoint(ctx, "task.list", list_tasks));
  router.add("GET", s + "/tasks/{task}", endpoint(ctx, "task.get", get_task));
  router.add("POST", s + "/tasks/{task}/cancel", endpoint(ctx, "task.cancel", cancel_task));
  router.add("GET", s + "/runs/{run}/output", endpoint(ctx, "task.output", run_output));
  router.add_websocket(
      "/agent/v1",
      [&ctx](net::WsConnection& conn, const net::Request& upgrade) {
        return ctx.gateway->accept(conn, upgrade);
      },
      std::make_shared<net::AcceptRate>(static_cast<double>(ctx.config.agent_accept_rate)));
}

}  // namespace ris::api
