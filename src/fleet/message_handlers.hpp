// What the gateway does with an agent's message: a table from message type to the handlers
// registered for it (several per type, run in the order added), and the one place that
// acknowledges.
//
// A message is acknowledged once every handler succeeded and the writes they handed to the
// group commit are stored; a handler's error leaves it unacknowledged, so the agent keeps it in
// its outbox and sends it again (handlers are idempotent: delivery is at-least-once). A type
// nobody registered is logged and acknowledged.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent_sessions.hpp"
#include "ris/core/result.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/store/group_commit.hpp"

namespace ris::fleet {

class InboundMessage {
 public:
  InboundMessage(AgentSession& session, const Envelope& envelope)
      : session(session), envelope(envelope) {}

  AgentSession& session;
  const Envelope& envelope;

  // Stores `body` through the group commit before the message is acknowledged; `after` runs on
  // the pool once it is committed. Under a fan-out, thousands of agents' acks and results share
  // a few transactions instead of one commit each.
  void write_then(store::GroupCommit::Body body, std::function<void()> after = {}) {
    writes_.push_back({std::move(body), std::move(after), {}, {}});
  }
  // The same for one statement, whose result `after` receives. A message whose only write is
  // a statement joins batches of statements, which PostgreSQL takes in one round trip.
  void write_statement_then(store::Statement statement,
                            std::function<void(const store::QueryResult&)> after) {
    writes_.push_back({{}, {}, std::move(statement), std::move(after)});
  }

 private:
  friend class MessageHandlers;
  struct Write {
    store::GroupCommit::Body body;  // empty for a statement
    std::function<void()> after;
    store::Statement statement;
    std::function<void(const store::QueryResult&)> after_statement;
  };
  std::vector<Write> writes_;
};

using MessageHandler = std::function<Result<void>(InboundMessage&)>;

class MessageHandlers {
 public:
  explicit MessageHandlers(store::GroupCommit& commits) : commits_(commits) {}

  // Thread-safe; a handler added while messages flow sees the next ones.
  void add(std::string type, MessageHandler handler);

  // Parses `text` and runs its type's handlers, then acknowledges (see above). Runs as one of
  // the session's jobs.
  void dispatch(AgentSession& session, const std::string& text);

 private:
  static void not_stored(AgentSession& s, const std::string& type, int64_t seq, const Error& e);
  using Table = std::map<std::string, std::vector<MessageHandler>, std::less<>>;
  store::GroupCommit& commits_;
  mutable std::mutex mu_;
  std::shared_ptr<const Table> table_ = std::make_shared<Table>();
};

}  // namespace ris::fleet
