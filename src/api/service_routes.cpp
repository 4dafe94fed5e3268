// Docker services over the API: specs with versions, scale/stop/start/restart, rollback,
// history, logs (a docker task on the service's agents), and image archives — uploaded here,
// fetched by agents over mutual TLS. Handlers parse and answer; src/services decides.
#include <boost/json/parse.hpp>

#include "endpoint.hpp"
#include "ris/services/services.hpp"

namespace ris::api {
namespace {
namespace json = boost::json;

json::object service_json(const services::Service& s) {
  json::object rollout{{"state", s.rollout_state}};
  if (s.rollout_error)
    rollout["error"] = *s.rollout_error;
  int64_t running = 0;
  for (const auto& a : s.agents)
    if (const auto* reps = a.as_object().if_contains("replicas"); reps && reps->is_array())
      for (const auto& r : reps->as_array())
        if (r.is_object() && r.as_object().contains("state") &&
            r.as_object().at("state") == "running" && r.as_object().contains("hash") &&
            r.as_object().at("hash") == json::value(s.hash))
          ++running;
  return {{"id", s.id},
          {"space_id", s.space_id},
          {"name", s.name},
          {"version", s.version},
          {"state", s.desired_state},
          {"replicas", s.replicas},
          {"running", running},
          {"desired", s.replicas * static_cast<int64_t>(s.agents.size())},
          {"hash", s.hash},
          {"rollout", std::move(rollout)},
          {"spec", services::to_json(s.spec, false)},
          {"agents", s.agents},
          {"created_by", s.created_by},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at}};
}

Result<net::Response> answer(Call& c, const services::Service& s, int status = 200) {
  c.target = s.id;
  return net::json_response(status, service_json(s));
}

Result<net::Response> create_service(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  RIS_TRY(auto s, c.ctx.services->create(access, body));
  c.audit_details = {{"name", s.name}, {"spec", services::to_json(s.spec, false)}};
  return answer(c, s, 201);
}

Result<net::Response> list_services(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list, c.ctx.services->list(access));
  json::array out;
  for (const auto& s : list)
    out.push_back(service_json(s));
  return net::json_response(200, json::object{{"items", std::move(out)}});
}

Result<net::Response> get_service(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto s, c.ctx.services->get(access, c.req.params["service"]));
  return net::json_response(200, service_json(s));
}

Result<net::Response> update_service(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  RIS_TRY(auto s, c.ctx.services->update(access, c.req.params["service"], body));
  c.audit_details = {{"version", s.version}, {"spec", services::to_json(s.spec, false)}};
  return answer(c, s);
}

Result<net::Response> scale_service(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  const auto* n = body.if_contains("replicas");
  if (!n || !n->is_int64())
    return fail(Errc::invalid_argument, "\"replicas\" (an integer) is required");
  RIS_TRY(auto s, c.ctx.services->scale(access, c.req.params["service"], n->as_int64()));
  c.audit_details = {{"replicas", n->as_int64()}};
  return answer(c, s);
}

template <const char* Action>
Result<net::Response> service_action(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto s, c.ctx.services->set_state(access, c.req.params["service"], Action));
  return answer(c, s);
}
constexpr char kStop[] = "stop";
constexpr char kStart[] = "start";
constexpr char kRestart[] = "restart";

Result<net::Response> rollback_service(Call& c) {
  RIS_TRY(auto access, space_access(c));
  std::optional<int64_t> version;
  if (!c.req.body.empty()) {
    RIS_TRY(auto body, json_body(c.req));
    if (const auto* v = body.if_contains("version")) {
      if (!v->is_int64())
        return fail(Errc::invalid_argument, "\"version\" must be an integer");
      version = v->as_int64();
    }
  }
  RIS_TRY(auto s, c.ctx.services->rollback(access, c.req.params["service"], version));
  c.audit_details = {{"version", s.version}};
  return answer(c, s);
}

Result<net::Response> delete_service(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["service"];
  RIS_TRY_VOID(c.ctx.services->remove(access, c.target));
  return no_content();
}

Result<net::Response> service_history(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto versions, c.ctx.services->history(access, c.req.params["service"]));
  json::array out;
  for (const auto& v : versions)
    out.push_back(json::object{{"version", v.version},
                               {"created_by", v.created_by},
                               {"created_at", v.created_at},
                               {"reason", v.reason},
                               {"spec", v.spec}});
  return net::json_response(200, json::object{{"items", std::move(out)}});
}

// Logs of every replica: a docker task on the service's agents, followed like any task.
Result<net::Response> service_logs(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto s, c.ctx.services->get(access, c.req.params["service"]));
  json::object body;
  if (!c.req.body.empty()) {
    RIS_TRY(body, json_body(c.req));
  }
  json::object params{{"action", "service_logs"}, {"service_id", s.id}};
  if (const auto* t = body.if_contains("tail"); t && t->is_int64())
    params["tail"] = t->as_int64();
  if (const auto* f = body.if_contains("follow"); f && f->is_bool())
    params["follow"] = f->as_bool();
  json::array agents;
  for (const auto& a : s.agents)
    agents.push_back(a.as_object().at("agent_id"));
  if (agents.empty())
    return fail(Errc::conflict, "service \"" + s.name + "\" targets no agent");
  json::object task{{"type", "docker"},
                    {"parameters", std::move(params)},
                    {"target", json::object{{"agents", std::move(agents)}}},
                    {"timeout_seconds", body.contains("follow") ? 3600 : 60}};
  RIS_TRY(auto t, c.ctx.tasks->create(access, task, identity::kViewAgents));
  c.target = s.id;
  return net::json_response(202, json::object{{"task_id", t.id}});
}

json::object archive_json(const services::ImageArchiveInfo& a) {
  return {{"id", a.id},
          {"image", a.image},
          {"format", a.format},
          {"sha256", a.sha256},
          {"size", a.size},
          {"created_by", a.created_by},
          {"created_at", a.created_at}};
}

Result<net::Response> upload_archive(Call& c) {
  RIS_TRY(auto access, space_access(c));
  std::string format(c.req.query_param("format"));
  if (format.empty())
    format = "image";
  RIS_TRY(auto a, c.ctx.services->add_archive(access, std::string(c.req.query_param("image")),
                                              format, c.req.body));
  c.target = a.id;
  c.audit_details = {{"image", a.image}, {"sha256", a.sha256}, {"size", a.size}};
  return net::json_response(201, archive_json(a));
}

Result<net::Response> list_archives(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list, c.ctx.services->archives(access));
  json::array out;
  for (const auto& a : list)
    out.push_back(archive_json(a));
  return net::json_response(200, json::object{{"items", std::move(out)}});
}

Result<net::Response> delete_archive(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["archive"];
  RIS_TRY_VOID(c.ctx.services->remove_archive(access, c.target));
  return no_content();
}
}  // namespace

void register_service_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.services)
    return;
  const std::string s = "/api/v1/spaces/{space}/services";
  router.add("POST", s, endpoint(ctx, "service.create", create_service));
  router.add("GET", s, endpoint(ctx, "service.list", list_services));
  router.add("GET", s + "/{service}", endpoint(ctx, "service.get", get_service));
  router.add("PUT", s + "/{service}", endpoint(ctx, "service.update", update_service));
  router.add("DELETE", s + "/{service}", endpoint(ctx, "service.delete", delete_service));
  router.add("POST", s + "/{service}/scale", endpoint(ctx, "service.scale", scale_service));
  router.add("POST", s + "/{service}/stop", endpoint(ctx, "service.stop", service_action<kStop>));
  router.add("POST", s + "/{service}/start",
             endpoint(ctx, "service.start", service_action<kStart>));
  router.add("POST", s + "/{service}/restart",
             endpoint(ctx, "service.restart", service_action<kRestart>));
  router.add("POST", s + "/{service}/rollback",
             endpoint(ctx, "service.rollback", rollback_service));
  router.add("GET", s + "/{service}/history", endpoint(ctx, "service.history", service_history));
  router.add("POST", s + "/{service}/logs", endpoint(ctx, "service.logs", service_logs));
  const std::string i = "/api/v1/spaces/{space}/images";
  router.add_upload("POST", i, endpoint(ctx, "image.upload", upload_archive));
  router.add("GET", i, endpoint(ctx, "image.list", list_archives));
  router.add("DELETE", i + "/{archive}", endpoint(ctx, "image.delete", delete_archive));
  // Agents fetch archives with their client certificate (its CN is the agent id).
  router.add("GET", "/agent/v1/images/{archive}", [&ctx](net::Request& req, net::Reply reply) {
    ctx.blocking.post([&ctx, req = std::move(req), reply = std::move(reply)]() mutable {
      if (req.peer_identity.empty())
        return reply(net::problem(401, "unauthenticated", "Client certificate required",
                                  "image archives are served to enrolled agents only"));
      auto bytes = ctx.services->archive_for_agent(req.peer_identity, req.params["archive"]);
      if (!bytes)
        return reply(net::problem(bytes.error()));
      net::Response r;
      r.body = std::move(bytes->first);
      r.content_type = std::move(bytes->second);
      reply(std::move(r));
    });
  });
}

}  // namespace ris::api
