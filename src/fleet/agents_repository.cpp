#include "agents_repository.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

#include "ris/core/time.hpp"

namespace ris::fleet {
namespace {
// Online: a live server holds the agent's session (its lease runs past the parameter, now).
constexpr std::string_view kOnline =
    "EXISTS (SELECT 1 FROM agent_presence p JOIN servers s ON s.id = p.server_id WHERE "
    "p.agent_id = a.id AND s.lease_until > ?) AS online";
// Its first parameter is now (kOnline).
const std::string kSelect =
    "SELECT a.id, a.space_id, a.name, a.labels, a.hostname, a.os, a.kernel, a.arch, "
    "a.agent_version, a.addresses, a.first_seen, a.last_seen, a.revoked_at, a.health, "
    "a.capabilities, " +
    std::string(kOnline) + " FROM agents a";

boost::json::value parse_or(const std::string& text, boost::json::value fallback) {
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  return ec ? fallback : v;
}

Agent from_row(const store::Row& r) {
  Agent a;
  a.id = r.get<std::string>("id");
  a.space_id = r.get<std::string>("space_id");
  a.name = r.get<std::string>("name");
  a.labels = labels_from_json(parse_or(r.get<std::string>("labels"), boost::json::object{}));
  a.hostname = r.get<std::string>("hostname");
  a.os = r.get<std::string>("os");
  a.kernel = r.get<std::string>("kernel");
  a.arch = r.get<std::string>("arch");
  a.agent_version = r.get<std::string>("agent_version");
  auto addrs = parse_or(r.get<std::string>("addresses"), boost::json::array{});
  if (addrs.is_array())
    a.addresses = addrs.as_array();
  a.first_seen = r.get<std::string>("first_seen");
  a.last_seen = r.get<std::string>("last_seen");
  a.revoked = !r.is_null("revoked_at");
  if (auto caps = parse_or(r.get<std::string>("capabilities"), boost::json::array{});
      caps.is_array())
    a.capabilities = caps.as_array();
  auto h = parse_or(r.get<std::string>("health"), boost::json::object{});
  if (h.is_object())
    a.health = h.as_object();
  a.online = r.get<bool>("online");
  return a;
}
}  // namespace

Result<void> AgentsRepository::insert_join_token(const NewJoinToken& t) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO join_tokens (id, space_id, token_hash, labels, created_by, created_at, "
      "expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {t.id, t.space_id, t.token_hash, t.labels_json, t.created_by, t.created_at, t.expires_at,
       t.max_uses}));
  return {};
}

Result<std::optional<JoinTokenUse>> AgentsRepository::use_join_token(std::string_view token_hash,
                                                                     std::string_view now) {
  RIS_TRY(auto rows, store_.query("UPDATE join_tokens SET uses = uses + 1 WHERE token_hash = ? "
                                  "AND revoked_at IS NULL AND expires_at > ? AND (max_uses = 0 "
                                  "OR uses < max_uses) RETURNING space_id, labels",
                                  {std::string(token_hash), std::string(now)}));
  if (rows.rows.empty())
    return std::optional<JoinTokenUse>();
  return std::optional<JoinTokenUse>(
      JoinTokenUse{rows.rows[0].get<std::string>(0), rows.rows[0].get<std::string>(1)});
}

Result<void> AgentsRepository::insert_agent(const NewAgent& a) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO agents (id, space_id, name, labels, hostname, cert_sha256, first_seen, "
      "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {a.id, a.space_id, a.name, a.labels_json, a.hostname, a.cert_sha256, a.seen_at, a.seen_at}));
  return {};
}

Result<std::optional<Agent>> AgentsRepository::find(std::string_view id) {
  RIS_TRY(auto rows, store_.query(kSelect + " WHERE a.id = ?", {now_rfc3339(), std::string(id)}));
  if (rows.rows.empty())
    return std::optional<Agent>();
  return std::optional<Agent>(from_row(rows.rows[0]));
}

Result<std::vector<Agent>> AgentsRepository::in_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query(kSelect + " WHERE a.space_id = ? ORDER BY a.name, a.id",
                                  {now_rfc3339(), std::string(space_id)}));
  std::vector<Agent> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<std::vector<Agent>> AgentsRepository::many(std::string_view space_id,
                                                  const std::vector<std::string>& ids) {
  std::vector<Agent> out;
  const std::string now = now_rfc3339();
  for (size_t from = 0; from < ids.size(); from += store::kMaxInList) {
    const size_t to = std::min(ids.size(), from + store::kMaxInList);
    const std::string sql =
        kSelect + " WHERE a.space_id = ? AND a.id IN (" + store::placeholders(to - from) + ")";
    std::vector<store::Value> params{now, std::string(space_id)};
    params.insert(params.end(), ids.begin() + from, ids.begin() + to);
    RIS_TRY(auto rows, store_.query(sql, std::move(params)));
    for (const auto& r : rows.rows)
      out.push_back(from_row(r));
  }
  return out;
}

Result<std::vector<AgentLabels>> AgentsRepository::active_in_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT a.id, a.labels, " + std::string(kOnline) +
                                      " FROM agents a WHERE a.space_id = ? AND a.revoked_at IS "
                                      "NULL ORDER BY a.id",
                                  {now_rfc3339(), std::string(space_id)}));
  std::vector<AgentLabels> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0),
                   labels_from_json(parse_or(r.get<std::string>(1), boost::json::object{})),
                   r.get<bool>(2)});
  return out;
}

Result<int64_t> AgentsRepository::count_active() {
  RIS_TRY(auto rows, store_.query("SELECT COUNT(*) FROM agents WHERE revoked_at IS NULL", {}));
  return rows.rows[0].get<int64_t>(0);
}

Result<void> AgentsRepository::set_labels(std::string_view id, const std::string& labels_json) {
  RIS_TRY_VOID(
      store_.query("UPDATE agents SET labels = ? WHERE id = ?", {labels_json, std::string(id)}));
  return {};
}

Result<void> AgentsRepository::revoke(std::string_view id, const std::string& now) {
  RIS_TRY_VOID(store_.query("UPDATE agents SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                            {now, std::string(id)}));
  return {};
}

Result<void> AgentsRepository::record_hello(std::string_view id, const HelloFacts& f,
                                            const std::string& now) {
  RIS_TRY_VOID(store_.query(
      "UPDATE agents SET hostname = ?, os = ?, kernel = ?, arch = ?, agent_version = ?, "
      "addresses = ?, capabilities = ?, last_seen = ? WHERE id = ?",
      {f.hostname, f.os, f.kernel, f.arch, f.agent_version, f.addresses_json, f.capabilities_json,
       now, std::string(id)}));
  return {};
}

Result<void> AgentsRepository::record_heartbeat(std::string_view id, const std::string& sample,
                                                const std::string& now, int64_t keep) {
  const std::string agent(id);
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(
        tx.query("UPDATE agents SET health = ?, last_seen = ? WHERE id = ?", {sample, now, agent}));
    RIS_TRY_VOID(
        tx.query("INSERT INTO agent_health (agent_id, time, sample) VALUES (?, ?, ?) ON CONFLICT "
                 "(agent_id, time) DO UPDATE SET sample = excluded.sample",
                 {agent, now, sample}));
    RIS_TRY_VOID(tx.query(
        "DELETE FROM agent_health WHERE agent_id = ? AND time < (SELECT time FROM agent_health "
        "WHERE agent_id = ? ORDER BY time DESC LIMIT 1 OFFSET ?)",
        {agent, agent, keep - 1}));
    return {};
  });
}

Result<void> AgentsRepository::touch(std::string_view id, const std::string& now) {
  RIS_TRY_VOID(
      store_.query("UPDATE agents SET last_seen = ? WHERE id = ?", {now, std::string(id)}));
  return {};
}

Result<std::vector<HealthSample>> AgentsRepository::health(std::string_view id, int64_t limit) {
  RIS_TRY(auto rows,
          store_.query(
              "SELECT time, sample FROM agent_health WHERE agent_id = ? ORDER BY time DESC LIMIT ?",
              {std::string(id), limit}));
  std::vector<HealthSample> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1)});
  return out;
}

}  // namespace ris::fleet
