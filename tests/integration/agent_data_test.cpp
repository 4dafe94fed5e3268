// Agents using the key-value store and queues with their own identity (both engines): a real
// ris-agent reads and watches its space's config/ keys and nothing else, and a task it runs
// publishes to a topic that lets agents, which `ris-agent sub` then consumes; a topic that does
// not let agents refuses them with the reason.
#include <future>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

class AgentData : public FleetFixture {
 protected:
  std::string space(const std::string& rest) const { return "/api/v1/spaces/" + space_ + rest; }
  HttpResult put(const std::string& key, const std::string& value) {
    return https(port_, ca_file_, "PUT", space("/kv?key=" + key), value,
                 {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + token_}});
  }
  std::pair<int, std::string> agent_cli(const AgentProcess& a, const std::string& args) {
    return run_command("timeout 30 " + std::string(RIS_AGENT_BINARY) + " " + args +
                       " --state-dir " + a.state().string() + " < /dev/null");
  }
};

TEST_F(AgentData, an_agent_reads_and_watches_config_keys_and_uses_topics_that_let_agents) {
  auto& a = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(a.id()); }));
  ASSERT_EQ(put("config/app/port", "8080").status, 200);
  ASSERT_EQ(put("secrets/db", "hunter2").status, 200);

  auto [got, value] = agent_cli(a, "kv get config/app/port");
  EXPECT_EQ(got, 0) << value;
  EXPECT_EQ(value, "8080\n");
  auto [refused, why] = agent_cli(a, "kv get secrets/db");
  EXPECT_EQ(refused, 1);
  EXPECT_NE(why.find("agents read keys under \"config/\" only"), std::string::npos) << why;
  EXPECT_EQ(why.find("hunter2"), std::string::npos);

  // A watch from the current revision sees the next two changes under config/ only.
  auto watched = std::async(std::launch::async, [&] {
    return agent_cli(a, "kv watch config/ --from-revision 2 --limit 2");
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(put("secrets/db", "changed").status, 200);
  ASSERT_EQ(put("config/app/port", "9090").status, 200);
  ASSERT_EQ(put("config/app/host", "db.internal").status, 200);
  auto [watch_code, watch_out] = watched.get();
  EXPECT_EQ(watch_code, 0) << watch_out;
  EXPECT_EQ(watch_out, "4 put config/app/port 9090\n5 put config/app/host db.internal\n");

  // A task on the agent publishes with the agent's identity (RIS_AGENT_STATE_DIR is set for it).
  ASSERT_EQ(call("POST", space("/topics"), token_, {{"name", "events"}, {"agents", "both"}}).status,
            201);
  ASSERT_EQ(call("POST", space("/topics"), token_, {{"name", "closed"}}).status, 201);
  ASSERT_EQ(call("POST", space("/topics/events/subscriptions"), token_, {{"name", "host"}}).status,
            201);
  auto task = create_task(
      {{"type", "shell"},
       {"parameters", {{"script", std::string(RIS_AGENT_BINARY) + " pub events from-task"}}},
       {"target", {{"agents", json::array{a.id()}}}}});
  const std::string task_id(task.at("id").as_string());
  ASSERT_TRUE(eventually([&] { return all_final(task_id, 1); }, 30s));
  const auto run = this->task(task_id).at("runs").as_array()[0];
  EXPECT_EQ(run.at("state"), "succeeded") << json::serialize(run);
  EXPECT_EQ(output(std::string(run.at("id").as_string())), "topic/events seq 1\n");
  auto [sub_code, sub_out] = agent_cli(a, "sub events host --limit 1");
  EXPECT_EQ(sub_code, 0) << sub_out;
  EXPECT_EQ(sub_out, "1 from-task\n");
  // Acknowledged by the agent: nothing is left for the subscription.
  auto left = call("POST", space("/topics/events/subscriptions/host/pull"), token_, json::object{});
  EXPECT_TRUE(json::parse(left.body).at("messages").as_array().empty()) << left.body;

  auto [closed, closed_why] = agent_cli(a, "pub closed nope");
  EXPECT_EQ(closed, 1);
  EXPECT_NE(closed_why.find("does not let agents publish"), std::string::npos) << closed_why;
  // Without an agent's certificate the agent routes answer 401.
  auto anonymous = https(port_, ca_file_, "GET", "/agent/v1/kv?key=config/app/port", "", {});
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
}

}  // namespace
}  // namespace ris::test
