// The fleet's history — tasks with their runs and output, agents' health samples — deleted in
// one go, for benchmarks and test installations that start every run from the same database
// (`risd admin reset-fleet-history`). Agents, join tokens, spaces and accounts are kept.
#pragma once
#include <cstdint>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

struct FleetHistoryDeleted {
  int64_t tasks = 0, runs = 0, output_chunks = 0, health_samples = 0;
};

// Blocking. One transaction; running tasks go too, so run it while risd is stopped.
Result<FleetHistoryDeleted> delete_fleet_history(store::Store& store);
// Gives the pages freed by deleting back to the file system (SQLite's VACUUM); nothing to do on
// PostgreSQL, whose autovacuum reuses them. Needs the database to itself.
Result<void> reclaim_space(store::Store& store);

}  // namespace ris::fleet
