// GET /metrics: Prometheus text exposition. Rendering reads /proc, and the cluster gauge the
// store, so it runs on the worker pool.
#include "handlers.hpp"

namespace ris::api {

void handle_metrics(ApiContext& ctx, net::Request&, net::Reply reply) {
  ctx.blocking.post([&ctx, reply = std::move(reply)] {
    // Computed at scrape time; when the store does not answer, the last values stay.
    if (ctx.presence)
      if (auto counts = cluster_counts(ctx)) {
        auto& servers = ctx.metrics.gauge("ris_cluster_servers",
                                          "Servers sharing this store, by lease state", {"state"});
        servers.with({"alive"}).set(static_cast<double>(counts->alive));
        servers.with({"dead"}).set(static_cast<double>(counts->dead));
      }
    net::Response r;
    r.content_type = std::string(metrics::kContentType);
    r.body = ctx.metrics.render();
    reply(std::move(r));
  });
}

}  // namespace ris::api
