// GET /metrics: Prometheus text exposition. Rendering reads /proc, so it runs on the worker pool.
#include "handlers.hpp"

namespace ris::api {

void handle_metrics(ApiContext& ctx, net::Request&, net::Reply reply) {
  ctx.blocking.post([&ctx, reply = std::move(reply)] {
    net::Response r;
    r.content_type = std::string(metrics::kContentType);
    r.body = ctx.metrics.render();
    reply(std::move(r));
  });
}

}  // namespace ris::api
