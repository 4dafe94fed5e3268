#include "fire_action.hpp"

#include <fmt/format.h>

#include "ris/net/fetch.hpp"

namespace ris::schedule {
namespace {
namespace json = boost::json;

std::string str(const json::object& o, std::string_view key, std::string_view fallback = "") {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string(fallback);
}

Result<Started> start_task(const ActionDeps& deps, const identity::SpaceAccess& access,
                           const json::object& task, const Fire& f) {
  fleet::Submission how;
  how.idempotency_key = idempotency_key(f);
  RIS_TRY(auto submitted, deps.tasks.submit(access, task, how));
  return Started{submitted.task.id,
                 fmt::format("task {} ({} runs){}", submitted.task.id, submitted.task.runs.size(),
                             submitted.replayed ? ", started by an earlier attempt" : "")};
}

Result<Started> start_service(const ActionDeps& deps, const identity::SpaceAccess& access,
                              const json::object& what) {
  if (!deps.services)
    return fail(Errc::unavailable, "services are not available on this server");
  const std::string name = str(what, "name"), action = str(what, "action");
  if (action == "scale") {
    const int64_t replicas = what.at("replicas").to_number<int64_t>();
    RIS_TRY(auto s, deps.services->scale(access, name, replicas));
    return Started{std::nullopt, fmt::format("service {} scaled to {}", s.name, replicas)};
  }
  RIS_TRY(auto s, deps.services->set_state(access, name, action));
  return Started{std::nullopt, fmt::format("service {}: {}", s.name, action)};
}

Result<Started> start_http(const identity::SpaceAccess& access, const Schedule& s,
                           const json::object& what, const Fire& f) {
  RIS_TRY_VOID(identity::require(access, identity::kManageSchedules));
  net::FetchRequest req;
  req.method = str(what, "method", "POST");
  req.url = str(what, "url");
  req.body = str(what, "body");
  if (const auto* t = what.if_contains("timeout_seconds"); t && t->is_int64())
    req.timeout = std::chrono::seconds(t->as_int64());
  if (const auto* h = what.if_contains("headers"); h && h->is_object())
    for (const auto& kv : h->as_object())
      if (kv.value().is_string())
        req.headers.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
  req.headers.emplace_back("Idempotency-Key", idempotency_key(f));
  req.headers.emplace_back("X-RIS-Schedule", s.id);
  req.headers.emplace_back("X-RIS-Due", f.due_at);
  req.max_body_bytes = 4096;
  RIS_TRY(auto res, net::fetch(req));
  if (res.status < 200 || res.status > 299)
    return fail(Errc::unavailable,
                fmt::format("{} {} answered HTTP {}", req.method, req.url, res.status));
  return Started{std::nullopt, fmt::format("{} {}: HTTP {}", req.method, req.url, res.status)};
}

}  // namespace

std::string idempotency_key(const Fire& f) {
  return "schedule:" + f.schedule_id + ":" + f.due_at;
}

Result<identity::SpaceAccess> creator_access(store::Store& store, const Schedule& s) {
  identity::Principal creator;
  creator.account_id = s.created_by;
  auto access = identity::load_access(store, s.space_id, creator);
  if (!access && access.error().code == Errc::not_found)
    return fail(Errc::forbidden, "the schedule's creator is no longer a member of the space");
  return access;
}

bool task_active(const fleet::Task& t) {
  for (const auto& r : t.runs)
    if (r.state == "pending" || r.state == "dispatched" || r.state == "running")
      return true;
  return false;
}

Result<Started> start_action(const ActionDeps& deps, const Schedule& s, const ScheduleSpec& spec,
                             const Fire& f) {
  RIS_TRY(auto access, creator_access(deps.store, s));
  const std::string kind = action_kind(spec);
  const json::object& what = spec.action.at(kind).as_object();
  if (kind == "task")
    return start_task(deps, access, what, f);
  if (kind == "service")
    return start_service(deps, access, what);
  return start_http(access, s, what, f);
}

}  // namespace ris::schedule
