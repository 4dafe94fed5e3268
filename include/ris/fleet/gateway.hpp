// The live side of the fleet in risd: agents' WebSocket sessions on /agent/v1 (mutual TLS, the
// certificate's CN is the agent id), signed dispatch of task runs, results and output coming
// back, acknowledgements, redelivery after reconnects, and a sweeper that ends runs whose agent
// stayed away (lost) or never came back in time (pending past its deadline).
//
// Delivery is at-least-once and execution idempotent (DESIGN.md): a run is persisted before it
// is sent; everything an agent has not acknowledged is sent again when it reconnects; the agent
// never executes a run id twice; a run's final state is written once.
#pragma once
#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ris/core/worker_pool.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/net/websocket.hpp"
#include "ris/security/ed25519.hpp"
#include "ris/store/group_commit.hpp"
#include "ris/store/store.hpp"

namespace ris::metrics {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace ris::metrics

namespace ris::bus {
class Bus;
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
};

// A run that reached a final state, for the task layer (retries, mode one failover).
struct FinishedRun {
  std::string run_id, task_id, agent_id, state;
};

class Gateway {
 public:
  // `bus` (optional) receives run_state and run_output events under task_subject().
  Gateway(store::Store& store, Agents& agents, WorkerPool& pool, security::Ed25519Key task_key,
          GatewayOptions options, bus::Bus* bus = nullptr);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  std::unique_ptr<net::WsHandler> accept(net::WsConnection& conn, const net::Request& upgrade);

  // Sends the pending runs of `agent_id` if it is connected (blocking: call on the pool).
  void dispatch_pending(const std::string& agent_id);
  // Sends a run just stored as 'dispatched' for a connected agent, with no further database
  // work (a fan-out's hot path). If the agent has gone meanwhile, its reconnect redelivers it.
  void send_new_run(const std::string& agent_id, const std::string& run_id,
                    const std::string& task_id);
  // Asks the agent running `run_id` to stop it (signed task_cancel).
  void cancel(const std::string& agent_id, const std::string& run_id);
  // Closes the agent's connection (revocation).
  void disconnect(const std::string& agent_id, uint16_t code, const std::string& reason);

  bool connected(const std::string& agent_id) const;
  std::vector<std::string> connected_agents() const;
  int64_t connected_count() const;
  std::string task_public_key() const;  // base64url of the raw Ed25519 key agents pin at enrolment

  // Called on the pool after a run's final state is stored (set before start_sweeper()).
  void on_finished(std::function<void(const FinishedRun&)> fn) {
    finished_handler_ = std::move(fn);
  }
  // Extension points for other modules (set before agents connect). `on_connected` runs on the
  // pool after an agent's hello is recorded; `on_message` gets the message types the gateway
  // does not know (service_status) and returns an error to leave them unacknowledged.
  void on_connected(std::function<void(const std::string& agent_id)> fn) {
    connected_handler_ = std::move(fn);
  }
  void on_message(std::function<Result<void>(const std::string& agent_id, const Envelope&)> fn) {
    message_handler_ = std::move(fn);
  }
  // Publishes {"type":"changed","resource":…,"id":…,…extra} under space_subject().
  void publish_change(const std::string& space_id, std::string_view resource, std::string_view id,
                      boost::json::object extra = {});
  // Signs and sends a control message to the agent if it is connected (false if not).
  bool send_control(const std::string& agent_id, Envelope e);

  // ris_tasks_completed_total{status}, and fleet-wide sums of the agents' own counters
  // (ris_fleet_tasks_executed, ris_fleet_client_memory_usage_bytes): no per-agent series.
  void export_metrics(metrics::Registry& registry);
  void start_sweeper();
  void stop();

  struct Session;  // one agent connection

 private:
  friend struct Session;
  void verify(Session& s);
  void handle(Session& s, const std::string& text);
  void session_closed(Session& s);
  void redeliver(Session& s);
  Result<void> send_run(Session& s, const std::string& run_id);
  // What task_execution carries for a task (type, parameters, timeout), parsed once per task:
  // the stored spec also holds the target, which for a fan-out lists every agent, and parsing
  // it for each run made dispatch quadratic in the fan-out's size.
  Result<boost::json::object> execution_payload(const std::string& task_id);
  // A signed task_execution for one run.
  Result<Envelope> execution_message(const std::string& agent_id, const std::string& run_id,
                                     const std::string& task_id);
  std::shared_ptr<Session> session_of(const std::string& agent_id) const;  // null when away
  void sweep();
  void publish_run_event(const std::string& run_id, boost::json::object event);
  // Hands a run's state write to the group commit, pausing the session; once committed, runs
  // `after`, acknowledges `seq` and resumes the session. Under a fan-out, thousands of agents'
  // acks and results share a few transactions instead of one commit each.
  void close_if_store_away(Session& s, const Error& e);
  void commit_then(Session& s, int64_t seq, std::string type, store::GroupCommit::Body body,
                   std::function<void()> after);

  store::Store& store_;
  Agents& agents_;
  WorkerPool& pool_;
  store::GroupCommit commits_;
  security::Ed25519Key task_key_;
  GatewayOptions options_;
  bus::Bus* bus_;
  std::function<void(const FinishedRun&)> finished_handler_;
  std::function<void(const std::string&)> connected_handler_;
  std::function<Result<void>(const std::string&, const Envelope&)> message_handler_;

  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<Session>> sessions_;
  std::map<std::string, std::chrono::steady_clock::time_point> away_since_;
  struct AgentCounters {
    double tasks_executed = 0, memory_bytes = 0;
  };
  std::map<std::string, AgentCounters> counters_;  // latest heartbeat of each connected agent
  std::mutex payload_mu_;
  std::unordered_map<std::string, boost::json::object> payloads_;  // task id → payload (bounded)
  metrics::Family<metrics::Counter>* completed_ = nullptr;

  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace ris::fleet
