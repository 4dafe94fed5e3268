// Two risd processes on one database (the SQLite file, or the PostgreSQL database of the test's
// pass), as two servers of one installation: presence in the store tells each which agents the
// other holds. A second server never marks the first one's
// agents' runs lost, even while such an agent is silent; when the first server dies (its lease
// lapses), the second sweeps the runs of the agents it held.
#include <gtest/gtest.h>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

class TwoServers : public FleetFixture {
 protected:
  // A long idle timeout: a frozen agent keeps its connection (and its presence) to the first
  // server while it sends nothing.
  std::vector<std::string> risd_args() const override {
    return {"--agent-lost-after", "3s",    "--ws-idle-timeout", "60s",
            "--server-id",        "first", "--server-lease",    "1500ms"};
  }

  // The first risd's database: its SQLite file, or on the PostgreSQL pass the database the
  // test support made for its data directory.
  std::string first_database_url() const {
    std::string url;
    if (std::ifstream in(risd_->data_dir() / "test-database-url"); in)
      std::getline(in, url);
    return url.empty() ? "sqlite:" + (risd_->data_dir() / "ris.db").string() : url;
  }
  // A second risd on the first one's database, with its own data directory, CA and port.
  void start_second(const std::string& lost_after) {
    second_ = std::make_unique<RisdProcess>(
        std::vector<std::string>{"--database-url", first_database_url(), "--server-id", "second",
                                 "--server-lease", "1500ms", "--agent-lost-after", lost_after});
    second_->start();
    auto r = on_second("POST", "/api/v1/auth/login",
                       {{"login", "admin"}, {"password", "a long admin passphrase"}});
    ASSERT_EQ(r.status, 200) << r.body;
    second_token_ = std::string(json::parse(r.body).at("access_token").as_string());
  }
  HttpResult on_second(const std::string& method, const std::string& target,
                       const json::object& body = {}) {
    std::map<std::string, std::string> h{{"Content-Type", "application/json"}};
    if (!second_token_.empty())
      h["Authorization"] = "Bearer " + second_token_;
    return https(second_->port(), second_->ca_file(), method, target,
                 body.empty() ? "" : json::serialize(body), h);
  }
  // What the second server says of the task's first run, and of the agent.
  std::string run_state_on_second(const std::string& task_id) {
    auto r = on_second("GET", "/api/v1/spaces/" + space_ + "/tasks/" + task_id);
    if (r.status != 200)
      return "status " + std::to_string(r.status);
    return std::string(json::parse(r.body).at("runs").as_array()[0].at("state").as_string());
  }
  std::string agent_status_on_second(const std::string& agent_id) {
    auto r = on_second("GET", "/api/v1/spaces/" + space_ + "/agents/" + agent_id);
    return r.status == 200 ? std::string(json::parse(r.body).at("status").as_string())
                           : "status " + std::to_string(r.status);
  }

  std::unique_ptr<RisdProcess> second_;
  std::string second_token_;
};

TEST_F(TwoServers, a_second_server_never_marks_the_first_ones_runs_lost) {
  auto& a = start_agent(join_token());
  const std::string id = a.id();
  ASSERT_TRUE(eventually([&] { return online(id); }));
  auto t = create_task({{"type", "shell"},
                        {"parameters", {{"script", "sleep 1; echo done"}}},
                        {"target", {{"agents", {id}}}}});
  const std::string task_id(t.at("id").as_string());
  ASSERT_EQ(wait_for_state(task_id, "running", 10s), "running");
  // Frozen, the agent sends no heartbeat: it is "unseen" for longer than the second server's
  // lost_after, but the first server still holds its connection.
  a.kill(SIGSTOP);
  ASSERT_NO_FATAL_FAILURE(start_second("1s"));
  EXPECT_EQ(agent_status_on_second(id), "online") << "presence is in the store";
  std::this_thread::sleep_for(4s);  // the second server swept about eight times meanwhile
  EXPECT_EQ(run_state_on_second(task_id), "running");
  EXPECT_EQ(second_->log().find("run_lost"), std::string::npos) << second_->log();
  a.kill(SIGCONT);
  ASSERT_TRUE(eventually([&] { return all_final(task_id, 1); }, 30s));
  auto run = task(task_id).at("runs").as_array()[0].as_object();
  EXPECT_EQ(run.at("state").as_string(), "succeeded") << json::serialize(run);
  EXPECT_EQ(output(std::string(run.at("id").as_string())), "done\n");
}

TEST_F(TwoServers, runs_of_an_agent_whose_server_died_are_swept_by_the_other) {
  auto& a = start_agent(join_token());
  const std::string id = a.id();
  ASSERT_TRUE(eventually([&] { return online(id); }));
  auto t = create_task({{"type", "shell"},
                        {"parameters", {{"script", "sleep 60"}}},
                        {"target", {{"agents", {id}}}}});
  const std::string task_id(t.at("id").as_string());
  ASSERT_EQ(wait_for_state(task_id, "running", 10s), "running");
  ASSERT_NO_FATAL_FAILURE(start_second("2s"));
  EXPECT_EQ(agent_status_on_second(id), "online");
  // The first server dies without a word; the agent cannot reach it. Its lease lapses after
  // 1.5 s, the agent's last heartbeat ages past the second server's lost_after (2 s).
  ASSERT_EQ(risd_->stop(SIGKILL, 5s), 128 + SIGKILL);
  std::string state;
  EXPECT_TRUE(eventually(
      [&] {
        state = run_state_on_second(task_id);
        return state == "lost";
      },
      20s))
      << state;
  EXPECT_EQ(agent_status_on_second(id), "offline");
  EXPECT_NE(second_->log().find("run_lost"), std::string::npos);
}

}  // namespace
}  // namespace ris::test
