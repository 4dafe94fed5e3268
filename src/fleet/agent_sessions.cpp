#include "agent_sessions.hpp"

#include "ris/core/ids.hpp"

namespace ris::fleet {

AgentSession::AgentSession(WorkerPool& pool, net::WsConnection& conn, std::string agent_id)
    : pool_(pool),
      conn_(conn.weak()),
      id_(new_id()),
      agent_id_(std::move(agent_id)),
      remote_(conn.remote_address()) {}

void AgentSession::enqueue(std::function<void()> job) {
  std::lock_guard lock(mu_);
  jobs_.push_back(std::move(job));
  if (busy_)
    return;
  busy_ = true;
  pool_.post([self = shared_from_this()] { self->drain(); });
}

void AgentSession::pause() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void AgentSession::resume() {
  {
    std::lock_guard lock(mu_);
    paused_ = false;
    if (!parked_)
      return;  // drain() has not reached its check yet and simply goes on
    parked_ = false;
  }
  pool_.post([self = shared_from_this()] { self->drain(); });
}

void AgentSession::drain() {
  while (true) {
    std::function<void()> job;
    {
      std::lock_guard lock(mu_);
      if (paused_) {
        parked_ = true;  // busy_ stays set: resume() restarts the drain
        return;
      }
      if (jobs_.empty()) {
        busy_ = false;
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void AgentSession::send(const Envelope& e) {
  if (auto c = conn_.lock())
    c->send(std::make_shared<const std::string>(serialize(e)));
}

void AgentSession::acknowledge(int64_t seq) {
  if (seq <= 0 || gave_up_)
    return;
  Envelope ack;
  ack.message_type = "ack";
  ack.payload = {{"up_to", seq}};
  send(ack);
}

void AgentSession::give_up(std::string reason) {
  gave_up_ = true;
  close(1011, std::move(reason));
}

void AgentSession::close(uint16_t code, std::string reason) {
  if (auto c = conn_.lock())
    c->close(code, std::move(reason));
}

std::shared_ptr<AgentSession> SessionRegistry::replace(const std::shared_ptr<AgentSession>& s) {
  std::lock_guard lock(mu_);
  auto& slot = sessions_[s->agent_id()];
  auto previous = slot.lock();
  slot = s;
  return previous == s ? nullptr : previous;
}

bool SessionRegistry::remove(const AgentSession& s) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(s.agent_id());
  if (it == sessions_.end() || it->second.lock().get() != &s)
    return false;
  sessions_.erase(it);
  return true;
}

std::shared_ptr<AgentSession> SessionRegistry::find(const std::string& agent_id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(agent_id);
  return it == sessions_.end() ? nullptr : it->second.lock();
}

std::vector<std::string> SessionRegistry::agent_ids() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(sessions_.size());
  for (const auto& [id, w] : sessions_)
    if (!w.expired())
      out.push_back(id);
  return out;
}

int64_t SessionRegistry::count() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(sessions_.size());
}

}  // namespace ris::fleet
