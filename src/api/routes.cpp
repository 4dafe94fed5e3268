// The route table of risd: the whole HTTP surface on one screen.
#include "handlers.hpp"

namespace ris::api {

void register_routes(net::Router& router, ApiContext& ctx) {
  auto bind = [&ctx](void (*fn)(ApiContext&, net::Request&, net::Reply)) {
    return [&ctx, fn](net::Request& req, net::Reply reply) { fn(ctx, req, std::move(reply)); };
  };
  router.add("GET", "/health", bind(handle_health));
  router.add("GET", "/metrics", bind(handle_metrics));
  router.add("GET", "/api/v1/openapi.json", bind(handle_openapi));
  router.add("POST", "/api/v1/auth/login", bind(handle_login));
  router.add("POST", "/api/v1/auth/refresh", bind(handle_refresh));
  router.add("POST", "/api/v1/auth/logout", bind(handle_logout));
  router.add("GET", "/.well-known/jwks.json", bind(handle_jwks));
  register_account_routes(router, ctx);
  register_space_routes(router, ctx);
  register_member_routes(router, ctx);
  register_role_routes(router, ctx);
  register_audit_routes(router, ctx);
  register_admin_routes(router, ctx);
  register_cluster_routes(router, ctx);
  register_fleet_routes(router, ctx);
  register_service_routes(router, ctx);
  register_schedule_routes(router, ctx);
  register_kv_routes(router, ctx);
  register_deploy_routes(router, ctx);
  register_queue_routes(router, ctx);
  register_web_routes(router);
  router.add_websocket("/events/v1", [&ctx](net::WsConnection& conn, const net::Request& upgrade) {
    return make_events_handler(ctx, conn, upgrade);
  });
}

}  // namespace ris::api
