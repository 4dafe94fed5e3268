// SQL that empties the audit log (see ris/identity/audit_reset.hpp). Portable SQL only.
#include "ris/identity/audit_reset.hpp"

namespace ris::identity {

Result<int64_t> restart_audit_log(store::Store& store, AuditEntry first) {
  int64_t deleted = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto entries, tx.query("DELETE FROM audit_entries"));
    RIS_TRY_VOID(tx.query("DELETE FROM meta WHERE key = 'audit_head'"));
    deleted = entries.changes;
    AuditEntry entry = first;  // the body may run again after Errc::busy
    entry.details["entries_deleted"] = deleted;
    RIS_TRY_VOID(AuditLog(tx).append(std::move(entry)));
    return {};
  }));
  return deleted;
}

}  // namespace ris::identity
