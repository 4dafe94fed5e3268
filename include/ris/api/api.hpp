// The HTTP and WebSocket surface of risd. Handlers are thin: they parse, ask the modules, and
// answer; blocking work goes to the worker pool. This header is all apps/risd needs.
#pragma once
#include <chrono>
#include <functional>
#include <string>

#include "ris/bus/bus.hpp"
#include "ris/core/config.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/deploy/deployments.hpp"
#include "ris/deploy/secrets.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/identity/api_tokens.hpp"
#include "ris/identity/audit.hpp"
#include "ris/identity/invitations.hpp"
#include "ris/identity/members.hpp"
#include "ris/identity/roles.hpp"
#include "ris/identity/sessions.hpp"
#include "ris/identity/spaces.hpp"
#include "ris/identity/throttle.hpp"
#include "ris/identity/two_factor.hpp"
#include "ris/kv/kv.hpp"
#include "ris/metrics/metrics.hpp"
#include "ris/net/router.hpp"
#include "ris/queue/queues.hpp"
#include "ris/schedule/schedules.hpp"
#include "ris/services/services.hpp"
#include "ris/store/store.hpp"

namespace ris::api {

inline constexpr std::string_view kVersion = "0.1.0";

struct ApiContext {
  const ServerConfig& config;
  store::Store& store;
  bus::Bus& bus;
  metrics::Registry& metrics;
  WorkerPool& blocking;
  identity::Accounts& accounts;
  identity::Sessions& sessions;
  identity::AuditLog& audit;
  identity::Spaces& spaces;
  identity::ApiTokens& api_tokens;
  identity::Members& members;
  identity::Roles& roles;
  identity::Invitations& invitations;
  identity::TwoFactor& two_factor;
  identity::SignInThrottle& throttle;
  std::string ca_sha256;
  // The fleet (null in tests that run without it).
  fleet::Agents* agents = nullptr;
  fleet::Gateway* gateway = nullptr;
  fleet::Tasks* tasks = nullptr;
  // This server among those sharing the store (the cluster view; null without the fleet).
  fleet::Presence* presence = nullptr;
  services::Services* services = nullptr;
  schedule::Schedules* schedules = nullptr;
  kv::Kv* kv = nullptr;
  queue::Queues* queues = nullptr;
  deploy::Deployments* deployments = nullptr;
  deploy::Secrets* deploy_secrets = nullptr;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Connected agents, and enrolled ones not revoked (set by risd from the fleet module).
  std::function<int64_t()> agents_connected = [] { return int64_t{0}; };
  std::function<int64_t()> agents_known = [] { return int64_t{0}; };
};

// Registers every route; `ctx` must outlive the router's use.
void register_routes(net::Router& router, ApiContext& ctx);

}  // namespace ris::api
