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
                       "status": {"type": "integer"}, "detail": {"type": "string"}}},
      "ClusterServer": {"type": "object", "description": "A risd sharing the database, from its row in servers",
        "properties": {"id": {"type": "string"}, "advertise": {"type": "array", "items": {"type": "string", "format": "uri"}},
                       "version": {"type": "string"}, "started_at": {"type": "string", "format": "date-time"},
                       "lease_until": {"type": "string", "format": "date-time"},
                       "lease_age_seconds": {"type": "number", "description": "seconds since its last lease renewal (now - (lease_until - lease), with the answering server's --server-lease)"},
                       "state": {"type": "string", "enum": ["alive", "dead"]},
                       "agents": {"type": "integer", "description": "agents whose connection it holds (0 when dead)"},
                       "duties": {"type": "array", "items": {"type": "string"}, "description": "duties whose lease it holds (sweeper, scheduler)"},
                       "self": {"type": "boolean", "description": "the server that answered"}}}
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
    "/api/v1/me": {"get": {"summary": "The signed-in account", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "patch": {"summary": "Change username, display/first/last name", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Delete the account (password required; not while owning spaces)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/accounts": {"post": {"summary": "Sign up (instance setting signup: open, invite, closed)", "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/me/password": {"post": {"summary": "Change password (current password required); ends other sign-ins", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/me/email": {"post": {"summary": "Change email (password required)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/me/2fa/totp": {"post": {"summary": "Begin TOTP enrolment: secret and otpauth:// URI", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/me/2fa/totp/confirm": {"post": {"summary": "Confirm TOTP with a first code; returns recovery codes once", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/me/2fa/totp/disable": {"post": {"summary": "Disable TOTP (password and a code)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces": {"get": {"summary": "Your spaces, or public ones with public=true&q=", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Create a space (you own it)", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}": {"get": {"summary": "A space and your permissions in it", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "patch": {"summary": "Rename, describe, make public/private (MANAGE_SPACE)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Delete (owner only)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/transfer": {"post": {"summary": "Hand the space to another member (owner only)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/join": {"post": {"summary": "Join a public space", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/leave": {"post": {"summary": "Leave a space", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/members": {"get": {"summary": "Members", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/members/{account}": {"get": {"summary": "A member", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "patch": {"summary": "Nickname, timeout (muted_until)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Kick (KICK_MEMBERS, hierarchy)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/members/{account}/roles/{role}": {"put": {"summary": "Give a role (MANAGE_ROLES, hierarchy)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Take a role away", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/bans": {"get": {"summary": "Bans (BAN_MEMBERS)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/bans/{account}": {"put": {"summary": "Ban with a reason", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Unban", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/roles": {"get": {"summary": "Roles, highest first", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Create a role", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "patch": {"summary": "Reorder roles", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/roles/{role}": {"patch": {"summary": "Change a role", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Delete a role", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/overwrites/{type}/{resource}": {"get": {"summary": "Permission overwrites on a resource", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/overwrites/{type}/{resource}/{kind}/{target}": {"put": {"summary": "Set allow/deny for a role or member (empty removes)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/invitations": {"get": {"summary": "Invitations (MANAGE_SPACE)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Create an invitation (CREATE_INVITE)", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/invitations/{code}": {"delete": {"summary": "Revoke an invitation", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/invitations/{code}": {"get": {"summary": "The space an invitation leads to", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/invitations/{code}/accept": {"post": {"summary": "Join through an invitation", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/tokens": {"get": {"summary": "API tokens (MANAGE_TOKENS)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Create an API token, shown once", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/tokens/{token}": {"delete": {"summary": "Revoke an API token", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/audit": {"get": {"summary": "The space's audit log (VIEW_AUDIT); filters actor, action, outcome, since, until, before, limit", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/audit": {"get": {"summary": "The instance's audit log (ApplicationAdministrator)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/audit/verify": {"post": {"summary": "Verify the audit hash chain (ApplicationAdministrator)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/admin/accounts": {"get": {"summary": "Accounts (UserModerator, ApplicationAdministrator)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/admin/accounts/{account}/app_roles": {"put": {"summary": "Set application roles (ApplicationAdministrator)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/admin/spaces/{space}": {"delete": {"summary": "Delete any space (ServerModerator)", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/admin/jwt/rotate": {"post": {"summary": "Rotate the access-token signing key; old tokens stay valid until they expire", "security": [{"bearer": []}], "responses": {"200": {"description": "JWK set"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/admin/backups": {"post": {"summary": "Take a consistent online backup of the SQLite database and send it (ApplicationAdministrator; audited). On PostgreSQL: 400, use pg_dump or pg_basebackup (docs/operations.md); over 1 GiB: 413, use scheduled backups", "security": [{"bearer": []}], "responses": {"200": {"description": "The database file (ris-backup-<UTC time>.db, named in Content-Disposition; its SHA-256 in X-Backup-Sha256)", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/cluster/servers": {"get": {"summary": "The risd servers sharing this database (ApplicationAdministrator): id, advertise URLs, version, started_at, lease_until, lease_age_seconds, state alive|dead, agents held, self (the answering server)", "security": [{"bearer": []}], "responses": {"200": {"description": "items (by id) and self, the answering server's id", "content": {"application/json": {"schema": {"type": "object", "properties": {"self": {"type": "string"}, "items": {"type": "array", "items": {"$ref": "#/components/schemas/ClusterServer"}}}}}}}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/cluster/servers/{server}": {"get": {"summary": "One server of the cluster (ApplicationAdministrator); 404 for an unknown id", "security": [{"bearer": []}], "parameters": [{"name": "server", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The server", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClusterServer"}}}}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/agents/enrol": {"post": {"summary": "Enrol an agent: join token + CSR; returns its certificate and the task key", "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/agents/join-tokens": {"post": {"summary": "Create a join token (MANAGE_AGENTS): labels, ttl_seconds, uses", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/agents": {"get": {"summary": "Agents, with status; ?selector=", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/agents/{agent}": {"get": {"summary": "An agent", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "patch": {"summary": "Replace its labels (MANAGE_AGENTS)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/agents/{agent}/revoke": {"post": {"summary": "Revoke: disconnect and refuse from now on", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/agents/{agent}/health": {"get": {"summary": "Seed 000's client health shape; ?history=N", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/tasks": {"get": {"summary": "Task history; ?agent=&state=&limit=", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Run a task (RUN_TASKS): shell, http, echo, ping, docker", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/tasks/{task}": {"get": {"summary": "A task and its runs", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/tasks/{task}/cancel": {"post": {"summary": "Cancel its unfinished runs", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/runs/{run}/output": {"get": {"summary": "Output chunks of a run; ?after=SEQ", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/schedules": {"get": {"summary": "Schedules with their next five fire times (VIEW_AGENTS)", "security": [{"bearer": []}], "responses": {"200": {"description": "items"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Create a schedule (MANAGE_SCHEDULES): name, description, when (cron, @hourly…, @every 30s), time_zone, action (task | service | http), overlap, catch_up, catch_up_limit, grace_seconds, jitter_seconds, retries, retry_delay_seconds, paused (docs/schedules.md)", "security": [{"bearer": []}], "responses": {"201": {"description": "The schedule"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/schedules/{schedule}": {"get": {"summary": "One schedule, by id or name", "security": [{"bearer": []}], "responses": {"200": {"description": "The schedule"}, "default": {"$ref": "#/components/responses/Problem"}}}, "patch": {"summary": "Change the fields given (MANAGE_SCHEDULES on the schedule); the next fire is counted from now", "security": [{"bearer": []}], "responses": {"200": {"description": "The schedule"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Delete the schedule and its history", "security": [{"bearer": []}], "responses": {"204": {"description": "Deleted"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/schedules/{schedule}/pause": {"post": {"summary": "Pause: nothing fires, nothing is counted missed", "security": [{"bearer": []}], "responses": {"200": {"description": "The schedule"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/schedules/{schedule}/resume": {"post": {"summary": "Resume from now", "security": [{"bearer": []}], "responses": {"200": {"description": "The schedule"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/schedules/{schedule}/fires": {"get": {"summary": "Fires, newest first: due_at, state (due|starting|started|failed|skipped|missed), fire_at, attempt, fired_at, task_id, server_id, detail; ?limit=1..1000&before=DUE_AT", "security": [{"bearer": []}], "responses": {"200": {"description": "items"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services": {"get": {"summary": "Services with replica status (VIEW_AGENTS)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Create a service (MANAGE_SERVICES): name, image, image_archive, command, env, secret_env, ports, mounts, replicas, restart_policy, health_check, memory_bytes, cpus, network_mode, target, update", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}": {"get": {"summary": "A service: spec (secrets masked), version, rollout, per-agent replicas", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "put": {"summary": "Update: a new version, rolled out in health-gated batches", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "delete": {"summary": "Remove the service and its containers", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}/scale": {"post": {"summary": "Set replicas per targeted agent", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}/stop": {"post": {"summary": "Stop every replica (kept, not removed)", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}/start": {"post": {"summary": "Start a stopped service", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}/restart": {"post": {"summary": "Replace every replica, batch by batch", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}/rollback": {"post": {"summary": "Roll back to a version (default: the previous one) as a new version", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}/history": {"get": {"summary": "Versions, newest first, with reason and author", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/services/{service}/logs": {"post": {"summary": "Logs of every replica (tail, follow) as a docker task; returns task_id", "security": [{"bearer": []}], "responses": {"202": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/images": {"get": {"summary": "Image archives", "security": [{"bearer": []}], "responses": {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}, "post": {"summary": "Upload an image archive (application/x-tar body; ?image=NAME:TAG&format=rootfs|image; max-upload-bytes)", "security": [{"bearer": []}], "responses": {"201": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/spaces/{space}/images/{archive}": {"delete": {"summary": "Delete an image archive", "security": [{"bearer": []}], "responses": {"204": {"description": "OK"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/agent/v1/images/{archive}": {"get": {"summary": "An image archive, for an enrolled agent (mutual TLS)", "responses": {"200": {"description": "application/x-tar"}, "default": {"$ref": "#/components/responses/Problem"}}}},
    "/agent/v1": {"get": {"summary": "WebSocket upgrade for agents (mutual TLS; see docs/agents.md)", "responses": {"101": {"description": "Switching protocols"}, "default": {"$ref": "#/components/responses/Problem"}}}},
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
