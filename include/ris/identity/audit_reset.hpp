// Starting the audit log afresh — for benchmarks and test installations only
// (`risd admin reset-fleet-history`). RIS itself never deletes audit entries; this removes them
// all and begins a new chain whose first entry says so, so the log still verifies.
#pragma once
#include <cstdint>

#include "ris/core/result.hpp"
#include "ris/identity/audit.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

// Blocking. One transaction: every entry and the chain's head go, then `first` is appended as
// entry 1 (its details get "entries_deleted"). Returns how many entries were deleted.
Result<int64_t> restart_audit_log(store::Store& store, AuditEntry first);

}  // namespace ris::identity
