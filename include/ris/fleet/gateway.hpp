// The live side of the fleet in risd: agents' WebSocket sessions on /agent/v1 (mutual TLS, the
// certificate's CN is the agent id), signed dispatch of task runs, results and output coming
// back, acknowledgements, redelivery after reconnects, and a sweeper that ends runs whose agent
// stayed away (lost) or never came back in time (pending past its deadline). Which server holds
// which agent is stored (Presence), so several servers can share one store: a server only sweeps
// runs of agents no live server holds.
//
// Delivery is at-least-once and execution idempotent (DESIGN.md): a run is persisted before it
// is sent; everything an agent has not acknowledged is sent again when it reconnects; the agent
// never executes a run id twice; a run's final state is written once.
#pragma once
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/net/websocket.hpp"
#include "ris/security/ed25519.hpp"
#include "ris/store/store.hpp"

namespace ris::metrics {
class Registry;
}

namespace ris::bus {
class Bus;
}

namespace ris::security {
class SecretBox;
}

namespace ris::fleet {

// The bus subject of a task's live events (run_state, run_output) for people's tools.
std::string task_subject(std::string_view space_id, std::string_view task_id);
// The bus subject of a space's change notices for one kind of resource ("agents", "tasks",
// "services"): people's views refetch what changed (events are at-most-once; a client that
// subscribes first and lists second misses nothing).
std::string space_subject(std::string_view space_id, std::string_view resource);

struct GatewayOptions {
  std::chrono::milliseconds lost_after{60'000};  // an agent away this long loses its active runs
  size_t output_cap_bytes = 1 << 20;             // per run; more is counted, not kept
  // Opens a task's sealed environment values (kTaskEnvContext) when its run is sent; without
  // it such a run fails to dispatch.
  const security::SecretBox* secrets = nullptr;
};

// A shell task's env value sealed under the master key with this context stays sealed in the
// store and is opened only into the signed message to the agent (the Deployer's secrets).
inline constexpr std::string_view kTaskEnvContext = "tasks.env";

// A run that reached a final state, for the task layer (retries, mode one failover).
struct FinishedRun {
  std::string run_id, task_id, agent_id, state;
};

class Gateway {
 public:
  // `presence` records the agents this server holds (and must be started before the sweeper);
  // `bus` (optional) receives run_state and run_output events under task_subject().
  Gateway(store::Store& store, Agents& agents, Presence& presence, WorkerPool& pool,
          security::Ed25519Key task_key, GatewayOptions options, bus::Bus* bus = nullptr);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  std::unique_ptr<net::WsHandler> accept(net::WsConnection& conn, const net::Request& upgrade);

  // Each of these acts on the agent's session here, or, when another live server holds the
  // agent, asks that server over the bus (src/fleet/router.hpp); an agent nobody holds gets
  // its runs at its next hello.
  //
  // Sends the pending runs of `agent_id` if it is connected (through its session's queue).
  void dispatch_pending(const std::string& agent_id);
  // Sends a run just stored as 'dispatched' for a connected agent, with no further database
  // work (a fan-out's hot path). If the agent has gone meanwhile, its reconnect redelivers it.
  void send_new_run(const std::string& agent_id, const std::string& run_id,
                    const std::string& task_id);
  // Asks the agent running `run_id` to stop it (signed task_cancel).
  void cancel(const std::string& agent_id, const std::string& run_id);
  // Closes the agent's connection (revocation).
  void disconnect(const std::string& agent_id, uint16_t code, const std::string& reason);

  // Connected to this server (not to another one sharing the store).
  bool connected(const std::string& agent_id) const;
  std::vector<std::string> connected_agents() const;
  int64_t connected_count() const;
  std::string task_public_key() const;  // base64url of the raw Ed25519 key agents pin at enrolment

  // Extension points for other modules. Each takes several listeners (none replaces another),
  // run in the order added; add them before start_sweeper() and before agents connect.
  // `on_finished` runs on the pool after a run's final state is stored.
  void on_finished(std::function<void(const FinishedRun&)> fn);
  // `on_connected` runs on the pool after an agent's hello is recorded.
  void on_connected(std::function<void(const std::string& agent_id)> fn);
  // `on_message` handles agents' messages of `type` (service_status); an error leaves the
  // message unacknowledged, so the agent sends it again.
  void on_message(std::string type,
                  std::function<Result<void>(const std::string& agent_id, const Envelope&)> fn);
  // Publishes {"type":"changed","resource":…,"id":…,…extra} under space_subject().
  void publish_change(const std::string& space_id, std::string_view resource, std::string_view id,
                      boost::json::object extra = {});
  // Signs and sends a control message to the agent if it is connected here (false if not).
  bool send_control(const std::string& agent_id, Envelope e);
  // A module's "send it again" for an agent: `fn` (registered under `topic` before agents
  // connect) runs where the agent's session is — here, or on the server holding it, which is
  // asked over the bus. What is sent is computed there: the bus carries names, never payloads
  // or secrets.
  void on_refresh(std::string topic, std::function<void(const std::string& agent_id)> fn);
  void refresh(const std::string& topic, const std::string& agent_id);

  // ris_tasks_completed_total{status}, and fleet-wide sums of the agents' own counters
  // (ris_fleet_tasks_executed, ris_fleet_client_memory_usage_bytes): no per-agent series.
  void export_metrics(metrics::Registry& registry);
  // Also tells the other servers (over the bus) that this one joined.
  void start_sweeper();
  // Tells the other servers that the set of servers changed (after Presence::stop(), that this
  // one left): they re-read it and tell their agents within a sweep.
  void membership_changed();
  void stop();

  struct Parts;  // the gateway's jobs (src/fleet): sessions, handlers, dispatch, sweeper, events

 private:
  std::unique_ptr<Parts> p_;
};

}  // namespace ris::fleet
