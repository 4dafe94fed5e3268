// Agents' connections to this server: one AgentSession per WebSocket, and the registry of which
// session currently speaks for which agent.
//
// A session runs its messages in arrival order on the worker pool (a per-session job queue), so
// the database work of one agent is serial and I/O threads never block. A job that hands a write
// to the group commit pauses the queue until the write is committed, so order holds even then.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ris/core/worker_pool.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/net/websocket.hpp"

namespace ris::fleet {

class AgentSession : public std::enable_shared_from_this<AgentSession> {
 public:
  // `agent_id` is the CN of the client certificate (empty without one).
  AgentSession(WorkerPool& pool, net::WsConnection& conn, std::string agent_id);

  const std::string& id() const { return id_; }  // unique per connection
  const std::string& agent_id() const { return agent_id_; }
  const std::string& remote() const { return remote_; }

  // Pool-side state, set and read only by the session's own jobs.
  bool verified = false;
  std::string space_id;

  // Runs `job` after the jobs already queued, on the pool.
  void enqueue(std::function<void()> job);
  // From inside a job: run no further job until resume().
  void pause();
  // From any thread, once per pause(): carries on with the queued jobs.
  void resume();

  void send(const Envelope& e);
  // Tells the agent that its messages up to `seq` are stored (0: the message had no number).
  // Nothing once the session gave up (give_up): acknowledgements are cumulative, so a later one
  // would also cover the message that was not stored.
  void acknowledge(int64_t seq);
  void close(uint16_t code, std::string reason);
  // A message could not be stored for now (the database is away): acknowledges nothing more
  // and closes, so the agent sends its outbox again after reconnecting.
  void give_up(std::string reason);

 private:
  void drain();

  WorkerPool& pool_;
  std::weak_ptr<net::WsConnection> conn_;
  const std::string id_, agent_id_, remote_;

  std::atomic<bool> gave_up_{false};
  std::mutex mu_;
  std::deque<std::function<void()>> jobs_;
  bool busy_ = false;
  bool paused_ = false, parked_ = false;
};

// Which session speaks for which agent on this server. Thread-safe.
class SessionRegistry {
 public:
  // Makes `s` the agent's session; returns the one it replaces (null if none).
  std::shared_ptr<AgentSession> replace(const std::shared_ptr<AgentSession>& s);
  // Forgets `s` if it is still its agent's session; false when a newer one took over.
  bool remove(const AgentSession& s);
  std::shared_ptr<AgentSession> find(const std::string& agent_id) const;  // null when away
  std::vector<std::string> agent_ids() const;
  int64_t count() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<AgentSession>> sessions_;
};

}  // namespace ris::fleet
