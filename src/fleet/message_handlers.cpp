#include "message_handlers.hpp"

#include "ris/core/log.hpp"

namespace ris::fleet {

void MessageHandlers::add(std::string type, MessageHandler handler) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<Table>(*table_);
  (*next)[std::move(type)].push_back(std::move(handler));
  table_ = std::move(next);
}

void MessageHandlers::dispatch(AgentSession& s, const std::string& text) {
  auto parsed = parse_envelope(text);
  if (!parsed) {
    log::warn("agent_bad_message", {{"agent", s.agent_id()}, {"error", parsed.error().message}});
    return;
  }
  const Envelope& e = *parsed;
  std::shared_ptr<const Table> table;
  {
    std::lock_guard lock(mu_);
    table = table_;
  }
  auto it = table->find(e.message_type);
  if (it == table->end()) {
    log::warn("agent_unknown_message", {{"agent", s.agent_id()}, {"type", e.message_type}});
    return s.acknowledge(e.seq);
  }
  InboundMessage message(s, e);
  Result<void> r;
  for (const auto& handler : it->second) {
    auto handled = handler(message);
    if (!handled && r)
      r = std::move(handled);
  }
  if (!r) {
    // Not acknowledged: the agent keeps it in its outbox and sends it again.
    log::error("agent_message_failed",
               {{"agent", s.agent_id()}, {"type", e.message_type}, {"error", r.error().message}});
    return;
  }
  if (message.writes_.empty())
    return s.acknowledge(e.seq);

  // The session waits for the write (and the acknowledgement) before its next message.
  s.pause();
  auto writes = std::make_shared<std::vector<InboundMessage::Write>>(std::move(message.writes_));
  commits_.submit(
      [writes](store::Store& tx) -> Result<void> {
        for (const auto& w : *writes)
          RIS_TRY_VOID(w.body(tx));
        return {};
      },
      [writes, self = s.shared_from_this(), seq = e.seq, type = e.message_type](Result<void> r) {
        if (!r) {
          log::error("agent_message_failed",
                     {{"agent", self->agent_id()}, {"type", type}, {"error", r.error().message}});
        } else {
          for (const auto& w : *writes)
            if (w.after)
              w.after();
          self->acknowledge(seq);
        }
        self->resume();
      });
}

}  // namespace ris::fleet
