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
// Ending runs must happen once, so it is the duty "sweeper" (ris/cluster/duty.hpp): only the
// server holding it marks runs lost, and each of those transactions is fenced by the duty's
// epoch, so a server that was paused and lost the duty meanwhile writes nothing. Handing out
// due runs is every server's own work, for its own agents. A clean stop releases the duty, so
// another server takes it over at once.
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
#include <vector>

#include "fleet_events.hpp"
#include "ris/cluster/duty.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/store/store.hpp"
#include "run_dispatch.hpp"

namespace ris::fleet {

class RunRepository;

class Sweeper {
 public:
  // The duty's lease is the server's own (`presence.lease()`).
  Sweeper(store::Store& store, FleetEvents& events, RunDispatch& dispatch, Presence& presence,
          std::chrono::milliseconds lost_after);
  ~Sweeper() { stop(); }
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // `fn` runs on the sweeper's thread after each pass (set before start()).
  void each_pass(std::function<void()> fn) { each_pass_ = std::move(fn); }
  void start();
  void stop();   // idempotent; releases the duty
  void sweep();  // one pass

 private:
  // The runs this server, holding the duty under `epoch`, ends now.
  std::vector<FinishedRun> end_runs(RunRepository& runs, int64_t epoch, SystemTime now);

  store::Store& store_;
  FleetEvents& events_;
  RunDispatch& dispatch_;
  Presence& presence_;
  const std::chrono::milliseconds lost_after_;
  cluster::Duty duty_;
  bool hold_failing_ = false;  // the sweeping thread's own
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::function<void()> each_pass_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ris::fleet
