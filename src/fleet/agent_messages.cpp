#include "agent_messages.hpp"

#include "ris/core/log.hpp"
#include "ris/metrics/metrics.hpp"

namespace ris::fleet {

void AgentMessages::register_into(MessageHandlers& handlers) {
  handlers.add("hello", [this](InboundMessage& m) { return on_hello(m); });
  handlers.add("heartbeat", [this](InboundMessage& m) { return on_heartbeat(m); });
  handlers.add("refused", [](InboundMessage& m) -> Result<void> {
    const auto* reason = m.envelope.payload.if_contains("reason");
    log::warn("agent_refused_message",
              {{"agent", m.session.agent_id()},
               {"run", m.envelope.task_id},
               {"reason", reason && reason->is_string() ? std::string(reason->as_string()) : ""}});
    return {};
  });
}

Result<void> AgentMessages::on_hello(InboundMessage& m) {
  AgentSession& s = m.session;
  auto recorded = agents_.record_hello(s.agent_id(), m.envelope.payload);
  if (recorded)
    recorded = presence_.hold(s.agent_id(), s.id());
  dispatch_.redeliver(s);
  events_.publish_change(s.space_id, "agents", s.agent_id(), {{"event", "connected"}});
  events_.agent_connected(s.agent_id());
  return recorded;
}

Result<void> AgentMessages::on_heartbeat(InboundMessage& m) {
  const auto& payload = m.envelope.payload;
  auto recorded = agents_.record_heartbeat(m.session.agent_id(), payload);
  events_.publish_change(m.session.space_id, "agents", m.session.agent_id(),
                         {{"event", "heartbeat"}, {"health", payload}});
  auto number = [&](std::string_view k) {
    const auto* v = payload.if_contains(k);
    return !v               ? 0.0
           : v->is_int64()  ? static_cast<double>(v->as_int64())
           : v->is_double() ? v->as_double()
                            : 0.0;
  };
  std::lock_guard lock(mu_);
  counters_[m.session.agent_id()] = {number("ris_client_tasks_executed_total"),
                                     number("ris_client_memory_usage_bytes")};
  return recorded;
}

void AgentMessages::forget(const std::string& agent_id) {
  std::lock_guard lock(mu_);
  counters_.erase(agent_id);
}

void AgentMessages::export_metrics(metrics::Registry& registry) {
  registry.callback_gauge("ris_fleet_tasks_executed",
                          "Sum of ris_client_tasks_executed_total reported by the connected agents "
                          "(a gauge: agents come and go)",
                          [this] {
                            std::lock_guard lock(mu_);
                            double sum = 0;
                            for (const auto& [id, c] : counters_)
                              sum += c.tasks_executed;
                            return sum;
                          });
  registry.callback_gauge("ris_fleet_client_memory_usage_bytes",
                          "Sum of ris_client_memory_usage_bytes reported by the connected agents",
                          [this] {
                            std::lock_guard lock(mu_);
                            double sum = 0;
                            for (const auto& [id, c] : counters_)
                              sum += c.memory_bytes;
                            return sum;
                          });
}

}  // namespace ris::fleet
