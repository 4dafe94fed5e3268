// SQL for audit_entries and the audit head in meta. Portable SQL only (SQLite and
// PostgreSQL 15).
#include "audit_repository.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include <optional>

namespace ris::identity {
namespace {

constexpr std::string_view kColumns =
    "seq, id, time, actor, source, space_id, action, target, outcome, details, prev_hash, hash";
constexpr std::string_view kHeadKey = "audit_head";

StoredAuditEntry from_row(const store::Row& r) {
  StoredAuditEntry s;
  AuditEntry& e = s.entry;
  e.seq = r.get<int64_t>("seq");
  e.id = r.get<std::string>("id");
  e.time = r.get<std::string>("time");
  e.actor = r.get<std::string>("actor");
  e.source = r.get<std::string>("source");
  e.space_id = r.get<std::string>("space_id");
  e.action = r.get<std::string>("action");
  e.target = r.get<std::string>("target");
  e.outcome = r.get<std::string>("outcome");
  s.details_json = r.get<std::string>("details");
  boost::json::error_code ec;
  auto v = boost::json::parse(s.details_json, ec);
  if (!ec && v.is_object())
    e.details = v.as_object();
  e.prev_hash = r.get<std::string>("prev_hash");
  e.hash = r.get<std::string>("hash");
  return s;
}

}  // namespace

Result<AuditEntry> AuditRepository::append(
    const AuditEntry& entry, const std::string& details_json,
    const std::function<std::string(const AuditEntry&)>& seal) {
  std::optional<AuditEntry> out;
  auto r = store_.transaction([&](store::Store& tx) -> Result<void> {
    // Everything is derived afresh from `entry` and the database on every run of the body.
    out.reset();
    AuditEntry e = entry;
    RIS_TRY(auto last, tx.query("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1"));
    e.seq = last.rows.empty() ? 1 : last.rows[0].get<int64_t>(0) + 1;
    e.prev_hash = last.rows.empty() ? kAuditGenesisHash : last.rows[0].get<std::string>(1);
    e.hash = seal(e);
    auto inserted = tx.query(
        fmt::format("INSERT INTO audit_entries ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", kColumns),
        {e.seq, e.id, e.time, e.actor, e.source, e.space_id, e.action, e.target, e.outcome,
         details_json, e.prev_hash, e.hash});
    if (!inserted) {
      // The only constraint a fresh entry can break is the seq another append took after we
      // read the newest entry: a lost race, which a retry on fresh data resolves.
      if (inserted.error().code == Errc::conflict)
        return fail(Errc::busy,
                    fmt::format("audit entry {} was appended concurrently; retrying", e.seq));
      return fail(inserted.error());
    }
    // The head anchors the end of the chain: removing the newest entries is detected too.
    RIS_TRY_VOID(
        tx.query("INSERT INTO meta (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 {std::string(kHeadKey), fmt::format("{}:{}", e.seq, e.hash)}));
    out = std::move(e);
    return {};
  });
  if (!r)
    return fail(r.error());
  return std::move(*out);
}

Result<std::vector<AuditEntry>> AuditRepository::list(const AuditFilter& f) {
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
    // length() of an untyped parameter is ambiguous on PostgreSQL: say it is text.
    sql += " AND substr(action, 1, length(CAST(? AS TEXT))) = ?";
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
    out.push_back(from_row(row).entry);
  return out;
}

Result<std::vector<StoredAuditEntry>> AuditRepository::page_from(int64_t first_seq, int64_t limit) {
  RIS_TRY(auto rows, store_.query(fmt::format("SELECT {} FROM audit_entries WHERE seq >= ? "
                                              "ORDER BY seq LIMIT ?",
                                              kColumns),
                                  {first_seq, limit}));
  std::vector<StoredAuditEntry> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows)
    out.push_back(from_row(row));
  return out;
}

Result<std::string> AuditRepository::head() {
  RIS_TRY(auto rows, store_.query("SELECT value FROM meta WHERE key = ?", {std::string(kHeadKey)}));
  return rows.rows.empty() ? std::string() : rows.rows[0].get<std::string>(0);
}

}  // namespace ris::identity
