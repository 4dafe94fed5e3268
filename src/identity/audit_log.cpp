#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

#include "audit_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/identity/audit.hpp"
#include "ris/security/digest.hpp"

namespace ris::identity {
namespace {

// The hashed form of an entry: a JSON array in a fixed order, so it is unambiguous.
std::string entry_hash(const AuditEntry& e, const std::string& details_json) {
  boost::json::array a{e.seq,    e.id,     e.time,    e.actor,      e.source,   e.space_id,
                       e.action, e.target, e.outcome, details_json, e.prev_hash};
  return security::sha256_hex(boost::json::serialize(a));
}

bool names_secret(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view word :
       {"password", "secret", "token", "key", "authorization", "cookie", "credential"})
    if (k.find(word) != std::string::npos)
      return true;
  return false;
}

void mask_value(boost::json::value& v) {
  if (auto* o = v.if_object()) {
    for (auto& kv : *o) {
      if (names_secret(kv.key()))
        kv.value() = "***";
      else
        mask_value(kv.value());
    }
  } else if (auto* a = v.if_array()) {
    for (auto& item : *a)
      mask_value(item);
  }
}

}  // namespace

boost::json::object mask_secrets(boost::json::object details) {
  boost::json::value v(std::move(details));
  mask_value(v);
  return std::move(v.as_object());
}

Result<AuditEntry> AuditLog::append(AuditEntry e) {
  e.id = new_id();
  if (e.time.empty())
    e.time = now_rfc3339();
  if (e.actor.empty())
    e.actor = "anonymous";
  e.details = mask_secrets(std::move(e.details));
  const std::string details_json = boost::json::serialize(e.details);
  return AuditRepository(store_).append(
      e, details_json, [&](const AuditEntry& sealed) { return entry_hash(sealed, details_json); });
}

Result<std::vector<AuditEntry>> AuditLog::list(const AuditFilter& f) {
  if (f.limit < 1 || f.limit > 1000)
    return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  return AuditRepository(store_).list(f);
}

Result<AuditVerification> AuditLog::verify() {
  constexpr int64_t kPage = 1000;
  AuditRepository audit(store_);
  AuditVerification v;
  std::string prev = kAuditGenesisHash;
  int64_t expected_seq = 1;
  // Walks from `expected_seq` to the end, in pages so memory stays bounded however long the
  // log is. False once a bad entry has been found (v says which).
  auto walk = [&]() -> Result<bool> {
    for (;;) {
      RIS_TRY(auto page, audit.page_from(expected_seq, kPage));
      for (const auto& stored : page) {
        const AuditEntry& e = stored.entry;
        auto bad = [&](std::string problem) {
          v.ok = false;
          v.first_bad_seq = e.seq;
          v.problem = std::move(problem);
        };
        if (e.seq != expected_seq)
          bad(fmt::format("entry {} is missing (next present is {})", expected_seq, e.seq));
        else if (e.prev_hash != prev)
          bad(fmt::format("entry {} does not follow entry {}: the chain is broken", e.seq,
                          e.seq - 1));
        else if (entry_hash(e, stored.details_json) != e.hash)
          bad(fmt::format("entry {} was altered after it was written", e.seq));
        if (!v.ok)
          return false;
        prev = e.hash;
        ++expected_seq;
        ++v.entries_checked;
      }
      if (static_cast<int64_t>(page.size()) < kPage)
        return true;
    }
  };
  RIS_TRY(bool intact, walk());
  if (!intact)
    return v;
  RIS_TRY(std::string actual_head, audit.head());
  // Entries appended while we walked moved the head past what we read: read those too. A head
  // ahead of every stored entry, though, means the newest entries were removed.
  for (;;) {
    const std::string head_seq = actual_head.substr(0, actual_head.find(':'));
    if (head_seq.empty() || std::to_string(v.entries_checked) == head_seq)
      break;
    const int64_t before = v.entries_checked;
    RIS_TRY(intact, walk());
    if (!intact)
      return v;
    if (v.entries_checked == before)
      break;
    RIS_TRY(actual_head, audit.head());
  }
  const std::string expected_head =
      v.entries_checked == 0 ? "" : fmt::format("{}:{}", v.entries_checked, prev);
  if (actual_head != expected_head) {
    v.ok = false;
    v.first_bad_seq = v.entries_checked + 1;
    v.problem = fmt::format("the log ends at entry {} but was last written at {}",
                            v.entries_checked, actual_head.substr(0, actual_head.find(':')));
  }
  return v;
}

}  // namespace ris::identity
