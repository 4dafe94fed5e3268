#include "sweeper.hpp"

#include <vector>

#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "run_repository.hpp"

namespace ris::fleet {

void Sweeper::start() {
  started_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      if (stopping_)
        break;
      lock.unlock();
      sweep();
      if (each_pass_)
        each_pass_();
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
  if (!presence_.alive())
    return;
  const std::string now = now_rfc3339();
  RunRepository runs(store_);
  std::vector<FinishedRun> lost;
  if (std::chrono::steady_clock::now() - started_ >= lost_after_) {
    const std::string seen_before = to_rfc3339(std::chrono::system_clock::now() - lost_after_);
    if (auto gone = runs.unheld_agents_with_active_runs(now, seen_before))
      for (const auto& agent : *gone)
        if (auto marked = runs.mark_lost(agent, now, seen_before))
          lost.insert(lost.end(), marked->begin(), marked->end());
  }
  if (auto expired = runs.expire_pending(now))
    lost.insert(lost.end(), expired->begin(), expired->end());
  for (const auto& l : lost) {
    log::warn("run_lost", {{"run", l.run_id}, {"agent", l.agent_id}});
    events_.run_finished(l);
  }
  dispatch_.hand_out_due(presence_.server_id());
}

}  // namespace ris::fleet
