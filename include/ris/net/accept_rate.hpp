// How fast a server takes new connections of one kind: a token bucket of `per_second` tokens
// (a burst of one second's worth), refilled continuously. When a server of a cluster dies its
// agents all reconnect at once; taking them at a bounded rate keeps the survivors answering
// (agents told "busy" retry after their own jittered back-off) instead of every handshake, hello
// and presence write piling up together. Thread-safe.
#pragma once
#include <chrono>
#include <mutex>

namespace ris::net {

class AcceptRate {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AcceptRate(double per_second);  // 0 or less: no cap

  // Takes one connection's token; false when the rate is used up for now.
  bool take(Clock::time_point now = Clock::now());

 private:
  std::mutex mu_;
  const double per_second_;
  double tokens_;
  Clock::time_point refilled_{};
};

}  // namespace ris::net
