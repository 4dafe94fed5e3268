// The audit log: every mutating API call and every security event appends one entry. Entries
// form a hash chain (each stores the SHA-256 of the previous entry), and the chain's head is
// kept in `meta`, so verify() finds an altered, removed or truncated entry. Entries are never
// updated or deleted by RIS. Secrets in `details` are masked before they are stored.
#pragma once
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct AuditEntry {
  int64_t seq = 0;       // assigned by append
  std::string id;        // assigned by append
  std::string time;      // RFC 3339; now when empty
  std::string actor;     // account id, "system" or "anonymous"
  std::string source;    // remote address
  std::string space_id;  // "" for instance-wide events
  std::string action;
  std::string target;
  std::string outcome = "success";  // success, failure, denied
  boost::json::object details;
  std::string prev_hash, hash;  // assigned by append
};

struct AuditFilter {
  std::optional<std::string> space_id, actor, action_prefix, outcome;
  std::optional<std::string> since, until;  // RFC 3339, inclusive
  std::optional<int64_t> before_seq;        // paging: entries older than this
  int limit = 100;                          // 1..1000
};

struct AuditVerification {
  bool ok = true;
  int64_t entries_checked = 0;
  std::optional<int64_t> first_bad_seq;
  std::string problem;  // for a person: what is wrong where
};

class AuditLog {
 public:
  explicit AuditLog(store::Store& store) : store_(store) {}
  // Blocking (worker pool). Serialised by the store's write transaction.
  Result<AuditEntry> append(AuditEntry entry);
  // Newest first.
  Result<std::vector<AuditEntry>> list(const AuditFilter& filter);
  Result<AuditVerification> verify();

 private:
  store::Store& store_;
};

// Replaces the values of keys that name secrets (password, secret, token, key, authorization,
// cookie, credential — any case, anywhere in nested objects and arrays) with "***".
boost::json::object mask_secrets(boost::json::object details);

}  // namespace ris::identity
