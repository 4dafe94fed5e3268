// The sweeper duty across two risd processes on one PostgreSQL database (PostgreSQL only: two
// servers on one store is what PostgreSQL is for). The server holding the duty is paused
// (SIGSTOP) for longer than its lease while the agent whose runs are active is killed: the other
// server takes the duty over and marks those runs lost, once; resumed (SIGCONT), the paused
// server finds it lost the duty and marks nothing.
#include <gtest/gtest.h>

#include "fleet_support.hpp"
#include "ris/store/store.hpp"
#include "store/testing/test_database.hpp"

namespace ris::test {
namespace {

constexpr int kTasks = 3;

// Lines of risd's log that contain every one of `words`.
size_t count_lines(const std::string& log, const std::vector<std::string>& words) {
  size_t n = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& w : words)
      all = all && line.find(w) != std::string::npos;
    n += all ? 1 : 0;
  }
  return n;
}

class SweeperDuty : public FleetFixture {
 protected:
  std::vector<std::string> risd_args() const override {
    // Info: duty_acquired is an info line.
    return {"--server-id",       "first", "--server-lease", "2s",  "--agent-lost-after", "3s",
            "--ws-idle-timeout", "60s",   "--log-level",    "info"};
  }
  void SetUp() override {
    ASSERT_EQ(store::testing::test_engine(), store::Engine::postgres)
        << "PostgreSQL only (RIS_TEST_POSTGRES_URL_FILE, the CTest fixture postgres)";
    FleetFixture::SetUp();
  }

  // The PostgreSQL database the test support made for the first risd's data directory.
  std::string database_url() const {
    std::string url;
    std::ifstream in(risd_->data_dir() / "test-database-url");
    std::getline(in, url);
    return url;
  }
  // A second risd on the first one's database, sharing its master key (docs/secrets.md).
  void start_second() {
    second_ = std::make_unique<RisdProcess>(std::vector<std::string>{
        "--database-url", database_url(), "--server-id", "second", "--server-lease", "2s",
        "--agent-lost-after", "3s", "--ws-idle-timeout", "60s", "--log-level", "info",
        "--master-key-file", (risd_->data_dir() / "master.key").string()});
    second_->start();
    auto r = https(
        second_->port(), second_->ca_file(), "POST", "/api/v1/auth/login",
        json::serialize(json::object{{"login", "admin"}, {"password", "a long admin passphrase"}}),
        {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
    second_token_ = std::string(json::parse(r.body).at("access_token").as_string());
  }
  RisdProcess& server(const std::string& id) { return id == "first" ? *risd_ : *second_; }
  // A GET on either server, with a token of that server.
  HttpResult get(const std::string& id, const std::string& target) {
    RisdProcess& s = server(id);
    return https(s.port(), s.ca_file(), "GET", target, "",
                 {{"Authorization", "Bearer " + (id == "first" ? token_ : second_token_)}});
  }
  // The task's runs, as `server` tells them.
  json::array runs_on(const std::string& id, const std::string& task_id) {
    auto r = get(id, "/api/v1/spaces/" + space_ + "/tasks/" + task_id);
    return r.status == 200 ? json::parse(r.body).at("runs").as_array() : json::array{};
  }
  // ris_tasks_completed_total{status="lost"} of one server.
  double lost_counted(const std::string& id) {
    const std::string body = get(id, "/metrics").body;
    const std::string key = "ris_tasks_completed_total{status=\"lost\"} ";
    const size_t at = body.find(key);
    return at == std::string::npos ? 0 : std::stod(body.substr(at + key.size()));
  }
  // The holder and epoch of the duty "sweeper", read from the database.
  std::pair<std::string, int64_t> duty_row() {
    auto db = store::open_store(database_url(), risd_->data_dir());
    EXPECT_TRUE(db) << db.error().message;
    if (!db)
      return {};
    auto rows = (*db)->query("SELECT holder, epoch FROM duties WHERE name = 'sweeper'");
    EXPECT_TRUE(rows) << rows.error().message;
    if (!rows || rows->rows.empty())
      return {};
    return {rows->rows[0].get<std::string>(0), rows->rows[0].get<int64_t>(1)};
  }

  std::unique_ptr<RisdProcess> second_;
  std::string second_token_;
};

TEST_F(SweeperDuty, a_paused_holder_wakes_up_to_a_lost_duty_and_marks_nothing) {
  auto& agent = start_agent(join_token());
  const std::string agent_id = agent.id();
  ASSERT_TRUE(eventually([&] { return online(agent_id); }));
  std::vector<std::string> tasks;
  for (int i = 0; i < kTasks; ++i) {
    auto t = create_task({{"type", "shell"},
                          {"parameters", {{"script", "sleep 300"}}},
                          {"target", {{"agents", {agent_id}}}}});
    tasks.emplace_back(t.at("id").as_string());
  }
  for (const auto& t : tasks)
    ASSERT_EQ(wait_for_state(t, "running", 30s), "running") << t;
  // The first server, alone so far, holds the duty.
  ASSERT_TRUE(eventually([&] { return duty_row().first == "first"; }, 30s));
  ASSERT_NO_FATAL_FAILURE(start_second());

  // Whichever holds the duty now (the first one, unless it stalled for a whole lease) is paused.
  const auto holder = duty_row();
  const std::string paused = holder.first;
  const int64_t epoch = holder.second;
  ASSERT_FALSE(paused.empty());
  const std::string other = paused == "first" ? "second" : "first";
  server(paused).signal(SIGSTOP);
  agent.kill(SIGKILL);

  // The other server takes the duty over (a new epoch) and marks the runs lost.
  EXPECT_TRUE(eventually([&] { return duty_row() == std::pair{other, epoch + 1}; }, 60s));
  std::map<std::string, std::string> finished_at;  // run id → when it was marked lost
  EXPECT_TRUE(eventually(
      [&] {
        finished_at.clear();
        for (const auto& t : tasks)
          for (const auto& r : runs_on(other, t))
            if (r.at("state").as_string() == "lost")
              finished_at[std::string(r.at("id").as_string())] =
                  std::string(r.at("finished_at").as_string());
        return finished_at.size() == kTasks;
      },
      60s))
      << finished_at.size() << " of " << kTasks << " runs lost";

  // Resumed, the paused server renews its own lease, asks for the duty and learns it lost it.
  server(paused).signal(SIGCONT);
  EXPECT_TRUE(eventually(
      [&] {
        return count_lines(server(paused).log(),
                           {"duty_lost", "sweeper", "\"epoch\":" + std::to_string(epoch)}) > 0;
      },
      60s))
      << server(paused).log();
  // Some more sweeps of both servers (not a timing assertion: nothing may change in them).
  ASSERT_TRUE(eventually([&] { return get(paused, "/health").status == 200; }, 30s));
  std::this_thread::sleep_for(3s);

  const std::string paused_log = server(paused).log(), other_log = server(other).log();
  EXPECT_EQ(count_lines(paused_log, {"run_lost"}), 0u) << paused_log;
  EXPECT_EQ(count_lines(other_log,
                        {"duty_acquired", "sweeper", "\"epoch\":" + std::to_string(epoch + 1)}),
            1u)
      << other_log;
  EXPECT_EQ(duty_row(), (std::pair{other, epoch + 1}));
  for (const auto& [run, at] : finished_at) {
    EXPECT_EQ(count_lines(other_log, {"run_lost", run}), 1u) << run << " marked lost once";
  }
  EXPECT_EQ(lost_counted(other), kTasks);
  EXPECT_EQ(lost_counted(paused), 0);
  // Both servers tell the same runs, lost at the time the other server marked them.
  for (const auto& id : {paused, other})
    for (const auto& t : tasks)
      for (const auto& r : runs_on(id, t)) {
        EXPECT_EQ(r.at("state").as_string(), "lost") << id << ": " << json::serialize(r);
        EXPECT_EQ(finished_at[std::string(r.at("id").as_string())], r.at("finished_at").as_string())
            << id << ": " << json::serialize(r);
      }
}

}  // namespace
}  // namespace ris::test
