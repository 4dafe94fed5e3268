// What an agent says about itself: hello (its facts, then its presence: this server holds the
// agent, which is online from then on with its facts in place; everything it has not
// acknowledged is sent again, and on_connected listeners run), heartbeats (its health, and the
// fleet-wide sums of its own counters for /metrics), and refusals of a control message.
#pragma once
#include <map>
#include <mutex>
#include <string>

#include "fleet_events.hpp"
#include "message_handlers.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/fleet/presence.hpp"
#include "run_dispatch.hpp"

namespace ris::metrics {
class Registry;
}

namespace ris::fleet {

class AgentMessages {
 public:
  AgentMessages(Agents& agents, Presence& presence, RunDispatch& dispatch, FleetEvents& events)
      : agents_(agents), presence_(presence), dispatch_(dispatch), events_(events) {}

  void register_into(MessageHandlers& handlers);
  // The agent's session ended here: its counters leave the sums.
  void forget(const std::string& agent_id);
  // ris_fleet_tasks_executed, ris_fleet_client_memory_usage_bytes: no per-agent series.
  void export_metrics(metrics::Registry& registry);

 private:
  Result<void> on_hello(InboundMessage& m);
  Result<void> on_heartbeat(InboundMessage& m);

  Agents& agents_;
  Presence& presence_;
  RunDispatch& dispatch_;
  FleetEvents& events_;
  struct Counters {
    double tasks_executed = 0, memory_bytes = 0;
  };
  std::mutex mu_;
  std::map<std::string, Counters> counters_;  // latest heartbeat of each connected agent
};

}  // namespace ris::fleet
