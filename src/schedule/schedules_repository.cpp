#include "schedules_repository.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ris::schedule {
namespace {

constexpr std::string_view kColumns =
    "id, space_id, name, spec, paused, anchor, next_due, created_by, created_at, updated_at";
constexpr std::string_view kFireColumns =
    "schedule_id, due_at, space_id, state, fire_at, attempt, epoch, server_id, fired_at, "
    "task_id, detail";

Schedule from_row(const store::Row& r) {
  Schedule s;
  s.id = r.get<std::string>("id");
  s.space_id = r.get<std::string>("space_id");
  s.name = r.get<std::string>("name");
  boost::json::error_code ec;
  auto spec = boost::json::parse(r.get<std::string>("spec"), ec);
  if (!ec && spec.is_object()) {
    s.spec = std::move(spec.as_object());
    if (auto* d = s.spec.if_contains("description"); d && d->is_string())
      s.description = std::string(d->as_string());
    s.spec.erase("description");
  }
  s.paused = r.get<bool>("paused");
  s.anchor = r.get<std::string>("anchor");
  s.next_due = r.get_optional<std::string>("next_due");
  s.created_by = r.get<std::string>("created_by");
  s.created_at = r.get<std::string>("created_at");
  s.updated_at = r.get<std::string>("updated_at");
  return s;
}

Fire fire_from_row(const store::Row& r) {
  Fire f;
  f.schedule_id = r.get<std::string>("schedule_id");
  f.due_at = r.get<std::string>("due_at");
  f.space_id = r.get<std::string>("space_id");
  f.state = r.get<std::string>("state");
  f.fire_at = r.get<std::string>("fire_at");
  f.attempt = r.get<int64_t>("attempt");
  f.epoch = r.get_optional<int64_t>("epoch");
  f.server_id = r.get_optional<std::string>("server_id");
  f.fired_at = r.get_optional<std::string>("fired_at");
  f.task_id = r.get_optional<std::string>("task_id");
  f.detail = r.get_optional<std::string>("detail");
  return f;
}

// The stored spec carries the description too (one JSON column for what the author wrote).
std::string spec_text(const Schedule& s) {
  boost::json::object spec = s.spec;
  if (!s.description.empty())
    spec["description"] = s.description;
  return boost::json::serialize(spec);
}

}  // namespace

Result<void> SchedulesRepository::insert(const Schedule& s) {
  RIS_TRY_VOID(
      store_.query(std::string("INSERT INTO schedules (") + std::string(kColumns) +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {s.id, s.space_id, s.name, spec_text(s), s.paused, s.anchor,
                    store::nullable(s.next_due), s.created_by, s.created_at, s.updated_at}));
  return {};
}

Result<bool> SchedulesRepository::update(const Schedule& s) {
  RIS_TRY(auto r, store_.query("UPDATE schedules SET name = ?, spec = ?, paused = ?, anchor = ?, "
                               "next_due = ?, updated_at = ? WHERE id = ? AND space_id = ?",
                               {s.name, spec_text(s), s.paused, s.anchor,
                                store::nullable(s.next_due), s.updated_at, s.id, s.space_id}));
  return r.changes > 0;
}

Result<bool> SchedulesRepository::remove(std::string_view space_id, std::string_view id) {
  bool removed = false;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("DELETE FROM schedule_fires WHERE schedule_id = ?", {std::string(id)}));
    RIS_TRY(auto r, tx.query("DELETE FROM schedules WHERE id = ? AND space_id = ?",
                             {std::string(id), std::string(space_id)}));
    removed = r.changes > 0;
    return {};
  }));
  return removed;
}

Result<std::optional<Schedule>> SchedulesRepository::find(std::string_view space_id,
                                                          std::string_view ref) {
  RIS_TRY(auto rows, store_.query(std::string("SELECT ") + std::string(kColumns) +
                                      " FROM schedules WHERE space_id = ? AND (id = ? OR name = ?)",
                                  {std::string(space_id), std::string(ref), std::string(ref)}));
  if (rows.rows.empty())
    return std::optional<Schedule>();
  return std::optional<Schedule>(from_row(rows.rows[0]));
}

Result<std::optional<Schedule>> SchedulesRepository::by_id(std::string_view id) {
  RIS_TRY(auto rows, store_.query(std::string("SELECT ") + std::string(kColumns) +
                                      " FROM schedules WHERE id = ?",
                                  {std::string(id)}));
  if (rows.rows.empty())
    return std::optional<Schedule>();
  return std::optional<Schedule>(from_row(rows.rows[0]));
}

Result<std::vector<Schedule>> SchedulesRepository::in_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query(std::string("SELECT ") + std::string(kColumns) +
                                      " FROM schedules WHERE space_id = ? ORDER BY name",
                                  {std::string(space_id)}));
  std::vector<Schedule> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<std::vector<Fire>> SchedulesRepository::fires(std::string_view schedule_id, int64_t limit,
                                                     const std::optional<std::string>& before) {
  std::string sql = std::string("SELECT ") + std::string(kFireColumns) +
                    " FROM schedule_fires WHERE schedule_id = ?";
  std::vector<store::Value> params{std::string(schedule_id)};
  if (before) {
    sql += " AND due_at < ?";
    params.emplace_back(*before);
  }
  sql += " ORDER BY due_at DESC LIMIT ?";
  params.emplace_back(limit);
  RIS_TRY(auto rows, store_.query(sql, std::move(params)));
  std::vector<Fire> out;
  for (const auto& r : rows.rows)
    out.push_back(fire_from_row(r));
  return out;
}

Result<std::vector<Schedule>> SchedulesRepository::due(std::string_view now, int64_t limit) {
  RIS_TRY(auto rows, store_.query(std::string("SELECT ") + std::string(kColumns) +
                                      " FROM schedules WHERE next_due IS NOT NULL AND "
                                      "next_due <= ? AND paused = 0 ORDER BY next_due LIMIT ?",
                                  {std::string(now), limit}));
  std::vector<Schedule> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<void> SchedulesRepository::apply(const Plan& plan, const cluster::Fence& fence) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(fence(tx));
    // Only if nobody changed the schedule since the tick read it (an update or a pause).
    RIS_TRY(auto moved,
            tx.query("UPDATE schedules SET next_due = ? WHERE id = ? AND next_due = ? "
                     "AND paused = 0",
                     {store::nullable(plan.next_due), plan.schedule_id, plan.expected_next_due}));
    if (moved.changes == 0)
      return {};
    for (const auto& [due_at, fire_at] : plan.fires)
      RIS_TRY_VOID(
          tx.query("INSERT INTO schedule_fires (schedule_id, due_at, space_id, state, "
                   "fire_at) VALUES (?, ?, ?, 'due', ?) ON CONFLICT DO NOTHING",
                   {plan.schedule_id, due_at, plan.space_id, fire_at}));
    for (const auto& [due_at, detail] : plan.missed)
      RIS_TRY_VOID(
          tx.query("INSERT INTO schedule_fires (schedule_id, due_at, space_id, state, "
                   "fire_at, detail) VALUES (?, ?, ?, 'missed', ?, ?) "
                   "ON CONFLICT DO NOTHING",
                   {plan.schedule_id, due_at, plan.space_id, due_at, detail}));
    return {};
  });
}

Result<std::vector<Fire>> SchedulesRepository::open(std::string_view now, int64_t epoch,
                                                    int64_t limit) {
  RIS_TRY(auto rows,
          store_.query(std::string("SELECT ") + std::string(kFireColumns) +
                           " FROM schedule_fires WHERE (state = 'due' AND fire_at <= ?) OR "
                           "(state = 'starting' AND (epoch IS NULL OR epoch <> ?)) "
                           "ORDER BY fire_at LIMIT ?",
                       {std::string(now), epoch, limit}));
  std::vector<Fire> out;
  for (const auto& r : rows.rows)
    out.push_back(fire_from_row(r));
  return out;
}

Result<std::optional<Fire>> SchedulesRepository::last_started(std::string_view schedule_id,
                                                              std::string_view due_at) {
  RIS_TRY(auto rows, store_.query(std::string("SELECT ") + std::string(kFireColumns) +
                                      " FROM schedule_fires WHERE schedule_id = ? AND due_at < ? "
                                      "AND state = 'started' AND task_id IS NOT NULL "
                                      "ORDER BY due_at DESC LIMIT 1",
                                  {std::string(schedule_id), std::string(due_at)}));
  if (rows.rows.empty())
    return std::optional<Fire>();
  return std::optional<Fire>(fire_from_row(rows.rows[0]));
}

Result<bool> SchedulesRepository::claim(const Fire& f, int64_t epoch, std::string_view server_id,
                                        const cluster::Fence& fence) {
  bool claimed = false;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    claimed = false;
    RIS_TRY_VOID(fence(tx));
    RIS_TRY(auto r,
            tx.query("UPDATE schedule_fires SET state = 'starting', epoch = ?, "
                     "server_id = ?, attempt = attempt + 1 WHERE schedule_id = ? AND "
                     "due_at = ? AND state = ? AND attempt = ?",
                     {epoch, std::string(server_id), f.schedule_id, f.due_at, f.state, f.attempt}));
    claimed = r.changes > 0;
    return {};
  }));
  return claimed;
}

Result<void> SchedulesRepository::finish(const Fire& f, std::string_view state,
                                         std::string_view fire_at,
                                         const std::optional<std::string>& fired_at,
                                         const std::optional<std::string>& task_id,
                                         const std::optional<std::string>& detail,
                                         const cluster::Fence& fence) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(fence(tx));
    RIS_TRY_VOID(
        tx.query("UPDATE schedule_fires SET state = ?, fire_at = ?, fired_at = ?, "
                 "task_id = ?, detail = ? WHERE schedule_id = ? AND due_at = ?",
                 {std::string(state), std::string(fire_at), store::nullable(fired_at),
                  store::nullable(task_id), store::nullable(detail), f.schedule_id, f.due_at}));
    return {};
  });
}

}  // namespace ris::schedule
