// Schedules against a real risd and a real agent (both engines): fires that start tasks the
// agent runs, the next fire times, pause and resume, the fire history, risctl, the errors a bad
// schedule gets, and the idempotency key a task submission takes.
#include <fstream>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

using namespace std::chrono_literals;

class Schedules : public FleetFixture {
 protected:
  std::string url(const std::string& rest = "") const {
    return "/api/v1/spaces/" + space_ + "/schedules" + rest;
  }
  json::array fires(const std::string& schedule) {
    auto r = call("GET", url("/" + schedule + "/fires?limit=100"), token_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body).at("items").as_array() : json::array{};
  }
  size_t started(const std::string& schedule) {
    size_t n = 0;
    for (const auto& f : fires(schedule))
      n += f.at("state") == "started";
    return n;
  }
  std::pair<int, std::string> ctl(const std::string& args) {
    return run_command("RISCTL_CONFIG=" + config_.string() + " " + RISCTL_BINARY + " " + args +
                       " < /dev/null");
  }
  std::filesystem::path config_;
};

TEST_F(Schedules, fires_start_tasks_the_agent_runs_and_the_history_shows_them) {
  auto& agent = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(agent.id()); }));
  auto r = call("POST", url(), token_,
                {{"name", "tick"},
                 {"when", "@every 1s"},
                 {"action",
                  {{"task",
                    {{"type", "shell"},
                     {"parameters", {{"script", "echo tick"}}},
                     {"target", {{"agents", {agent.id()}}}}}}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  const auto created = json::parse(r.body).as_object();
  EXPECT_EQ(created.at("next_fires").as_array().size(), 5u);
  EXPECT_EQ(created.at("overlap"), "allow");  // defaults spelled out
  EXPECT_EQ(created.at("catch_up"), "latest");
  const std::string id(created.at("id").as_string());

  ASSERT_TRUE(eventually([&] { return started("tick") >= 3; }, 30s)) << json::serialize(fires(id));
  // Each started fire has its own task, which the agent ran.
  std::set<std::string> tasks;
  for (const auto& f : fires(id)) {
    if (f.at("state") != "started")
      continue;
    const std::string task_id(f.at("task_id").as_string());
    EXPECT_TRUE(tasks.insert(task_id).second) << "a task started twice: " << task_id;
    ASSERT_TRUE(eventually([&] { return all_final(task_id, 1); }, 30s)) << task_id;
    const auto run = task(task_id).at("runs").as_array().at(0).as_object();
    EXPECT_EQ(run.at("state"), "succeeded");
    EXPECT_EQ(output(std::string(run.at("id").as_string())), "tick\n");
    EXPECT_EQ(task(task_id).at("idempotency_key").as_string(),
              "schedule:" + id + ":" + std::string(f.at("due_at").as_string()));
  }

  // Paused: nothing more fires, no next fire times; resumed: it goes on.
  ASSERT_EQ(call("POST", url("/tick/pause"), token_, json::object{}).status, 200);
  const size_t at_pause = fires(id).size();
  std::this_thread::sleep_for(2500ms);
  const auto paused = json::parse(call("GET", url("/tick"), token_).body).as_object();
  EXPECT_TRUE(paused.at("paused").as_bool());
  EXPECT_TRUE(paused.at("next_fires").as_array().empty());
  EXPECT_LE(fires(id).size(), at_pause + 1);  // one may have been planned as the pause landed
  ASSERT_EQ(call("POST", url("/tick/resume"), token_, json::object{}).status, 200);
  const size_t at_resume = started(id);
  EXPECT_TRUE(eventually([&] { return started(id) > at_resume; }, 10s));

  // PATCH changes only what it names.
  auto patched = call("PATCH", url("/tick"), token_, {{"when", "@hourly"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  const auto p = json::parse(patched.body).as_object();
  EXPECT_EQ(p.at("when"), "@hourly");
  EXPECT_EQ(p.at("action").at("task").at("parameters").at("script"), "echo tick");

  // The audit log has every change.
  auto audit = call("GET", "/api/v1/spaces/" + space_ + "/audit?action=schedule.", token_);
  for (const std::string action :
       {"schedule.create", "schedule.pause", "schedule.resume", "schedule.update"})
    EXPECT_NE(audit.body.find(action), std::string::npos) << action;

  // risctl lists the schedule and its fires.
  config_ = risctl_signed_in();
  auto [get, get_out] = ctl("get schedules");
  EXPECT_EQ(get, 0) << get_out;
  EXPECT_NE(get_out.find("tick"), std::string::npos) << get_out;
  EXPECT_NE(get_out.find("@hourly"), std::string::npos) << get_out;
  auto [hist, hist_out] = ctl("fires tick --limit 5");
  EXPECT_EQ(hist, 0) << hist_out;
  EXPECT_NE(hist_out.find("started"), std::string::npos) << hist_out;
  auto [pause, pause_out] = ctl("pause schedule tick");
  EXPECT_EQ(pause, 0) << pause_out;
  EXPECT_NE(pause_out.find("schedule/tick paused"), std::string::npos) << pause_out;
  auto [del, del_out] = ctl("delete schedule tick");
  EXPECT_EQ(del, 0) << del_out;
  EXPECT_EQ(call("GET", url("/tick"), token_).status, 404);
}

// HTTP actions against a real server on loopback (Debian's busybox httpd): a reachable URL
// starts, one answering 404 is retried with back-off and then failed with the reason.
TEST_F(Schedules, http_actions_start_or_are_retried_then_failed_with_the_reason) {
  const auto www = new_dir();
  std::filesystem::create_directories(www);
  std::ofstream(www / "ok.txt") << "ok\n";
  const int port = 20000 + (getpid() % 1500) * 8 + 7;  // below the ephemeral range
  ASSERT_EQ(
      run_command("busybox httpd -p 127.0.0.1:" + std::to_string(port) + " -h " + www.string())
          .first,
      0);
  struct Stop {
    std::string dir;
    ~Stop() { run_command("pkill -f 'busybox httpd -p .* -h " + dir + "'"); }
  } stop{www.string()};
  const std::string site = "http://127.0.0.1:" + std::to_string(port);
  auto make = [&](const std::string& name, const std::string& path, int retries) {
    auto r = call("POST", url(), token_,
                  {{"name", name},
                   {"when", "@every 1s"},
                   {"retries", retries},
                   {"retry_delay_seconds", 1},
                   {"action", {{"http", {{"method", "GET"}, {"url", site + path}}}}}});
    ASSERT_EQ(r.status, 201) << r.body;
  };
  make("pings", "/ok.txt", 0);
  make("broken", "/missing", 1);
  ASSERT_TRUE(eventually([&] { return started("pings") >= 2; }, 20s))
      << json::serialize(fires("pings"));
  for (const auto& f : fires("pings")) {
    if (f.at("state") == "started") {
      EXPECT_EQ(f.at("detail").as_string(), "GET " + site + "/ok.txt: HTTP 200");
    }
  }
  // The broken one: attempt 1 fails and is retried a second later, attempt 2 fails for good.
  json::object failed;
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& f : fires("broken"))
          if (f.at("state") == "failed") {
            failed = f.as_object();
            return true;
          }
        return false;
      },
      30s))
      << json::serialize(fires("broken"));
  EXPECT_EQ(failed.at("attempt"), 2);
  EXPECT_EQ(failed.at("detail").as_string(), "GET " + site + "/missing answered HTTP 404");
  ASSERT_EQ(call("POST", url("/broken/pause"), token_, json::object{}).status, 200);
  ASSERT_EQ(call("POST", url("/pings/pause"), token_, json::object{}).status, 200);
}

TEST_F(Schedules, bad_schedules_get_a_problem_naming_what_is_wrong) {
  auto refuse = [&](json::object body, const std::string& detail) {
    body["name"] = "bad";
    if (!body.contains("action"))
      body["action"] = json::object{
          {"task",
           {{"type", "shell"}, {"parameters", {{"script", "true"}}}, {"target", {{"all", true}}}}}};
    auto r = call("POST", url(), token_, body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find(detail), std::string::npos) << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  };
  refuse({{"when", "*/5 * * *"}}, "a cron expression has 5 fields");
  refuse({{"when", "0 25 * * *"}}, "hour: 25 is out of range 0-23");
  refuse({{"when", "@daily"}, {"time_zone", "Europe/Atlantis"}}, "unknown time zone");
  refuse({{"when", "@every 0s"}}, "the shortest interval is 1s");
  refuse({{"when", "@daily"}, {"catch_up", "sometimes"}}, "must be one of none, latest, all");
  refuse({{"when", "@daily"},
          {"action", {{"task", {{"type", "shell"}, {"parameters", {{"script", "true"}}}}}}}},
         "\\\"target\\\" is required");
  refuse({{"when", "@daily"}, {"public", true}}, "unknown field \\\"public\\\"");
  EXPECT_EQ(call("GET", url("/nope"), token_).status, 404);
}

TEST_F(Schedules, a_task_submitted_twice_with_one_idempotency_key_is_made_once) {
  const json::object body{
      {"type", "shell"}, {"parameters", {{"script", "true"}}}, {"target", {{"all", true}}}};
  start_agent(join_token());
  std::map<std::string, std::string> h{{"Content-Type", "application/json"},
                                       {"Authorization", "Bearer " + token_},
                                       {"Idempotency-Key", "deploy-42"}};
  auto first = https(port_, ca_file_, "POST", "/api/v1/spaces/" + space_ + "/tasks",
                     json::serialize(body), h);
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = https(port_, ca_file_, "POST", "/api/v1/spaces/" + space_ + "/tasks",
                     json::serialize(body), h);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(json::parse(first.body).at("id"), json::parse(again.body).at("id"));
}

}  // namespace
}  // namespace ris::test
