// GET /api/v1/openapi.json: the machine-readable API description. Each module adds its paths
// here as it gains routes; routes_test.cpp checks that every registered route is described.
#include <boost/json/parse.hpp>

#include "handlers.hpp"

namespace ris::api {
namespace {
constexpr std::string_view kOpenApi = R"json({
  "openapi": "3.1.0",
  "info": {"title": "RIS API", "version": "0.1.0",
           "description": "Remote Integrated Services: the risd control server."},
  "components": {
    "schemas": {
      "Problem": {"type": "object", "description": "RFC 9457 problem details",
        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                       "status": {"type": "integer"}, "detail": {"type": "string"}}}
    },
    "responses": {
      "Problem": {"description": "An error", "content": {"application/problem+json":
        {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    }
  },
  "paths": {
    "/health": {"get": {"summary": "Liveness, or component status with detailed=true",
      "parameters": [{"name": "detailed", "in": "query", "schema": {"type": "boolean"}}],
      "responses": {"200": {"description": "Healthy"}, "503": {"description": "A component is down"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics (text exposition format 0.0.4)",
      "responses": {"200": {"description": "Metrics", "content": {"text/plain": {}}}}}},
    "/api/v1/openapi.json": {"get": {"summary": "This document",
      "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
    "/events/v1": {"get": {"summary": "WebSocket upgrade: live events for people (hello, ping/pong)",
      "responses": {"101": {"description": "Switching protocols"}, "404": {"$ref": "#/components/responses/Problem"}}}}
  }
})json";
}  // namespace

void handle_openapi(ApiContext&, net::Request&, net::Reply reply) {
  static const boost::json::value doc = boost::json::parse(kOpenApi);
  reply(net::json_response(200, doc));
}

}  // namespace ris::api
