// Instance administration by application-wide roles: list accounts (UserModerator), set an
// account's application roles (ApplicationAdministrator), delete any space (ServerModerator),
// rotate the token signing key (ApplicationAdministrator). Tokens never carry these powers.
#include <algorithm>

#include "endpoint.hpp"

namespace ris::api {
namespace {

Result<void> need_role(const Call& c, std::initializer_list<std::string_view> roles) {
  if (!c.caller.token)
    for (auto r : roles)
      if (c.caller.has_app_role(r))
        return {};
  return fail(Errc::forbidden,
              "this needs an application-wide role: " + std::string(*roles.begin()));
}

Result<net::Response> list_accounts(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kUserModerator, identity::kApplicationAdministrator}));
  int limit = 100;
  if (auto l = c.req.query_param("limit"); !l.empty())
    limit = std::atoi(std::string(l).c_str());
  RIS_TRY(auto list, c.ctx.accounts.search(c.req.query_param("q"), limit));
  boost::json::array out;
  for (const auto& a : list)
    out.push_back(account_json(a));
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

Result<net::Response> set_app_roles(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kApplicationAdministrator}));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.req.params["account"];
  c.audit_details = body;
  std::vector<std::string> roles;
  if (auto* r = body.if_contains("app_roles"); r && r->is_array())
    for (const auto& v : r->as_array())
      if (v.is_string())
        roles.emplace_back(v.as_string());
  if (c.target == c.caller.account_id &&
      std::find(roles.begin(), roles.end(), identity::kApplicationAdministrator) == roles.end())
    return fail(Errc::conflict, "you cannot remove your own ApplicationAdministrator role");
  RIS_TRY(auto a, c.ctx.accounts.set_app_roles(c.target, roles));
  return net::json_response(200, account_json(a));
}

Result<net::Response> delete_any_space(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kServerModerator, identity::kApplicationAdministrator}));
  c.space_id = c.target = c.req.params["space"];
  RIS_TRY_VOID(c.ctx.spaces.remove_any(c.target));
  return no_content();
}

Result<net::Response> rotate_jwt_key(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kApplicationAdministrator}));
  RIS_TRY_VOID(c.ctx.sessions.rotate_keys());
  return net::json_response(200, c.ctx.sessions.jwks());
}

}  // namespace

void register_admin_routes(net::Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/admin/accounts", endpoint(ctx, "admin.account.list", list_accounts));
  router.add("PUT", "/api/v1/admin/accounts/{account}/app_roles",
             endpoint(ctx, "admin.account.app_roles", set_app_roles));
  router.add("DELETE", "/api/v1/admin/spaces/{space}",
             endpoint(ctx, "admin.space.delete", delete_any_space));
  router.add("POST", "/api/v1/admin/jwt/rotate", endpoint(ctx, "admin.jwt.rotate", rotate_jwt_key));
}

}  // namespace ris::api
