// GET /health and /health?detailed=true, in seed 000's shapes. The detailed form pings the
// database on the worker pool (never on the I/O thread) and answers 503 when it is down, so a
// load balancer or a Docker health check can act on the status code alone.
#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "handlers.hpp"
#include "ris/core/time.hpp"
#include "ris/metrics/process_metrics.hpp"

namespace ris::api {

void handle_health(ApiContext& ctx, net::Request& req, net::Reply reply) {
  const auto detailed = req.query_param("detailed");
  if (detailed != "true" && detailed != "1") {
    reply(net::json_response(
        200, boost::json::object{{"status", "healthy"}, {"timestamp", now_rfc3339()}}));
    return;
  }
  ctx.blocking.post([&ctx, reply = std::move(reply)] {
    auto ping = ctx.store.ping();
    const bool db_ok = ping.has_value();
    const int64_t connected = ctx.agents_connected();
    const int64_t known = ctx.agents_known();
    const auto ps = metrics::read_process_stats();
    const int64_t uptime = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now() - ctx.started)
                               .count();

    boost::json::object components{
        {"database", db_ok                                    ? "connected"
                     : ping.error().code == Errc::unavailable ? "unavailable"
                                                              : "error"},
        {"bus", ctx.bus.connected() ? "connected" : "disconnected"},
        {"clients", fmt::format("{}/{} connected", connected, known)},
    };
    boost::json::object database{{"backend", ctx.store.backend()},
                                 {"schema_version", ctx.store.schema_version()}};
    if (!db_ok)
      database["error"] = ping.error().message;
    boost::json::object details{
        {"database", std::move(database)},
        {"bus", {{"backend", ctx.bus.backend()}}},
        {"agents", {{"connected", connected}, {"known", known}}},
        {"open_files",
         {{"open", ps.open_fds}, {"soft_limit", ps.max_fds_soft}, {"hard_limit", ps.max_fds_hard}}},
        {"memory", {{"rss_bytes", ps.rss_bytes}}},
        {"tls", {{"min_version", ctx.config.tls_min_version}, {"ca_sha256", ctx.ca_sha256}}},
    };
    // This server among those sharing the store; the counts need the database.
    if (ctx.presence) {
      boost::json::object cluster{{"server_id", ctx.presence->server_id()},
                                  {"alive", ctx.presence->alive()}};
      auto counts = db_ok ? cluster_counts(ctx) : Result<ClusterCounts>(fail(ping.error()));
      if (counts) {
        cluster["servers"] = boost::json::object{{"alive", counts->alive}, {"dead", counts->dead}};
      } else {
        cluster["error"] = counts.error().message;
      }
      details["cluster"] = std::move(cluster);
    }
    boost::json::object body{
        {"status", db_ok ? "healthy" : "unhealthy"},
        {"timestamp", now_rfc3339()},
        {"version", kVersion},
        {"uptime_seconds", uptime},
        {"components", std::move(components)},
        {"details", std::move(details)},
    };
    reply(net::json_response(db_ok ? 200 : 503, body));
  });
}

}  // namespace ris::api
