// Runs on their way to agents: signed task_execution messages sent to the agent's session, the
// redelivery of everything unacknowledged when an agent says hello, pending runs handed out
// when due, and the other signed control messages (task_cancel, services_desired).
//
// A run is stored before it is sent; an agent that is not connected here simply gets it on its
// next hello (at-least-once delivery; the agent never executes a run id twice).
#pragma once
#include <boost/json/object.hpp>
#include <mutex>
#include <string>
#include <unordered_map>

#include "agent_sessions.hpp"
#include "ris/core/result.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/security/ed25519.hpp"
#include "ris/security/secret_box.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

class RunDispatch {
 public:
  // `secrets` opens the env values a task stores sealed (kTaskEnvContext); nullptr: none.
  RunDispatch(store::Store& store, SessionRegistry& sessions, security::Ed25519Key task_key,
              const security::SecretBox* secrets = nullptr)
      : store_(store), sessions_(sessions), task_key_(std::move(task_key)), secrets_(secrets) {}

  std::string task_public_key() const;  // base64url of the raw key agents pin at enrolment

  // Every active run of the session's agent that is due (a job of the session: blocking).
  void redeliver(AgentSession& s);
  // The agent's pending runs that are due, through its session's queue (so a dispatch never
  // races the session's own redelivery). Nothing if the agent is not connected here.
  void dispatch_pending(const std::string& agent_id);
  // Every due pending run of the agents `server_id` (this server) holds, marked dispatched and
  // sent in a few statements however many agents they are for (the sweeper's pass; a fan-out
  // created on another server).
  void hand_out_due(const std::string& server_id);
  // A run just stored as dispatched, with no further database work (a fan-out's hot path).
  void send_new_run(const std::string& agent_id, const std::string& run_id,
                    const std::string& task_id);
  // A stored run of the agent, checked against the store first (a request from another server:
  // the run must be this agent's), through its session's queue. Nothing if not connected here.
  void send_stored_run(const std::string& agent_id, const std::string& run_id);
  void cancel(const std::string& agent_id, const std::string& run_id);
  // Signs and sends; false when the agent is not connected here.
  bool send_control(const std::string& agent_id, Envelope e);

 private:
  Result<void> send_run(AgentSession& s, const std::string& run_id);
  // What task_execution carries for a task (type, parameters, timeout), parsed once per task:
  // the stored spec also holds the target, which for a fan-out lists every agent, and parsing
  // it for each run made dispatch quadratic in the fan-out's size.
  Result<boost::json::object> execution_payload(const std::string& task_id);
  Result<Envelope> execution_message(const std::string& agent_id, const std::string& run_id,
                                     const std::string& task_id);

  store::Store& store_;
  SessionRegistry& sessions_;
  const security::Ed25519Key task_key_;
  const security::SecretBox* secrets_;
  std::mutex payload_mu_;
  std::unordered_map<std::string, boost::json::object> payloads_;  // task id → payload (bounded)
};

}  // namespace ris::fleet
