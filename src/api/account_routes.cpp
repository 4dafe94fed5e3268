// The caller's own account: sign-up, profile, password, email, deletion, two-factor sign-in.
// Changing the password or email, and deleting, need the current password.
#include "endpoint.hpp"
#include "ris/identity/invitations.hpp"

namespace ris::api {
namespace {

// An API token acts inside its space; it never changes the account that made it.
Result<void> person_only(const Call& c) {
  if (c.caller.token)
    return fail(Errc::forbidden, "API tokens cannot change accounts; sign in as a person");
  return {};
}

Result<net::Response> get_me(Call& c) {
  RIS_TRY(auto a, c.ctx.accounts.find(c.caller.account_id));
  return net::json_response(200, account_json(a));
}

Result<net::Response> update_me(Call& c) {
  RIS_TRY_VOID(person_only(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.caller.account_id;
  identity::ProfileChanges ch;
  auto opt = [&](const char* name) -> std::optional<std::string> {
    return body.contains(name) ? std::optional(string_field(body, name)) : std::nullopt;
  };
  ch.username = opt("username");
  ch.display_name = opt("display_name");
  ch.first_name = opt("first_name");
  ch.last_name = opt("last_name");
  c.audit_details = body;
  RIS_TRY(auto a, c.ctx.accounts.update_profile(c.caller.account_id, ch));
  return net::json_response(200, account_json(a));
}

Result<net::Response> change_password(Call& c) {
  RIS_TRY_VOID(person_only(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.caller.account_id;
  RIS_TRY_VOID(c.ctx.accounts.change_password(c.caller.account_id,
                                              string_field(body, "current_password"),
                                              string_field(body, "new_password")));
  // Every other sign-in ends: whoever knew the old password is out.
  RIS_TRY_VOID(c.ctx.sessions.revoke_all(c.caller.account_id));
  return no_content();
}

Result<net::Response> change_email(Call& c) {
  RIS_TRY_VOID(person_only(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.caller.account_id;
  c.audit_details = {{"email", string_field(body, "email")}};
  RIS_TRY(auto a, c.ctx.accounts.change_email(c.caller.account_id, string_field(body, "password"),
                                              string_field(body, "email")));
  return net::json_response(200, account_json(a));
}

Result<net::Response> delete_me(Call& c) {
  RIS_TRY_VOID(person_only(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.caller.account_id;
  RIS_TRY_VOID(c.ctx.accounts.remove(c.caller.account_id, string_field(body, "password")));
  return no_content();
}

Result<net::Response> totp_begin(Call& c) {
  RIS_TRY_VOID(person_only(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.caller.account_id;
  RIS_TRY(auto e, c.ctx.two_factor.begin(c.caller.account_id, string_field(body, "password")));
  return net::json_response(200, boost::json::object{{"secret", e.secret}, {"otpauth_uri", e.uri}});
}

Result<net::Response> totp_confirm(Call& c) {
  RIS_TRY_VOID(person_only(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.caller.account_id;
  RIS_TRY(auto codes, c.ctx.two_factor.confirm(c.caller.account_id, string_field(body, "code")));
  boost::json::array list;
  for (auto& code : codes)
    list.emplace_back(code);
  return net::json_response(200, boost::json::object{{"recovery_codes", std::move(list)}});
}

Result<net::Response> totp_disable(Call& c) {
  RIS_TRY_VOID(person_only(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.caller.account_id;
  RIS_TRY_VOID(c.ctx.two_factor.disable(c.caller.account_id, string_field(body, "password"),
                                        string_field(body, "code")));
  return no_content();
}

}  // namespace

// Sign-up is the one account call without a caller; it honours the instance's signup mode.
void handle_signup(ApiContext& ctx, net::Request& req, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(req), reply = std::move(reply)] {
    auto run = [&]() -> Result<net::Response> {
      RIS_TRY(auto body, json_body(req));
      const std::string invite = string_field(body, "invite");
      if (ctx.config.signup == "closed")
        return fail(Errc::forbidden,
                    "sign-up is closed on this instance; ask an administrator for an account");
      if (ctx.config.signup == "invite" && invite.empty())
        return fail(Errc::forbidden,
                    "sign-up needs an invitation code (\"invite\") on this instance");
      if (!invite.empty())
        RIS_TRY_VOID(ctx.invitations.peek(invite));
      RIS_TRY(auto a, ctx.accounts.create({string_field(body, "email"),
                                           string_field(body, "username"),
                                           string_field(body, "password"),
                                           string_field(body, "display_name"),
                                           {}}));
      if (!invite.empty()) {
        RIS_TRY(auto joined, ctx.invitations.accept(a.id, invite));
        (void)joined;
      }
      identity::AuditEntry e;
      e.actor = a.id;
      e.source = req.remote_address;
      e.action = "account.signup";
      e.target = a.id;
      e.details = {{"request_id", req.request_id}, {"username", a.username}};
      (void)ctx.audit.append(std::move(e));
      auto res = net::json_response(201, account_json(a));
      res.headers.emplace_back("Location", "/api/v1/me");
      return res;
    };
    auto r = run();
    reply(r ? std::move(*r) : net::problem(r.error()));
  });
}

void register_account_routes(net::Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/accounts", [&ctx](net::Request& req, net::Reply reply) {
    handle_signup(ctx, req, std::move(reply));
  });
  router.add("GET", "/api/v1/me", endpoint(ctx, "account.get", get_me));
  router.add("PATCH", "/api/v1/me", endpoint(ctx, "account.update", update_me));
  router.add("DELETE", "/api/v1/me", endpoint(ctx, "account.delete", delete_me));
  router.add("POST", "/api/v1/me/password", endpoint(ctx, "account.password", change_password));
  router.add("POST", "/api/v1/me/email", endpoint(ctx, "account.email", change_email));
  router.add("POST", "/api/v1/me/2fa/totp", endpoint(ctx, "account.2fa.begin", totp_begin));
  router.add("POST", "/api/v1/me/2fa/totp/confirm",
             endpoint(ctx, "account.2fa.enable", totp_confirm));
  router.add("POST", "/api/v1/me/2fa/totp/disable",
             endpoint(ctx, "account.2fa.disable", totp_disable));
}

}  // namespace ris::api
