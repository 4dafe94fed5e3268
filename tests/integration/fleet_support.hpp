// Shared by the fleet and services integration tests: ris-agent processes with their own state
// directories, and a fixture with a risd, an administrator, a space and API helpers.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "support.hpp"

namespace ris::test {
namespace json = boost::json;
using namespace std::chrono_literals;

// A ris-agent process with its own state directory.
class AgentProcess {
 public:
  explicit AgentProcess(std::filesystem::path state, std::vector<std::string> extra_args = {})
      : state_(std::move(state)), extra_(std::move(extra_args)) {}
  ~AgentProcess() { kill(SIGKILL); }
  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = (state_ / "agent.log").string();
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<std::string> args{RIS_AGENT_BINARY, "run",   "--state-dir", state_.string(),
                                    "--heartbeat",    "500ms", "--log-level", "info"};
      args.insert(args.end(), extra_.begin(), extra_.end());
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(RIS_AGENT_BINARY, argv.data());
      _exit(127);
    }
  }
  void kill(int sig) {
    if (pid_ <= 0)
      return;
    ::kill(pid_, sig);
    if (sig == SIGKILL || sig == SIGTERM) {
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  const std::filesystem::path& state() const { return state_; }
  std::string id() const {
    auto j = json::parse(read_file(state_ / "agent.json"));
    return std::string(j.at("agent_id").as_string());
  }
  static std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path state_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

class FleetFixture : public ::testing::Test {
 protected:
  // risd's flags; a fixture may add its own.
  virtual std::vector<std::string> risd_args() const {
    return {"--agent-lost-after", "3s", "--ws-idle-timeout", "2s"};
  }
  void SetUp() override {
    risd_ = std::make_unique<RisdProcess>(risd_args());
    risd_->set_env("RIS_ADMIN_EMAIL", "root@example.com");
    risd_->set_env("RIS_ADMIN_PASSWORD", "a long admin passphrase");
    risd_->start();
    port_ = risd_->port();
    ca_file_ = risd_->ca_file();
    token_ = login("admin", "a long admin passphrase");
    space_ = create_space(token_, "fleet");
  }
  void TearDown() override {
    agents_.clear();
    for (const auto& d : dirs_)
      std::filesystem::remove_all(d);
  }

  HttpResult call(const std::string& method, const std::string& target, const std::string& token,
                  const json::object& body = {}) {
    std::map<std::string, std::string> h{{"Content-Type", "application/json"}};
    if (!token.empty())
      h["Authorization"] = "Bearer " + token;
    return https(port_, ca_file_, method, target, body.empty() ? "" : json::serialize(body), h);
  }
  std::string login(const std::string& who, const std::string& password) {
    auto r = call("POST", "/api/v1/auth/login", "", {{"login", who}, {"password", password}});
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(json::parse(r.body).at("access_token").as_string());
  }
  std::string create_space(const std::string& token, const std::string& name) {
    auto r = call("POST", "/api/v1/spaces", token, {{"name", name}});
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
  }
  std::string join_token(const json::object& labels = {}, int64_t uses = 100, int64_t ttl = 3600,
                         const std::string& space = "") {
    auto r =
        call("POST", "/api/v1/spaces/" + (space.empty() ? space_ : space) + "/agents/join-tokens",
             token_, {{"labels", labels}, {"uses", uses}, {"ttl_seconds", ttl}});
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("token").as_string());
  }
#ifdef RISCTL_BINARY
  // A contexts file of its own with risctl signed in here as the administrator, space "fleet".
  std::filesystem::path risctl_signed_in() {
    std::filesystem::create_directories(new_dir());
    auto config = dirs_.back() / "ctl.json";
    auto [code, out] = run_command(
        "printf '%s\\n' 'a long admin passphrase' | RISCTL_CONFIG=" + config.string() + " " +
        RISCTL_BINARY + " login https://127.0.0.1:" + std::to_string(port_) +
        " --user admin --ca-file " + ca_file_.string() + " --password-stdin --space fleet");
    EXPECT_EQ(code, 0) << out;
    return config;
  }
#endif
  std::filesystem::path new_dir() {
    auto d = std::filesystem::temp_directory_path() /
             ("ris-agent-" + std::to_string(getpid()) + "-" + std::to_string(dirs_.size()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(d);
    dirs_.push_back(d);
    return d;
  }
  std::pair<int, std::string> join(const std::string& token, const std::filesystem::path& dir,
                                   const std::string& ca_hash = "") {
    return run_command(std::string(RIS_AGENT_BINARY) +
                       " join https://127.0.0.1:" + std::to_string(port_) + " --token " + token +
                       " --ca-hash " + (ca_hash.empty() ? risd_->ca_sha256() : ca_hash) +
                       " --state-dir " + dir.string());
  }
  // Enrols and starts an agent; waits until risd shows it online.
  AgentProcess& start_agent(const std::string& token, std::vector<std::string> extra_args = {}) {
    auto dir = new_dir();
    auto [code, out] = join(token, dir);
    EXPECT_EQ(code, 0) << out;
    agents_.push_back(std::make_unique<AgentProcess>(dir, std::move(extra_args)));
    agents_.back()->start();
    return *agents_.back();
  }
  json::object agent(const std::string& id) {
    auto r = call("GET", "/api/v1/spaces/" + space_ + "/agents/" + id, token_);
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }
  bool online(const std::string& id) {
    auto a = agent(id);
    return a.contains("status") && a.at("status").as_string() == "online";
  }
  json::object create_task(const json::object& body) {
    auto r = call("POST", "/api/v1/spaces/" + space_ + "/tasks", token_, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? json::parse(r.body).as_object() : json::object{};
  }
  json::object task(const std::string& id) {
    auto r = call("GET", "/api/v1/spaces/" + space_ + "/tasks/" + id, token_);
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }
  static bool final_state(std::string_view s) {
    return s == "succeeded" || s == "failed" || s == "timed_out" || s == "cancelled" || s == "lost";
  }
  bool all_final(const std::string& task_id, size_t runs) {
    auto t = task(task_id);
    if (!t.contains("runs") || t.at("runs").as_array().size() < runs)
      return false;
    for (const auto& r : t.at("runs").as_array())
      if (!final_state(r.at("state").as_string()))
        return false;
    return true;
  }
  std::string output(const std::string& run_id) {
    auto r = call("GET", "/api/v1/spaces/" + space_ + "/runs/" + run_id + "/output", token_);
    std::string out;
    EXPECT_EQ(r.status, 200) << "reading the output of " << run_id << ": " << r.body;
    if (r.status == 200) {
      const auto body = json::parse(r.body);
      for (const auto& c : body.at("items").as_array())
        out += c.at("data").as_string();
    }
    return out;
  }
  std::string wait_for_state(const std::string& task_id, const std::string& state,
                             std::chrono::seconds timeout = 30s) {
    std::string last;
    eventually(
        [&] {
          auto t = task(task_id);
          if (!t.contains("runs") || t.at("runs").as_array().empty())
            return false;
          last = std::string(t.at("runs").as_array()[0].at("state").as_string());
          return last == state;
        },
        timeout);
    return last;
  }

  std::unique_ptr<RisdProcess> risd_;
  uint16_t port_ = 0;
  std::filesystem::path ca_file_;
  std::string token_, space_;
  std::vector<std::unique_ptr<AgentProcess>> agents_;
  std::vector<std::filesystem::path> dirs_;
};

}  // namespace ris::test
