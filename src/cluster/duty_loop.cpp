#include "ris/cluster/duty_loop.hpp"

#include "ris/core/log.hpp"

namespace ris::cluster {

DutyLoop::DutyLoop(store::Store& store, std::string name, std::string server_id,
                   std::chrono::milliseconds lease, std::chrono::milliseconds period, Round round)
    : duty_(store, std::move(name), std::move(server_id), lease),
      period_(period),
      round_(std::move(round)) {}

DutyLoop::~DutyLoop() {
  stop();
}

void DutyLoop::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, period_);
      if (stopping_)
        break;
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

void DutyLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    if (auto r = duty_.release(); !r)
      log::warn("duty_release_failed", {{"duty", duty_.name()}, {"error", r.error().message}});
  }
}

void DutyLoop::tick(SystemTime now) {
  auto epoch = duty_.hold(now);
  if (!epoch || !*epoch)
    return;
  if (auto r = round_(now, duty_.fence_for(**epoch, now)); !r)
    log::warn("duty_round_failed", {{"duty", duty_.name()}, {"error", r.error().message}});
}

}  // namespace ris::cluster
