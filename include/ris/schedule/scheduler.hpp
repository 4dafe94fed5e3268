// The scheduler's tick: four times a second, on the one server holding the duty "scheduler"
// (ris/cluster/duty.hpp), it turns the instants that came due into fires and acts on them.
//
//   plan     a schedule whose next_due has come gets one schedule_fires row per due instant
//            (primary key: schedule and instant, so no instant fires twice whoever plans it);
//            instants later than the schedule's grace follow its catch-up policy (none: all
//            missed; latest: the newest one fires; all: the newest catch_up_limit fire), and the
//            others are stored as missed with the reason. next_due moves on in the same
//            transaction, fenced by the duty's epoch.
//   act      each due fire whose time came is claimed (fenced), its overlap policy applied
//            against the schedule's previous fire, and its action started: a task (submitted
//            with the idempotency key "schedule:<id>:<instant>", so a fire that a dead or
//            paused holder claimed and that a new holder takes over starts the same task, not a
//            second), a service action, or an HTTP call (sent with an Idempotency-Key header;
//            at least once, as anything outside the store must be). An action that cannot start
//            is retried with a doubling back-off, then the fire is failed with the reason.
//
// A fire acts with the permissions its schedule's creator has when it fires.
#pragma once
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "ris/core/time.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/services/services.hpp"
#include "ris/store/store.hpp"

namespace ris::schedule {

class Scheduler {
 public:
  // `services` may be null (then service actions fail with a reason).
  Scheduler(store::Store& store, fleet::Presence& presence, fleet::Tasks& tasks,
            services::Services* services);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  void stop();  // idempotent; releases the duty
  // One tick at `now` (tests drive the clock).
  void tick(SystemTime now = std::chrono::system_clock::now());
  uint64_t fires_started() const { return started_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> p_;
  std::atomic<uint64_t> started_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ris::schedule
