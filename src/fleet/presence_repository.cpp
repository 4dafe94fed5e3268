#include "presence_repository.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>

namespace ris::fleet {
namespace {
constexpr std::string_view kServerColumns =
    "SELECT s.id AS id, s.advertise AS advertise, s.version AS version, s.started_at AS "
    "started_at, s.lease_until AS lease_until, COUNT(p.agent_id) AS agents FROM servers s LEFT "
    "JOIN agent_presence p ON p.server_id = s.id ";
constexpr std::string_view kServerGroup =
    " GROUP BY s.id, s.advertise, s.version, s.started_at, s.lease_until ORDER BY s.id";

ServerInfo server_from(const store::Row& r) {
  ServerInfo s;
  s.id = r.get<std::string>("id");
  s.version = r.get<std::string>("version");
  s.started_at = r.get<std::string>("started_at");
  s.lease_until = r.get<std::string>("lease_until");
  s.presence_rows = r.get<int64_t>("agents");
  boost::system::error_code ec;
  auto urls = boost::json::parse(r.get<std::string>("advertise"), ec);
  if (!ec && urls.is_array())
    for (const auto& u : urls.as_array())
      if (u.is_string())
        s.advertise.emplace_back(u.as_string());
  return s;
}
}  // namespace

Result<void> PresenceRepository::register_server(const ServerRecord& s) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO servers (id, advertise, version, started_at, lease_until) VALUES (?, ?, ?, ?, "
      "?) ON CONFLICT (id) DO UPDATE SET advertise = excluded.advertise, version = "
      "excluded.version, started_at = excluded.started_at, lease_until = excluded.lease_until",
      {s.id, s.advertise_json, s.version, s.started_at, s.lease_until}));
  return {};
}

Result<bool> PresenceRepository::renew(std::string_view server_id, const std::string& lease_until) {
  RIS_TRY(auto r, store_.query("UPDATE servers SET lease_until = ? WHERE id = ?",
                               {lease_until, std::string(server_id)}));
  return r.changes > 0;
}

Result<void> PresenceRepository::deregister(std::string_view server_id) {
  const std::string id(server_id);
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("DELETE FROM agent_presence WHERE server_id = ?", {id}));
    RIS_TRY_VOID(tx.query("DELETE FROM servers WHERE id = ?", {id}));
    return {};
  });
}

Result<void> PresenceRepository::forget_dead(const std::string& lapsed_before) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(
        tx.query("DELETE FROM agent_presence WHERE server_id IN (SELECT id FROM servers WHERE "
                 "lease_until < ?)",
                 {lapsed_before}));
    RIS_TRY_VOID(tx.query("DELETE FROM servers WHERE lease_until < ?", {lapsed_before}));
    return {};
  });
}

Result<std::vector<ServerInfo>> PresenceRepository::list_servers() {
  RIS_TRY(auto rows, store_.query(std::string(kServerColumns) + std::string(kServerGroup), {}));
  std::vector<ServerInfo> out;
  for (const auto& r : rows.rows)
    out.push_back(server_from(r));
  return out;
}

Result<std::optional<ServerInfo>> PresenceRepository::find_server(std::string_view server_id) {
  RIS_TRY(auto rows,
          store_.query(std::string(kServerColumns) + "WHERE s.id = ?" + std::string(kServerGroup),
                       {std::string(server_id)}));
  if (rows.rows.empty())
    return std::optional<ServerInfo>();
  return std::optional<ServerInfo>(server_from(rows.rows[0]));
}

Result<void> PresenceRepository::hold(std::string_view agent_id, std::string_view server_id,
                                      std::string_view session_id, const std::string& since) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO agent_presence (agent_id, server_id, session_id, since) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (agent_id) DO UPDATE SET server_id = excluded.server_id, session_id = "
      "excluded.session_id, since = excluded.since",
      {std::string(agent_id), std::string(server_id), std::string(session_id), since}));
  return {};
}

Result<bool> PresenceRepository::release(std::string_view agent_id, std::string_view session_id) {
  RIS_TRY(auto r, store_.query("DELETE FROM agent_presence WHERE agent_id = ? AND session_id = ?",
                               {std::string(agent_id), std::string(session_id)}));
  return r.changes > 0;
}

Result<std::optional<std::string>> PresenceRepository::holder(std::string_view agent_id,
                                                              const std::string& now) {
  RIS_TRY(auto rows, store_.query("SELECT p.server_id FROM agent_presence p JOIN servers s ON "
                                  "s.id = p.server_id WHERE p.agent_id = ? AND s.lease_until > ?",
                                  {std::string(agent_id), now}));
  if (rows.rows.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(rows.rows[0].get<std::string>(0));
}

Result<std::vector<std::pair<std::string, std::string>>> PresenceRepository::holders(
    const std::vector<std::string>& agent_ids, const std::string& now) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t from = 0; from < agent_ids.size(); from += store::kMaxInList) {
    const size_t to = std::min(agent_ids.size(), from + store::kMaxInList);
    const std::string sql =
        "SELECT p.agent_id, p.server_id FROM agent_presence p JOIN servers s ON s.id = "
        "p.server_id WHERE s.lease_until > ? AND p.agent_id IN (" +
        store::placeholders(to - from) + ")";
    std::vector<store::Value> params{now};
    params.insert(params.end(), agent_ids.begin() + from, agent_ids.begin() + to);
    RIS_TRY(auto rows, store_.query(sql, std::move(params)));
    for (const auto& r : rows.rows)
      out.emplace_back(r.get<std::string>(0), r.get<std::string>(1));
  }
  return out;
}

Result<std::vector<std::string>> PresenceRepository::live_advertise(const std::string& now) {
  RIS_TRY(auto rows, store_.query("SELECT advertise FROM servers WHERE lease_until > ? ORDER BY "
                                  "started_at, id",
                                  {now}));
  std::vector<std::string> out;
  for (const auto& r : rows.rows)
    out.push_back(r.get<std::string>(0));
  return out;
}

}  // namespace ris::fleet
