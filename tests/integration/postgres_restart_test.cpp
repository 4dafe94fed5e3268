// PostgreSQL going away and coming back while work runs (PostgreSQL only: the test starts and
// halts a server of its own with scripts/pg-test-server, so other tests' server is untouched).
// While the database is away requests get 503 with Retry-After and /health says so; agents keep
// their results in their outboxes; afterwards every run ends with its true result, once.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

using namespace std::chrono_literals;

std::string run_script(const std::string& args) {
  return std::string(RIS_SOURCE_DIR) + "/scripts/pg-test-server " + args;
}

class PostgresRestart : public FleetFixture {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ris-pg-restart-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    pg_dir_ = tmpl;
    ASSERT_EQ(std::system(run_script("start " + pg_dir_.string() + "/pg >/dev/null").c_str()), 0);
    std::ifstream in(pg_dir_ / "pg" / "url");
    std::getline(in, url_);
    ASSERT_FALSE(url_.empty());
    risd_ = std::make_unique<RisdProcess>(
        std::vector<std::string>{"--agent-lost-after", "60s", "--database-url", url_});
    risd_->set_env("RIS_ADMIN_EMAIL", "root@example.com");
    risd_->set_env("RIS_ADMIN_PASSWORD", "a long admin passphrase");
    risd_->start();
    port_ = risd_->port();
    ca_file_ = risd_->ca_file();
    token_ = login("admin", "a long admin passphrase");
    space_ = create_space(token_, "fleet");
  }
  void TearDown() override {
    FleetFixture::TearDown();
    risd_.reset();
    (void)std::system(run_script("stop " + pg_dir_.string() + "/pg").c_str());
    std::filesystem::remove_all(pg_dir_);
  }
  std::filesystem::path pg_dir_;
  std::string url_;
};

TEST_F(PostgresRestart, every_run_ends_once_with_its_true_result) {
  constexpr int kAgents = 4, kTasks = 50;  // 200 runs
  std::vector<AgentProcess*> agents;
  for (int i = 0; i < kAgents; ++i)
    agents.push_back(&start_agent(join_token()));
  ASSERT_TRUE(eventually([&] {
    for (auto* a : agents)
      if (!online(a->id()))
        return false;
    return true;
  }));
  std::vector<std::string> tasks;
  for (int i = 0; i < kTasks; ++i) {
    auto t = create_task({{"type", "shell"},
                          {"parameters", {{"script", "sleep 2; echo run-" + std::to_string(i)}}},
                          {"target", {{"all", true}}}});
    tasks.emplace_back(t.at("id").as_string());
  }
  ASSERT_EQ(wait_for_state(tasks.back(), "running", 20s), "running");

  ASSERT_EQ(std::system(run_script("halt " + pg_dir_.string() + "/pg").c_str()), 0);
  // Away: the API says so instead of hanging or failing vaguely.
  ASSERT_TRUE(eventually(
      [&] {
        auto h = call("GET", "/health?detailed=true", "");
        return h.status == 503 && h.body.find("\"database\":\"unavailable\"") != std::string::npos;
      },
      20s));
  auto listed = call("GET", "/api/v1/spaces/" + space_ + "/tasks", token_);
  EXPECT_EQ(listed.status, 503) << listed.body;
  EXPECT_TRUE(listed.headers.count("retry-after")) << listed.body;
  EXPECT_NE(listed.body.find("unavailable"), std::string::npos) << listed.body;
  std::this_thread::sleep_for(3s);  // the runs finish while the database is away
  ASSERT_EQ(std::system(run_script("resume " + pg_dir_.string() + "/pg").c_str()), 0);
  ASSERT_TRUE(
      eventually([&] { return call("GET", "/health?detailed=true", "").status == 200; }, 30s));

  for (size_t i = 0; i < tasks.size(); ++i) {
    ASSERT_TRUE(eventually([&] { return all_final(tasks[i], kAgents); }, 120s)) << tasks[i];
    const auto done = task(tasks[i]);
    for (const auto& r : done.at("runs").as_array()) {
      EXPECT_EQ(r.at("state").as_string(), "succeeded") << json::serialize(r);
      EXPECT_EQ(output(std::string(r.at("id").as_string())), "run-" + std::to_string(i) + "\n")
          << "exactly once";
    }
  }
}

}  // namespace
}  // namespace ris::test
