// Backups end to end: `risctl backup create` while another client keeps writing, `risd restore`
// into a new data directory (with the CA and keys copied as docs/operations.md says), and a
// second risd on it that serves the same accounts, agents, tasks and audit chain — and that the
// old agent reconnects to. Scheduled backups keep the newest N. Refusals: non-administrators,
// a file that is not a RIS database, a target that already holds one.
#include <sys/stat.h>

#include <atomic>
#include <regex>
#include <set>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

constexpr const char* kPassword = "a long admin passphrase";

class Backup : public FleetFixture {
 protected:
  void SetUp() override {
    FleetFixture::SetUp();
    work_ = new_dir();
    std::filesystem::create_directories(work_);
  }
  std::pair<int, std::string> ctl(const std::string& args, const std::string& input = "") {
    std::string cmd =
        "RISCTL_CONFIG=" + (work_ / "ctl.json").string() + " " + RISCTL_BINARY + " " + args;
    if (!input.empty())
      cmd = "printf '%s\\n' '" + input + "' | " + cmd;
    else
      cmd += " < /dev/null";
    return run_command(cmd + " 2>&1");
  }
  static std::pair<int, std::string> risd(const std::string& args) {
    return run_command(std::string(RISD_BINARY) + " " + args + " 2>&1");
  }
  HttpResult call_on(uint16_t port, const std::filesystem::path& ca, const std::string& method,
                     const std::string& target, const std::string& token,
                     const json::object& body = {}) {
    std::map<std::string, std::string> h{{"Content-Type", "application/json"},
                                         {"Authorization", "Bearer " + token}};
    return https(port, ca, method, target, body.empty() ? "" : json::serialize(body), h);
  }
  static std::set<std::string> ids(const std::string& body, const char* field = "id") {
    std::set<std::string> out;
    const auto list = json::parse(body);
    for (const auto& item : list.at("items").as_array())
      out.emplace(item.at(field).as_string());
    return out;
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  std::filesystem::path work_;
};

TEST_F(Backup, restored_risd_serves_the_same_accounts_agents_tasks_and_audit_chain) {
  // State before the backup: a second account, the fixture's space, an agent, a finished task.
  auto signup = call(
      "POST", "/api/v1/accounts", "",
      {{"email", "bob@example.com"}, {"username", "bob"}, {"password", "bob's long passphrase"}});
  ASSERT_EQ(signup.status, 201) << signup.body;
  auto& agent = start_agent(join_token({{"role", "web"}}));
  const std::string agent_id = agent.id();
  ASSERT_TRUE(eventually([&] { return online(agent_id); }));
  const json::object echo{{"type", "echo"},
                          {"parameters", {{"message", "before the backup"}}},
                          {"target", {{"agents", {agent_id}}}}};
  const std::string first_task(create_task(echo).at("id").as_string());
  ASSERT_TRUE(eventually([&] { return all_final(first_task, 1); }));

  auto [login, login_out] =
      ctl("login https://127.0.0.1:" + std::to_string(port_) + " --user admin --ca-file " +
              ca_file_.string() + " --password-stdin --space fleet",
          kPassword);
  ASSERT_EQ(login, 0) << login_out;

  // Another client keeps writing: tasks, each with a run the agent completes.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  // Stopped and joined however the test leaves this scope (a failed ASSERT returns early).
  struct Joined {
    std::atomic<bool>& stop;
    std::thread thread;
    ~Joined() {
      stop = true;
      if (thread.joinable())
        thread.join();
    }
  } writer{
      stop, std::thread([&] {
        // At most 150, so that one page of the task list (200) holds them all.
        while (!stop && written < 150) {
          try {
            if (call("POST", "/api/v1/spaces/" + space_ + "/tasks", token_, echo).status == 201)
              ++written;
          } catch (const std::exception&) {
          }
        }
      })};
  ASSERT_TRUE(eventually([&] { return written >= 5; }));
  const int written_before = written;
  const auto file = work_ / "ris.db";
  auto [code, out] = ctl("backup create -o " + file.string());
  const int written_after = written;
  ASSERT_TRUE(eventually([&] { return written >= std::min(written_after + 5, 150); }));
  stop = true;
  writer.thread.join();
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(has(out, "written to " + file.string())) << out;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The original's view, read after the writes.
  auto accounts = call("GET", "/api/v1/admin/accounts", token_);
  auto agents = call("GET", "/api/v1/spaces/" + space_ + "/agents", token_);
  auto tasks = call("GET", "/api/v1/spaces/" + space_ + "/tasks?limit=500", token_);
  ASSERT_EQ(tasks.status, 200) << tasks.body;
  auto audit = call("GET", "/api/v1/audit?action=admin.backup.create", token_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  ASSERT_EQ(json::parse(audit.body).at("items").as_array().size(), 1u) << audit.body;
  EXPECT_EQ(json::parse(audit.body).at("items").as_array()[0].at("outcome").as_string(), "success");

  // Restore into a new directory, copy the rest of the data directory as the docs say, and
  // start a second risd on it where the first one was (the agent knows that address).
  const auto restored = new_dir();
  auto [restore, restore_out] =
      risd("restore " + file.string() + " --data-dir " + restored.string());
  ASSERT_EQ(restore, 0) << restore_out;
  EXPECT_TRUE(has(restore_out, "tls/ca.key")) << restore_out;
  auto [copied, copy_out] = run_command("cp -a " + (risd_->data_dir() / "tls").string() + " " +
                                        restored.string() + "/ 2>&1");
  ASSERT_EQ(copied, 0) << copy_out;
  const uint16_t old_port = port_;
  risd_->stop(SIGTERM, std::chrono::seconds(20));
  RisdProcess second(
      {"--listen", "127.0.0.1:" + std::to_string(old_port), "--agent-lost-after", "3s"}, restored);
  second.start();
  ASSERT_EQ(second.port(), old_port);
  EXPECT_EQ(second.ca_sha256(), risd_->ca_sha256()) << "the same CA, so agents still trust it";
  const auto ca = second.ca_file();
  auto signin = https(old_port, ca, "POST", "/api/v1/auth/login",
                      json::serialize(json::object{{"login", "admin"}, {"password", kPassword}}),
                      {{"Content-Type", "application/json"}});
  ASSERT_EQ(signin.status, 200) << signin.body;
  const std::string token(json::parse(signin.body).at("access_token").as_string());

  auto r_accounts = call_on(old_port, ca, "GET", "/api/v1/admin/accounts", token);
  EXPECT_EQ(ids(r_accounts.body), ids(accounts.body));
  auto r_agents = call_on(old_port, ca, "GET", "/api/v1/spaces/" + space_ + "/agents", token);
  EXPECT_EQ(ids(r_agents.body), ids(agents.body));
  // The tasks are one point in time: every task the original had when the backup began, and of
  // the later ones an unbroken prefix (ids are time-ordered; one writer made them in order).
  auto r_tasks =
      call_on(old_port, ca, "GET", "/api/v1/spaces/" + space_ + "/tasks?limit=500", token);
  const auto all = ids(tasks.body), kept = ids(r_tasks.body);
  EXPECT_GE(kept.size(), static_cast<size_t>(written_before) + 1);
  // (+2: the one task in flight may be in the backup before its answer was counted.)
  EXPECT_LE(kept.size(), static_cast<size_t>(written_after) + 2);
  ASSERT_LT(all.size(), 200u);
  EXPECT_TRUE(kept.contains(first_task));
  for (const auto& id : all) {
    if (id <= *kept.rbegin()) {
      EXPECT_TRUE(kept.contains(id)) << id << " is missing before the newest restored task";
    }
  }
  auto first =
      call_on(old_port, ca, "GET", "/api/v1/spaces/" + space_ + "/tasks/" + first_task, token);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body).at("runs").as_array()[0].at("state").as_string(), "succeeded");

  auto verify = call_on(old_port, ca, "POST", "/api/v1/audit/verify", token);
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(json::parse(verify.body).at("ok").as_bool()) << verify.body;

  // The agent reconnects to the restored server and takes new work.
  auto online_again = [&] {
    auto a =
        call_on(old_port, ca, "GET", "/api/v1/spaces/" + space_ + "/agents/" + agent_id, token);
    return a.status == 200 && json::parse(a.body).at("status").as_string() == "online";
  };
  ASSERT_TRUE(eventually(online_again, 60s))
      << AgentProcess::read_file(agent.state() / "agent.log");
  auto after = call_on(old_port, ca, "POST", "/api/v1/spaces/" + space_ + "/tasks", token, echo);
  ASSERT_EQ(after.status, 201) << after.body;
  const std::string after_id(json::parse(after.body).at("id").as_string());
  EXPECT_TRUE(eventually([&] {
    auto t = call_on(old_port, ca, "GET", "/api/v1/spaces/" + space_ + "/tasks/" + after_id, token);
    return t.status == 200 &&
           json::parse(t.body).at("runs").as_array()[0].at("state").as_string() == "succeeded";
  }));
  second.stop(SIGTERM, std::chrono::seconds(20));
}

TEST_F(Backup, only_application_administrators_take_backups) {
  auto signup = call(
      "POST", "/api/v1/accounts", "",
      {{"email", "eve@example.com"}, {"username", "eve"}, {"password", "eve's long passphrase"}});
  ASSERT_EQ(signup.status, 201) << signup.body;
  auto r = call("POST", "/api/v1/admin/backups", login("eve", "eve's long passphrase"));
  EXPECT_EQ(r.status, 403) << r.body;
  // An API token never carries application roles, not even an administrator's.
  auto tok =
      call("POST", "/api/v1/spaces/" + space_ + "/tokens", token_,
           {{"name", "ci"}, {"permissions", json::array{"VIEW_AGENTS"}}, {"ttl_seconds", 3600}});
  ASSERT_EQ(tok.status, 201) << tok.body;
  r = call("POST", "/api/v1/admin/backups",
           std::string(json::parse(tok.body).at("token").as_string()));
  EXPECT_EQ(r.status, 403) << r.body;
  auto ok = call("POST", "/api/v1/admin/backups", token_);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers["content-type"], "application/octet-stream");
  EXPECT_TRUE(std::regex_match(ok.headers["content-disposition"],
                               std::regex(R"(attachment; filename="ris-backup-\d{8}T\d{6}Z\.db")")))
      << ok.headers["content-disposition"];
  EXPECT_EQ(ok.body.substr(0, 15), "SQLite format 3");
  // No temporary copy is left in the data directory.
  for (const auto& e : std::filesystem::directory_iterator(risd_->data_dir()))
    EXPECT_FALSE(e.path().filename().string().starts_with(".backup-")) << e.path();
}

TEST_F(Backup, restore_refuses_other_files_and_an_existing_database_without_force) {
  const auto target = new_dir();
  auto [code, out] = risd("restore " + (risd_->data_dir() / "tls" / "ca.crt").string() +
                          " --data-dir " + target.string());
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(has(out, "not an SQLite database")) << out;
  auto [again, again_out] = risd("restore " + (risd_->data_dir() / "ris.db").string() +
                                 " --data-dir " + risd_->data_dir().string());
  EXPECT_EQ(again, 1);
  EXPECT_TRUE(has(again_out, "already holds a database")) << again_out;
  auto [usage, usage_out] = risd("restore");
  EXPECT_EQ(usage, 2) << usage_out;
}

TEST_F(Backup, scheduled_backups_are_written_and_only_the_newest_are_kept) {
  RisdProcess scheduled({"--backup-interval", "1s", "--backup-keep", "2"});
  scheduled.start();
  const auto dir = scheduled.data_dir() / "backups";
  const std::regex backup_name(R"(ris-backup-\d{8}T\d{6}Z\.db)");
  auto names = [&] {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (std::regex_match(e.path().filename().string(), backup_name))
        out.insert(e.path().filename().string());
    return out;
  };
  ASSERT_TRUE(eventually([&] { return names().size() == 2; }, 20s));
  const auto first = names();
  ASSERT_TRUE(eventually([&] { return names() != first && names().size() == 2; }, 20s))
      << "the oldest is deleted as new ones are written";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    EXPECT_TRUE(std::regex_match(e.path().filename().string(), backup_name) ||
                e.path().extension() == ".partial")
        << e.path();
  EXPECT_GE(*names().begin(), *first.rbegin()) << "the newest are the ones kept";
  auto metrics = https(scheduled.port(), scheduled.ca_file(), "GET", "/metrics");
  EXPECT_TRUE(has(metrics.body, "ris_backup_failures_total 0")) << metrics.body;
  // A scheduled backup is a database risd restore accepts.
  const auto target = new_dir();
  auto [code, out] =
      risd("restore " + (dir / *names().rbegin()).string() + " --data-dir " + target.string());
  EXPECT_EQ(code, 0) << out;
  scheduled.stop(SIGTERM, std::chrono::seconds(20));
}

}  // namespace
}  // namespace ris::test
