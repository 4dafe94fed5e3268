// The SQL of the audit log: audit_entries and the chain's head, kept under the key
// 'audit_head' of the store's meta table. Private to the identity module. Entries are only
// ever appended; nothing here updates or deletes them.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/audit.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

// The prev_hash of the first entry.
inline const std::string kAuditGenesisHash(64, '0');

// An entry as stored, with its details exactly as they were hashed.
struct StoredAuditEntry {
  AuditEntry entry;
  std::string details_json;
};

class AuditRepository {
 public:
  explicit AuditRepository(store::Store& store) : store_(store) {}

  // Appends `entry` as the chain's next link, in one transaction: reads the newest entry, gives
  // `entry` the next seq and that entry's hash as prev_hash, asks `seal` for its hash, inserts
  // it and moves the head. Two appends that race (PostgreSQL runs them SERIALIZABLE) collide on
  // the seq: the loser's serialization failure or duplicate seq is Errc::busy and the store runs
  // the body again on fresh data. The body has no effect outside the database and `seal` must
  // be a pure function, so a retry is safe. Returns the entry as stored.
  Result<AuditEntry> append(const AuditEntry& entry, const std::string& details_json,
                            const std::function<std::string(const AuditEntry&)>& seal);
  // Newest first, at most filter.limit.
  Result<std::vector<AuditEntry>> list(const AuditFilter& filter);
  // Entries from seq `first_seq` on, oldest first.
  Result<std::vector<StoredAuditEntry>> page_from(int64_t first_seq, int64_t limit);
  // "seq:hash" of the newest entry as last written, "" before the first.
  Result<std::string> head();

 private:
  store::Store& store_;
};

}  // namespace ris::identity
