// The scheduler on a real store (both engines): fires made once per due instant whichever server
// holds the duty, a fire left half-done by a dead holder finished with the same task, catch-up
// and overlap policies, pause, and the errors a bad schedule gets. Two Presence + Scheduler
// pairs on one store stand for two risd processes; the clock is the tick's `now`.
#include "ris/schedule/scheduler.hpp"

#include <gtest/gtest.h>

#include <map>

#include "identity/test_space.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/schedule/schedules.hpp"
#include "ris/security/ca.hpp"
#include "ris/security/ed25519.hpp"
#include "schedules_repository.hpp"
#include "store/test_support.hpp"
#include "store/testing/test_database.hpp"

namespace ris::schedule {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;

// One risd's worth of what the scheduler needs.
struct Server {
  Server(store::Store& store, fleet::Agents& agents, std::string id)
      : presence(store, {.server_id = id, .lease = 2000ms}),
        gateway(store, agents, presence, pool, *security::Ed25519Key::generate(), {}),
        tasks(store, agents, gateway),
        scheduler(store, presence, tasks, nullptr) {
    EXPECT_TRUE(presence.start());
  }
  WorkerPool pool{1};
  fleet::Presence presence;
  fleet::Gateway gateway;
  fleet::Tasks tasks;
  Scheduler scheduler;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store(store::testing::fresh_database_url(dir_.path()), dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    ASSERT_TRUE(security::ensure_server_credentials(dir_.path() / "tls", {}));
    access_ = identity::testing::admin_space(*store_, "ops");
    agents_ = std::make_unique<fleet::Agents>(*store_, dir_.path() / "tls");
    auto token = agents_->create_join_token(access_, {});
    ASSERT_TRUE(token);
    auto csr = security::new_client_key_and_csr("agent");
    ASSERT_TRUE(csr);
    auto enrolled = agents_->enrol({token->token, csr->csr_pem, "a1", "host1"});
    ASSERT_TRUE(enrolled) << enrolled.error().message;
    agent_ = enrolled->agent_id;
    schedules_ = std::make_unique<Schedules>(*store_);
  }

  // A schedule starting an echo task on the (never connected) agent: its runs stay pending.
  Schedule make(std::string_view when, json::object extra = {}) {
    json::object body{
        {"name", "s" + std::to_string(++made_)},
        {"when", when},
        {"action", json::object{{"task", json::object{{"type", "echo"},
                                                      {"parameters", {{"message", "hi"}}},
                                                      {"target", {{"agents", {agent_}}}}}}}}};
    for (const auto& kv : extra)
      body[kv.key()] = kv.value();
    auto s = schedules_->create(access_, body);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? *s : Schedule{};
  }

  std::vector<Fire> fires(const Schedule& s) {
    auto f = SchedulesRepository(*store_).fires(s.id, 1000, std::nullopt);
    EXPECT_TRUE(f);
    return f ? *f : std::vector<Fire>{};
  }

  std::map<std::string, int> states(const Schedule& s) {
    std::map<std::string, int> out;
    for (const auto& f : fires(s))
      ++out[f.state];
    return out;
  }

  SystemTime due(const Schedule& s) { return *parse_rfc3339(*s.next_due); }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<fleet::Agents> agents_;
  std::unique_ptr<Schedules> schedules_;
  identity::SpaceAccess access_;
  std::string agent_;
  int made_ = 0;
};

TEST_F(SchedulerTest, each_due_instant_fires_once_across_servers_and_a_take_over) {
  Server a(*store_, *agents_, "a"), b(*store_, *agents_, "b");
  const Schedule s = make("@every 1s");
  const SystemTime t0 = due(s);
  // Both servers tick at every instant: only the duty's holder acts.
  for (int i = 0; i < 5; ++i) {
    a.scheduler.tick(t0 + std::chrono::seconds(i) + 10ms);
    b.scheduler.tick(t0 + std::chrono::seconds(i) + 20ms);
  }
  // a stops ticking (it died); past its 2 s lease b takes over and catches up.
  for (int i = 8; i < 12; ++i)
    b.scheduler.tick(t0 + std::chrono::seconds(i) + 20ms);
  const auto all = fires(s);
  ASSERT_EQ(all.size(), 12u);
  std::set<std::string> tasks;
  for (const auto& f : all) {
    EXPECT_EQ(f.state, "started") << f.due_at << ": " << f.detail.value_or("");
    ASSERT_TRUE(f.task_id);
    tasks.insert(*f.task_id);
  }
  EXPECT_EQ(tasks.size(), 12u);  // one task per instant, none twice
  EXPECT_EQ(a.scheduler.fires_started(), 5u);
  EXPECT_EQ(b.scheduler.fires_started(), 7u);
}

TEST_F(SchedulerTest, a_fire_claimed_by_a_dead_holder_starts_its_task_once) {
  Server a(*store_, *agents_, "a");
  const Schedule s = make("@every 1h");
  const SystemTime t0 = due(s);
  // What a holder that died between claiming and recording leaves: the task made with the
  // fire's key, the fire still "starting" under an old epoch.
  SchedulesRepository repo(*store_);
  const cluster::Fence none = [](store::Store&) -> Result<void> { return {}; };
  Plan plan{s.id, s.space_id, *s.next_due, to_rfc3339(t0 + 1h), {{*s.next_due, *s.next_due}}, {}};
  ASSERT_TRUE(repo.apply(plan, none));
  Fire f = fires(s).at(0);
  ASSERT_TRUE(repo.claim(f, 0, "dead", none));
  fleet::Submission how;
  how.idempotency_key = "schedule:" + s.id + ":" + f.due_at;
  auto first = a.tasks.submit(
      access_, schedules_->get(access_, s.id)->spec.at("action").at("task").as_object(), how);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->replayed);

  a.scheduler.tick(t0 + 1s);
  const Fire done = fires(s).at(0);
  EXPECT_EQ(done.state, "started");
  EXPECT_EQ(done.task_id, first->task.id);
  EXPECT_NE(done.detail->find("started by an earlier attempt"), std::string::npos) << *done.detail;
  auto listed = a.tasks.list(access_, std::nullopt, 100);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(SchedulerTest, catch_up_policies_after_downtime) {
  Server a(*store_, *agents_, "a");
  // Every 10 s; the scheduler was away for 305 s (31 instants came due, the newest 7 s ago;
  // the three were made a few milliseconds apart).
  const Schedule none = make("@every 10s", {{"catch_up", "none"}});
  const Schedule latest = make("@every 10s", {{"catch_up", "latest"}, {"grace_seconds", 5}});
  const Schedule all =
      make("@every 10s", {{"catch_up", "all"}, {"catch_up_limit", 3}, {"grace_seconds", 5}});
  a.scheduler.tick(due(none) + 307s);
  // none, 60 s of grace: the 6 instants within the grace fire, the 25 before are missed.
  EXPECT_EQ(states(none), (std::map<std::string, int>{{"started", 6}, {"missed", 25}}));
  // latest with 5 s of grace: nothing is on time, so the newest late one fires.
  EXPECT_EQ(states(latest), (std::map<std::string, int>{{"started", 1}, {"missed", 30}}));
  // all, bounded: the newest 3 late ones fire.
  EXPECT_EQ(states(all), (std::map<std::string, int>{{"started", 3}, {"missed", 28}}));
  for (const auto& f : fires(none)) {
    if (f.state == "missed") {
      EXPECT_NE(f.detail->find("past the grace of 60s, catch_up none"), std::string::npos);
    }
  }
  // And the schedule goes on from now, not from where it stopped.
  auto after = schedules_->get(access_, none.id);
  EXPECT_GT(*parse_rfc3339(*after->next_due), due(none) + 300s);
}

TEST_F(SchedulerTest, overlap_forbid_skips_while_the_previous_task_runs) {
  Server a(*store_, *agents_, "a");
  const Schedule s = make("@every 1m", {{"overlap", "forbid"}});
  a.scheduler.tick(due(s) + 1ms);
  a.scheduler.tick(due(s) + 60s + 1ms);  // the first task's run is still pending
  auto f = fires(s);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].state, "skipped");
  EXPECT_NE(f[0].detail->find("is still running"), std::string::npos) << *f[0].detail;
  EXPECT_EQ(f[1].state, "started");
}

TEST_F(SchedulerTest, overlap_queue_waits_and_replace_cancels) {
  Server a(*store_, *agents_, "a");
  const Schedule queued = make("@every 1m", {{"overlap", "queue"}});
  const Schedule replaced = make("@every 1m", {{"overlap", "replace"}});
  a.scheduler.tick(due(queued) + 1ms);
  a.scheduler.tick(due(queued) + 60s + 1ms);
  EXPECT_EQ(states(queued), (std::map<std::string, int>{{"due", 1}, {"started", 1}}));
  a.scheduler.tick(due(replaced) + 1ms);
  a.scheduler.tick(due(replaced) + 60s + 1ms);
  auto f = fires(replaced);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].state, "started");
  auto first = a.tasks.get(access_, *f[1].task_id);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->runs.at(0).state, "cancelled");
}

TEST_F(SchedulerTest, a_paused_schedule_fires_nothing_and_resumes_from_now) {
  Server a(*store_, *agents_, "a");
  const Schedule s = make("@every 1m");
  auto paused = schedules_->set_paused(access_, s.name, true);
  ASSERT_TRUE(paused);
  EXPECT_FALSE(paused->next_due);
  EXPECT_TRUE(Schedules::upcoming(*paused, 3).empty());
  a.scheduler.tick(due(s) + 10min);
  EXPECT_TRUE(fires(s).empty());
  auto resumed = schedules_->set_paused(access_, s.name, false);
  ASSERT_TRUE(resumed && resumed->next_due);
  EXPECT_EQ(Schedules::upcoming(*resumed, 3).size(), 3u);
}

TEST_F(SchedulerTest, bad_schedules_are_refused_with_the_reason) {
  auto refuse = [&](json::object body) {
    body["name"] = "bad";
    if (!body.contains("action"))
      body["action"] =
          json::object{{"task", {{"type", "echo"}, {"target", {{"agents", json::array{agent_}}}}}}};
    auto s = schedules_->create(access_, body);
    EXPECT_FALSE(s);
    return s ? std::string("accepted") : s.error().message;
  };
  EXPECT_EQ(refuse({{"when", "61 * * * *"}}), "minute: 61 is out of range 0-59");
  EXPECT_EQ(refuse({{"when", "@daily"}, {"time_zone", "Mars/Olympus"}}),
            "unknown time zone \"Mars/Olympus\" (an IANA name such as Europe/Paris)");
  EXPECT_EQ(refuse({{"when", "@daily"}, {"overlap", "sometimes"}}),
            "\"overlap\" must be one of allow, forbid, replace, queue");
  EXPECT_EQ(refuse({{"when", "@daily"}, {"colour", "red"}}), "unknown field \"colour\"");
  EXPECT_EQ(refuse({{"when", "@daily"}, {"action", {{"http", {{"url", "ftp://x"}}}}}}),
            "action.http: \"url\" must be an http:// or https:// URL");
  EXPECT_EQ(refuse({{"when", "@daily"}, {"jitter_seconds", 7200}}),
            "\"jitter_seconds\" must be between 0 and 3600");
  make("@daily");
  auto twice = schedules_->create(
      access_, {{"name", "s1"},
                {"when", "@daily"},
                {"action", {{"task", {{"type", "echo"}, {"target", {{"all", true}}}}}}}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::conflict);
}

}  // namespace
}  // namespace ris::schedule
