#include "ris/core/wakeups.hpp"

#include <algorithm>

namespace ris {

Wakeups::Wakeups(std::chrono::milliseconds recheck)
    : recheck_(recheck), thread_([this] { run(); }) {}

Wakeups::~Wakeups() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Wakeups::wait(std::string key, std::function<void()> resume) {
  {
    std::lock_guard lock(mu_);
    parked_.push_back({std::move(key), std::chrono::steady_clock::now(), std::move(resume)});
  }
  cv_.notify_all();
}

void Wakeups::notify(const std::string& key) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    // Kept only while someone waits: one that parks later reads the current state itself.
    wake = !parked_.empty();
    if (wake)
      notified_.push_back(key);
  }
  if (wake)
    cv_.notify_all();
}

void Wakeups::run() {
  using namespace std::chrono;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Idle (nothing parked) until something parks; then every 20 ms.
    if (parked_.empty())
      cv_.wait(lock, [this] { return stopping_ || !parked_.empty(); });
    else
      cv_.wait_for(lock, milliseconds(20));
    const auto now = steady_clock::now();
    std::vector<std::function<void()>> due;
    auto notified = std::move(notified_);
    notified_.clear();
    std::erase_if(parked_, [&](Parked& p) {
      const bool go = now - p.since >= recheck_ ||
                      std::find(notified.begin(), notified.end(), p.key) != notified.end();
      if (go)
        due.push_back(std::move(p.resume));
      return go;
    });
    lock.unlock();
    for (auto& resume : due)
      resume();
    lock.lock();
  }
  // Stopping: the server stopped taking requests before; their answers have nowhere to go.
  parked_.clear();
}

}  // namespace ris
