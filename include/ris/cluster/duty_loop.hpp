// A duty done every `period` on whichever server holds it (ris/cluster/duty.hpp): a thread that
// holds the duty before each round and, while it does, runs `round` with the round's time and
// its fence. For the small periodic duties (expiring KV keys, trimming queues); the sweeper and
// the scheduler have loops of their own with more to them.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "ris/cluster/duty.hpp"

namespace ris::cluster {

class DutyLoop {
 public:
  using Round = std::function<Result<void>(SystemTime now, const Fence& fence)>;
  DutyLoop(store::Store& store, std::string name, std::string server_id,
           std::chrono::milliseconds lease, std::chrono::milliseconds period, Round round);
  ~DutyLoop();
  DutyLoop(const DutyLoop&) = delete;
  DutyLoop& operator=(const DutyLoop&) = delete;

  void start();
  void stop();                                                   // idempotent; releases the duty
  void tick(SystemTime now = std::chrono::system_clock::now());  // one round (tests)

 private:
  Duty duty_;
  const std::chrono::milliseconds period_;
  Round round_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ris::cluster
