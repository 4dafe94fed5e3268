#include "duty_repository.hpp"

namespace ris::cluster {

Result<std::optional<int64_t>> DutyRepository::hold(std::string_view name,
                                                    std::string_view server_id, int64_t held_epoch,
                                                    const std::string& now,
                                                    const std::string& lease_until) {
  const std::string duty(name), me(server_id);
  // A transaction of its own, SERIALIZABLE on PostgreSQL like the duty's fenced transactions it
  // may collide with, and retried when it does (Errc::busy). Every right-hand side of the SET
  // reads the row as it was before the update, on both engines.
  std::optional<int64_t> epoch;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto rows,
            tx.query(
                "INSERT INTO duties (name, holder, epoch, lease_until, acquired_at) VALUES (?, ?, "
                "1, ?, ?) ON CONFLICT (name) DO UPDATE SET epoch = CASE WHEN duties.holder = ? AND "
                "duties.epoch = ? THEN duties.epoch ELSE duties.epoch + 1 END, acquired_at = CASE "
                "WHEN duties.holder = ? AND duties.epoch = ? THEN duties.acquired_at ELSE ? END, "
                "holder = ?, lease_until = ? WHERE duties.holder = ? OR duties.lease_until <= ? "
                "RETURNING epoch",
                {duty, me, lease_until, now, me, held_epoch, me, held_epoch, now, me, lease_until,
                 me, now}));
    epoch = rows.rows.empty() ? std::nullopt : std::optional(rows.rows[0].get<int64_t>(0));
    return {};
  }));
  return epoch;
}

Result<bool> DutyRepository::still_held(std::string_view name, std::string_view server_id,
                                        int64_t epoch, const std::string& now) {
  RIS_TRY(auto r, store_.query("UPDATE duties SET epoch = epoch WHERE name = ? AND holder = ? AND "
                               "epoch = ? AND lease_until > ?",
                               {std::string(name), std::string(server_id), epoch, now}));
  return r.changes > 0;
}

Result<bool> DutyRepository::release(std::string_view name, std::string_view server_id,
                                     int64_t epoch, const std::string& lapsed) {
  RIS_TRY(auto r, store_.query("UPDATE duties SET lease_until = ? WHERE name = ? AND holder = ? "
                               "AND epoch = ?",
                               {lapsed, std::string(name), std::string(server_id), epoch}));
  return r.changes > 0;
}

Result<std::optional<DutyRecord>> DutyRepository::find(std::string_view name) {
  RIS_TRY(auto rows, store_.query("SELECT name, holder, epoch, lease_until, acquired_at FROM "
                                  "duties WHERE name = ?",
                                  {std::string(name)}));
  if (rows.rows.empty())
    return std::optional<DutyRecord>();
  const auto& r = rows.rows[0];
  return std::optional<DutyRecord>(DutyRecord{r.get<std::string>(0), r.get<std::string>(1),
                                              r.get<int64_t>(2), r.get<std::string>(3),
                                              r.get<std::string>(4)});
}

Result<std::vector<DutyRecord>> DutyRepository::held(const std::string& now) {
  RIS_TRY(auto rows, store_.query("SELECT name, holder, epoch, lease_until, acquired_at FROM "
                                  "duties WHERE lease_until > ? ORDER BY name",
                                  {now}));
  std::vector<DutyRecord> out;
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<int64_t>(2),
                   r.get<std::string>(3), r.get<std::string>(4)});
  return out;
}

}  // namespace ris::cluster
