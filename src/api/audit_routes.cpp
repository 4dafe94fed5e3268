// The audit log over the API: a space's entries for holders of VIEW_AUDIT, the whole instance's
// and chain verification for application administrators. Read-only: nothing edits the log.
#include "endpoint.hpp"

namespace ris::api {
namespace {

boost::json::object entry_json(const identity::AuditEntry& e) {
  return {{"seq", e.seq},         {"id", e.id},         {"time", e.time},
          {"actor", e.actor},     {"source", e.source}, {"space_id", e.space_id},
          {"action", e.action},   {"target", e.target}, {"outcome", e.outcome},
          {"details", e.details}, {"hash", e.hash}};
}

Result<identity::AuditFilter> filter_from(const net::Request& req) {
  identity::AuditFilter f;
  auto opt = [&](const char* name) -> std::optional<std::string> {
    auto v = req.query_param(name);
    return v.empty() ? std::nullopt : std::optional(std::string(v));
  };
  f.actor = opt("actor");
  f.action_prefix = opt("action");
  f.outcome = opt("outcome");
  f.since = opt("since");
  f.until = opt("until");
  if (auto b = opt("before")) {
    char* end = nullptr;
    f.before_seq = std::strtoll(b->c_str(), &end, 10);
    if (*end)
      return fail(Errc::invalid_argument, "before must be an entry's seq");
  }
  if (auto l = opt("limit")) {
    f.limit = std::atoi(l->c_str());
    if (f.limit < 1 || f.limit > 1000)
      return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  }
  return f;
}

Result<net::Response> list(Call& c, identity::AuditFilter f) {
  RIS_TRY(auto entries, c.ctx.audit.list(f));
  boost::json::array out;
  for (const auto& e : entries)
    out.push_back(entry_json(e));
  boost::json::object body{{"items", std::move(out)}};
  if (!entries.empty() && static_cast<int>(entries.size()) == f.limit)
    body["next_before"] = entries.back().seq;
  return net::json_response(200, body);
}

Result<void> app_admin(const Call& c) {
  if (c.caller.token || !c.caller.has_app_role(identity::kApplicationAdministrator))
    return fail(Errc::forbidden,
                "only application administrators can read the instance's audit log");
  return {};
}

Result<net::Response> space_audit(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY_VOID(identity::require(access, identity::kViewAudit));
  RIS_TRY(auto f, filter_from(c.req));
  f.space_id = access.space_id;
  return list(c, std::move(f));
}

Result<net::Response> instance_audit(Call& c) {
  RIS_TRY_VOID(app_admin(c));
  RIS_TRY(auto f, filter_from(c.req));
  if (auto s = c.req.query_param("space"); !s.empty())
    f.space_id = std::string(s);
  return list(c, std::move(f));
}

Result<net::Response> verify_audit(Call& c) {
  RIS_TRY_VOID(app_admin(c));
  RIS_TRY(auto v, c.ctx.audit.verify());
  boost::json::object out{
      {"ok", v.ok}, {"entries_checked", v.entries_checked}, {"problem", v.problem}};
  out["first_bad_seq"] =
      v.first_bad_seq ? boost::json::value(*v.first_bad_seq) : boost::json::value(nullptr);
  return net::json_response(200, out);
}

}  // namespace

void register_audit_routes(net::Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/spaces/{space}/audit", endpoint(ctx, "audit.list", space_audit));
  router.add("GET", "/api/v1/audit", endpoint(ctx, "audit.list", instance_audit));
  router.add("POST", "/api/v1/audit/verify", endpoint(ctx, "audit.verify", verify_audit));
}

}  // namespace ris::api
