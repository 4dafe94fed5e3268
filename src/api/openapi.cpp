// GET /api/v1/openapi.json: the machine-readable API description. Each module adds its paths
// here as it gains routes (the integration test checks the main ones are described).
#include <boost/json/parse.hpp>

#include "handlers.hpp"

namespace ris::api {
namespace {
constexpr std::string_view kOpenApi = R"json({
  "openapi": "3.1.0",
  "info": {"title": "RIS API", "version": "0.1.0",
           "description": "Remote Integrated Services: the risd control server."},
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
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
    "/api/v1/auth/login": {"post": {"summary": "Sign in with a password; returns an access token (JWT, 15 min) and a refresh token",
      "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["login", "password"],
        "properties": {"login": {"type": "string", "description": "email or username"}, "password": {"type": "string"}}}}}},
      "responses": {"200": {"description": "Tokens and the account"}, "400": {"$ref": "#/components/responses/Problem"},
                    "401": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/auth/refresh": {"post": {"summary": "Rotate a refresh token; reusing an old one revokes the whole sign-in",
      "responses": {"200": {"description": "New tokens"}, "401": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/auth/logout": {"post": {"summary": "Revoke a refresh token and its family",
      "responses": {"204": {"description": "Signed out"}, "401": {"$ref": "#/components/responses/Problem"}}}},
    "/.well-known/jwks.json": {"get": {"summary": "Public keys that verify access tokens (EdDSA)",
      "responses": {"200": {"description": "JWK set"}}}},
    "/api/v1/me": {"get": {"summary": "The signed-in account", "security": [{"bearer": []}],
      "responses": {"200": {"description": "Account"}, "401": {"$ref": "#/components/responses/Problem"}}}},
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
