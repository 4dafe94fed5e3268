// Roles and permission overwrites of a space over the API; permissions travel as names
// ("RUN_TASKS"), never as bit numbers.
#include "endpoint.hpp"
#include "ris/identity/roles.hpp"

namespace ris::api {
namespace {

boost::json::array names_json(identity::Permissions p) {
  boost::json::array out;
  for (auto& n : identity::permission_names(p))
    out.emplace_back(n);
  return out;
}

Result<std::optional<identity::Permissions>> permissions_field(const boost::json::object& o,
                                                               std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v)
    return std::optional<identity::Permissions>{};
  if (!v->is_array())
    return fail(Errc::invalid_argument,
                "\"" + std::string(name) + "\" must be an array of permission names");
  std::vector<std::string> names;
  for (const auto& e : v->as_array()) {
    if (!e.is_string())
      return fail(Errc::invalid_argument,
                  "\"" + std::string(name) + "\" must be an array of permission names");
    names.emplace_back(e.as_string());
  }
  RIS_TRY(auto p, identity::parse_permissions(names));
  return std::optional(p);
}

boost::json::object role_json(const identity::RoleView& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"color", r.color},
          {"position", r.position},
          {"permissions", names_json(r.permissions)},
          {"everyone", r.is_everyone}};
}

boost::json::object roles_json(const std::vector<identity::RoleView>& roles) {
  boost::json::array out;
  for (const auto& r : roles)
    out.push_back(role_json(r));
  return {{"items", std::move(out)}};
}

Result<net::Response> list_roles(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto roles, c.ctx.roles.list(access));
  return net::json_response(200, roles_json(roles));
}

Result<net::Response> create_role(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = body;
  RIS_TRY(auto perms, permissions_field(body, "permissions"));
  RIS_TRY(auto role, c.ctx.roles.create(access, string_field(body, "name"), perms.value_or(0),
                                        string_field(body, "color")));
  c.target = role.id;
  return net::json_response(201, role_json(role));
}

Result<net::Response> update_role(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["role"];
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = body;
  identity::RoleChanges ch;
  if (body.contains("name"))
    ch.name = string_field(body, "name");
  if (body.contains("color"))
    ch.color = string_field(body, "color");
  RIS_TRY(ch.permissions, permissions_field(body, "permissions"));
  RIS_TRY(auto role, c.ctx.roles.update(access, c.target, ch));
  return net::json_response(200, role_json(role));
}

Result<net::Response> delete_role(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["role"];
  RIS_TRY_VOID(c.ctx.roles.remove(access, c.target));
  return no_content();
}

// Body: {"positions": [{"id": "…", "position": 2}, …]}
Result<net::Response> reorder_roles(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = body;
  std::vector<std::pair<std::string, int>> moves;
  if (auto* p = body.if_contains("positions"); p && p->is_array())
    for (const auto& e : p->as_array())
      if (e.is_object() && e.as_object().contains("id") && e.as_object().at("position").is_int64())
        moves.emplace_back(string_field(e.as_object(), "id"),
                           static_cast<int>(e.as_object().at("position").as_int64()));
  if (moves.empty())
    return fail(Errc::invalid_argument, "\"positions\" must list {\"id\", \"position\"} objects");
  RIS_TRY(auto roles, c.ctx.roles.reorder(access, moves));
  return net::json_response(200, roles_json(roles));
}

Result<net::Response> list_overwrites(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list,
          c.ctx.roles.overwrites(access, c.req.params["type"], c.req.params["resource"]));
  boost::json::array out;
  for (const auto& o : list)
    out.push_back(boost::json::object{
        {"target_kind", o.overwrite.kind == identity::Overwrite::Kind::role ? "role" : "member"},
        {"target_id", o.overwrite.target_id},
        {"allow", names_json(o.overwrite.allow)},
        {"deny", names_json(o.overwrite.deny)}});
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

// PUT …/overwrites/{type}/{resource}/{kind}/{target} {"allow": [...], "deny": [...]}
Result<net::Response> set_overwrite(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  const std::string kind = c.req.params["kind"];
  if (kind != "role" && kind != "member")
    return fail(Errc::invalid_argument, "overwrite target kind must be role or member");
  identity::Overwrite o;
  o.kind = kind == "role" ? identity::Overwrite::Kind::role : identity::Overwrite::Kind::member;
  o.target_id = c.req.params["target"];
  RIS_TRY(auto allow, permissions_field(body, "allow"));
  RIS_TRY(auto deny, permissions_field(body, "deny"));
  o.allow = allow.value_or(0);
  o.deny = deny.value_or(0);
  c.target = c.req.params["type"] + "/" + c.req.params["resource"];
  c.audit_details = body;
  c.audit_details["target"] = kind + ":" + o.target_id;
  RIS_TRY_VOID(
      c.ctx.roles.set_overwrite(access, c.req.params["type"], c.req.params["resource"], o));
  return no_content();
}

}  // namespace

void register_role_routes(net::Router& router, ApiContext& ctx) {
  const std::string r = "/api/v1/spaces/{space}/roles";
  router.add("GET", r, endpoint(ctx, "role.list", list_roles));
  router.add("POST", r, endpoint(ctx, "role.create", create_role));
  router.add("PATCH", r, endpoint(ctx, "role.reorder", reorder_roles));
  router.add("PATCH", r + "/{role}", endpoint(ctx, "role.update", update_role));
  router.add("DELETE", r + "/{role}", endpoint(ctx, "role.delete", delete_role));
  const std::string o = "/api/v1/spaces/{space}/overwrites/{type}/{resource}";
  router.add("GET", o, endpoint(ctx, "overwrite.list", list_overwrites));
  router.add("PUT", o + "/{kind}/{target}", endpoint(ctx, "overwrite.set", set_overwrite));
}

}  // namespace ris::api
