#include "ris/fleet/agents.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "agents_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/security/ca.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/random.hpp"

namespace ris::fleet {
namespace {
constexpr int kHealthHistory = 720;  // e.g. two hours at one sample per 10 s

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
  RIS_TRY_VOID(AgentsRepository(store_).insert_join_token(
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
  AgentsRepository repo(store_);
  RIS_TRY(auto use, repo.use_join_token(security::sha256_hex(req.token), now_rfc3339()));
  if (!use)
    return refused;
  out.space_id = use->space_id;
  RIS_TRY(out.certificate_pem, security::sign_client_csr(ca_dir_, req.csr_pem, out.agent_id, 365));
  RIS_TRY(std::string fingerprint, security::certificate_sha256(out.certificate_pem));
  std::string name = req.name.empty() ? req.hostname : req.name;
  if (name.empty())
    name = out.agent_id;
  RIS_TRY_VOID(repo.insert_agent({out.agent_id, out.space_id, name.substr(0, 128), use->labels_json,
                                  req.hostname.substr(0, 253), fingerprint, now_rfc3339()}));
  return out;
}

Result<std::vector<Agent>> Agents::list(const identity::SpaceAccess& access,
                                        const Selector& selector) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto all, AgentsRepository(store_).in_space(access.space_id));
  std::vector<Agent> out;
  for (auto& a : all)
    if (selector.matches(a.labels))
      out.push_back(std::move(a));
  return out;
}

Result<std::vector<Agent>> Agents::get_many(const identity::SpaceAccess& access,
                                            const std::vector<std::string>& ids) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  return AgentsRepository(store_).many(access.space_id, ids);
}

Result<Agent> Agents::get(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto a, find(id));
  if (a.space_id != access.space_id)
    return fail(Errc::not_found, "no such agent");
  return a;
}

Result<Agent> Agents::find(std::string_view id) {
  RIS_TRY(auto a, AgentsRepository(store_).find(id));
  if (!a)
    return fail(Errc::not_found, "no such agent");
  return std::move(*a);
}

Result<std::vector<AgentLabels>> Agents::active_in_space(std::string_view space_id) {
  return AgentsRepository(store_).active_in_space(space_id);
}

Result<Agent> Agents::set_labels(const identity::SpaceAccess& access, std::string_view id,
                                 const Labels& labels) {
  RIS_TRY_VOID(identity::require(access, identity::kManageAgents));
  RIS_TRY(auto a, get(access, id));
  for (const auto& [k, v] : labels)
    RIS_TRY_VOID(validate_label(k, v));
  RIS_TRY_VOID(
      AgentsRepository(store_).set_labels(a.id, boost::json::serialize(labels_to_json(labels))));
  return find(id);
}

Result<void> Agents::revoke(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, identity::kManageAgents));
  RIS_TRY(auto a, get(access, id));
  return AgentsRepository(store_).revoke(a.id, now_rfc3339());
}

Result<boost::json::array> Agents::health_history(const identity::SpaceAccess& access,
                                                  std::string_view id, int limit) {
  RIS_TRY(auto a, get(access, id));
  RIS_TRY(auto samples,
          AgentsRepository(store_).health(a.id, int64_t{std::clamp(limit, 1, kHealthHistory)}));
  boost::json::array out;
  for (auto it = samples.rbegin(); it != samples.rend(); ++it) {
    boost::json::error_code ec;
    auto sample = boost::json::parse(it->sample_json, ec);
    if (ec)
      sample = boost::json::object{};
    if (sample.is_object())
      sample.as_object()["time"] = it->time;
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
  return AgentsRepository(store_).record_hello(
      id,
      {str(f, "hostname"), str(f, "os"), str(f, "kernel"), str(f, "arch"), str(f, "agent_version"),
       boost::json::serialize(addrs), boost::json::serialize(caps)},
      now_rfc3339());
}

Result<void> Agents::record_heartbeat(std::string_view id, const boost::json::object& sample) {
  const std::string text = boost::json::serialize(sample);
  if (text.size() > 8192)
    return fail(Errc::too_large, "heartbeat too large");
  return AgentsRepository(store_).record_heartbeat(id, text, now_rfc3339(), kHealthHistory);
}

Result<void> Agents::record_disconnect(std::string_view id) {
  return AgentsRepository(store_).touch(id, now_rfc3339());
}

Result<int64_t> Agents::count_active() {
  return AgentsRepository(store_).count_active();
}

}  // namespace ris::fleet
