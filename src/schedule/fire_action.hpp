// Starting what a fire does: a task, a service action or an HTTP call, with the permissions the
// schedule's creator holds now. Used by the scheduler's tick only.
#pragma once
#include <optional>
#include <string>

#include "ris/core/result.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/schedule/schedules.hpp"
#include "ris/services/services.hpp"
#include "ris/store/store.hpp"
#include "schedule_spec.hpp"

namespace ris::schedule {

struct ActionDeps {
  store::Store& store;
  fleet::Tasks& tasks;
  services::Services* services;
};

struct Started {
  std::optional<std::string> task_id;  // task actions
  std::string detail;                  // what happened, for the fire's history
};

// The key a fire's task is submitted with: one task per fire, however often it is retried.
std::string idempotency_key(const Fire& f);

// Errc::busy/unavailable and the like are worth a retry; the caller decides.
Result<Started> start_action(const ActionDeps& deps, const Schedule& s, const ScheduleSpec& spec,
                             const Fire& f);

// The creator's access to the schedule's space, as a fire acts with it.
Result<identity::SpaceAccess> creator_access(store::Store& store, const Schedule& s);

// Whether the task still has runs to end (pending, dispatched or running).
bool task_active(const fleet::Task& t);

}  // namespace ris::schedule
