#include "sweeper.hpp"

#include <vector>

#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "run_repository.hpp"

namespace ris::fleet {

void Sweeper::agent_away(const std::string& agent_id) {
  std::lock_guard lock(away_mu_);
  away_since_[agent_id] = std::chrono::steady_clock::now();
}

void Sweeper::agent_back(const std::string& agent_id) {
  std::lock_guard lock(away_mu_);
  away_since_.erase(agent_id);
}

void Sweeper::start() {
  // Runs that were active when risd last stopped belong to agents that are away until they
  // reconnect: start their grace period now.
  if (auto agents = RunRepository(store_).agents_with_active_runs()) {
    std::lock_guard lock(away_mu_);
    for (const auto& agent : *agents)
      away_since_.emplace(agent, std::chrono::steady_clock::now());
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      if (stopping_)
        break;
      lock.unlock();
      sweep();
      lock.lock();
    }
  });
}

void Sweeper::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void Sweeper::sweep() {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(away_mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = away_since_.begin(); it != away_since_.end();) {
      if (now - it->second >= lost_after_) {
        gone.push_back(it->first);
        it = away_since_.erase(it);
      } else {
        ++it;
      }
    }
  }
  RunRepository runs(store_);
  std::vector<FinishedRun> lost;
  for (const auto& agent : gone)
    if (auto marked = runs.mark_lost(agent, now_rfc3339()))
      lost.insert(lost.end(), marked->begin(), marked->end());
  if (auto expired = runs.expire_pending(now_rfc3339()))
    lost.insert(lost.end(), expired->begin(), expired->end());
  for (const auto& l : lost) {
    log::warn("run_lost", {{"run", l.run_id}, {"agent", l.agent_id}});
    events_.run_finished(l);
  }
  // Retries whose back-off has passed go out to their (connected) agents.
  if (auto due = runs.agents_with_due_retries(now_rfc3339()))
    for (const auto& agent : *due)
      dispatch_.dispatch_pending(agent);
}

}  // namespace ris::fleet
