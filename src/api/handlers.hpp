// Private to src/api: the handler functions that routes.cpp puts in the route table.
#pragma once
#include "ris/api/api.hpp"

namespace ris::api {
void handle_health(ApiContext& ctx, net::Request& req, net::Reply reply);
void handle_metrics(ApiContext& ctx, net::Request& req, net::Reply reply);
void handle_openapi(ApiContext& ctx, net::Request& req, net::Reply reply);
void handle_login(ApiContext& ctx, net::Request& req, net::Reply reply);
void handle_refresh(ApiContext& ctx, net::Request& req, net::Reply reply);
void handle_logout(ApiContext& ctx, net::Request& req, net::Reply reply);
void handle_jwks(ApiContext& ctx, net::Request& req, net::Reply reply);
void register_space_routes(net::Router& router, ApiContext& ctx);
void register_account_routes(net::Router& router, ApiContext& ctx);
void register_member_routes(net::Router& router, ApiContext& ctx);
void register_role_routes(net::Router& router, ApiContext& ctx);
void register_audit_routes(net::Router& router, ApiContext& ctx);
void register_admin_routes(net::Router& router, ApiContext& ctx);
void register_cluster_routes(net::Router& router, ApiContext& ctx);
void register_fleet_routes(net::Router& router, ApiContext& ctx);
void register_schedule_routes(net::Router& router, ApiContext& ctx);
void register_kv_routes(net::Router& router, ApiContext& ctx);
void register_deploy_routes(net::Router& router, ApiContext& ctx);
void register_queue_routes(net::Router& router, ApiContext& ctx);
void register_service_routes(net::Router& router, ApiContext& ctx);
void register_web_routes(net::Router& router);
// The servers sharing the store by state, for /health and /metrics (blocking: on the pool).
struct ClusterCounts {
  int64_t alive = 0, dead = 0;
};
Result<ClusterCounts> cluster_counts(ApiContext& ctx);
std::unique_ptr<net::WsHandler> make_events_handler(ApiContext& ctx, net::WsConnection& conn,
                                                    const net::Request& upgrade);
}  // namespace ris::api
