// The sweeper: a thread that, twice a second, ends the runs nobody will report on and hands out
// pending runs that are due. Several servers may sweep the same store: a server only ever ends
// runs of agents that no live server holds (agent_presence, servers' leases), never those of
// another live server's agents.
//
//   lost      dispatched or running runs of an agent nobody holds and nobody has seen for
//             `lost_after` (its last heartbeat, or the end of its last session)
//   lost      pending runs of an agent nobody holds, past their time to live
//   sent      pending runs that are due (retries after their back-off, runs created by another
//             server) to the agents this server holds
//
// A server sweeps nothing while its own lease has lapsed (it may be the one the others take for
// dead), and marks nothing lost until it has been up for `lost_after`: agents that were away
// while no server ran get their grace period.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "fleet_events.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/store/store.hpp"
#include "run_dispatch.hpp"

namespace ris::fleet {

class Sweeper {
 public:
  Sweeper(store::Store& store, FleetEvents& events, RunDispatch& dispatch, Presence& presence,
          std::chrono::milliseconds lost_after)
      : store_(store),
        events_(events),
        dispatch_(dispatch),
        presence_(presence),
        lost_after_(lost_after) {}
  ~Sweeper() { stop(); }
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // `fn` runs on the sweeper's thread after each pass (set before start()).
  void each_pass(std::function<void()> fn) { each_pass_ = std::move(fn); }
  void start();
  void stop();   // idempotent
  void sweep();  // one pass

 private:
  store::Store& store_;
  FleetEvents& events_;
  RunDispatch& dispatch_;
  Presence& presence_;
  const std::chrono::milliseconds lost_after_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::function<void()> each_pass_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ris::fleet
