// The sweeper: a thread that, twice a second, ends the runs nobody will report on — the active
// runs of an agent away longer than `lost_after` (lost), and the pending runs whose time to live
// passed (lost) — and hands out pending retries whose back-off has passed.
#pragma once
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "fleet_events.hpp"
#include "ris/store/store.hpp"
#include "run_dispatch.hpp"

namespace ris::fleet {

class Sweeper {
 public:
  Sweeper(store::Store& store, FleetEvents& events, RunDispatch& dispatch,
          std::chrono::milliseconds lost_after)
      : store_(store), events_(events), dispatch_(dispatch), lost_after_(lost_after) {}
  ~Sweeper() { stop(); }
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // The agent's session ended here: its grace period starts.
  void agent_away(const std::string& agent_id);
  void agent_back(const std::string& agent_id);

  void start();
  void stop();   // idempotent
  void sweep();  // one pass

 private:
  store::Store& store_;
  FleetEvents& events_;
  RunDispatch& dispatch_;
  const std::chrono::milliseconds lost_after_;

  std::mutex away_mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> away_since_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ris::fleet
