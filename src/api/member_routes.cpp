// Members, moderation and invitations of a space over the API.
#include "endpoint.hpp"
#include "ris/identity/invitations.hpp"
#include "ris/identity/members.hpp"

namespace ris::api {
namespace {

boost::json::object member_json(const identity::MemberView& m) {
  boost::json::array roles;
  for (const auto& r : m.role_ids)
    roles.emplace_back(r);
  return {{"account_id", m.account_id},
          {"username", m.username},
          {"display_name", m.display_name},
          {"nickname", m.nickname},
          {"joined_at", m.joined_at},
          {"muted_until",
           m.muted_until ? boost::json::value(*m.muted_until) : boost::json::value(nullptr)},
          {"role_ids", std::move(roles)},
          {"owner", m.is_owner}};
}

boost::json::object invitation_json(const identity::Invitation& i) {
  auto opt = [](const std::optional<std::string>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
  };
  return {{"code", i.code},
          {"space_id", i.space_id},
          {"space_name", i.space_name},
          {"created_by", i.created_by},
          {"created_at", i.created_at},
          {"expires_at", opt(i.expires_at)},
          {"revoked_at", opt(i.revoked_at)},
          {"max_uses", i.max_uses},
          {"uses", i.uses}};
}

int64_t int_field(const boost::json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_int64() ? v->as_int64() : 0;
}

Result<net::Response> list_members(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list, c.ctx.members.list(access));
  boost::json::array out;
  for (const auto& m : list)
    out.push_back(member_json(m));
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

Result<net::Response> get_member(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto m, c.ctx.members.get(access, c.req.params["account"]));
  return net::json_response(200, member_json(m));
}

Result<net::Response> kick_member(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["account"];
  RIS_TRY_VOID(c.ctx.members.kick(access, c.target));
  return no_content();
}

Result<net::Response> update_member(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["account"];
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = body;
  if (body.contains("nickname"))
    RIS_TRY_VOID(c.ctx.members.set_nickname(access, c.target, string_field(body, "nickname")));
  if (auto* t = body.if_contains("muted_until")) {
    std::optional<std::string> until;
    if (t->is_string())
      until = std::string(t->as_string());
    RIS_TRY_VOID(c.ctx.members.timeout(access, c.target, until));
  }
  RIS_TRY(auto m, c.ctx.members.get(access, c.target));
  return net::json_response(200, member_json(m));
}

Result<net::Response> add_member_role(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["account"];
  c.audit_details = {{"role_id", c.req.params["role"]}};
  RIS_TRY_VOID(c.ctx.members.add_role(access, c.target, c.req.params["role"]));
  return no_content();
}

Result<net::Response> remove_member_role(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["account"];
  c.audit_details = {{"role_id", c.req.params["role"]}};
  RIS_TRY_VOID(c.ctx.members.remove_role(access, c.target, c.req.params["role"]));
  return no_content();
}

Result<net::Response> list_bans(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto bans, c.ctx.members.bans(access));
  boost::json::array out;
  for (const auto& b : bans)
    out.push_back(boost::json::object{{"account_id", b.account_id},
                                      {"reason", b.reason},
                                      {"banned_by", b.banned_by},
                                      {"banned_at", b.banned_at}});
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

Result<net::Response> ban_member(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["account"];
  std::string reason;
  if (!c.req.body.empty()) {
    RIS_TRY(auto body, json_body(c.req));
    reason = string_field(body, "reason");
  }
  c.audit_details = {{"reason", reason}};
  RIS_TRY_VOID(c.ctx.members.ban(access, c.target, reason));
  return no_content();
}

Result<net::Response> unban_member(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["account"];
  RIS_TRY_VOID(c.ctx.members.unban(access, c.target));
  return no_content();
}

Result<net::Response> create_invitation(Call& c) {
  RIS_TRY(auto access, space_access(c));
  boost::json::object body;
  if (!c.req.body.empty()) {
    RIS_TRY(body, json_body(c.req));
  }
  RIS_TRY(auto inv, c.ctx.invitations.create(access, int_field(body, "ttl_seconds"),
                                             int_field(body, "max_uses")));
  c.target = inv.code;
  return net::json_response(201, invitation_json(inv));
}

Result<net::Response> list_invitations(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list, c.ctx.invitations.list(access));
  boost::json::array out;
  for (const auto& i : list)
    out.push_back(invitation_json(i));
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

Result<net::Response> revoke_invitation(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["code"];
  RIS_TRY_VOID(c.ctx.invitations.revoke(access, c.target));
  return no_content();
}

Result<net::Response> peek_invitation(Call& c) {
  RIS_TRY(auto inv, c.ctx.invitations.peek(c.req.params["code"]));
  return net::json_response(
      200, boost::json::object{{"space_id", inv.space_id}, {"space_name", inv.space_name}});
}

Result<net::Response> accept_invitation(Call& c) {
  if (c.caller.token)
    return fail(Errc::forbidden, "API tokens cannot join spaces");
  c.target = c.req.params["code"];
  RIS_TRY(auto space, c.ctx.invitations.accept(c.caller.account_id, c.target));
  c.space_id = space;
  return net::json_response(200, boost::json::object{{"space_id", space}});
}

}  // namespace

void register_member_routes(net::Router& router, ApiContext& ctx) {
  const std::string m = "/api/v1/spaces/{space}/members";
  router.add("GET", m, endpoint(ctx, "member.list", list_members));
  router.add("GET", m + "/{account}", endpoint(ctx, "member.get", get_member));
  router.add("PATCH", m + "/{account}", endpoint(ctx, "member.update", update_member));
  router.add("DELETE", m + "/{account}", endpoint(ctx, "member.kick", kick_member));
  router.add("PUT", m + "/{account}/roles/{role}",
             endpoint(ctx, "member.role.add", add_member_role));
  router.add("DELETE", m + "/{account}/roles/{role}",
             endpoint(ctx, "member.role.remove", remove_member_role));
  router.add("GET", "/api/v1/spaces/{space}/bans", endpoint(ctx, "ban.list", list_bans));
  router.add("PUT", "/api/v1/spaces/{space}/bans/{account}",
             endpoint(ctx, "ban.create", ban_member));
  router.add("DELETE", "/api/v1/spaces/{space}/bans/{account}",
             endpoint(ctx, "ban.delete", unban_member));
  router.add("GET", "/api/v1/spaces/{space}/invitations",
             endpoint(ctx, "invitation.list", list_invitations));
  router.add("POST", "/api/v1/spaces/{space}/invitations",
             endpoint(ctx, "invitation.create", create_invitation));
  router.add("DELETE", "/api/v1/spaces/{space}/invitations/{code}",
             endpoint(ctx, "invitation.revoke", revoke_invitation));
  router.add("GET", "/api/v1/invitations/{code}", endpoint(ctx, "invitation.get", peek_invitation));
  router.add("POST", "/api/v1/invitations/{code}/accept",
             endpoint(ctx, "invitation.accept", accept_invitation));
}

}  // namespace ris::api
