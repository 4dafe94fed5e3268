// Presence in the store: which server holds which agent, servers' leases, and what a sweeper on
// another server may end. Two Presence objects on one store stand for two risd processes.
#include "ris/fleet/presence.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "agent_sessions.hpp"
#include "agents_repository.hpp"
#include "fleet_events.hpp"
#include "presence_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/identity/spaces.hpp"
#include "ris/security/ca.hpp"
#include "run_dispatch.hpp"
#include "run_repository.hpp"
#include "store/test_support.hpp"
#include "store/testing/test_database.hpp"
#include "sweeper.hpp"

namespace ris::fleet {
namespace {
using namespace std::chrono_literals;

std::string at(std::chrono::milliseconds from_now) {
  return to_rfc3339(std::chrono::system_clock::now() + from_now);
}

class FleetPresence : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store(store::testing::fresh_database_url(dir_.path()), dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    ASSERT_TRUE(security::ensure_server_credentials(dir_.path() / "tls", {}));
    identity::Accounts accounts(*store_);
    ASSERT_TRUE(accounts.ensure_first_admin("root@example.com", "a long admin passphrase"));
    auto admins = accounts.search("", 10);
    ASSERT_TRUE(admins && !admins->empty());
    identity::Principal admin{admins->front().id, admins->front().app_roles, std::nullopt};
    auto space = identity::Spaces(*store_).create(admin, "fleet", "", false);
    ASSERT_TRUE(space) << space.error().message;
    space_ = space->id;
    auto access = identity::load_access(*store_, space_, admin);
    ASSERT_TRUE(access);
    agents_ = std::make_unique<Agents>(*store_, dir_.path() / "tls");
    auto token = agents_->create_join_token(*access, {});
    ASSERT_TRUE(token);
    auto csr = security::new_client_key_and_csr("agent");
    ASSERT_TRUE(csr);
    auto enrolled = agents_->enrol({token->token, csr->csr_pem, "a1", "host1"});
    ASSERT_TRUE(enrolled) << enrolled.error().message;
    agent_ = enrolled->agent_id;
    // The agent was last seen a minute ago: past any lost_after used here.
    ASSERT_TRUE(AgentsRepository(*store_).touch(agent_, at(-60s)));

    auto key = security::Ed25519Key::generate();
    ASSERT_TRUE(key);
    dispatch_ = std::make_unique<RunDispatch>(*store_, sessions_, std::move(*key));
    events_ = std::make_unique<FleetEvents>(*store_, nullptr);
    events_->on_finished([this](const FinishedRun& f) { finished_.push_back(f); });
  }

  // A task with a running run and a pending run past its time to live, both on the agent.
  void make_runs() {
    const std::string task = new_id(), now = now_rfc3339();
    NewRun running{new_id(), task, space_, agent_, "dispatched", now, now, std::nullopt, at(3600s)};
    NewRun expired{new_id(), task,         space_,       agent_, "pending",
                   now,      std::nullopt, std::nullopt, at(-1s)};
    ASSERT_TRUE(RunRepository(*store_).create_task(
        {task, space_, "someone", now, "echo", "{}", "all"}, {running, expired}));
    task_ = task;
  }

  // The states of the task's runs, sorted (ids made in one millisecond need not sort in order).
  std::vector<std::string> states() {
    std::vector<std::string> out;
    auto runs = RunRepository(*store_).runs_of(task_);
    EXPECT_TRUE(runs);
    if (runs)
      for (const auto& r : *runs)
        out.push_back(r.state);
    std::sort(out.begin(), out.end());
    return out;
  }

  // One pass of a sweeper on the server of `presence`.
  void sweep_from(Presence& presence) {
    Sweeper sweeper(*store_, *events_, *dispatch_, presence, 1ms);
    std::this_thread::sleep_for(5ms);  // its own grace period since start
    sweeper.sweep();
  }

  bool online() {
    auto a = agents_->find(agent_);
    EXPECT_TRUE(a);
    return a && a->online;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Agents> agents_;
  std::string space_, agent_, task_;
  SessionRegistry sessions_;
  std::unique_ptr<RunDispatch> dispatch_;
  std::unique_ptr<FleetEvents> events_;
  std::vector<FinishedRun> finished_;
};

TEST_F(FleetPresence, another_live_servers_agent_keeps_its_runs) {
  Presence one(*store_, {.server_id = "one"}), two(*store_, {.server_id = "two"});
  ASSERT_TRUE(one.start());
  ASSERT_TRUE(two.start());
  ASSERT_TRUE(one.hold(agent_, "session-1"));
  make_runs();
  sweep_from(two);
  sweep_from(one);  // nor does its own holder end them
  EXPECT_EQ(states(), (std::vector<std::string>{"dispatched", "pending"}));
  EXPECT_TRUE(finished_.empty());
  EXPECT_TRUE(online()) << "online whichever server asks";
}

TEST_F(FleetPresence, runs_of_an_agent_whose_server_died_are_swept) {
  // Server "dead" held the agent, then stopped renewing: its lease lapsed a second ago.
  PresenceRepository repo(*store_);
  ASSERT_TRUE(repo.register_server({"dead", "[]", "", at(-60s), at(-1s)}));
  ASSERT_TRUE(repo.hold(agent_, "dead", "session-1", at(-60s)));
  EXPECT_FALSE(online());
  make_runs();
  Presence two(*store_, {.server_id = "two"});
  ASSERT_TRUE(two.start());
  sweep_from(two);
  EXPECT_EQ(states(), (std::vector<std::string>{"lost", "lost"}));
  ASSERT_EQ(finished_.size(), 2u);
  EXPECT_EQ(finished_[0].agent_id, agent_);
  EXPECT_EQ(finished_[0].state, "lost");
}

TEST_F(FleetPresence, only_the_server_holding_the_sweeper_duty_ends_runs) {
  PresenceRepository repo(*store_);
  ASSERT_TRUE(repo.register_server({"dead", "[]", "", at(-60s), at(-1s)}));
  ASSERT_TRUE(repo.hold(agent_, "dead", "session-1", at(-60s)));
  make_runs();
  // Another live server sweeps: it holds the duty.
  cluster::Duty elsewhere(*store_, "sweeper", "elsewhere", 60s);
  auto held = elsewhere.hold();
  ASSERT_TRUE(held && held->has_value());
  Presence two(*store_, {.server_id = "two"});
  ASSERT_TRUE(two.start());
  sweep_from(two);
  EXPECT_EQ(states(), (std::vector<std::string>{"dispatched", "pending"}));
  EXPECT_TRUE(finished_.empty());
  // It stops cleanly, releasing the duty: the next sweep here takes it over at once.
  ASSERT_TRUE(elsewhere.release());
  sweep_from(two);
  EXPECT_EQ(states(), (std::vector<std::string>{"lost", "lost"}));
  EXPECT_EQ(finished_.size(), 2u);
}

TEST_F(FleetPresence, an_unheld_agent_is_swept_only_once_unseen_for_lost_after) {
  make_runs();
  RunRepository runs(*store_);
  const std::string now = now_rfc3339();
  ASSERT_TRUE(AgentsRepository(*store_).touch(agent_, at(-2s)));
  auto recent = runs.unheld_agents_with_active_runs(now, at(-5s));
  ASSERT_TRUE(recent);
  EXPECT_TRUE(recent->empty()) << "seen 2 s ago, lost after 5 s";
  auto marked = runs.mark_lost(agent_, now, at(-5s), [](store::Store&) -> Result<void> {
    return {};  // no duty here: what is swept is the question
  });
  ASSERT_TRUE(marked);
  EXPECT_TRUE(marked->empty());
  auto away = runs.unheld_agents_with_active_runs(now, at(-1s));
  ASSERT_TRUE(away);
  EXPECT_EQ(*away, std::vector<std::string>{agent_});
}

TEST_F(FleetPresence, a_server_whose_own_lease_lapsed_sweeps_nothing) {
  make_runs();
  Presence never_started(*store_, {.server_id = "paused"});
  EXPECT_FALSE(never_started.alive());
  sweep_from(never_started);
  EXPECT_EQ(states(), (std::vector<std::string>{"dispatched", "pending"}));
}

TEST_F(FleetPresence, a_reconnect_elsewhere_survives_the_end_of_the_old_session) {
  Presence one(*store_, {.server_id = "one"}), two(*store_, {.server_id = "two"});
  ASSERT_TRUE(one.start());
  ASSERT_TRUE(two.start());
  ASSERT_TRUE(one.hold(agent_, "old"));
  ASSERT_TRUE(two.hold(agent_, "new"));  // the agent reconnected to the other server
  ASSERT_TRUE(one.release(agent_, "old"));
  auto holder = PresenceRepository(*store_).holder(agent_, now_rfc3339());
  ASSERT_TRUE(holder);
  EXPECT_EQ(holder->value_or(""), "two");
  ASSERT_TRUE(two.release(agent_, "new"));
  EXPECT_FALSE(online());
}

TEST_F(FleetPresence, the_lease_is_renewed_and_a_clean_stop_frees_the_agents) {
  Presence one(*store_, {.server_id = "one", .lease = 300ms});
  ASSERT_TRUE(one.start());
  ASSERT_TRUE(one.hold(agent_, "session-1"));
  std::this_thread::sleep_for(700ms);  // more than two leases: renewed meanwhile
  EXPECT_TRUE(one.alive());
  EXPECT_TRUE(online());
  one.stop();
  EXPECT_FALSE(one.alive());
  EXPECT_FALSE(online()) << "deregistering takes its agents' presence with it";
  auto holder = PresenceRepository(*store_).holder(agent_, now_rfc3339());
  ASSERT_TRUE(holder);
  EXPECT_FALSE(holder->has_value());
}

TEST_F(FleetPresence, servers_are_listed_with_the_agents_each_holds) {
  Presence one(
      *store_,
      {.server_id = "one", .version = "1.2.3", .advertise = {"https://a:8057", "https://b:8057"}});
  Presence two(*store_, {.server_id = "two"});
  ASSERT_TRUE(one.start());
  ASSERT_TRUE(two.start());
  ASSERT_TRUE(one.hold(agent_, "session-1"));
  auto list = one.servers();
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "one");
  EXPECT_EQ((*list)[0].version, "1.2.3");
  EXPECT_EQ((*list)[0].advertise, (std::vector<std::string>{"https://a:8057", "https://b:8057"}));
  EXPECT_EQ((*list)[0].presence_rows, 1);
  EXPECT_EQ((*list)[1].id, "two");
  EXPECT_EQ((*list)[1].presence_rows, 0);
  EXPECT_GT((*list)[1].lease_until, now_rfc3339());

  auto found = two.server("one");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->presence_rows, 1);
  auto missing = two.server("nobody");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  one.stop();
  list = two.servers();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u) << "a clean stop deregisters";
}

}  // namespace
}  // namespace ris::fleet
