// The SQL of schedules and their fires. The schedule module owns these tables. Portable SQL
// only: it runs unchanged on SQLite and PostgreSQL. Every write of the scheduler's tick takes a
// Fence (the scheduler duty's epoch, checked in the same transaction).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/cluster/duty.hpp"
#include "ris/core/result.hpp"
#include "ris/schedule/schedules.hpp"
#include "ris/store/store.hpp"

namespace ris::schedule {

// What one tick decided for one schedule: the fires to make, the instants missed, and where
// the schedule goes next.
struct Plan {
  std::string schedule_id, space_id;
  std::string expected_next_due;  // the plan applies only if the schedule still says this
  std::optional<std::string> next_due;
  std::vector<std::pair<std::string, std::string>> fires;   // (due_at, fire_at)
  std::vector<std::pair<std::string, std::string>> missed;  // (due_at, detail)
};

class SchedulesRepository {
 public:
  explicit SchedulesRepository(store::Store& store) : store_(store) {}

  // Errc::conflict when the space has a schedule of that name.
  Result<void> insert(const Schedule& s);
  Result<bool> update(const Schedule& s);  // false: no such schedule
  Result<bool> remove(std::string_view space_id, std::string_view id);
  Result<std::optional<Schedule>> find(std::string_view space_id, std::string_view ref);
  Result<std::optional<Schedule>> by_id(std::string_view id);
  Result<std::vector<Schedule>> in_space(std::string_view space_id);
  Result<std::vector<Fire>> fires(std::string_view schedule_id, int64_t limit,
                                  const std::optional<std::string>& before);

  // The tick's reads and writes.
  Result<std::vector<Schedule>> due(std::string_view now, int64_t limit);
  Result<void> apply(const Plan& plan, const cluster::Fence& fence);
  // Fires to act on now: due ones whose time came, and ones a holder of an earlier epoch
  // claimed and did not finish (it died or was paused).
  Result<std::vector<Fire>> open(std::string_view now, int64_t epoch, int64_t limit);
  // The newest fire of the schedule before `due_at` that started a task.
  Result<std::optional<Fire>> last_started(std::string_view schedule_id, std::string_view due_at);
  // due/starting → starting under `epoch`; false when another claim got there first.
  Result<bool> claim(const Fire& f, int64_t epoch, std::string_view server_id,
                     const cluster::Fence& fence);
  // Ends a claimed fire: started (task_id), or back to due for a retry at `fire_at`, or
  // failed/skipped with a detail.
  Result<void> finish(const Fire& f, std::string_view state, std::string_view fire_at,
                      const std::optional<std::string>& fired_at,
                      const std::optional<std::string>& task_id,
                      const std::optional<std::string>& detail, const cluster::Fence& fence);

 private:
  store::Store& store_;
};

}  // namespace ris::schedule
