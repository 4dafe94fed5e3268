#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/identity/audit.hpp"
#include "ris/security/digest.hpp"

namespace ris::identity {
namespace {

const std::string kGenesis(64, '0');
constexpr std::string_view kColumns =
    "seq, id, time, actor, source, space_id, action, target, outcome, details, prev_hash, hash";

// The hashed form of an entry: a JSON array in a fixed order, so it is unambiguous.
std::string entry_hash(const AuditEntry& e, const std::string& details_json) {
  boost::json::array a{e.seq,    e.id,     e.time,    e.actor,      e.source,   e.space_id,
                       e.action, e.target, e.outcome, details_json, e.prev_hash};
  return security::sha256_hex(boost::json::serialize(a));
}

AuditEntry from_row(const store::Row& r, std::string* details_json) {
  AuditEntry e;
  e.seq = r.get<int64_t>("seq");
  e.id = r.get<std::string>("id");
  e.time = r.get<std::string>("time");
  e.actor = r.get<std::string>("actor");
  e.source = r.get<std::string>("source");
  e.space_id = r.get<std::string>("space_id");
  e.action = r.get<std::string>("action");
  e.target = r.get<std::string>("target");
  e.outcome = r.get<std::string>("outcome");
  std::string details = r.get<std::string>("details");
  boost::json::error_code ec;
  auto v = boost::json::parse(details, ec);
  if (!ec && v.is_object())
    e.details = v.as_object();
  if (details_json)
    *details_json = std::move(details);
  e.prev_hash = r.get<std::string>("prev_hash");
  e.hash = r.get<std::string>("hash");
  return e;
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
  auto r = store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto last, tx.query("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1"));
    e.seq = last.rows.empty() ? 1 : last.rows[0].get<int64_t>(0) + 1;
    e.prev_hash = last.rows.empty() ? kGenesis : last.rows[0].get<std::string>(1);
    e.hash = entry_hash(e, details_json);
    RIS_TRY_VOID(tx.query(
        fmt::format("INSERT INTO audit_entries ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", kColumns),
        {e.seq, e.id, e.time, e.actor, e.source, e.space_id, e.action, e.target, e.outcome,
         details_json, e.prev_hash, e.hash}));
    // The head anchors the end of the chain: removing the newest entries is detected too.
    RIS_TRY_VOID(
        tx.query("INSERT INTO meta (key, value) VALUES ('audit_head', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 {fmt::format("{}:{}", e.seq, e.hash)}));
    return {};
  });
  if (!r)
    return fail(r.error());
  return e;
}

Result<std::vector<AuditEntry>> AuditLog::list(const AuditFilter& f) {
  if (f.limit < 1 || f.limit > 1000)
    return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  std::string sql = fmt::format("SELECT {} FROM audit_entries WHERE 1=1", kColumns);
  std::vector<store::Value> params;
  auto add = [&](std::string_view clause, const std::optional<std::string>& v) {
    if (v) {
      sql += clause;
      params.emplace_back(*v);
    }
  };
  add(" AND space_id = ?", f.space_id);
  add(" AND actor = ?", f.actor);
  add(" AND outcome = ?", f.outcome);
  add(" AND time >= ?", f.since);
  add(" AND time <= ?", f.until);
  if (f.action_prefix) {
    sql += " AND substr(action, 1, length(?)) = ?";
    params.emplace_back(*f.action_prefix);
    params.emplace_back(*f.action_prefix);
  }
  if (f.before_seq) {
    sql += " AND seq < ?";
    params.emplace_back(*f.before_seq);
  }
  sql += " ORDER BY seq DESC LIMIT ?";
  params.emplace_back(int64_t{f.limit});
  RIS_TRY(auto rows, store_.query(sql, std::move(params)));
  std::vector<AuditEntry> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows)
    out.push_back(from_row(row, nullptr));
  return out;
}

Result<AuditVerification> AuditLog::verify() {
  AuditVerification v;
  std::string prev = kGenesis;
  int64_t expected_seq = 1;
  // Walk in pages so memory stays bounded however long the log is.
  for (;;) {
    RIS_TRY(auto page, store_.query(fmt::format("SELECT {} FROM audit_entries WHERE seq >= ? "
                                                "ORDER BY seq LIMIT 1000",
                                                kColumns),
                                    {expected_seq}));
    for (const auto& row : page.rows) {
      std::string details_json;
      AuditEntry e = from_row(row, &details_json);
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
      else if (entry_hash(e, details_json) != e.hash)
        bad(fmt::format("entry {} was altered after it was written", e.seq));
      if (!v.ok)
        return v;
      prev = e.hash;
      ++expected_seq;
      ++v.entries_checked;
    }
    if (page.rows.size() < 1000)
      break;
  }
  RIS_TRY(auto head, store_.query("SELECT value FROM meta WHERE key = 'audit_head'"));
  const std::string expected_head =
      v.entries_checked == 0 ? "" : fmt::format("{}:{}", v.entries_checked, prev);
  const std::string actual_head = head.rows.empty() ? "" : head.rows[0].get<std::string>(0);
  if (actual_head != expected_head) {
    v.ok = false;
    v.first_bad_seq = v.entries_checked + 1;
    v.problem = fmt::format("the log ends at entry {} but was last written at {}",
                            v.entries_checked, actual_head.substr(0, actual_head.find(':')));
  }
  return v;
}

}  // namespace ris::identity
