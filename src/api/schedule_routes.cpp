// Schedules over the API: create, list, get (with the next fire times), change, pause, resume,
// delete, and the history of fires. Handlers parse and answer; src/schedule decides.
#include "endpoint.hpp"
#include "ris/schedule/schedules.hpp"

namespace ris::api {
namespace {
namespace json = boost::json;

constexpr int kUpcoming = 5;

json::object schedule_json(const schedule::Schedule& s) {
  json::array upcoming;
  for (auto& t : schedule::Schedules::upcoming(s, kUpcoming))
    upcoming.emplace_back(t);
  json::object out{{"id", s.id},
                   {"space_id", s.space_id},
                   {"name", s.name},
                   {"description", s.description},
                   {"paused", s.paused},
                   {"next_fires", std::move(upcoming)},
                   {"created_by", s.created_by},
                   {"created_at", s.created_at},
                   {"updated_at", s.updated_at}};
  for (const auto& kv : s.spec)
    out[kv.key()] = kv.value();
  return out;
}

json::object fire_json(const schedule::Fire& f) {
  json::object out{
      {"due_at", f.due_at}, {"state", f.state}, {"fire_at", f.fire_at}, {"attempt", f.attempt}};
  auto add = [&](const char* k, const std::optional<std::string>& v) {
    if (v)
      out[k] = *v;
  };
  add("fired_at", f.fired_at);
  add("task_id", f.task_id);
  add("server_id", f.server_id);
  add("detail", f.detail);
  return out;
}

Result<net::Response> answer(Call& c, const schedule::Schedule& s, int status = 200) {
  c.target = s.id;
  return net::json_response(status, schedule_json(s));
}

Result<net::Response> create_schedule(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = identity::mask_secrets(body);
  RIS_TRY(auto s, c.ctx.schedules->create(access, body));
  auto res = answer(c, s, 201);
  if (res)
    res->headers.emplace_back("Location",
                              "/api/v1/spaces/" + access.space_id + "/schedules/" + s.id);
  return res;
}

Result<net::Response> list_schedules(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto list, c.ctx.schedules->list(access));
  json::array out;
  for (const auto& s : list)
    out.push_back(schedule_json(s));
  return net::json_response(200, json::object{{"items", std::move(out)}});
}

Result<net::Response> get_schedule(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto s, c.ctx.schedules->get(access, c.req.params["schedule"]));
  return net::json_response(200, schedule_json(s));
}

Result<net::Response> update_schedule(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = identity::mask_secrets(body);
  RIS_TRY(auto s, c.ctx.schedules->update(access, c.req.params["schedule"], body));
  return answer(c, s);
}

template <bool kPause>
Result<net::Response> pause_schedule(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto s, c.ctx.schedules->set_paused(access, c.req.params["schedule"], kPause));
  return answer(c, s);
}

Result<net::Response> delete_schedule(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["schedule"];
  RIS_TRY_VOID(c.ctx.schedules->remove(access, c.target));
  return no_content();
}

Result<net::Response> schedule_fires(Call& c) {
  RIS_TRY(auto access, space_access(c));
  int limit = 50;
  if (auto l = c.req.query_param("limit"); !l.empty())
    limit = std::atoi(std::string(l).c_str());
  std::optional<std::string> before;
  if (auto b = c.req.query_param("before"); !b.empty())
    before = std::string(b);
  RIS_TRY(auto fires, c.ctx.schedules->fires(access, c.req.params["schedule"], limit, before));
  json::array out;
  for (const auto& f : fires)
    out.push_back(fire_json(f));
  return net::json_response(200, json::object{{"items", std::move(out)}});
}

}  // namespace

void register_schedule_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.schedules)
    return;
  const std::string s = "/api/v1/spaces/{space}/schedules";
  router.add("POST", s, endpoint(ctx, "schedule.create", create_schedule));
  router.add("GET", s, endpoint(ctx, "schedule.list", list_schedules));
  router.add("GET", s + "/{schedule}", endpoint(ctx, "schedule.get", get_schedule));
  router.add("PATCH", s + "/{schedule}", endpoint(ctx, "schedule.update", update_schedule));
  router.add("DELETE", s + "/{schedule}", endpoint(ctx, "schedule.delete", delete_schedule));
  router.add("POST", s + "/{schedule}/pause",
             endpoint(ctx, "schedule.pause", pause_schedule<true>));
  router.add("POST", s + "/{schedule}/resume",
             endpoint(ctx, "schedule.resume", pause_schedule<false>));
  router.add("GET", s + "/{schedule}/fires", endpoint(ctx, "schedule.fires", schedule_fires));
}

}  // namespace ris::api
