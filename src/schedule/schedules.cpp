#include "ris/schedule/schedules.hpp"

#include <algorithm>

#include "ris/core/ids.hpp"
#include "schedule_spec.hpp"
#include "schedules_repository.hpp"

namespace ris::schedule {
namespace {
namespace json = boost::json;

constexpr size_t kMaxSchedulesPerSpace = 1000;

Result<std::string> name_in(const json::object& body, std::string_view fallback) {
  const auto* v = body.if_contains("name");
  if (!v)
    return std::string(fallback);
  if (!v->is_string())
    return fail(Errc::invalid_argument, "\"name\" must be a string");
  std::string name(v->as_string());
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (!ok)
    return fail(Errc::invalid_argument, "\"name\" has 1 to 64 letters, digits, '-', '_' or '.'");
  return name;
}

Result<std::string> description_in(const json::object& body, std::string_view fallback) {
  const auto* v = body.if_contains("description");
  if (!v)
    return std::string(fallback);
  if (!v->is_string() || v->as_string().size() > 1000)
    return fail(Errc::invalid_argument, "\"description\" must be a string of at most 1000 bytes");
  return std::string(v->as_string());
}

Result<bool> paused_in(const json::object& body, bool fallback) {
  const auto* v = body.if_contains("paused");
  if (!v)
    return fallback;
  if (!v->is_bool())
    return fail(Errc::invalid_argument, "\"paused\" must be true or false");
  return v->as_bool();
}

// The next instant after now, or nullopt (paused, or it never fires again).
std::optional<std::string> next_due(const ScheduleSpec& spec, bool paused, SystemTime anchor) {
  if (paused)
    return std::nullopt;
  auto n = spec.when.next_after(std::chrono::system_clock::now(), spec.zone, anchor);
  return n ? std::optional<std::string>(to_rfc3339(*n)) : std::nullopt;
}

}  // namespace

Result<void> Schedules::require_manage(const identity::SpaceAccess& access, const std::string& id) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto perms, identity::resource_permissions(store_, access, "schedule", id));
  if ((perms & identity::kManageSchedules) == 0)
    return fail(Errc::forbidden, "you need the MANAGE_SCHEDULES permission");
  return {};
}

Result<Schedule> Schedules::create(const identity::SpaceAccess& access, const json::object& body) {
  RIS_TRY_VOID(identity::require(access, identity::kManageSchedules));
  RIS_TRY(auto name, name_in(body, ""));
  if (name.empty())
    return fail(Errc::invalid_argument, "\"name\" is required");
  RIS_TRY(auto spec, parse_spec(body));
  SchedulesRepository repo(store_);
  RIS_TRY(auto existing, repo.in_space(access.space_id));
  if (existing.size() >= kMaxSchedulesPerSpace)
    return fail(Errc::conflict, "a space holds at most 1000 schedules");
  Schedule s;
  s.id = new_id();
  s.space_id = access.space_id;
  s.name = std::move(name);
  RIS_TRY(s.description, description_in(body, ""));
  s.spec = to_json(spec);
  RIS_TRY(s.paused, paused_in(body, false));
  const SystemTime now = std::chrono::system_clock::now();
  s.anchor = to_rfc3339(now);
  s.next_due = next_due(spec, s.paused, now);
  s.created_by = access.member.account_id;
  s.created_at = s.updated_at = s.anchor;
  if (auto r = repo.insert(s); !r) {
    if (r.error().code == Errc::conflict)
      return fail(Errc::conflict, "this space already has a schedule named \"" + s.name + "\"");
    return fail(r.error());
  }
  return s;
}

Result<Schedule> Schedules::update(const identity::SpaceAccess& access, std::string_view ref,
                                   const json::object& body) {
  RIS_TRY(auto s, find(access, ref));
  RIS_TRY_VOID(require_manage(access, s.id));
  // Fields left out keep their value: the stored spec is the base the body overlays.
  json::object merged = s.spec;
  for (const auto& kv : body)
    merged[kv.key()] = kv.value();
  RIS_TRY(auto spec, parse_spec(merged));
  RIS_TRY(s.name, name_in(body, s.name));
  RIS_TRY(s.description, description_in(body, s.description));
  RIS_TRY(s.paused, paused_in(body, s.paused));
  s.spec = to_json(spec);
  const SystemTime now = std::chrono::system_clock::now();
  s.anchor = to_rfc3339(now);
  s.next_due = next_due(spec, s.paused, now);
  s.updated_at = s.anchor;
  auto r = SchedulesRepository(store_).update(s);
  if (!r && r.error().code == Errc::conflict)
    return fail(Errc::conflict, "this space already has a schedule named \"" + s.name + "\"");
  RIS_TRY(bool found, std::move(r));
  if (!found)
    return fail(Errc::not_found, "no such schedule");
  return s;
}

Result<Schedule> Schedules::set_paused(const identity::SpaceAccess& access, std::string_view ref,
                                       bool paused) {
  RIS_TRY(auto s, find(access, ref));
  RIS_TRY_VOID(require_manage(access, s.id));
  if (s.paused == paused)
    return s;
  RIS_TRY(auto spec, parse_spec(s.spec));
  s.paused = paused;
  const SystemTime now = std::chrono::system_clock::now();
  // An interval schedule keeps its cadence across a pause; nothing due while paused fires.
  const SystemTime anchor = parse_rfc3339(s.anchor).value_or(now);
  s.next_due = next_due(spec, paused, anchor);
  s.updated_at = to_rfc3339(now);
  RIS_TRY(bool found, SchedulesRepository(store_).update(s));
  if (!found)
    return fail(Errc::not_found, "no such schedule");
  return s;
}

Result<void> Schedules::remove(const identity::SpaceAccess& access, std::string_view ref) {
  RIS_TRY(auto s, find(access, ref));
  RIS_TRY_VOID(require_manage(access, s.id));
  RIS_TRY(bool removed, SchedulesRepository(store_).remove(access.space_id, s.id));
  if (!removed)
    return fail(Errc::not_found, "no such schedule");
  return {};
}

Result<Schedule> Schedules::find(const identity::SpaceAccess& access, std::string_view ref) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto s, SchedulesRepository(store_).find(access.space_id, ref));
  if (!s)
    return fail(Errc::not_found, "no such schedule");
  return std::move(*s);
}

Result<Schedule> Schedules::get(const identity::SpaceAccess& access, std::string_view ref) {
  return find(access, ref);
}

Result<std::vector<Schedule>> Schedules::list(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  return SchedulesRepository(store_).in_space(access.space_id);
}

Result<std::vector<Fire>> Schedules::fires(const identity::SpaceAccess& access,
                                           std::string_view ref, int limit,
                                           std::optional<std::string> before) {
  RIS_TRY(auto s, find(access, ref));
  if (limit < 1 || limit > 1000)
    return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  return SchedulesRepository(store_).fires(s.id, limit, before);
}

std::vector<std::string> Schedules::upcoming(const Schedule& s, int count) {
  std::vector<std::string> out;
  if (s.paused || !s.next_due)
    return out;
  auto spec = parse_spec(s.spec);
  auto first = parse_rfc3339(*s.next_due);
  if (!spec || !first)
    return out;
  const SystemTime anchor = parse_rfc3339(s.anchor).value_or(*first);
  std::optional<SystemTime> t = *first;
  for (int i = 0; i < count && t; ++i) {
    out.push_back(to_rfc3339(*t));
    t = spec->when.next_after(*t, spec->zone, anchor);
  }
  return out;
}

}  // namespace ris::schedule
