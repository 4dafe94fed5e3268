#include "ris/schedule/scheduler.hpp"

#include <fmt/format.h>

#include <map>

#include "fire_action.hpp"
#include "ris/cluster/duty.hpp"
#include "ris/core/log.hpp"
#include "ris/core/worker_pool.hpp"
#include "schedule_spec.hpp"
#include "schedules_repository.hpp"

namespace ris::schedule {
namespace {
using namespace std::chrono;

constexpr std::string_view kDuty = "scheduler";
constexpr auto kTickEvery = milliseconds(250);
constexpr int64_t kSchedulesPerTick = 200;
constexpr int64_t kFiresPerTick = 500;
constexpr size_t kMaxInstants = 100'000;  // per schedule and tick; beyond, summarised as missed
constexpr size_t kMissedRows = 100;       // missed instants stored one by one; the rest in one

// A fixed offset per schedule in [0, jitter] (FNV-1a of its id): the same every fire, so fires
// stay evenly spaced, while schedules sharing an expression spread out.
milliseconds jitter_of(const std::string& id, seconds jitter) {
  if (jitter.count() == 0)
    return milliseconds(0);
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id)
    h = (h ^ c) * 1099511628211ull;
  return milliseconds(static_cast<int64_t>(h % static_cast<uint64_t>(jitter.count() * 1000 + 1)));
}

// What a tick at `now` does with the due instants of `s` (see scheduler.hpp).
Plan plan_for(const Schedule& s, const ScheduleSpec& spec, SystemTime now) {
  Plan plan;
  plan.schedule_id = s.id;
  plan.space_id = s.space_id;
  plan.expected_next_due = *s.next_due;
  const SystemTime anchor = parse_rfc3339(s.anchor).value_or(now);
  std::optional<SystemTime> t = parse_rfc3339(*s.next_due);
  std::vector<SystemTime> instants;
  size_t beyond = 0;  // instants too far back to list
  std::optional<SystemTime> first_beyond;
  while (t && *t <= now) {
    if (instants.size() == kMaxInstants) {
      // Years of downtime at @every 1s: everything up to the grace window is missed anyway.
      beyond += instants.size();
      first_beyond = first_beyond.value_or(instants.front());
      instants.clear();
      t = spec.when.next_after(now - spec.grace - seconds(1), spec.zone, anchor);
      continue;
    }
    instants.push_back(*t);
    t = spec.when.next_after(*t, spec.zone, anchor);
  }
  plan.next_due = t ? std::optional<std::string>(to_rfc3339(*t)) : std::nullopt;

  auto late = [&](SystemTime i) { return now - i > spec.grace; };
  const auto on_time_from =
      std::find_if(instants.begin(), instants.end(), [&](SystemTime i) { return !late(i); });
  const size_t late_count = static_cast<size_t>(on_time_from - instants.begin());
  size_t made_up = 0;  // the newest late instants that fire anyway
  if (spec.catch_up == CatchUp::latest && late_count > 0 && on_time_from == instants.end())
    made_up = 1;
  else if (spec.catch_up == CatchUp::all)
    made_up = std::min(late_count, static_cast<size_t>(spec.catch_up_limit));
  const milliseconds offset = jitter_of(s.id, spec.jitter);
  for (size_t i = late_count - made_up; i < instants.size(); ++i)
    plan.fires.emplace_back(to_rfc3339(instants[i]), to_rfc3339(instants[i] + offset));

  const size_t missed = late_count - made_up;
  const size_t listed = std::min(missed, kMissedRows);
  const std::string why =
      fmt::format("past the grace of {}s, catch_up {}", spec.grace.count(), name_of(spec.catch_up));
  for (size_t i = missed - listed; i < missed; ++i)
    plan.missed.emplace_back(to_rfc3339(instants[i]),
                             fmt::format("missed: {}s late ({})",
                                         duration_cast<seconds>(now - instants[i]).count(), why));
  if (const size_t more = beyond + (missed - listed); more > 0) {
    const SystemTime first = first_beyond.value_or(instants.front());
    plan.missed.emplace_back(to_rfc3339(first),
                             fmt::format("missed: {} fires from {} on not listed one by one ({})",
                                         more, to_rfc3339(first), why));
  }
  return plan;
}

}  // namespace

struct Scheduler::Impl {
  store::Store& store;
  fleet::Presence& presence;
  fleet::Tasks& tasks;
  services::Services* services;
  cluster::Duty duty;
  WorkerPool calls{4};  // HTTP calls, so a slow endpoint does not hold up the tick
  bool hold_failing = false;

  ActionDeps deps() { return {store, tasks, services}; }

  void plan(SchedulesRepository& repo, const cluster::Fence& fence, SystemTime now) {
    auto due = repo.due(to_rfc3339(now), kSchedulesPerTick);
    if (!due)
      return log::warn("schedule_tick_failed", {{"error", due.error().message}});
    for (const auto& s : *due) {
      auto spec = parse_spec(s.spec);
      if (!spec) {
        log::error("schedule_spec_unreadable",
                   {{"schedule", s.id}, {"error", spec.error().message}});
        continue;
      }
      if (auto r = repo.apply(plan_for(s, *spec, now), fence); !r) {
        log::warn("schedule_plan_failed", {{"schedule", s.id}, {"error", r.error().message}});
        if (r.error().code == Errc::conflict)
          return;  // the duty was lost: every further write would fail too
      }
    }
  }

  // Finishes a claimed fire from the action's outcome: started, retried later, or failed.
  void settle(SchedulesRepository& repo, const ScheduleSpec& spec, const Fire& f,
              const Result<Started>& outcome, const cluster::Fence& fence,
              std::atomic<uint64_t>& started) {
    const SystemTime now = system_clock::now();
    Result<void> r;
    if (outcome) {
      r = repo.finish(f, "started", f.fire_at, to_rfc3339(now), outcome->task_id, outcome->detail,
                      fence);
      if (r)
        ++started;
    } else if (f.attempt <= spec.retries) {
      const auto delay =
          std::min<seconds>(spec.retry_delay * (int64_t{1} << (f.attempt - 1)), hours(1));
      const std::string at = to_rfc3339(now + delay);
      r = repo.finish(f, "due", at, std::nullopt, std::nullopt,
                      fmt::format("attempt {} failed: {}; retrying at {}", f.attempt,
                                  outcome.error().message, at),
                      fence);
    } else {
      r = repo.finish(f, "failed", f.fire_at, std::nullopt, std::nullopt, outcome.error().message,
                      fence);
      log::warn(
          "schedule_fire_failed",
          {{"schedule", f.schedule_id}, {"due_at", f.due_at}, {"error", outcome.error().message}});
    }
    if (!r)
      log::warn("schedule_fire_unrecorded",
                {{"schedule", f.schedule_id}, {"due_at", f.due_at}, {"error", r.error().message}});
  }

  // Overlap policy against the schedule's previous fire: true to go on with `f`.
  bool overlap_allows(SchedulesRepository& repo, const Schedule& s, const ScheduleSpec& spec,
                      const Fire& f, const cluster::Fence& fence) {
    if (spec.overlap == Overlap::allow || f.state != "due")
      return true;
    auto prev = repo.last_started(s.id, f.due_at);
    if (!prev || !*prev)
      return true;
    auto access = creator_access(store, s);
    if (!access)
      return true;  // the action will fail with the reason
    auto task = tasks.get(*access, *(*prev)->task_id);
    if (!task || !task_active(*task))
      return true;
    switch (spec.overlap) {
      case Overlap::forbid:
        (void)repo.finish(f, "skipped", f.fire_at, std::nullopt, std::nullopt,
                          fmt::format("skipped: the fire of {} is still running (task {})",
                                      (*prev)->due_at, task->id),
                          fence);
        return false;
      case Overlap::queue:
        return false;  // stays due; looked at again next tick
      case Overlap::replace:
        if (auto c = tasks.cancel(*access, task->id); !c)
          log::warn("schedule_replace_cancel_failed",
                    {{"schedule", s.id}, {"task", task->id}, {"error", c.error().message}});
        return true;
      default:
        return true;
    }
  }

  void act(SchedulesRepository& repo, int64_t epoch, const cluster::Fence& fence, SystemTime now,
           std::atomic<uint64_t>& started) {
    auto open = repo.open(to_rfc3339(now), epoch, kFiresPerTick);
    if (!open)
      return log::warn("schedule_tick_failed", {{"error", open.error().message}});
    std::map<std::string, std::optional<Schedule>> schedules;
    for (Fire f : *open) {
      auto& cached = schedules[f.schedule_id];
      if (!cached)
        if (auto s = repo.by_id(f.schedule_id); s && *s)
          cached = std::move(**s);
      if (!cached)
        continue;  // deleted meanwhile: its fires went with it
      const Schedule& s = *cached;
      auto spec = parse_spec(s.spec);
      if (!spec)
        continue;
      if (s.paused && f.state == "due") {
        (void)repo.finish(f, "skipped", f.fire_at, std::nullopt, std::nullopt,
                          "skipped: the schedule was paused", fence);
        continue;
      }
      if (!overlap_allows(repo, s, *spec, f, fence))
        continue;
      auto claimed = repo.claim(f, epoch, presence.server_id(), fence);
      if (!claimed || !*claimed) {
        if (!claimed && claimed.error().code == Errc::conflict)
          return;  // the duty was lost
        continue;
      }
      ++f.attempt;
      f.state = "starting";
      if (action_kind(*spec) == "http") {
        calls.post([this, s, spec = *spec, f, epoch, &started] {
          SchedulesRepository r(store);
          const cluster::Fence live = [this, epoch](store::Store& tx) {
            return duty.fence(tx, epoch, system_clock::now());
          };
          settle(r, spec, f, start_action(deps(), s, spec, f), live, started);
        });
        continue;
      }
      settle(repo, *spec, f, start_action(deps(), s, *spec, f), fence, started);
    }
  }
};

Scheduler::Scheduler(store::Store& store, fleet::Presence& presence, fleet::Tasks& tasks,
                     services::Services* services)
    : p_(new Impl{
          store, presence, tasks, services,
          cluster::Duty(store, std::string(kDuty), presence.server_id(), presence.lease())}) {}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, kTickEvery);
      if (stopping_)
        break;
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  p_->calls.stop();
  if (auto r = p_->duty.release(); !r)
    log::warn("duty_release_failed", {{"duty", p_->duty.name()}, {"error", r.error().message}});
}

void Scheduler::tick(SystemTime now) {
  if (!p_->presence.alive())
    return;
  auto epoch = p_->duty.hold(now);
  if (!epoch && !p_->hold_failing)
    log::warn("duty_hold_failed", {{"duty", p_->duty.name()}, {"error", epoch.error().message}});
  p_->hold_failing = !epoch;
  if (!epoch || !*epoch)
    return;
  SchedulesRepository repo(p_->store);
  const cluster::Fence fence = p_->duty.fence_for(**epoch, now);
  p_->plan(repo, fence, now);
  p_->act(repo, **epoch, fence, now, started_);
}

}  // namespace ris::schedule
