#include "ris/fleet/agents.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/security/ca.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/random.hpp"

namespace ris::fleet {
namespace {
constexpr int kHealthHistory = 720;  // e.g. two hours at one sample per 10 s
constexpr std::string_view kColumns =
    "id, space_id, name, labels, hostname, os, kernel, arch, agent_version, addresses, first_seen, "
    "last_seen, "
    "revoked_at, health, capabilities";

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
  return a;
}

std::string str(const boost::json::object& o, std::string_view k, size_t max = 256) {
  const auto* v = o.if_contains(k);
  if (!v || !v->is_string())
    return {};
  std::string s(v->as_string());
  if (s.size() > max)
    s.resize(max);
  return s;
}
}  // namespace

Labels labels_from_json(const boost::json::value& v) {
  Labels out;
  if (v.is_object())
    for (const auto& [k, val] : v.as_object())
      if (val.is_string())
        out.emplace(std::string(k), std::string(val.as_string()));
  return out;
}

boost::json::object labels_to_json(const Labels& l) {
  boost::json::object o;
  for (const auto& [k, v] : l)
    o[k] = v;
  return o;
}

Result<CreatedJoinToken> Agents::create_join_token(const identity::SpaceAccess& access,
                                                   const JoinTokenSpec& spec) {
  RIS_TRY_VOID(identity::require(access, identity::kManageAgents));
  for (const auto& [k, v] : spec.labels)
    RIS_TRY_VOID(validate_label(k, v));
  if (spec.ttl_seconds < 1 || spec.ttl_seconds > 30 * 24 * 3600)
    return fail(Errc::invalid_argument, "ttl must be between 1 second and 30 days");
  if (spec.max_uses < 0)
    return fail(Errc::invalid_argument, "uses must not be negative");
  CreatedJoinToken t;
  t.id = new_id();
  t.token = std::string(kJoinTokenPrefix) + security::random_token(24);
  t.expires_at =
      to_rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(spec.ttl_seconds));
  RIS_TRY_VOID(store_.query(
      "INSERT INTO join_tokens (id, space_id, token_hash, labels, created_by, created_at, "
      "expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {t.id, access.space_id, security::sha256_hex(t.token),
       boost::json::serialize(labels_to_json(spec.labels)), access.member.account_id, now_rfc3339(),
       t.expires_at, spec.max_uses}));
  return t;
}

Result<Enrolled> Agents::enrol(const EnrolRequest& req) {
  const Failure refused =
      fail(Errc::unauthenticated, "join token is unknown, expired, revoked or used up");
  if (!req.token.starts_with(kJoinTokenPrefix) || req.token.size() > 128)
    return refused;
  if (req.csr_pem.empty() || req.csr_pem.size() > 16 * 1024)
    return fail(Errc::invalid_argument, "csr (PEM) is required");
  Enrolled out;
  out.agent_id = new_id();
  std::string labels;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(
        auto rows,
        tx.query(
            "SELECT id, space_id, labels, expires_at, max_uses, uses, revoked_at FROM join_tokens "
            "WHERE token_hash = ?",
            {security::sha256_hex(req.token)}));
    if (rows.rows.empty())
      return refused;
    const auto& r = rows.rows[0];
    if (!r.is_null("revoked_at") || r.get<std::string>("expires_at") <= now_rfc3339() ||
        (r.get<int64_t>("max_uses") > 0 && r.get<int64_t>("uses") >= r.get<int64_t>("max_uses")))
      return refused;
    out.space_id = r.get<std::string>("space_id");
    labels = r.get<std::string>("labels");
    RIS_TRY_VOID(tx.query("UPDATE join_tokens SET uses = uses + 1 WHERE id = ?",
                          {r.get<std::string>("id")}));
    return {};
  }));
  RIS_TRY(out.certificate_pem, security::sign_client_csr(ca_dir_, req.csr_pem, out.agent_id, 365));
  RIS_TRY(std::string fingerprint, security::certificate_sha256(out.certificate_pem));
  const std::string now = now_rfc3339();
  std::string name = req.name.empty() ? req.hostname : req.name;
  if (name.empty())
    name = out.agent_id;
  RIS_TRY_VOID(store_.query(
      "INSERT INTO agents (id, space_id, name, labels, hostname, cert_sha256, first_seen, "
      "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {out.agent_id, out.space_id, name.substr(0, 128), labels, req.hostname.substr(0, 253),
       fingerprint, now, now}));
  return out;
}

Result<std::vector<Agent>> Agents::list(const identity::SpaceAccess& access,
                                        const Selector& selector) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto rows, store_.query("SELECT " + std::string(kColumns) +
                                      " FROM agents WHERE space_id = ? ORDER BY name",
                                  {access.space_id}));
  std::vector<Agent> out;
  for (const auto& r : rows.rows) {
    Agent a = from_row(r);
    if (selector.matches(a.labels))
      out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<Agent>> Agents::get_many(const identity::SpaceAccess& access,
                                            const std::vector<std::string>& ids) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  constexpr size_t kChunk = 500;  // well under SQLite's limit on bound parameters
  std::vector<Agent> out;
  for (size_t from = 0; from < ids.size(); from += kChunk) {
    const size_t to = std::min(ids.size(), from + kChunk);
    std::string sql =
        "SELECT " + std::string(kColumns) + " FROM agents WHERE space_id = ? AND id IN (";
    std::vector<store::Value> params{access.space_id};
    for (size_t i = from; i < to; ++i) {
      sql += i == from ? "?" : ", ?";
      params.emplace_back(ids[i]);
    }
    sql += ")";
    RIS_TRY(auto rows, store_.query(sql, std::move(params)));
    for (const auto& r : rows.rows)
      out.push_back(from_row(r));
  }
  return out;
}

Result<Agent> Agents::get(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto a, find(id));
  if (a.space_id != access.space_id)
    return fail(Errc::not_found, "no such agent");
  return a;
}

Result<Agent> Agents::find(std::string_view id) {
  RIS_TRY(auto rows, store_.query("SELECT " + std::string(kColumns) + " FROM agents WHERE id = ?",
                                  {std::string(id)}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such agent");
  return from_row(rows.rows[0]);
}

Result<Agent> Agents::set_labels(const identity::SpaceAccess& access, std::string_view id,
                                 const Labels& labels) {
  RIS_TRY_VOID(identity::require(access, identity::kManageAgents));
  RIS_TRY(auto a, get(access, id));
  for (const auto& [k, v] : labels)
    RIS_TRY_VOID(validate_label(k, v));
  RIS_TRY_VOID(store_.query("UPDATE agents SET labels = ? WHERE id = ?",
                            {boost::json::serialize(labels_to_json(labels)), a.id}));
  return find(id);
}

Result<void> Agents::revoke(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, identity::kManageAgents));
  RIS_TRY(auto a, get(access, id));
  RIS_TRY_VOID(store_.query("UPDATE agents SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                            {now_rfc3339(), a.id}));
  return {};
}

Result<boost::json::array> Agents::health_history(const identity::SpaceAccess& access,
                                                  std::string_view id, int limit) {
  RIS_TRY(auto a, get(access, id));
  RIS_TRY(auto rows,
          store_.query(
              "SELECT time, sample FROM agent_health WHERE agent_id = ? ORDER BY time DESC LIMIT ?",
              {a.id, int64_t{std::clamp(limit, 1, kHealthHistory)}}));
  boost::json::array out;
  for (auto it = rows.rows.rbegin(); it != rows.rows.rend(); ++it) {
    auto sample = parse_or(it->get<std::string>(1), boost::json::object{});
    if (sample.is_object())
      sample.as_object()["time"] = it->get<std::string>(0);
    out.push_back(std::move(sample));
  }
  return out;
}

Result<void> Agents::record_hello(std::string_view id, const boost::json::object& f) {
  boost::json::array addrs;
  if (const auto* a = f.if_contains("addresses"); a && a->is_array())
    for (const auto& v : a->as_array())
      if (v.is_string() && addrs.size() < 32)
        addrs.push_back(v);
  boost::json::array caps;
  if (const auto* c = f.if_contains("capabilities"); c && c->is_array())
    for (const auto& v : c->as_array())
      if (v.is_string() && v.as_string().size() <= 64 && caps.size() < 32)
        caps.push_back(v);
  RIS_TRY_VOID(store_.query(
      "UPDATE agents SET hostname = ?, os = ?, kernel = ?, arch = ?, agent_version = ?, "
      "addresses = ?, capabilities = ?, last_seen = ? WHERE id = ?",
      {str(f, "hostname"), str(f, "os"), str(f, "kernel"), str(f, "arch"), str(f, "agent_version"),
       boost::json::serialize(addrs), boost::json::serialize(caps), now_rfc3339(),
       std::string(id)}));
  return {};
}

Result<void> Agents::record_heartbeat(std::string_view id, const boost::json::object& sample) {
  const std::string now = now_rfc3339(), text = boost::json::serialize(sample), agent(id);
  if (text.size() > 8192)
    return fail(Errc::too_large, "heartbeat too large");
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(
        tx.query("UPDATE agents SET health = ?, last_seen = ? WHERE id = ?", {text, now, agent}));
    RIS_TRY_VOID(
        tx.query("INSERT OR REPLACE INTO agent_health (agent_id, time, sample) VALUES (?, ?, ?)",
                 {agent, now, text}));
    RIS_TRY_VOID(tx.query(
        "DELETE FROM agent_health WHERE agent_id = ? AND time < (SELECT time FROM agent_health "
        "WHERE agent_id = ? ORDER BY time DESC LIMIT 1 OFFSET ?)",
        {agent, agent, int64_t{kHealthHistory - 1}}));
    return {};
  });
}

Result<int64_t> Agents::count_active() {
  RIS_TRY(auto rows, store_.query("SELECT COUNT(*) FROM agents WHERE revoked_at IS NULL", {}));
  return rows.rows[0].get<int64_t>(0);
}

}  // namespace ris::fleet
