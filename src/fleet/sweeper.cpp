#include "sweeper.hpp"

#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "run_repository.hpp"

namespace ris::fleet {
namespace {
constexpr std::string_view kDuty = "sweeper";
}  // namespace

Sweeper::Sweeper(store::Store& store, FleetEvents& events, RunDispatch& dispatch,
                 Presence& presence, std::chrono::milliseconds lost_after)
    : store_(store),
      events_(events),
      dispatch_(dispatch),
      presence_(presence),
      lost_after_(lost_after),
      duty_(store, std::string(kDuty), presence.server_id(), presence.lease()) {}

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
  if (auto r = duty_.release(); !r)
    log::warn("duty_release_failed", {{"duty", duty_.name()}, {"error", r.error().message}});
}

void Sweeper::sweep() {
  if (!presence_.alive())
    return;
  const SystemTime now = std::chrono::system_clock::now();
  RunRepository runs(store_);
  std::vector<FinishedRun> lost;
  auto epoch = duty_.hold(now);
  if (!epoch && !hold_failing_)
    log::warn("duty_hold_failed", {{"duty", duty_.name()}, {"error", epoch.error().message}});
  hold_failing_ = !epoch;
  if (epoch && *epoch)
    lost = end_runs(runs, **epoch, now);
  for (const auto& l : lost) {
    log::warn("run_lost", {{"run", l.run_id}, {"agent", l.agent_id}});
    events_.run_finished(l);
  }
  dispatch_.hand_out_due(presence_.server_id());
}

// A fence that fails (the duty was lost) ends this round: every further write would fail too.
std::vector<FinishedRun> Sweeper::end_runs(RunRepository& runs, int64_t epoch, SystemTime now) {
  const std::string at = to_rfc3339(now);
  const cluster::Fence fence = duty_.fence_for(epoch, now);
  std::vector<FinishedRun> lost;
  auto keep = [&](Result<std::vector<FinishedRun>> marked) {
    if (marked)
      lost.insert(lost.end(), marked->begin(), marked->end());
    return marked || marked.error().code != Errc::conflict;
  };
  if (std::chrono::steady_clock::now() - started_ >= lost_after_) {
    const std::string seen_before = to_rfc3339(now - lost_after_);
    if (auto gone = runs.unheld_agents_with_active_runs(at, seen_before))
      for (const auto& agent : *gone)
        if (!keep(runs.mark_lost(agent, at, seen_before, fence)))
          return lost;
  }
  keep(runs.expire_pending(at, fence));
  return lost;
}

}  // namespace ris::fleet
