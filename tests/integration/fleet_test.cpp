// The fleet end to end: a real risd and real ris-agent processes (separate state directories)
// on loopback. Enrolment, revocation, tasks, selectors, timeouts, fan-out, and the "nothing
// lost" cases: risd killed mid-task, an agent cut off mid-task, an agent killed mid-task.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "fleet_support.hpp"

namespace ris::test {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

using Fleet = FleetFixture;

TEST_F(Fleet, enrolment_with_a_wrong_ca_hash_fails) {
  auto [code, out] = join(join_token(), new_dir(), "sha256:" + std::string(64, '0'));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("pinned hash"), std::string::npos) << out;
}

TEST_F(Fleet, used_up_and_expired_join_tokens_are_refused) {
  const std::string once = join_token({}, 1);
  EXPECT_EQ(join(once, new_dir()).first, 0);
  auto [code, out] = join(once, new_dir());
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("used up"), std::string::npos) << out;
  const std::string short_lived = join_token({}, 10, 1);
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(join(short_lived, new_dir()).first, 0);
}

TEST_F(Fleet, shell_task_runs_and_its_output_and_health_are_stored) {
  auto& a = start_agent(join_token({{"role", "web"}}));
  const std::string id = a.id();
  ASSERT_TRUE(eventually([&] { return online(id); }))
      << AgentProcess::read_file(a.state() / "agent.log");
  auto t = create_task(
      {{"type", "shell"},
       {"parameters",
        {{"script", "echo hello from $WHO; echo oops >&2; exit 4"}, {"env", {{"WHO", "ris"}}}}},
       {"target", {{"agents", {id}}}}});
  const std::string task_id(t.at("id").as_string());
  ASSERT_TRUE(eventually([&] { return all_final(task_id, 1); }));
  auto run = task(task_id).at("runs").as_array()[0].as_object();
  EXPECT_EQ(run.at("state").as_string(), "failed");
  EXPECT_EQ(run.at("exit_code").as_int64(), 4);
  const std::string out = output(std::string(run.at("id").as_string()));
  EXPECT_NE(out.find("hello from ris\n"), std::string::npos) << out;
  EXPECT_NE(out.find("oops\n"), std::string::npos) << out;
  // The final state was counted once in /metrics.
  auto metrics = https(port_, ca_file_, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("ris_tasks_completed_total{status=\"failed\"} 1"), std::string::npos)
      << metrics.body.substr(metrics.body.find("ris_tasks"), 300);
  EXPECT_NE(metrics.body.find("ris_clients_connected 1"), std::string::npos);
  // Heartbeats arrived: seed 000's health shape.
  ASSERT_TRUE(eventually([&] {
    auto h = call("GET", "/api/v1/spaces/" + space_ + "/agents/" + id + "/health", token_);
    return h.status == 200 && json::parse(h.body).at("status").as_string() == "healthy" &&
           json::parse(h.body).at("memory_usage").as_string() != "0%";
  }));
}

TEST_F(Fleet, live_output_and_states_arrive_over_events_v1) {
  auto& a = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(a.id()); }));
  // A task that waits for a go signal, so the subscription is in place before any output.
  const auto go = a.state() / "go";
  auto t = create_task(
      {{"type", "shell"},
       {"parameters",
        {{"script", "while [ ! -f " + go.string() + " ]; do sleep 0.1; done; echo live line"}}},
       {"target", {{"agents", {a.id()}}}}});
  const std::string task_id(t.at("id").as_string());
  WsClient ws(port_, ca_file_, "/events/v1");
  ASSERT_TRUE(ws.receive());  // hello
  // Unauthenticated subscriptions and other spaces' tasks are refused.
  ws.send(json::serialize(json::object{{"type", "subscribe"},
                                       {"topic", "task"},
                                       {"space", space_},
                                       {"task", task_id},
                                       {"id", "s0"}}));
  EXPECT_NE(ws.receive().value_or("").find("unauthenticated"), std::string::npos);
  ws.send(json::serialize(json::object{{"type", "auth"}, {"token", token_}, {"id", "a1"}}));
  EXPECT_NE(ws.receive().value_or("").find("authenticated"), std::string::npos);
  ws.send(json::serialize(json::object{{"type", "subscribe"},
                                       {"topic", "task"},
                                       {"space", space_},
                                       {"task", "nope"},
                                       {"id", "s1"}}));
  EXPECT_NE(ws.receive().value_or("").find("not_found"), std::string::npos);
  ws.send(json::serialize(json::object{{"type", "subscribe"},
                                       {"topic", "task"},
                                       {"space", space_},
                                       {"task", task_id},
                                       {"id", "s2"}}));
  EXPECT_NE(ws.receive().value_or("").find("subscribed"), std::string::npos);
  std::ofstream(go) << "go";
  std::string output, final_state;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (auto frame = ws.receive()) {
      auto e = json::parse(*frame).as_object();
      if (e.at("type") == "run_output")
        output += e.at("data").as_string();
      if (e.at("type") == "run_state" && final_state.empty() && e.at("state") != "running")
        final_state = std::string(e.at("state").as_string());
      if (!final_state.empty() && !output.empty())
        break;
    }
    done = true;
  });
  const bool arrived = eventually([&] { return done.load(); }, 30s);
  if (!arrived)
    risd_->stop(SIGKILL, 5s);  // unblocks the reader
  reader.join();
  ASSERT_TRUE(arrived);
  EXPECT_EQ(output, "live line\n");
  EXPECT_EQ(final_state, "succeeded");
}

TEST_F(Fleet, http_task_reports_status_headers_and_body) {
  auto& a = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(a.id()); }));
  const std::string health = "https://127.0.0.1:" + std::to_string(port_) + "/health";
  // risd's CA is not in the system trust store: verified TLS fails, unverified works.
  auto strict = create_task(
      {{"type", "http"}, {"parameters", {{"url", health}}}, {"target", {{"agents", {a.id()}}}}});
  auto loose =
      create_task({{"type", "http"},
                   {"parameters", {{"url", health}, {"verify_tls", false}, {"max_body_bytes", 10}}},
                   {"target", {{"agents", {a.id()}}}}});
  const std::string strict_id(strict.at("id").as_string()), loose_id(loose.at("id").as_string());
  ASSERT_TRUE(eventually([&] { return all_final(strict_id, 1) && all_final(loose_id, 1); }));
  auto s_run = task(strict_id).at("runs").as_array()[0].as_object();
  EXPECT_EQ(s_run.at("state").as_string(), "failed");
  EXPECT_NE(s_run.at("error").as_string().find("certificate"), std::string::npos)
      << json::serialize(s_run);
  auto l_run = task(loose_id).at("runs").as_array()[0].as_object();
  EXPECT_EQ(l_run.at("state").as_string(), "succeeded") << json::serialize(l_run);
  const auto& result = l_run.at("result").as_object();
  EXPECT_EQ(result.at("status").as_int64(), 200);
  EXPECT_EQ(result.at("body").as_string().size(), 10u);
  EXPECT_TRUE(result.at("truncated").as_bool());
  EXPECT_EQ(result.at("headers").at("Content-Type").as_string(), "application/json");
}

TEST_F(Fleet, label_selectors_choose_the_agents) {
  auto& prod = start_agent(join_token({{"env", "prod"}, {"role", "db"}}));
  auto& dev = start_agent(join_token({{"env", "dev"}, {"role", "db"}}));
  auto& canary = start_agent(join_token({{"env", "prod"}, {"role", "cache"}, {"canary", "yes"}}));
  for (auto* a : {&prod, &dev, &canary})
    ASSERT_TRUE(eventually([&] { return online(a->id()); }));
  auto t = create_task({{"type", "echo"},
                        {"parameters", {{"message", "hi"}}},
                        {"target", {{"selector", "env=prod,role in (db,cache),!canary"}}}});
  ASSERT_EQ(t.at("runs").as_array().size(), 1u);
  EXPECT_EQ(t.at("runs").as_array()[0].at("agent_id").as_string(), prod.id());
  auto bad = call("POST", "/api/v1/spaces/" + space_ + "/tasks", token_,
                  {{"type", "echo"}, {"target", {{"selector", "env in (prod"}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("position"), std::string::npos);
}

TEST_F(Fleet, timeout_ends_the_run_as_timed_out) {
  auto& a = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(a.id()); }));
  auto t = create_task({{"type", "shell"},
                        {"parameters", {{"script", "sleep 60 & sleep 60"}}},
                        {"timeout_seconds", 1},
                        {"target", {{"agents", {a.id()}}}}});
  EXPECT_EQ(wait_for_state(std::string(t.at("id").as_string()), "timed_out"), "timed_out");
}

TEST_F(Fleet, failed_runs_are_retried_with_back_off) {
  auto& a = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(a.id()); }));
  // Fails twice (a marker file counts attempts), then succeeds: three runs, the last succeeded.
  const auto marker = a.state() / "attempts";
  auto t = create_task({{"type", "shell"},
                        {"parameters",
                         {{"script", "echo x >> " + marker.string() + "; [ $(wc -l < " +
                                         marker.string() + ") -ge 3 ]"}}},
                        {"retries", 3},
                        {"retry_delay_seconds", 1},
                        {"target", {{"agents", {a.id()}}}}});
  const std::string id(t.at("id").as_string());
  ASSERT_TRUE(eventually(
      [&] {
        const auto now = task(id);
        const auto& runs = now.at("runs").as_array();
        return runs.size() == 3 && runs[2].at("state").as_string() == "succeeded";
      },
      30s))
      << json::serialize(task(id));
  const auto done = task(id);
  const auto& runs = done.at("runs").as_array();
  EXPECT_EQ(runs[0].at("state").as_string(), "failed");
  EXPECT_EQ(runs[1].at("attempt").as_int64(), 2);
  EXPECT_EQ(runs[2].at("attempt").as_int64(), 3);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(task(id).at("runs").as_array().size(), 3u) << "no retry after success";
}

TEST_F(Fleet, fan_out_reaches_every_agent) {
  const int n =
      std::getenv("RIS_TEST_FANOUT_AGENTS") ? std::atoi(std::getenv("RIS_TEST_FANOUT_AGENTS")) : 50;
  const std::string token = join_token({{"pool", "fan"}}, n);
  for (int i = 0; i < n; ++i)
    start_agent(token);
  ASSERT_TRUE(eventually(
      [&] {
        auto r = call("GET", "/api/v1/spaces/" + space_ + "/agents?selector=pool%3Dfan", token_);
        int up = 0;
        const auto body = json::parse(r.body);
        for (const auto& a : body.at("items").as_array())
          up += a.at("status").as_string() == "online";
        return up == n;
      },
      120s));
  auto t = create_task(
      {{"type", "echo"}, {"parameters", {{"message", "fan"}}}, {"target", {{"all", true}}}});
  const std::string id(t.at("id").as_string());
  ASSERT_EQ(t.at("runs").as_array().size(), static_cast<size_t>(n));
  ASSERT_TRUE(eventually([&] { return all_final(id, n); }, 120s));
  const auto done = task(id);
  for (const auto& r : done.at("runs").as_array())
    EXPECT_EQ(r.at("state").as_string(), "succeeded");
}

TEST_F(Fleet, revoked_agent_is_disconnected_and_refused) {
  auto& a = start_agent(join_token());
  const std::string id = a.id();
  ASSERT_TRUE(eventually([&] { return online(id); }));
  EXPECT_EQ(call("POST", "/api/v1/spaces/" + space_ + "/agents/" + id + "/revoke", token_).status,
            204);
  EXPECT_EQ(agent(id).at("status").as_string(), "revoked");
  // It keeps trying, and is refused every time.
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(agent(id).at("status").as_string(), "revoked");
  EXPECT_NE(risd_->log().find("agent_refused"), std::string::npos);
  auto t = call("POST", "/api/v1/spaces/" + space_ + "/tasks", token_,
                {{"type", "ping"}, {"target", {{"agents", {id}}}}});
  EXPECT_EQ(t.status, 400) << t.body;
}

TEST_F(Fleet, agents_of_one_space_are_invisible_to_another) {
  auto& a = start_agent(join_token());
  const std::string id = a.id();
  auto r =
      call("POST", "/api/v1/accounts", "",
           {{"email", "eve@example.com"}, {"username", "eve"}, {"password", "eve passphrase"}});
  ASSERT_EQ(r.status, 201);
  const std::string eve = login("eve", "eve passphrase");
  const std::string other = create_space(eve, "eve's");
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + other + "/agents/" + id, eve).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + space_ + "/agents/" + id, eve).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/spaces/" + other + "/tasks", eve,
                 {{"type", "ping"}, {"target", {{"agents", {id}}}}})
                .status,
            404);
  auto list = call("GET", "/api/v1/spaces/" + other + "/agents", eve);
  EXPECT_TRUE(json::parse(list.body).at("items").as_array().empty());
}

TEST_F(Fleet, space_topics_tell_who_may_see_of_agents_and_tasks_as_they_change) {
  WsClient ws(port_, ca_file_, "/events/v1");
  ASSERT_TRUE(ws.receive());  // hello
  ws.send(json::serialize(json::object{{"type", "auth"}, {"token", token_}, {"id", "a"}}));
  EXPECT_NE(ws.receive().value_or("").find("authenticated"), std::string::npos);
  ws.send(json::serialize(
      json::object{{"type", "subscribe"}, {"topic", "chat"}, {"space", space_}, {"id", "x"}}));
  EXPECT_NE(ws.receive().value_or("").find("topics: task, agents, tasks, services"),
            std::string::npos);
  for (const std::string topic : {"agents", "tasks"}) {
    ws.send(json::serialize(
        json::object{{"type", "subscribe"}, {"topic", topic}, {"space", space_}, {"id", topic}}));
    EXPECT_NE(ws.receive().value_or("").find("subscribed"), std::string::npos);
  }
  auto is = [](const json::object& e, const char* key, const std::string& value) {
    const auto* v = e.if_contains(key);
    return v && v->is_string() && v->as_string() == value;
  };
  // Frames until one matches (the agent's heartbeats, every 500 ms, keep them coming).
  auto wait_for = [&](const std::function<bool(const json::object&)>& match) {
    for (int i = 0; i < 200; ++i) {
      auto frame = ws.receive();
      if (!frame)
        return false;
      if (match(json::parse(*frame).as_object()))
        return true;
    }
    return false;
  };
  auto& a = start_agent(join_token());
  const std::string id = a.id();
  EXPECT_TRUE(wait_for([&](const json::object& e) {
    return is(e, "type", "changed") && is(e, "resource", "agents") && is(e, "id", id) &&
           is(e, "event", "connected");
  }));
  EXPECT_TRUE(wait_for([&](const json::object& e) {
    return is(e, "resource", "agents") && is(e, "event", "heartbeat") &&
           e.at("health").as_object().contains("load_1m");
  }));
  auto t = create_task(
      {{"type", "echo"}, {"parameters", {{"message", "hi"}}}, {"target", {{"agents", {id}}}}});
  const std::string task_id(t.at("id").as_string());
  EXPECT_TRUE(wait_for([&](const json::object& e) {
    return is(e, "resource", "tasks") && is(e, "id", task_id) && is(e, "event", "created");
  }));
  EXPECT_TRUE(wait_for([&](const json::object& e) {
    return is(e, "resource", "tasks") && is(e, "id", task_id) && is(e, "state", "succeeded");
  }));

  // Someone outside the space, and a member without VIEW_AGENTS, are refused.
  ASSERT_EQ(
      call("POST", "/api/v1/accounts", "",
           {{"email", "eve@example.com"}, {"username", "eve"}, {"password", "eve passphrase"}})
          .status,
      201);
  const std::string eve = login("eve", "eve passphrase");
  auto try_subscribe = [&](const std::string& token) {
    WsClient other(port_, ca_file_, "/events/v1");
    other.receive();
    other.send(json::serialize(json::object{{"type", "auth"}, {"token", token}, {"id", "a"}}));
    other.receive();
    other.send(json::serialize(
        json::object{{"type", "subscribe"}, {"topic", "agents"}, {"space", space_}, {"id", "s"}}));
    return other.receive().value_or("");
  };
  EXPECT_NE(try_subscribe(eve).find("not_found"), std::string::npos);
  auto invite = call("POST", "/api/v1/spaces/" + space_ + "/invitations", token_);
  ASSERT_EQ(invite.status, 201) << invite.body;
  const std::string code(json::parse(invite.body).at("code").as_string());
  ASSERT_EQ(call("POST", "/api/v1/invitations/" + code + "/accept", eve).status, 200);
  EXPECT_NE(try_subscribe(eve).find("subscribed"), std::string::npos)
      << "@everyone has VIEW_AGENTS";
  ASSERT_EQ(call("PATCH", "/api/v1/spaces/" + space_ + "/roles/" + space_, token_,
                 {{"permissions", json::array{"VIEW_CHANNEL"}}})
                .status,
            200);
  EXPECT_NE(try_subscribe(eve).find("forbidden"), std::string::npos);
}

TEST_F(Fleet, risd_killed_mid_task_loses_nothing) {
  auto& a = start_agent(join_token());
  auto& b = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(a.id()) && online(b.id()); }));
  auto t = create_task({{"type", "shell"},
                        {"parameters", {{"script", "sleep 2; echo finished"}}},
                        {"target", {{"all", true}}}});
  const std::string id(t.at("id").as_string());
  ASSERT_EQ(wait_for_state(id, "running", 10s), "running");
  const auto dir = risd_->data_dir();
  ASSERT_EQ(risd_->stop(SIGKILL, 5s), 128 + SIGKILL);
  std::this_thread::sleep_for(3s);  // the runs finish while risd is down
  RisdProcess again({"--listen", "127.0.0.1:" + std::to_string(port_), "--agent-lost-after", "30s"},
                    dir);
  again.start();
  ASSERT_TRUE(eventually([&] { return all_final(id, 2); }, 60s));
  const auto done = task(id);
  for (const auto& r : done.at("runs").as_array()) {
    EXPECT_EQ(r.at("state").as_string(), "succeeded") << json::serialize(r);
    EXPECT_EQ(output(std::string(r.at("id").as_string())), "finished\n") << "exactly once";
  }
  again.stop(SIGTERM, 10s);
}

TEST_F(Fleet, agent_cut_off_mid_task_delivers_after_reconnecting) {
  auto& a = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(a.id()); }));
  auto t = create_task({{"type", "shell"},
                        {"parameters", {{"script", "sleep 1; echo survived"}}},
                        {"target", {{"agents", {a.id()}}}}});
  const std::string id(t.at("id").as_string());
  ASSERT_EQ(wait_for_state(id, "running", 10s), "running");
  // Freeze the agent (its task keeps running in its own process group): no traffic, so risd's
  // idle timeout cuts the connection, as a broken network would.
  a.kill(SIGSTOP);
  ASSERT_TRUE(eventually([&] { return !online(a.id()); }, 20s));
  a.kill(SIGCONT);
  ASSERT_TRUE(eventually([&] { return all_final(id, 1); }, 30s));
  auto run = task(id).at("runs").as_array()[0].as_object();
  EXPECT_EQ(run.at("state").as_string(), "succeeded") << json::serialize(run);
  EXPECT_EQ(output(std::string(run.at("id").as_string())), "survived\n");
}

TEST_F(Fleet, agent_killed_mid_task_ends_lost_and_mode_one_moves_on) {
  auto& a = start_agent(join_token({{"group", "pair"}}));
  auto& b = start_agent(join_token({{"group", "pair"}}));
  ASSERT_TRUE(eventually([&] { return online(a.id()) && online(b.id()); }));
  // Mode one on an idle pair: the first placement goes to one of them; kill whichever got it.
  auto t = create_task({{"type", "shell"},
                        {"mode", "one"},
                        {"parameters", {{"script", "sleep 5; echo placed"}}},
                        {"target", {{"selector", "group=pair"}}}});
  const std::string id(t.at("id").as_string());
  ASSERT_EQ(wait_for_state(id, "running", 10s), "running");
  const std::string first(task(id).at("runs").as_array()[0].at("agent_id").as_string());
  (first == a.id() ? a : b).kill(SIGKILL);
  ASSERT_TRUE(eventually(
      [&] {
        const auto t2 = task(id);
        const auto& runs = t2.at("runs").as_array();
        return runs.size() == 2 && runs[0].at("state").as_string() == "lost" &&
               runs[1].at("state").as_string() == "succeeded";
      },
      40s))
      << json::serialize(task(id));
  const auto final_task = task(id);
  const auto& runs = final_task.at("runs").as_array();
  EXPECT_NE(runs[1].at("agent_id").as_string(), first);
  EXPECT_EQ(output(std::string(runs[1].at("id").as_string())), "placed\n");
}

// A server takes agent connections at --agent-accept-rate (a token bucket): beyond it an agent is
// answered 503 busy and comes back after its jittered back-off, so every agent still gets in.
class FleetAcceptRate : public FleetFixture {
 protected:
  std::vector<std::string> risd_args() const override {
    auto args = FleetFixture::risd_args();
    args.insert(args.end(), {"--agent-accept-rate", "1"});
    return args;
  }
};

TEST_F(FleetAcceptRate, agents_beyond_the_rate_are_told_busy_and_get_in_later) {
  constexpr int kAgents = 4;
  std::vector<std::filesystem::path> dirs;
  for (int i = 0; i < kAgents; ++i) {  // enrolled first, then started together
    dirs.push_back(new_dir());
    auto [code, out] = join(join_token(), dirs.back());
    ASSERT_EQ(code, 0) << out;
  }
  for (const auto& d : dirs) {
    agents_.push_back(std::make_unique<AgentProcess>(d));
    agents_.back()->start();
  }
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& a : agents_)
          if (!online(a->id()))
            return false;
        return true;
      },
      60s));
  const auto metrics = call("GET", "/metrics", "");
  EXPECT_NE(metrics.body.find("ris_server_rejected_total{reason=\"accept_rate\"}"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("route=\"/agent/v1\",method=\"GET\",status=\"503\""),
            std::string::npos);
}

}  // namespace
}  // namespace ris::test
