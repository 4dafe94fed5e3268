// Sign-in over the API: password login, refresh-token rotation, logout, the JWKS document and
// the caller's own account. Every outcome that matters for security is audited; no secret is.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "handlers.hpp"

namespace ris::api {
namespace {

// The request body as a JSON object, or a problem to answer with.
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

boost::json::object account_json(const identity::Account& a) {
  boost::json::array roles;
  for (const auto& r : a.app_roles)
    roles.emplace_back(r);
  return {{"id", a.id},
          {"email", a.email},
          {"username", a.username},
          {"display_name", a.display_name},
          {"app_roles", roles},
          {"created_at", a.created_at}};
}

boost::json::object tokens_json(const identity::TokenPair& p) {
  return {{"access_token", p.access_token},
          {"token_type", "Bearer"},
          {"expires_in", p.expires_in},
          {"refresh_token", p.refresh_token},
          {"refresh_expires_in", p.refresh_expires_in}};
}

void audit(ApiContext& ctx, const net::Request& req, std::string actor, std::string action,
           std::string outcome, boost::json::object details = {}) {
  identity::AuditEntry e;
  e.actor = std::move(actor);
  e.source = req.remote_address;
  e.action = std::move(action);
  e.target = e.actor;
  e.outcome = std::move(outcome);
  details["request_id"] = req.request_id;
  e.details = std::move(details);
  (void)ctx.audit.append(
      std::move(e));  // an audit failure must not hide the answer; logged by the store
}

}  // namespace

// Blocking work (argon2id, database) runs on the worker pool; the request is copied there.
void handle_login(ApiContext& ctx, net::Request& req, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(req), reply = std::move(reply)] {
    auto body = json_body(req);
    if (!body)
      return reply(net::problem(body.error()));
    const std::string login = string_field(*body, "login"),
                      password = string_field(*body, "password");
    if (login.empty() || password.empty())
      return reply(
          net::problem(Error{Errc::invalid_argument, "\"login\" and \"password\" are required"}));
    auto account = ctx.accounts.authenticate(login, password);
    if (!account) {
      audit(ctx, req, "anonymous", "auth.login", "failure", {{"login", login}});
      return reply(net::problem(account.error()));
    }
    auto tokens = ctx.sessions.issue(*account);
    if (!tokens)
      return reply(net::problem(tokens.error()));
    audit(ctx, req, account->id, "auth.login", "success");
    auto out = tokens_json(*tokens);
    out["account"] = account_json(*account);
    reply(net::json_response(200, out));
  });
}

void handle_refresh(ApiContext& ctx, net::Request& req, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(req), reply = std::move(reply)] {
    auto body = json_body(req);
    if (!body)
      return reply(net::problem(body.error()));
    auto tokens = ctx.sessions.refresh(string_field(*body, "refresh_token"));
    if (!tokens) {
      audit(ctx, req, "anonymous", "auth.refresh", "failure", {{"reason", tokens.error().message}});
      return reply(net::problem(tokens.error()));
    }
    reply(net::json_response(200, tokens_json(*tokens)));
  });
}

void handle_logout(ApiContext& ctx, net::Request& req, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(req), reply = std::move(reply)] {
    auto body = json_body(req);
    if (!body)
      return reply(net::problem(body.error()));
    auto r = ctx.sessions.logout(string_field(*body, "refresh_token"));
    if (!r)
      return reply(net::problem(r.error()));
    audit(ctx, req, "anonymous", "auth.logout", "success");
    net::Response res;
    res.status = 204;
    reply(std::move(res));
  });
}

void handle_jwks(ApiContext& ctx, net::Request&, net::Reply reply) {
  reply(net::json_response(200, ctx.sessions.jwks()));
}

void handle_me(ApiContext& ctx, net::Request& req, net::Reply reply) {
  const std::string_view auth = req.header("authorization");
  if (!auth.starts_with("Bearer ")) {
    auto p =
        net::problem(Error{Errc::unauthenticated, "send Authorization: Bearer <access token>"});
    p.headers.emplace_back("WWW-Authenticate", "Bearer");
    return reply(std::move(p));
  }
  auto claims = ctx.sessions.verify(auth.substr(7));
  if (!claims) {
    auto p = net::problem(claims.error());
    p.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return reply(std::move(p));
  }
  ctx.blocking.post([&ctx, id = claims->account_id, reply = std::move(reply)] {
    auto account = ctx.accounts.find(id);
    reply(account ? net::json_response(200, account_json(*account))
                  : net::problem(account.error()));
  });
}

}  // namespace ris::api
