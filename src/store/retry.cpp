// retry_busy: the store's one retry loop for work that collided with concurrent work.
#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "ris/store/store.hpp"

namespace ris::store {

Result<void> retry_busy(const std::function<Result<void>()>& attempt, int max_attempts) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  auto delay = std::chrono::milliseconds(5);
  for (int i = 1;; ++i) {
    Result<void> outcome = attempt();
    if (outcome || outcome.error().code != Errc::busy || i >= max_attempts)
      return outcome;
    // Full jitter: two colliding writers pick different waits and do not collide again.
    std::uniform_int_distribution<int64_t> pick(delay.count() / 2, delay.count());
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(jitter)));
    delay = std::min(delay * 2, std::chrono::milliseconds(500));
  }
}

}  // namespace ris::store
