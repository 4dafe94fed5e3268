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
  if (!r)
    return not_stored(s, e.message_type, r.error());
  if (message.writes_.empty())
    return s.acknowledge(e.seq);

  // The session waits for the write (and the acknowledgement) before its next message.
  s.pause();
  auto writes = std::make_shared<std::vector<InboundMessage::Write>>(std::move(message.writes_));
  if (writes->size() == 1 && !writes->front().body) {
    auto& w = writes->front();
    commits_.submit(std::move(w.statement), [writes, self = s.shared_from_this(), seq = e.seq,
                                             type = e.message_type](Result<store::QueryResult> r) {
      if (!r) {
        not_stored(*self, type, r.error());
      } else {
        if (writes->front().after_statement)
          writes->front().after_statement(*r);
        self->acknowledge(seq);
      }
      self->resume();
    });
    return;
  }
  commits_.submit(
      [writes](store::Store& tx) -> Result<void> {
        for (auto& w : *writes) {
          if (w.body) {
            RIS_TRY_VOID(w.body(tx));
          } else {
            RIS_TRY(auto result, tx.run(w.statement));
            w.after = [&w, result = std::move(result)] {
              if (w.after_statement)
                w.after_statement(result);
            };
          }
        }
        return {};
      },
      [writes, self = s.shared_from_this(), seq = e.seq, type = e.message_type](Result<void> r) {
        if (!r) {
          not_stored(*self, type, r.error());
        } else {
          for (const auto& w : *writes)
            if (w.after)
              w.after();
          self->acknowledge(seq);
        }
        self->resume();
      });
}

// Not acknowledged: the agent keeps the message in its outbox and sends it again — when it
// connects, not while connected. So when the database is away (or a write kept colliding),
// closing the session is what makes the agent try again, once the database answers.
void MessageHandlers::not_stored(AgentSession& s, const std::string& type, const Error& e) {
  log::error("agent_message_failed",
             {{"agent", s.agent_id()}, {"type", type}, {"error", e.message}});
  if (e.code == Errc::unavailable || e.code == Errc::busy)
    s.close(1011, "the server could not store a message; reconnect and send it again");
}

}  // namespace ris::fleet
