// Docker services end to end against a real Docker daemon (scripts/test starts one with
// --bridge=none --iptables=false when none runs; containers use host networking): a tiny image
// from Debian's busybox-static uploaded as an archive, services with replicas serving HTTP on
// loopback, a failing health check rolled back, repairs of containers killed or removed by
// hand, removal leaving nothing behind, and the clear error when Docker is absent.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

std::string docker_socket() {
  const char* s = std::getenv("RIS_TEST_DOCKER_SOCKET");
  return s && *s ? s : "/var/run/docker.sock";
}

// The Engine API from the test's side (to act "by hand" and to check), through curl.
json::value docker_api(const std::string& method, const std::string& path) {
  auto [code, out] = run_command("curl -s -X " + method + " --unix-socket " + docker_socket() +
                                 " 'http://docker/v1.41" + path + "'");
  boost::json::error_code ec;
  auto v = json::parse(out, ec);
  return ec ? json::value(out) : v;
}

std::string http_get(int port) {
  return run_command("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(port) + "/").second;
}

class Services : public FleetFixture {
 protected:
  void SetUp() override {
    FleetFixture::SetUp();
    auto ping = run_command("curl -sf --max-time 2 --unix-socket " + docker_socket() +
                            " http://docker/_ping");
    ASSERT_EQ(ping.first, 0) << "no Docker daemon at " << docker_socket()
                             << " (scripts/test starts one; set RIS_TEST_DOCKER_SOCKET)";
    image_ = "ris-test-busybox:" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name();
    archive_ = upload_busybox();
    // Below the ephemeral range (32768+), where an outgoing connection could hold the port.
    base_port_ = 20000 + (getpid() % 1500) * 8;
  }
  void TearDown() override {
    FleetFixture::TearDown();
    // Whatever a failed test left behind.
    auto list = docker_api("GET", "/containers/json?all=1&filters=" +
                                      url_escape("{\"label\":[\"ris.space=" + space_ + "\"]}"));
    if (list.is_array())
      for (const auto& c : list.as_array())
        docker_api("DELETE", "/containers/" + std::string(c.at("Id").as_string()) + "?force=1");
    docker_api("DELETE", "/images/" + url_escape(image_) + "?force=1");
  }
  static std::string url_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.')
        out += static_cast<char>(c);
      else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      }
    }
    return out;
  }

  // A root file system with busybox and a page to serve, uploaded as a rootfs archive.
  std::string upload_busybox() {
    auto dir = new_dir();
    std::filesystem::create_directories(dir / "root/bin");
    std::filesystem::create_directories(dir / "root/www");
    std::filesystem::copy_file("/bin/busybox", dir / "root/bin/busybox");
    for (const char* applet : {"sh", "httpd", "wget", "false", "true", "echo", "sleep"})
      std::filesystem::create_symlink("busybox", dir / "root/bin" / applet);
    std::ofstream(dir / "root/www/index.html") << "hello from ris\n";
    auto [code, out] = run_command("tar -C " + (dir / "root").string() + " -cf " +
                                   (dir / "fs.tar").string() + " .");
    EXPECT_EQ(code, 0) << out;
    const std::string tar = AgentProcess::read_file(dir / "fs.tar");
    auto r =
        https(port_, ca_file_, "POST",
              "/api/v1/spaces/" + space_ + "/images?format=rootfs&image=" + url_escape(image_), tar,
              {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/x-tar"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(json::parse(r.body).at("id").as_string()) : "";
  }

  AgentProcess& docker_agent(const std::string& socket = docker_socket()) {
    auto& a = start_agent(join_token({{"docker", "yes"}}),
                          {"--docker-socket", socket, "--reconcile", "500ms"});
    const std::string id = a.id();
    EXPECT_TRUE(eventually([&] { return online(id); }));
    return a;
  }

  // Busybox httpd on 127.0.0.1:(base + replica), saying so on stdout first.
  json::object web_spec(const std::string& name, int64_t replicas) {
    return {{"name", name},
            {"image", image_},
            {"image_archive", archive_},
            {"command", json::array{"sh", "-c",
                                    "echo replica $RIS_REPLICA up; exec httpd -f -h /www -p "
                                    "127.0.0.1:$((BASE + RIS_REPLICA))"}},
            {"env", json::object{{"BASE", std::to_string(base_port_)}}},
            {"network_mode", "host"},
            {"replicas", replicas},
            {"update", json::object{{"monitor_seconds", 15}}}};
  }

  json::object service(const std::string& ref) {
    auto r = call("GET", "/api/v1/spaces/" + space_ + "/services/" + ref, token_);
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }
  bool settled(const std::string& ref, int64_t running, const std::string& rollout = "complete") {
    auto s = service(ref);
    return s.contains("running") && s.at("running").as_int64() == running &&
           s.at("rollout").at("state").as_string() == rollout;
  }
  std::vector<std::string> container_ids(const std::string& ref) {
    std::vector<std::string> ids;
    auto s = service(ref);
    if (!s.contains("agents"))
      return ids;
    for (const auto& a : s.at("agents").as_array())
      if (const auto* reps = a.as_object().if_contains("replicas"))
        for (const auto& r : reps->as_array())
          ids.emplace_back(r.at("container_id").as_string());
    return ids;
  }

  std::string image_, archive_;
  int base_port_ = 0;
};

TEST_F(Services, two_replicas_serve_http_on_loopback_and_their_logs_are_collected) {
  auto& agent = docker_agent();
  auto shown =
      json::parse(call("GET", "/api/v1/spaces/" + space_ + "/agents/" + agent.id(), token_).body);
  EXPECT_NE(json::serialize(shown.at("capabilities")).find("\"docker\""), std::string::npos)
      << json::serialize(shown);
  auto r = call("POST", "/api/v1/spaces/" + space_ + "/services", token_, web_spec("web", 2));
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_TRUE(eventually([&] { return settled("web", 2); }, 90s))
      << json::serialize(service("web"));
  EXPECT_EQ(http_get(base_port_), "hello from ris\n");
  EXPECT_EQ(http_get(base_port_ + 1), "hello from ris\n");
  // Logs of every replica, each line prefixed with its container's name.
  auto logs =
      call("POST", "/api/v1/spaces/" + space_ + "/services/web/logs", token_, {{"tail", 10}});
  ASSERT_EQ(logs.status, 202) << logs.body;
  const std::string task_id(json::parse(logs.body).at("task_id").as_string());
  ASSERT_TRUE(eventually([&] { return all_final(task_id, 1); }));
  auto t = task(task_id);
  const auto& run = t.at("runs").as_array()[0].as_object();
  EXPECT_EQ(run.at("state").as_string(), "succeeded") << json::serialize(run);
  const std::string out = output(std::string(run.at("id").as_string()));
  EXPECT_NE(out.find("-0-"), std::string::npos) << out;
  EXPECT_NE(out.find("| replica 0 up"), std::string::npos) << out;
  EXPECT_NE(out.find("| replica 1 up"), std::string::npos) << out;
  // Followed: both replicas at once, live, until cancelled.
  auto followed = call("POST", "/api/v1/spaces/" + space_ + "/services/web/logs", token_,
                       {{"tail", 10}, {"follow", true}});
  ASSERT_EQ(followed.status, 202) << followed.body;
  const std::string follow_id(json::parse(followed.body).at("task_id").as_string());
  EXPECT_TRUE(eventually([&] {
    auto runs = task(follow_id).at("runs").as_array();
    if (runs.empty() || runs[0].at("state") != json::value("running"))
      return false;
    const std::string live = output(std::string(runs[0].at("id").as_string()));
    return live.find("| replica 0 up") != std::string::npos &&
           live.find("| replica 1 up") != std::string::npos;
  })) << json::serialize(task(follow_id));
  ASSERT_EQ(
      call("POST", "/api/v1/spaces/" + space_ + "/tasks/" + follow_id + "/cancel", token_).status,
      200);
  EXPECT_TRUE(eventually([&] { return all_final(follow_id, 1); }));
  // Scaling down removes the surplus replica.
  auto scaled =
      call("POST", "/api/v1/spaces/" + space_ + "/services/web/scale", token_, {{"replicas", 1}});
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_TRUE(eventually([&] { return container_ids("web").size() == 1; }, 30s));
  EXPECT_TRUE(eventually([&] { return http_get(base_port_ + 1).empty(); }, 10s));
  // Secrets never come back.
  auto spec = web_spec("db", 0);
  spec["secret_env"] = json::object{{"PASSWORD", "hunter2"}};
  auto db = call("POST", "/api/v1/spaces/" + space_ + "/services", token_, spec);
  ASSERT_EQ(db.status, 201) << db.body;
  EXPECT_EQ(db.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(
      call("GET", "/api/v1/spaces/" + space_ + "/services/db/history", token_).body.find("hunter2"),
      std::string::npos);
}

TEST_F(Services, failing_health_check_rolls_the_update_back) {
  docker_agent();
  auto v1 = web_spec("api", 1);
  v1["health_check"] =
      json::object{{"test", json::array{"CMD", "wget", "-q", "-O", "/dev/null",
                                        "http://127.0.0.1:" + std::to_string(base_port_) + "/"}},
                   {"interval_seconds", 1},
                   {"retries", 2}};
  ASSERT_EQ(call("POST", "/api/v1/spaces/" + space_ + "/services", token_, v1).status, 201);
  ASSERT_TRUE(eventually([&] { return settled("api", 1); }, 90s))
      << json::serialize(service("api"));
  const std::string good_hash(service("api").at("hash").as_string());
  auto v2 = v1;
  v2["env"].as_object()["FLAVOUR"] = "broken";
  v2["health_check"].as_object()["test"] = json::array{"CMD", "false"};
  auto r = call("PUT", "/api/v1/spaces/" + space_ + "/services/api", token_, v2);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("version").as_int64(), 2);
  ASSERT_TRUE(eventually([&] { return settled("api", 1, "rolled_back"); }, 90s))
      << json::serialize(service("api"));
  auto s = service("api");
  EXPECT_EQ(s.at("version").as_int64(), 3);
  EXPECT_EQ(s.at("hash").as_string(), good_hash) << "version 3 is version 1's spec";
  EXPECT_NE(s.at("rollout").at("error").as_string().find("unhealthy"), std::string::npos)
      << json::serialize(s);
  auto history =
      json::parse(call("GET", "/api/v1/spaces/" + space_ + "/services/api/history", token_).body);
  EXPECT_NE(history.at("items").at(0).at("reason").as_string().find("automatic rollback"),
            std::string::npos);
  EXPECT_EQ(http_get(base_port_), "hello from ris\n");
}

TEST_F(Services, containers_killed_or_removed_by_hand_are_repaired) {
  docker_agent();
  auto spec = web_spec("repair", 1);
  spec["restart_policy"] = "no";  // so that the repair is RIS's, not Docker's
  ASSERT_EQ(call("POST", "/api/v1/spaces/" + space_ + "/services", token_, spec).status, 201);
  ASSERT_TRUE(eventually([&] { return settled("repair", 1); }, 90s));
  const std::string first = container_ids("repair").at(0);
  docker_api("POST", "/containers/" + first + "/kill");
  EXPECT_TRUE(eventually([&] {
    auto s = service("repair");
    auto info = docker_api("GET", "/containers/" + first + "/json");
    return info.is_object() && info.at("State").at("Running").as_bool() &&
           info.at("State").at("StartedAt") != json::value("");
  }));
  EXPECT_TRUE(eventually([&] { return http_get(base_port_) == "hello from ris\n"; }, 20s));
  docker_api("DELETE", "/containers/" + first + "?force=1");
  ASSERT_TRUE(eventually(
      [&] {
        auto ids = container_ids("repair");
        return ids.size() == 1 && ids[0] != first && settled("repair", 1);
      },
      60s))
      << json::serialize(service("repair"));
  EXPECT_TRUE(eventually([&] { return http_get(base_port_) == "hello from ris\n"; }, 20s));
  // What was done by hand is reported on the service, not only repaired.
  auto s = service("repair");
  const auto& drift = s.at("agents").at(0).at("drift").as_array();
  ASSERT_FALSE(drift.empty()) << json::serialize(s);
  EXPECT_NE(json::serialize(drift).find("was missing"), std::string::npos)
      << json::serialize(drift);
}

TEST_F(Services, removing_the_service_leaves_no_container_behind) {
  docker_agent();
  ASSERT_EQ(
      call("POST", "/api/v1/spaces/" + space_ + "/services", token_, web_spec("gone", 2)).status,
      201);
  ASSERT_TRUE(eventually([&] { return settled("gone", 2); }, 90s));
  const std::string id(service("gone").at("id").as_string());
  EXPECT_EQ(call("DELETE", "/api/v1/spaces/" + space_ + "/services/gone", token_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + space_ + "/services/gone", token_).status, 404);
  EXPECT_TRUE(eventually(
      [&] {
        auto list = docker_api("GET", "/containers/json?all=1&filters=" +
                                          url_escape("{\"label\":[\"ris.service=" + id + "\"]}"));
        return list.is_array() && list.as_array().empty();
      },
      30s));
}

TEST_F(Services, docker_absent_gives_a_clear_error_and_the_rest_works) {
  auto& a = docker_agent("/nonexistent/docker.sock");
  auto t = create_task({{"type", "docker"},
                        {"parameters", {{"action", "info"}}},
                        {"target", {{"agents", json::array{json::value(a.id())}}}}});
  const std::string id(t.at("id").as_string());
  ASSERT_TRUE(eventually([&] { return all_final(id, 1); }));
  const auto run = task(id).at("runs").as_array()[0].as_object();
  EXPECT_EQ(run.at("state").as_string(), "failed");
  EXPECT_NE(run.at("error").as_string().find("Docker is not reachable at /nonexistent/docker.sock"),
            std::string::npos)
      << json::serialize(run);
  ASSERT_EQ(
      call("POST", "/api/v1/spaces/" + space_ + "/services", token_, web_spec("nodock", 1)).status,
      201);
  EXPECT_TRUE(eventually([&] {
    auto s = service("nodock");
    const auto& agents = s.at("agents").as_array();
    return !agents.empty() && agents[0].as_object().contains("error") &&
           agents[0].at("error").as_string().find("not reachable") != std::string::npos;
  })) << json::serialize(service("nodock"));
  // The agent says so: no "docker" among its capabilities.
  auto agent =
      json::parse(call("GET", "/api/v1/spaces/" + space_ + "/agents/" + a.id(), token_).body);
  EXPECT_EQ(json::serialize(agent.at("capabilities")).find("docker"), std::string::npos)
      << json::serialize(agent);
  // Other tasks still run.
  auto echo = create_task({{"type", "echo"},
                           {"parameters", {{"message", "still here"}}},
                           {"target", {{"agents", json::array{json::value(a.id())}}}}});
  EXPECT_EQ(wait_for_state(std::string(echo.at("id").as_string()), "succeeded"), "succeeded");
}

TEST_F(Services, seed_docker_management_start_service_runs_a_named_container) {
  auto& a = docker_agent();
  // Seed 000's message shape: task_type docker_management, action beside the parameters.
  auto t = create_task(
      {{"type", "docker_management"},
       {"action", "start_service"},
       {"parameters",
        {{"service_name", "webapp"},
         {"image", image_},
         {"image_archive", archive_},
         {"network_mode", "host"},
         {"ports", json::array{"8080:80"}},
         {"environment", {{"PORT", std::to_string(base_port_ + 5)}}},
         {"command", json::array{"sh", "-c", "exec httpd -f -h /www -p 127.0.0.1:$PORT"}}}},
       {"target", {{"agents", json::array{json::value(a.id())}}}}});
  EXPECT_EQ(wait_for_state(std::string(t.at("id").as_string()), "succeeded"), "succeeded")
      << json::serialize(task(std::string(t.at("id").as_string())));
  EXPECT_TRUE(eventually([&] { return http_get(base_port_ + 5) == "hello from ris\n"; }, 20s));
  auto info = docker_api("GET", "/containers/ris-task-webapp/json");
  ASSERT_TRUE(info.is_object()) << json::serialize(info);
  EXPECT_EQ(info.at_pointer("/Config/Labels/ris.task_service"), json::value("webapp"));
  auto rm = create_task({{"type", "docker_management"},
                         {"action", "remove_service"},
                         {"parameters", {{"service_name", "webapp"}}},
                         {"target", {{"agents", json::array{json::value(a.id())}}}}});
  EXPECT_EQ(wait_for_state(std::string(rm.at("id").as_string()), "succeeded"), "succeeded");
  EXPECT_TRUE(eventually([&] { return http_get(base_port_ + 5).empty(); }, 10s));
  // Missing parameters are refused before anything is sent.
  auto bad = call("POST", "/api/v1/spaces/" + space_ + "/tasks", token_,
                  {{"type", "docker_management"},
                   {"action", "start_service"},
                   {"parameters", {{"service_name", "x"}}},
                   {"target", {{"agents", json::array{json::value(a.id())}}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body).at("detail"),
            json::value("docker start_service: \"image\" is required"));
}

TEST_F(Services, changes_need_manage_services_reads_view_agents_and_are_audited) {
  auto& a = docker_agent();
  auto token_with = [&](json::array permissions) {
    auto r = call("POST", "/api/v1/spaces/" + space_ + "/tokens", token_,
                  {{"name", "scoped"}, {"permissions", permissions}, {"ttl_seconds", 600}});
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("token").as_string());
  };
  const std::string viewer = token_with({"VIEW_AGENTS"});
  const std::string runner = token_with({"VIEW_AGENTS", "RUN_TASKS"});
  const std::string services = "/api/v1/spaces/" + space_ + "/services";
  ASSERT_EQ(call("POST", services, token_, web_spec("perm", 0)).status, 201);
  EXPECT_EQ(call("GET", services, viewer).status, 200);
  EXPECT_EQ(call("GET", services + "/perm", viewer).status, 200);
  EXPECT_EQ(call("POST", services, viewer, web_spec("other", 0)).status, 403);
  EXPECT_EQ(call("POST", services + "/perm/scale", viewer, {{"replicas", 2}}).status, 403);
  EXPECT_EQ(call("DELETE", services + "/perm", viewer).status, 403);
  // Docker tasks that change containers need MANAGE_SERVICES on top of RUN_TASKS; reads do not.
  const json::object target{{"agents", json::array{json::value(a.id())}}};
  EXPECT_EQ(call("POST", "/api/v1/spaces/" + space_ + "/tasks", runner,
                 {{"type", "docker"}, {"parameters", {{"action", "info"}}}, {"target", target}})
                .status,
            201);
  EXPECT_EQ(call("POST", "/api/v1/spaces/" + space_ + "/tasks", runner,
                 {{"type", "docker"},
                  {"parameters", {{"action", "remove"}, {"container", "x"}}},
                  {"target", target}})
                .status,
            403);
  auto audit = call("GET", "/api/v1/spaces/" + space_ + "/audit?action=service.create", token_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("service.create"), std::string::npos) << audit.body;
}

TEST_F(Services, risctl_scales_and_restarts_following_each_rollout) {
  docker_agent();
  ASSERT_EQ(
      call("POST", "/api/v1/spaces/" + space_ + "/services", token_, web_spec("web", 1)).status,
      201);
  auto dir = new_dir();
  std::filesystem::create_directories(dir);
  const std::string ctl = "RISCTL_CONFIG=" + (dir / "ctl.json").string() + " " + RISCTL_BINARY;
  auto [login, login_out] =
      run_command("echo 'a long admin passphrase' | " + ctl +
                  " login https://127.0.0.1:" + std::to_string(port_) +
                  " --user admin --password-stdin --space fleet --ca-file " + ca_file_.string());
  ASSERT_EQ(login, 0) << login_out;

  // Not a terminal: one progress line per change, then the outcome.
  auto [scale, scale_out] = run_command(ctl + " scale service web 2 --timeout 120");
  EXPECT_EQ(scale, 0) << scale_out;
  EXPECT_NE(scale_out.find("web: 2/2 running"), std::string::npos) << scale_out;
  EXPECT_NE(scale_out.find("service/web rolled out"), std::string::npos) << scale_out;
  EXPECT_EQ(container_ids("web").size(), 2u);
  EXPECT_EQ(http_get(base_port_ + 1), "hello from ris\n");

  const auto before = container_ids("web");
  auto [restart, restart_out] = run_command(ctl + " rollout restart service web --timeout 120");
  EXPECT_EQ(restart, 0) << restart_out;
  EXPECT_NE(restart_out.find("rollout complete"), std::string::npos) << restart_out;
  for (const auto& id : container_ids("web"))
    EXPECT_EQ(std::count(before.begin(), before.end(), id), 0) << "a container was not replaced";

  auto [logs, logs_out] = run_command(ctl + " logs service web --tail 5");
  EXPECT_EQ(logs, 0) << logs_out;
  EXPECT_NE(logs_out.find("| replica 1 up"), std::string::npos) << logs_out;
  EXPECT_NE(logs_out.find("1 succeeded"), std::string::npos) << logs_out;
  auto [get, get_out] = run_command(ctl + " get services");
  EXPECT_NE(get_out.find("2/2"), std::string::npos) << get_out;
  auto [bad, bad_out] = run_command(ctl + " rollout rollback service web --to-version 99");
  EXPECT_EQ(bad, 1);
  EXPECT_NE(bad_out.find("has no version 99"), std::string::npos) << bad_out;
  auto [missing, missing_out] = run_command(ctl + " scale service nosuch 1");
  EXPECT_EQ(missing, 1);
  EXPECT_NE(missing_out.find("no service \"nosuch\""), std::string::npos) << missing_out;
}

// A deployment's docker service (docs/deploy.md) is the space's service <deployment>.<service>:
// applied, it serves; its rollout gates the next wave (a shell service that reads the page); an
// update replaces it; removing it from the file removes the service and its containers.
TEST_F(Services, a_deployment_runs_a_docker_service_and_the_next_wave_waits_for_its_rollout) {
  auto& agent = docker_agent();
  const auto dir = new_dir();
  std::filesystem::create_directories(dir);
  auto docker = web_spec("ignored", 1);
  docker.erase("name");
  auto file = [&](const std::string& greeting, bool with_web) {
    auto section = docker;
    section["env"].as_object()["GREETING"] = greeting;
    std::string f = fmt::format("nodes: {{box: {{agent: {}}}}}\nservices:\n", agent.id());
    if (with_web)
      f += fmt::format(
          "  web:\n    kind: docker\n    on: box\n    docker: {}\n"
          "    health: {{http: \"http://127.0.0.1:{}/\", interval_seconds: 1, timeout_seconds: 1, "
          "retries: 20}}\n",
          json::serialize(section), base_port_);
    f += fmt::format(
        "  reader:\n    kind: shell\n    on: box\n{}    shell: {{start: \"curl -s "
        "http://127.0.0.1:{}/ > {}/page; echo {} >> {}/runs\"}}\n",
        with_web ? "    depends_on: [{service: web, condition: healthy}]\n" : "", base_port_,
        dir.string(), greeting, dir.string());
    return f;
  };
  const std::string d = "/api/v1/spaces/" + space_ + "/deployments/site";
  auto revision_state = [&](int n) {
    auto r = call("GET", d + "/revisions/" + std::to_string(n), token_);
    return r.status == 200 ? std::string(json::parse(r.body).at("state").as_string()) : "";
  };
  auto r1 = call("POST", d + "/apply", token_, {{"file", file("one", true)}});
  ASSERT_EQ(r1.status, 202) << r1.body;
  ASSERT_TRUE(eventually([&] { return revision_state(1) != "applying"; }, 120s));
  ASSERT_EQ(revision_state(1), "applied") << call("GET", d + "/revisions/1", token_).body;
  EXPECT_EQ(AgentProcess::read_file(dir / "page"), "hello from ris\n")
      << "the reader ran after the service served";
  EXPECT_EQ(service("site.web").at("rollout").at("state"), "complete");
  EXPECT_EQ(service("site.web").at("version"), 1);

  // An update of the docker section is a new version of the service.
  ASSERT_EQ(call("POST", d + "/apply", token_, {{"file", file("two", true)}}).status, 202);
  ASSERT_TRUE(eventually([&] { return revision_state(2) != "applying"; }, 120s));
  ASSERT_EQ(revision_state(2), "applied") << call("GET", d + "/revisions/2", token_).body;
  EXPECT_EQ(service("site.web").at("version"), 2);

  // Removed from the file: the service and its containers go.
  ASSERT_EQ(call("POST", d + "/apply", token_, {{"file", file("three", false)}}).status, 202);
  ASSERT_TRUE(eventually([&] { return revision_state(3) != "applying"; }, 120s));
  ASSERT_EQ(revision_state(3), "applied") << call("GET", d + "/revisions/3", token_).body;
  EXPECT_EQ(call("GET", "/api/v1/spaces/" + space_ + "/services/site.web", token_).status, 404);
  EXPECT_TRUE(eventually([&] { return http_get(base_port_).empty(); }, 30s));
}

}  // namespace
}  // namespace ris::test
