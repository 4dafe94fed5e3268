// Sign-in over the API: password (+ TOTP when enabled) login with throttling, refresh-token
// rotation, logout, and the JWKS document. Every outcome that matters for security is audited;
// no secret is.
#include "endpoint.hpp"

namespace ris::api {
namespace {

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

net::Response throttled(int64_t seconds) {
  auto p = net::problem(Error{
      Errc::rate_limited, "too many failed sign-ins; retry in " + std::to_string(seconds) + " s"});
  p.headers.emplace_back("Retry-After", std::to_string(seconds));
  return p;
}

}  // namespace

// Blocking work (argon2id, database) runs on the worker pool; the request is copied there.
void handle_login(ApiContext& ctx, net::Request& req, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(req), reply = std::move(reply)] {
    auto body = json_body(req);
    if (!body)
      return reply(net::problem(body.error()));
    const std::string login = string_field(*body, "login"),
                      password = string_field(*body, "password"),
                      totp = string_field(*body, "totp");
    if (login.empty() || password.empty())
      return reply(
          net::problem(Error{Errc::invalid_argument, "\"login\" and \"password\" are required"}));
    if (int64_t wait = ctx.throttle.retry_after(login, req.remote_address); wait > 0) {
      audit(ctx, req, "anonymous", "auth.login", "failure",
            {{"login", login}, {"reason", "throttled"}});
      return reply(throttled(wait));
    }
    auto account = ctx.accounts.authenticate(login, password);
    if (!account) {
      ctx.throttle.record_failure(login, req.remote_address);
      audit(ctx, req, "anonymous", "auth.login", "failure", {{"login", login}});
      return reply(net::problem(account.error()));
    }
    if (account->totp_enabled) {
      if (totp.empty())
        return reply(net::problem(
            401, "totp-required", "Two-factor code required",
            "send the code from your authenticator app (or a recovery code) as \"totp\""));
      if (auto ok = ctx.two_factor.check(account->id, totp); !ok) {
        ctx.throttle.record_failure(login, req.remote_address);
        audit(ctx, req, account->id, "auth.login", "failure", {{"reason", "bad second factor"}});
        return reply(net::problem(ok.error()));
      }
    }
    ctx.throttle.record_success(login);
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
    audit(ctx, req, "anonymous", "auth.refresh", "success");
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
    reply(no_content());
  });
}

void handle_jwks(ApiContext& ctx, net::Request&, net::Reply reply) {
  reply(net::json_response(200, ctx.sessions.jwks()));
}

}  // namespace ris::api
