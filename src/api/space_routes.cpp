// Spaces over the API: create, read, change, delete, hand over, browse public ones, join, leave;
// and the space's API tokens. Handlers parse and answer; src/identity decides.
#include <boost/json/array.hpp>

#include "endpoint.hpp"
#include "ris/identity/api_tokens.hpp"
#include "ris/identity/spaces.hpp"

namespace ris::api {
namespace {

boost::json::object space_json(const identity::Space& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"description", s.description},
          {"public", s.is_public},
          {"owner_id", s.owner_id},
          {"member_count", s.member_count},
          {"created_at", s.created_at}};
}

boost::json::array names_json(identity::Permissions p) {
  boost::json::array out;
  for (auto& n : identity::permission_names(p))
    out.emplace_back(n);
  return out;
}

boost::json::object token_json(const identity::ApiToken& t) {
  auto opt = [](const std::optional<std::string>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
  };
  return {{"id", t.id},
          {"space_id", t.space_id},
          {"account_id", t.account_id},
          {"name", t.name},
          {"permissions", names_json(t.permissions)},
          {"created_at", t.created_at},
          {"expires_at", opt(t.expires_at)},
          {"last_used_at", opt(t.last_used_at)},
          {"revoked_at", opt(t.revoked_at)}};
}

template <typename T, typename F>
boost::json::object items(const std::vector<T>& list, F to_json) {
  boost::json::array a;
  for (const auto& e : list)
    a.push_back(to_json(e));
  return {{"items", std::move(a)}};
}

Result<net::Response> list_spaces(Call& c) {
  if (c.req.query_param("public") == "true") {
    int limit = 50;
    if (auto l = c.req.query_param("limit"); !l.empty())
      limit = std::atoi(std::string(l).c_str());
    RIS_TRY(auto found, c.ctx.spaces.browse(c.req.query_param("q"), limit));
    return net::json_response(200, items(found, space_json));
  }
  if (c.caller.token) {  // a token sees its one space
    RIS_TRY(auto access, identity::load_access(c.ctx.store, c.caller.token->space_id, c.caller));
    RIS_TRY(auto s, c.ctx.spaces.get(access));
    return net::json_response(200, items(std::vector{s}, space_json));
  }
  RIS_TRY(auto mine, c.ctx.spaces.of_account(c.caller.account_id));
  return net::json_response(200, items(mine, space_json));
}

Result<net::Response> create_space(Call& c) {
  RIS_TRY(auto body, json_body(c.req));
  RIS_TRY(auto s, c.ctx.spaces.create(c.caller, string_field(body, "name"),
                                      string_field(body, "description"),
                                      bool_field(body, "public").value_or(false)));
  c.space_id = c.target = s.id;
  c.audit_details = {{"name", s.name}, {"public", s.is_public}};
  auto res = net::json_response(201, space_json(s));
  res.headers.emplace_back("Location", "/api/v1/spaces/" + s.id);
  return res;
}

Result<net::Response> get_space(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto s, c.ctx.spaces.get(access));
  auto out = space_json(s);
  out["member"] = access.is_member;
  out["permissions"] = names_json(access.permissions);
  return net::json_response(200, out);
}

Result<net::Response> update_space(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.space_id;
  RIS_TRY(auto body, json_body(c.req));
  identity::SpaceChanges changes;
  if (body.contains("name"))
    changes.name = string_field(body, "name");
  if (body.contains("description"))
    changes.description = string_field(body, "description");
  changes.is_public = bool_field(body, "public");
  c.audit_details = body;
  RIS_TRY(auto s, c.ctx.spaces.update(access, changes));
  return net::json_response(200, space_json(s));
}

Result<net::Response> delete_space(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.space_id;
  RIS_TRY_VOID(c.ctx.spaces.remove(access));
  return no_content();
}

Result<net::Response> transfer_space(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = string_field(body, "owner_id");
  RIS_TRY_VOID(c.ctx.spaces.transfer(access, c.target));
  return no_content();
}

Result<net::Response> join_space(Call& c) {
  c.space_id = c.target = c.req.params["space"];
  RIS_TRY_VOID(c.ctx.spaces.join(c.caller, c.space_id));
  return no_content();
}

Result<net::Response> leave_space(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.caller.account_id;
  RIS_TRY_VOID(c.ctx.spaces.leave(access));
  return no_content();
}

Result<net::Response> list_tokens(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto tokens, c.ctx.api_tokens.list(access));
  return net::json_response(200, items(tokens, token_json));
}

Result<net::Response> create_token(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  std::vector<std::string> names;
  if (auto* p = body.if_contains("permissions"); p && p->is_array())
    for (const auto& v : p->as_array())
      if (v.is_string())
        names.emplace_back(v.as_string());
  RIS_TRY(auto perms, identity::parse_permissions(names));
  int64_t ttl = 0;
  if (auto* t = body.if_contains("ttl_seconds"); t && t->is_int64())
    ttl = t->as_int64();
  RIS_TRY(auto created, c.ctx.api_tokens.create(access, string_field(body, "name"), perms, ttl));
  c.target = created.token.id;
  c.audit_details = {
      {"name", created.token.name}, {"permissions", names_json(perms)}, {"ttl_seconds", ttl}};
  auto out = token_json(created.token);
  out["token"] = created.secret;
  return net::json_response(201, out);
}

Result<net::Response> revoke_token(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["token"];
  RIS_TRY_VOID(c.ctx.api_tokens.revoke(access, c.target));
  return no_content();
}

}  // namespace

void register_space_routes(net::Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/spaces", endpoint(ctx, "space.list", list_spaces));
  router.add("POST", "/api/v1/spaces", endpoint(ctx, "space.create", create_space));
  router.add("GET", "/api/v1/spaces/{space}", endpoint(ctx, "space.get", get_space));
  router.add("PATCH", "/api/v1/spaces/{space}", endpoint(ctx, "space.update", update_space));
  router.add("DELETE", "/api/v1/spaces/{space}", endpoint(ctx, "space.delete", delete_space));
  router.add("POST", "/api/v1/spaces/{space}/transfer",
             endpoint(ctx, "space.transfer", transfer_space));
  router.add("POST", "/api/v1/spaces/{space}/join", endpoint(ctx, "space.join", join_space));
  router.add("POST", "/api/v1/spaces/{space}/leave", endpoint(ctx, "space.leave", leave_space));
  router.add("GET", "/api/v1/spaces/{space}/tokens", endpoint(ctx, "token.list", list_tokens));
  router.add("POST", "/api/v1/spaces/{space}/tokens", endpoint(ctx, "token.create", create_token));
  router.add("DELETE", "/api/v1/spaces/{space}/tokens/{token}",
             endpoint(ctx, "token.revoke", revoke_token));
}

}  // namespace ris::api
