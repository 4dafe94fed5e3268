// SQL that deletes the fleet's history (see ris/fleet/history.hpp). Portable SQL only; the one
// engine difference (VACUUM) is decided here.
#include "ris/fleet/history.hpp"

namespace ris::fleet {

Result<FleetHistoryDeleted> delete_fleet_history(store::Store& store) {
  FleetHistoryDeleted d;
  RIS_TRY_VOID(store.transaction([&d](store::Store& tx) -> Result<void> {
    d = {};  // the body may run again after Errc::busy
    // Children first, so each count is its own table's (the cascades then find nothing).
    RIS_TRY(auto output, tx.query("DELETE FROM task_output"));
    RIS_TRY(auto runs, tx.query("DELETE FROM task_runs"));
    RIS_TRY(auto tasks, tx.query("DELETE FROM tasks"));
    RIS_TRY(auto health, tx.query("DELETE FROM agent_health"));
    d = {tasks.changes, runs.changes, output.changes, health.changes};
    return {};
  }));
  return d;
}

Result<void> reclaim_space(store::Store& store) {
  if (store.engine() != store::Engine::sqlite)
    return {};
  RIS_TRY_VOID(store.query("VACUUM"));
  return {};
}

}  // namespace ris::fleet
