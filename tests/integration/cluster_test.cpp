// Operating a cluster: two risd processes on one database (the SQLite file, or the PostgreSQL
// database of the test's pass) as two servers of one installation. The cluster API lists both,
// each says which one it is, only instance administrators see it; /health and /metrics count the
// servers; risctl get nodes and describe node show them; risctl moves on to the next server of
// its context when one cannot be reached.
#include <netinet/in.h>
#include <sys/socket.h>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

// A loopback port bound but not listening: connecting to it is refused for as long as it lives.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot bind a loopback port");
    port_ = ntohs(a.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class Cluster : public FleetFixture {
 protected:
  std::vector<std::string> risd_args() const override {
    return {"--agent-lost-after", "3s",    "--ws-idle-timeout", "60s",
            "--server-id",        "first", "--server-lease",    "3s"};
  }
  void SetUp() override {
    FleetFixture::SetUp();
    std::filesystem::create_directories(new_dir());
    config_ = dirs_.back() / "ctl.json";
  }

  std::string first_database_url() const {
    std::string url;
    if (std::ifstream in(risd_->data_dir() / "test-database-url"); in)
      std::getline(in, url);
    return url.empty() ? "sqlite:" + (risd_->data_dir() / "ris.db").string() : url;
  }
  // A second risd on the first one's database with the first one's master key; its own data
  // directory, CA and port.
  void start_second() {
    second_ = std::make_unique<RisdProcess>(std::vector<std::string>{
        "--database-url", first_database_url(), "--server-id", "second", "--server-lease", "3s",
        "--master-key-file", (risd_->data_dir() / "master.key").string()});
    second_->start();
    auto r = on_second("POST", "/api/v1/auth/login", "",
                       {{"login", "admin"}, {"password", "a long admin passphrase"}});
    ASSERT_EQ(r.status, 200) << r.body;
    second_token_ = std::string(json::parse(r.body).at("access_token").as_string());
  }
  HttpResult on_second(const std::string& method, const std::string& target,
                       const std::string& token, const json::object& body = {}) {
    std::map<std::string, std::string> h{{"Content-Type", "application/json"}};
    if (!token.empty())
      h["Authorization"] = "Bearer " + token;
    return https(second_->port(), second_->ca_file(), method, target,
                 body.empty() ? "" : json::serialize(body), h);
  }
  // The servers by id, as one server lists them.
  std::map<std::string, json::object> servers(const HttpResult& r) {
    std::map<std::string, json::object> out;
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200)
      return out;
    const auto body = json::parse(r.body);
    for (const auto& s : body.at("items").as_array())
      out[std::string(s.at("id").as_string())] = s.as_object();
    return out;
  }
  // A signed-in account with no application role.
  std::string someone() {
    auto signup = call("POST", "/api/v1/accounts", "",
                       {{"email", "bob@example.com"},
                        {"username", "bob"},
                        {"password", "bob has a long passphrase"}});
    EXPECT_EQ(signup.status, 201) << signup.body;
    return login("bob", "bob has a long passphrase");
  }

  std::pair<int, std::string> ctl(const std::string& args, const std::string& input = "") {
    std::string cmd = "RISCTL_CONFIG=" + config_.string() + " " + RISCTL_BINARY + " " + args;
    if (!input.empty())
      cmd = "printf '%s\\n' '" + input + "' | " + cmd;
    else
      cmd += " < /dev/null";
    return run_command(cmd);
  }
  static std::string url(uint16_t port) { return "https://127.0.0.1:" + std::to_string(port); }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  std::unique_ptr<RisdProcess> second_;
  std::string second_token_;
  std::filesystem::path config_;
};

TEST_F(Cluster, both_servers_are_listed_and_each_knows_itself) {
  auto& a = start_agent(join_token());
  const std::string agent_id = a.id();
  ASSERT_TRUE(eventually([&] { return online(agent_id); }));
  ASSERT_NO_FATAL_FAILURE(start_second());

  auto on_first = servers(call("GET", "/api/v1/cluster/servers", token_));
  auto seen_by_second = servers(on_second("GET", "/api/v1/cluster/servers", second_token_));
  ASSERT_EQ(on_first.size(), 2u);
  ASSERT_EQ(seen_by_second.size(), 2u);
  for (auto* view : {&on_first, &seen_by_second})
    for (const auto& id : {"first", "second"}) {
      const auto& s = view->at(id);
      EXPECT_EQ(s.at("state").as_string(), "alive") << json::serialize(s);
      EXPECT_EQ(s.at("version").as_string(), "0.1.0");
      ASSERT_EQ(s.at("advertise").as_array().size(), 1u);
      EXPECT_TRUE(s.at("advertise").as_array()[0].as_string().starts_with("https://"));
      EXPECT_GE(s.at("lease_age_seconds").to_number<double>(), 0.0);
      EXPECT_LT(s.at("lease_age_seconds").to_number<double>(), 3.0) << "renewed within a lease";
      EXPECT_FALSE(s.at("started_at").as_string().empty());
    }
  EXPECT_TRUE(on_first.at("first").at("self").as_bool());
  EXPECT_FALSE(on_first.at("second").at("self").as_bool());
  EXPECT_FALSE(seen_by_second.at("first").at("self").as_bool());
  EXPECT_TRUE(seen_by_second.at("second").at("self").as_bool());
  EXPECT_EQ(on_first.at("first").at("agents").as_int64(), 1) << "the agent is connected to it";
  EXPECT_EQ(seen_by_second.at("first").at("agents").as_int64(), 1);
  EXPECT_EQ(on_first.at("second").at("agents").as_int64(), 0);
  EXPECT_EQ(on_first.at("first").at("advertise").as_array()[0].as_string(), url(port_));

  auto one = on_second("GET", "/api/v1/cluster/servers/first", second_token_);
  ASSERT_EQ(one.status, 200) << one.body;
  auto first = json::parse(one.body).as_object();
  EXPECT_EQ(first.at("id").as_string(), "first");
  EXPECT_FALSE(first.at("self").as_bool());

  // /health?detailed=true and /metrics count both.
  auto health = call("GET", "/health?detailed=true", "");
  ASSERT_EQ(health.status, 200) << health.body;
  auto cluster = json::parse(health.body).at("details").at("cluster").as_object();
  EXPECT_EQ(cluster.at("server_id").as_string(), "first");
  EXPECT_EQ(cluster.at("servers").at("alive").as_int64(), 2) << health.body;
  EXPECT_EQ(cluster.at("servers").at("dead").as_int64(), 0);
  EXPECT_TRUE(json::parse(health.body).at("details").as_object().contains("database"))
      << "the other details stay";
  auto metrics = on_second("GET", "/metrics", "");
  EXPECT_TRUE(has(metrics.body, "ris_cluster_servers{state=\"alive\"} 2\n")) << metrics.body;
  EXPECT_TRUE(has(metrics.body, "ris_cluster_servers{state=\"dead\"} 0\n"));
  EXPECT_TRUE(has(metrics.body, "# TYPE ris_cluster_servers gauge\n"));
}

TEST_F(Cluster, a_server_that_died_shows_dead_and_a_clean_stop_leaves) {
  ASSERT_NO_FATAL_FAILURE(start_second());
  // Killed: its row stays with a lease that lapses.
  ASSERT_EQ(second_->stop(SIGKILL, 5s), 128 + SIGKILL);
  std::string state;
  EXPECT_TRUE(eventually(
      [&] {
        auto list = servers(call("GET", "/api/v1/cluster/servers", token_));
        state = list.contains("second") ? std::string(list.at("second").at("state").as_string())
                                        : "missing";
        return state == "dead";
      },
      20s))
      << state;
  auto dead = json::parse(call("GET", "/api/v1/cluster/servers/second", token_).body);
  EXPECT_GT(dead.at("lease_age_seconds").to_number<double>(), 3.0);
  EXPECT_EQ(dead.at("agents").as_int64(), 0);
  auto health = json::parse(call("GET", "/health?detailed=true", "").body);
  EXPECT_EQ(health.at("details").at("cluster").at("servers").at("dead").as_int64(), 1);
  auto metrics = call("GET", "/metrics", "");
  EXPECT_TRUE(has(metrics.body, "ris_cluster_servers{state=\"dead\"} 1\n")) << metrics.body;

  // Started again under the same id and stopped cleanly: it deregisters.
  ASSERT_NO_FATAL_FAILURE(start_second());
  EXPECT_EQ(
      servers(call("GET", "/api/v1/cluster/servers", token_)).at("second").at("state").as_string(),
      "alive");
  ASSERT_EQ(second_->stop(SIGTERM, 20s), 0);
  EXPECT_FALSE(servers(call("GET", "/api/v1/cluster/servers", token_)).contains("second"));
  EXPECT_EQ(call("GET", "/api/v1/cluster/servers/second", token_).status, 404);
}

TEST_F(Cluster, only_instance_administrators_see_it_and_an_unknown_id_is_404) {
  const std::string bob = someone();
  for (const auto& target : {"/api/v1/cluster/servers", "/api/v1/cluster/servers/first"}) {
    auto r = call("GET", target, bob);
    EXPECT_EQ(r.status, 403) << target << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << target;
    EXPECT_EQ(call("GET", target, "").status, 401) << target;
  }
  auto unknown = call("GET", "/api/v1/cluster/servers/nobody", token_);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.headers["content-type"], "application/problem+json");
  EXPECT_TRUE(has(unknown.body, "nobody")) << unknown.body;

  auto doc = json::parse(call("GET", "/api/v1/openapi.json", "").body);
  EXPECT_TRUE(doc.at("paths").as_object().contains("/api/v1/cluster/servers"));
  EXPECT_TRUE(doc.at("paths").as_object().contains("/api/v1/cluster/servers/{server}"));
}

TEST_F(Cluster, risctl_gets_and_describes_nodes) {
  ASSERT_NO_FATAL_FAILURE(start_second());
  auto [login, login_out] = ctl(
      "login " + url(port_) + " --user admin --ca-file " + ca_file_.string() + " --password-stdin",
      "a long admin passphrase");
  ASSERT_EQ(login, 0) << login_out;
  auto [code, out] = ctl("get nodes");
  ASSERT_EQ(code, 0) << out;
  std::istringstream lines(out);
  std::string header, row1, row2, extra;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_FALSE(std::getline(lines, extra)) << out;
  for (const auto& column :
       {"ID", "STATE", "VERSION", "AGENTS", "DUTIES", "LEASE AGE", "ADVERTISE"})
    EXPECT_TRUE(has(header, column)) << header;
  // Each duty is held by one of the two (whichever took it first).
  EXPECT_TRUE(eventually([&] {
    auto [c, o] = ctl("get nodes");
    return has(o, "sweeper") && has(o, "scheduler");
  })) << out;
  EXPECT_TRUE(row1.starts_with("first (self)") && has(row1, "alive") && has(row1, "0.1.0") &&
              has(row1, url(port_)))
      << out;
  EXPECT_TRUE(row2.starts_with("second ") && !has(row2, "(self)") && has(row2, "alive") &&
              has(row2, url(second_->port())))
      << out;

  auto [names, names_out] = ctl("get nodes -o name");
  EXPECT_EQ(names_out, "node/first\nnode/second\n");
  auto [described, described_out] = ctl("describe node second");
  EXPECT_EQ(described, 0) << described_out;
  EXPECT_TRUE(has(described_out, "id: second") && has(described_out, "state: alive") &&
              has(described_out, "self: false") && has(described_out, "lease_until:"))
      << described_out;
  auto [missing, missing_out] = ctl("describe node nobody");
  EXPECT_EQ(missing, 1);
  EXPECT_TRUE(has(missing_out, "no node \"nobody\"")) << missing_out;
  auto [deleted, deleted_out] = ctl("delete node second");
  EXPECT_EQ(deleted, 1);
  EXPECT_TRUE(has(deleted_out, "cannot delete nodes")) << deleted_out;

  // Someone without an application role is refused with the server's reason.
  (void)someone();
  auto [bob, bob_out] = ctl("login " + url(port_) + " --user bob --ca-file " + ca_file_.string() +
                                " --password-stdin --name bob",
                            "bob has a long passphrase");
  ASSERT_EQ(bob, 0) << bob_out;
  auto [refused, refused_out] = ctl("get nodes --context bob");
  EXPECT_EQ(refused, 1);
  EXPECT_TRUE(has(refused_out, "instance administrators")) << refused_out;
}

TEST_F(Cluster, risctl_moves_on_to_the_next_server_when_one_cannot_be_reached) {
  ClosedPort closed;
  const std::string servers = url(closed.port()) + "," + url(port_);
  auto [login, login_out] = ctl("login " + servers + " --user admin --ca-file " +
                                    ca_file_.string() + " --password-stdin --space fleet",
                                "a long admin passphrase");
  ASSERT_EQ(login, 0) << login_out;
  EXPECT_TRUE(has(login_out, "cannot connect to 127.0.0.1:" + std::to_string(closed.port())))
      << login_out;
  EXPECT_TRUE(has(login_out, "Signed in to " + servers)) << login_out;
  EXPECT_TRUE(has(AgentProcess::read_file(config_), servers)) << "both are kept, in order";

  // Every later command starts with the first server again and moves on.
  auto [code, out] = ctl("get nodes");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(has(out, "first (self)")) << out;
  auto [spaces, spaces_out] = ctl("get spaces -o name");
  EXPECT_EQ(spaces, 0) << spaces_out;
  EXPECT_TRUE(has(spaces_out, "space/fleet")) << spaces_out;
  auto [created, created_out] = ctl("create role ops");
  EXPECT_EQ(created, 0) << created_out;

  // An HTTP error answer is final: with the reachable server first, a refusal is not retried on
  // the next one.
  (void)someone();
  auto [bob, bob_out] =
      ctl("login " + url(port_) + "," + url(closed.port()) + " --user bob --ca-file " +
              ca_file_.string() + " --password-stdin --name bob",
          "bob has a long passphrase");
  ASSERT_EQ(bob, 0) << bob_out;
  auto [refused, refused_out] = ctl("get nodes --context bob");
  EXPECT_EQ(refused, 1);
  EXPECT_TRUE(has(refused_out, "instance administrators")) << refused_out;
  EXPECT_FALSE(has(refused_out, "cannot connect")) << refused_out;

  // With no server reachable, the error names the last one tried.
  ClosedPort other;
  auto [none, none_out] =
      ctl("login " + url(closed.port()) + "," + url(other.port()) + " --user admin --ca-file " +
              ca_file_.string() + " --password-stdin --name down",
          "a long admin passphrase");
  EXPECT_EQ(none, 1);
  EXPECT_TRUE(has(none_out, "error: cannot connect to 127.0.0.1:" + std::to_string(other.port())))
      << none_out;
  auto [bad, bad_out] = ctl("login https://127.0.0.1:1,,https://x --user admin --password-stdin",
                            "a long admin passphrase");
  EXPECT_EQ(bad, 1);
  EXPECT_TRUE(has(bad_out, "empty server URL")) << bad_out;
}

}  // namespace
}  // namespace ris::test
