#include "endpoint.hpp"

#include "ris/fleet/agents.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <charconv>

namespace ris::api {

Result<identity::Principal> authenticate(ApiContext& ctx, const net::Request& req) {
  const std::string_view auth = req.header("authorization");
  if (!auth.starts_with("Bearer "))
    return fail(Errc::unauthenticated, "send Authorization: Bearer <access token or API token>");
  const std::string_view credential = auth.substr(7);
  if (identity::ApiTokens::looks_like_token(credential))
    return ctx.api_tokens.authenticate(credential);
  RIS_TRY(auto claims, ctx.sessions.verify(credential));
  identity::Principal p;
  p.account_id = std::move(claims.account_id);
  p.app_roles = std::move(claims.app_roles);
  return p;
}

net::Response unauthenticated_problem(const net::Request& req, const Error& e) {
  auto p = net::problem(e);
  // RFC 6750 §3: no error code when no credential was sent at all.
  p.headers.emplace_back("WWW-Authenticate", req.header("authorization").empty()
                                                 ? "Bearer"
                                                 : "Bearer error=\"invalid_token\"");
  return p;
}

namespace {

std::string outcome_of(const Result<net::Response>& r) {
  if (r)
    return "success";
  return r.error().code == Errc::forbidden ? "denied" : "failure";
}

}  // namespace

namespace {

// The audit entry of a finished call: every mutating one, and every refusal.
void audit(ApiContext& ctx, const std::string& action, Call& call,
           const Result<net::Response>& result, Audit policy) {
  const auto& req = call.req;
  const bool mutating = req.method != "GET" && req.method != "HEAD";
  const bool refused = !result && result.error().code == Errc::forbidden;
  if (!refused && (!mutating || policy == Audit::refusals))
    return;
  identity::AuditEntry e;
  e.actor = call.caller.account_id;
  e.source = req.remote_address;
  e.space_id = call.space_id;
  e.action = action;
  e.target = call.target;
  e.outcome = outcome_of(result);
  e.details = std::move(call.audit_details);
  e.details["request_id"] = req.request_id;
  if (call.caller.token)
    e.details["api_token"] = call.caller.token->id;
  if (!result)
    e.details["error"] = result.error().message;
  (void)ctx.audit.append(std::move(e));  // a failed append is logged by the store
}

}  // namespace

net::Handler endpoint(ApiContext& ctx, std::string action, Work work, Audit policy) {
  return [&ctx, action = std::move(action), work, policy](net::Request& req, net::Reply reply) {
    ctx.blocking.post(
        [&ctx, action, work, policy, req = std::move(req), reply = std::move(reply)]() mutable {
          auto principal = authenticate(ctx, req);
          if (!principal)
            return reply(unauthenticated_problem(req, principal.error()));
          Call call{ctx, req, std::move(*principal), {}, {}, {}};
          auto result = work(call);
          audit(ctx, action, call, result, policy);
          reply(result ? std::move(*result) : net::problem(result.error()));
        });
  };
}

net::Handler endpoint_later(ApiContext& ctx, std::string action, LaterWork work, Audit policy) {
  return [&ctx, action = std::move(action), work, policy](net::Request& req, net::Reply reply) {
    ctx.blocking.post(
        [&ctx, action, work, policy, req = std::move(req), reply = std::move(reply)]() mutable {
          auto principal = authenticate(ctx, req);
          if (!principal)
            return reply(unauthenticated_problem(req, principal.error()));
          // The call outlives this job: it holds its request.
          struct Held {
            net::Request req;
            Call call;
            Held(ApiContext& c, net::Request r, identity::Principal p)
                : req(std::move(r)), call{c, req, std::move(p), {}, {}, {}} {}
          };
          auto held = std::make_shared<Held>(ctx, std::move(req), std::move(*principal));
          auto call = std::shared_ptr<Call>(held, &held->call);
          work(call, [&ctx, action, call, reply, policy](Result<net::Response> result) {
            audit(ctx, action, *call, result, policy);
            reply(result ? std::move(*result) : net::problem(result.error()));
          });
        });
  };
}

Result<std::string> agent_space(ApiContext& ctx, const net::Request& req) {
  if (req.peer_identity.empty())
    return fail(Errc::unauthenticated, "agents call this with their client certificate");
  if (!ctx.agents)
    return fail(Errc::unavailable, "the fleet is not served here");
  auto agent = ctx.agents->find(req.peer_identity);
  if (!agent && agent.error().code == Errc::not_found)
    return fail(Errc::unauthenticated, "no enrolled agent has this certificate");
  if (!agent)
    return fail(agent.error());
  if (agent->revoked)
    return fail(Errc::forbidden, "this agent was revoked");
  return agent->space_id;
}

Result<std::optional<int64_t>> int_param(const net::Request& req, std::string_view name, int64_t lo,
                                         int64_t hi) {
  const std::string_view text = req.query_param(name);
  if (text.empty())
    return std::optional<int64_t>();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    return fail(Errc::invalid_argument,
                fmt::format("{} must be a whole number from {} to {}", name, lo, hi));
  return std::optional<int64_t>(v);
}

Result<boost::json::object> json_body(const net::Request& req) {
  boost::json::error_code ec;
  auto v = boost::json::parse(req.body, ec);
  if (ec || !v.is_object())
    return fail(Errc::invalid_argument, "the body must be a JSON object");
  return std::move(v.as_object());
}

std::string string_field(const boost::json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<bool> bool_field(const boost::json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (v && v->is_bool())
    return v->as_bool();
  return std::nullopt;
}

net::Response no_content() {
  net::Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

boost::json::object account_json(const identity::Account& a) {
  boost::json::array roles;
  for (const auto& r : a.app_roles)
    roles.emplace_back(r);
  return {{"id", a.id},
          {"email", a.email},
          {"username", a.username},
          {"display_name", a.display_name},
          {"first_name", a.first_name},
          {"last_name", a.last_name},
          {"totp_enabled", a.totp_enabled},
          {"app_roles", roles},
          {"created_at", a.created_at}};
}

Result<identity::SpaceAccess> space_access(Call& call) {
  call.space_id = call.req.params["space"];
  return identity::load_access(call.ctx.store, call.space_id, call.caller);
}

}  // namespace ris::api
