// The cluster over the API: the risd servers sharing this store (table `servers`), with their
// leases, the agents each holds and which one answered. Instance administrators only
// (ApplicationAdministrator, signed in as a person): it shows the servers' internal URLs.
#include <algorithm>
#include <boost/json/array.hpp>
#include <chrono>

#include "endpoint.hpp"
#include "ris/cluster/duty.hpp"
#include "ris/core/time.hpp"

namespace ris::api {
namespace {

Result<fleet::Presence*> presence_of(const Call& c) {
  if (c.caller.token || !c.caller.has_app_role(identity::kApplicationAdministrator))
    return fail(Errc::forbidden,
                "the cluster's servers are shown to instance administrators only "
                "(ApplicationAdministrator, signed in as a person)");
  if (!c.ctx.presence)
    return fail(Errc::unavailable, "this server keeps no presence in the store");
  return c.ctx.presence;
}

bool alive_at(const fleet::ServerInfo& s, SystemTime now) {
  auto until = parse_rfc3339(s.lease_until);
  return until && *until > now;
}

// Seconds since the server last renewed its lease: now - (lease_until - lease). Every server
// is taken to run with this one's --server-lease (the store keeps no lease length per server).
double lease_age_seconds(const fleet::ServerInfo& s, SystemTime now,
                         std::chrono::milliseconds lease) {
  auto until = parse_rfc3339(s.lease_until);
  if (!until)
    return 0;
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - (*until - lease));
  return static_cast<double>(std::max<int64_t>(age.count(), 0)) / 1000.0;
}

boost::json::object server_json(const fleet::Presence& self, const fleet::ServerInfo& s,
                                SystemTime now, const std::map<std::string, std::string>& duties) {
  boost::json::array advertise;
  for (const auto& url : s.advertise)
    advertise.emplace_back(url);
  const bool alive = alive_at(s, now);
  boost::json::array held;  // the duties (sweeper, scheduler) whose lease this server holds
  for (const auto& [duty, holder] : duties)
    if (holder == s.id)
      held.emplace_back(duty);
  return {{"id", s.id},
          {"advertise", std::move(advertise)},
          {"version", s.version},
          {"started_at", s.started_at},
          {"lease_until", s.lease_until},
          {"lease_age_seconds", lease_age_seconds(s, now, self.lease())},
          {"state", alive ? "alive" : "dead"},
          // Held only while its server is alive: a dead one's rows wait for a reconnect.
          {"agents", alive ? s.presence_rows : int64_t{0}},
          {"duties", std::move(held)},
          {"self", s.id == self.server_id()}};
}

Result<net::Response> list_servers(Call& c) {
  RIS_TRY(auto* presence, presence_of(c));
  RIS_TRY(auto servers, presence->servers());
  const auto now = std::chrono::system_clock::now();
  RIS_TRY(auto duties, cluster::duty_holders(c.ctx.store, now));
  boost::json::array items;
  for (const auto& s : servers)
    items.push_back(server_json(*presence, s, now, duties));
  return net::json_response(
      200, boost::json::object{{"items", std::move(items)}, {"self", presence->server_id()}});
}

Result<net::Response> get_server(Call& c) {
  RIS_TRY(auto* presence, presence_of(c));
  c.target = c.req.params["server"];
  RIS_TRY(auto found, presence->server(c.target));
  if (!found)
    return fail(Errc::not_found, "no server \"" + c.target + "\" in this cluster");
  const auto now = std::chrono::system_clock::now();
  RIS_TRY(auto duties, cluster::duty_holders(c.ctx.store, now));
  return net::json_response(200, server_json(*presence, *found, now, duties));
}

}  // namespace

Result<ClusterCounts> cluster_counts(ApiContext& ctx) {
  if (!ctx.presence)
    return fail(Errc::unavailable, "this server keeps no presence in the store");
  RIS_TRY(auto servers, ctx.presence->servers());
  const auto now = std::chrono::system_clock::now();
  ClusterCounts counts;
  for (const auto& s : servers)
    ++(alive_at(s, now) ? counts.alive : counts.dead);
  return counts;
}

void register_cluster_routes(net::Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/cluster/servers", endpoint(ctx, "cluster.server.list", list_servers));
  router.add("GET", "/api/v1/cluster/servers/{server}",
             endpoint(ctx, "cluster.server.get", get_server));
}

}  // namespace ris::api
