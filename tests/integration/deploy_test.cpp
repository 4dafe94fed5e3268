// Deployments against a real risd and a real agent (both engines): a three-tier file applied in
// waves (each gated on the health of the one before), plans against what is applied, a stale
// plan hash refused, a failing health check that stops the revision, kill -9 mid-apply, bad
// files answered with every problem's line, and risctl. Then three tiers over two agents and an
// agentless host (a real sshd on loopback, scripts/ssh-test-server): secrets, a failure in the
// second wave rolled back, and rollback --to an earlier revision.
#include <fmt/format.h>

#include <fstream>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

using namespace std::chrono_literals;

class Deploy : public FleetFixture {
 protected:
  std::string url(const std::string& rest) const {
    return "/api/v1/spaces/" + space_ + "/deployments" + rest;
  }
  json::object revision(const std::string& name, int64_t n) {
    auto r = call("GET", url(fmt::format("/{}/revisions/{}", name, n)), token_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }
  std::string settled(const std::string& name, int64_t n) {
    std::string state;
    eventually(
        [&] {
          return (state = std::string(revision(name, n).at("state").as_string())) != "applying";
        },
        60s);
    return state;
  }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  // Three tiers on one agent; the files they write land in `dir`.
  static std::string three_tiers(const std::string& agent, const std::filesystem::path& dir,
                                 const std::string& api_start) {
    return fmt::format(R"(nodes:
  box: {{agent: {agent}}}
variables:
  dir: {dir}
services:
  db:
    kind: shell
    on: box
    shell: {{start: "date +%s%N > ${{dir}}/db.started"}}
    health: {{command: "test -f ${{dir}}/db.started", interval_seconds: 1, timeout_seconds: 1}}
  api:
    kind: shell
    on: box
    depends_on: [{{service: db, condition: healthy}}]
    shell:
      start: "{api_start}"
      files: [{{path: "${{dir}}/api.conf", content: "port=8080\n", mode: "0600"}}]
    health: {{command: "test -f ${{dir}}/api.started", interval_seconds: 1, timeout_seconds: 1}}
  web-conf:
    kind: config
    on: box
    depends_on: [{{service: api, condition: healthy}}]
    config: {{path: "${{dir}}/web.conf", content: "upstream api;\n", reload: "touch ${{dir}}/web.reloaded"}}
)",
                       fmt::arg("agent", agent), fmt::arg("dir", dir.string()),
                       fmt::arg("api_start", api_start));
  }
};

TEST_F(Deploy, a_three_tier_file_is_applied_wave_by_wave_and_planned_against_what_is_applied) {
  auto& agent = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(agent.id()); }));
  const auto dir = new_dir();
  std::filesystem::create_directories(dir);
  const std::string file = three_tiers(agent.id(), dir, "date +%s%N > ${dir}/api.started");

  auto plan = call("POST", url("/shop/plan"), token_, {{"file", file}});
  ASSERT_EQ(plan.status, 200) << plan.body;
  const auto p = json::parse(plan.body).as_object();
  EXPECT_EQ(p.at("compared_with_revision"), 0);
  ASSERT_EQ(p.at("waves").as_array().size(), 3u);
  EXPECT_EQ(p.at("waves").at(1).at(0).at("service"), "api");

  auto applied =
      call("POST", url("/shop/apply"), token_, {{"file", file}, {"plan_hash", p.at("hash")}});
  ASSERT_EQ(applied.status, 202) << applied.body;
  EXPECT_EQ(json::parse(applied.body).at("revision"), 1);
  ASSERT_EQ(settled("shop", 1), "applied") << json::serialize(revision("shop", 1));

  // What each tier did, in order: api started after db was healthy.
  EXPECT_EQ(slurp(dir / "api.conf"), "port=8080\n");
  EXPECT_EQ(slurp(dir / "web.conf"), "upstream api;\n");
  EXPECT_TRUE(std::filesystem::exists(dir / "web.reloaded"));
  EXPECT_LT(std::stoll(slurp(dir / "db.started")), std::stoll(slurp(dir / "api.started")));
  const auto first = revision("shop", 1);
  for (const auto& st : first.at("steps").as_array())
    EXPECT_EQ(st.at("state"), "succeeded") << json::serialize(st);

  // Planned again: nothing to do. Changed: one update, with the field that changed.
  auto again = json::parse(call("POST", url("/shop/plan"), token_, {{"file", file}}).body);
  EXPECT_EQ(again.at("compared_with_revision"), 1);
  for (const auto& w : again.at("waves").as_array())
    for (const auto& st : w.as_array())
      EXPECT_EQ(st.at("change"), "unchanged") << json::serialize(again);
  const std::string changed =
      three_tiers(agent.id(), dir, "echo v2 > ${dir}/api.v2; date +%s%N > ${dir}/api.started");
  auto next = json::parse(call("POST", url("/shop/plan"), token_, {{"file", changed}}).body);
  EXPECT_EQ(next.at("waves").at(1).at(0).at("change"), "update");
  EXPECT_EQ(next.at("waves").at(1).at(0).at("fields"), json::array{"/shell/start"});
  // A plan read before the change is refused: the live state moved on since.
  auto stale =
      call("POST", url("/shop/apply"), token_, {{"file", changed}, {"plan_hash", p.at("hash")}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_NE(stale.body.find("plan again"), std::string::npos) << stale.body;
  ASSERT_EQ(call("POST", url("/shop/apply"), token_, {{"file", changed}}).status, 202);
  ASSERT_EQ(settled("shop", 2), "applied");
  EXPECT_EQ(slurp(dir / "api.v2"), "v2\n");

  // A service left out of the file is removed, last: its config file goes.
  const std::string without_web = changed.substr(0, changed.find("  web-conf:"));
  auto removal = json::parse(call("POST", url("/shop/plan"), token_, {{"file", without_web}}).body);
  const auto& last_wave = removal.at("waves").as_array().back();
  EXPECT_EQ(last_wave.at(0).at("service"), "web-conf") << json::serialize(removal);
  EXPECT_EQ(last_wave.at(0).at("change"), "remove");
  ASSERT_EQ(call("POST", url("/shop/apply"), token_, {{"file", without_web}}).status, 202);
  ASSERT_EQ(settled("shop", 3), "applied") << json::serialize(revision("shop", 3));
  EXPECT_FALSE(std::filesystem::exists(dir / "web.conf"));

  auto audit = call("GET", "/api/v1/spaces/" + space_ + "/audit?action=deployment.", token_);
  EXPECT_NE(audit.body.find("deployment.apply"), std::string::npos);
  EXPECT_NE(audit.body.find(std::string(p.at("hash").as_string())), std::string::npos);
}

TEST_F(Deploy, a_failing_health_check_fails_the_revision_and_skips_the_later_waves) {
  auto& agent = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(agent.id()); }));
  const auto dir = new_dir();
  std::filesystem::create_directories(dir);
  const std::string file = fmt::format(R"(nodes: {{box: {{agent: {}}}}}
services:
  db:
    kind: shell
    on: box
    shell: {{start: "true"}}
    health: {{command: "echo not yet; exit 3", interval_seconds: 1, timeout_seconds: 1, retries: 1}}
  api:
    kind: shell
    on: box
    depends_on: [db]
    shell: {{start: "touch {}/api.started"}}
)",
                                       agent.id(), dir.string());
  ASSERT_EQ(call("POST", url("/broken/apply"), token_, {{"file", file}}).status, 202);
  ASSERT_EQ(settled("broken", 1), "failed");
  const auto r = revision("broken", 1);
  EXPECT_NE(std::string(r.at("detail").as_string()).find("db on box: unhealthy after 2 checks"),
            std::string::npos)
      << json::serialize(r);
  EXPECT_NE(std::string(r.at("detail").as_string()).find("(exit code 3): not yet"),
            std::string::npos)
      << "the check's own output says why: " << json::serialize(r);
  for (const auto& st : r.at("steps").as_array())
    EXPECT_EQ(st.at("state"), st.at("service") == "db" ? "failed" : "skipped")
        << json::serialize(st);
  EXPECT_FALSE(std::filesystem::exists(dir / "api.started"));
}

// kill -9 of risd while a step's task runs: the restarted server goes on from the journal, and
// each step's task ran once (its idempotency key finds the task made before the kill).
TEST_F(Deploy, risd_killed_mid_apply_finishes_it_after_a_restart_with_each_step_run_once) {
  auto& agent = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(agent.id()); }));
  const auto dir = new_dir();
  std::filesystem::create_directories(dir);
  const std::string file = fmt::format(R"(nodes: {{box: {{agent: {0}}}}}
services:
  slow: {{kind: shell, on: box, shell: {{start: "sleep 3; echo run >> {1}/slow.log"}}}}
  after: {{kind: shell, on: box, depends_on: [slow], shell: {{start: "echo run >> {1}/after.log"}}}}
)",
                                       agent.id(), dir.string());
  ASSERT_EQ(call("POST", url("/resume/apply"), token_, {{"file", file}}).status, 202);
  ASSERT_TRUE(eventually([&] {
    const auto r = revision("resume", 1);  // kept: the loop reads into it
    for (const auto& st : r.at("steps").as_array())
      if (st.at("service") == "slow" && st.at("state") == "running")
        return true;
    return false;
  }));
  const auto data = risd_->data_dir();
  ASSERT_EQ(risd_->stop(SIGKILL, 5s), 128 + SIGKILL);
  RisdProcess again({"--listen", "127.0.0.1:" + std::to_string(port_), "--agent-lost-after", "30s"},
                    data);
  again.start();
  EXPECT_EQ(settled("resume", 1), "applied") << json::serialize(revision("resume", 1));
  EXPECT_EQ(slurp(dir / "slow.log"), "run\n");
  EXPECT_EQ(slurp(dir / "after.log"), "run\n");
  const auto config = risctl_signed_in();
  auto [rc, out] = run_command("RISCTL_CONFIG=" + config.string() + " " + RISCTL_BINARY +
                               " deploy resume resume < /dev/null 2>&1");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("revision 1: applied"), std::string::npos) << out;
  again.stop(SIGTERM, 10s);
}

TEST_F(Deploy, bad_files_get_every_problem_with_its_line_and_risctl_validates_plans_and_applies) {
  auto bad = call("POST", url("/validate"), token_,
                  {{"file",
                    "nodes: {n: {agent: a}}\nservices:\n  a: {kind: shell, on: n, "
                    "shell: {start: x}, depends_on: [a, ghost]}\n"}});
  ASSERT_EQ(bad.status, 422) << bad.body;
  const auto problem = json::parse(bad.body).as_object();
  EXPECT_EQ(problem.at("type"), "https://ris.dev/problems/invalid-deployment");
  ASSERT_EQ(problem.at("errors").as_array().size(), 2u) << bad.body;
  EXPECT_EQ(problem.at("errors").at(1).at("line"), 3);
  EXPECT_EQ(call("POST", url("/validate"), token_, {{"file", "x"}, {"public", true}}).status, 400);
  auto cycle = call("POST", url("/validate"), token_,
                    {{"file",
                      "nodes: {n: {agent: a}}\nservices:\n  a: {kind: shell, on: n, shell: {start: "
                      "x}, depends_on: [b]}\n  b: {kind: shell, on: n, shell: {start: x}, "
                      "depends_on: [a]}\n"}});
  EXPECT_EQ(cycle.status, 422) << cycle.body;
  EXPECT_NE(cycle.body.find("dependency cycle: a → b → a"), std::string::npos) << cycle.body;
  EXPECT_EQ(call("POST", url("/Bad Name/plan"), token_, {{"file", "x"}}).status, 400);

  auto& agent = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(agent.id()); }));
  const auto dir = new_dir();
  std::filesystem::create_directories(dir);
  const auto yaml = dir / "site.yaml";
  std::ofstream(yaml) << fmt::format(
      "nodes: {{box: {{agent: {}}}}}\nservices:\n  hello: {{kind: shell, on: box, shell: "
      "{{start: \"echo hi > {}/hello\"}}}}\n",
      agent.id(), dir.string());
  std::ofstream(dir / "bad.yaml") << "nodes: {}\nservices:\n  s: {kind: shel}\n";
  const auto config = risctl_signed_in();
  auto ctl = [&](const std::string& args) {
    return run_command("RISCTL_CONFIG=" + config.string() + " " + RISCTL_BINARY + " " + args +
                       " < /dev/null 2>&1");
  };
  auto [v, v_out] = ctl("deploy validate " + (dir / "bad.yaml").string());
  EXPECT_EQ(v, 1) << v_out;
  EXPECT_NE(v_out.find("bad.yaml:3:13: services.s.kind: 'shel'"), std::string::npos) << v_out;
  auto [p, p_out] = ctl("deploy plan " + yaml.string());
  EXPECT_EQ(p, 0) << p_out;
  EXPECT_NE(p_out.find("+ hello"), std::string::npos) << p_out;
  EXPECT_NE(p_out.find("create on box"), std::string::npos) << p_out;
  auto [a, a_out] = ctl("deploy apply " + yaml.string());
  EXPECT_EQ(a, 0) << a_out;
  EXPECT_NE(a_out.find("revision 1: applied"), std::string::npos) << a_out;
  EXPECT_EQ(slurp(dir / "hello"), "hi\n");
  auto [st, st_out] = ctl("deploy status site");
  EXPECT_EQ(st, 0) << st_out;
  EXPECT_NE(st_out.find("site revision 1: applied"), std::string::npos) << st_out;
  auto [h, h_out] = ctl("deploy history site");
  EXPECT_EQ(h, 0) << h_out;
  EXPECT_NE(h_out.find("applied"), std::string::npos) << h_out;
}

// A real sshd on loopback for one test, letting this user in with a key made for it.
class SshHostFixture {
 public:
  explicit SshHostFixture(std::filesystem::path dir) : dir_(std::move(dir)) {
    auto [rc, out] = run_command(std::string(RIS_SOURCE_DIR) + "/scripts/ssh-test-server start " +
                                 dir_.string() + " 2>&1");
    EXPECT_EQ(rc, 0) << out;
  }
  ~SshHostFixture() {
    run_command(std::string(RIS_SOURCE_DIR) + "/scripts/ssh-test-server stop " + dir_.string());
  }
  std::string read(const char* name) const {
    std::ifstream f(dir_ / name);
    std::stringstream s;
    s << f.rdbuf();
    std::string v = s.str();
    while (!v.empty() && v.back() == '\n')
      v.pop_back();
    return v;
  }

 private:
  std::filesystem::path dir_;
};

TEST_F(
    Deploy,
    three_tiers_over_two_agents_and_an_ssh_host_roll_back_a_failed_wave_and_return_to_any_revision) {
  auto& first = start_agent(join_token());
  auto& second = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(first.id()) && online(second.id()); }));
  const auto dir = new_dir();
  std::filesystem::create_directories(dir);
  SshHostFixture ssh(new_dir());
  const std::string secrets = "/api/v1/spaces/" + space_ + "/deploy-secrets/";
  ASSERT_EQ(
      call("PUT", secrets + "web-key", token_, {{"value", ssh.read("user_key") + "\n"}}).status,
      200);
  const std::string password = "s3cr3t 'quoted' $HOME";
  auto put = call("PUT", secrets + "db-password", token_, {{"value", password}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.body.find("s3cr3t"), std::string::npos) << put.body;

  // db (wave 1, first agent) → api (wave 2, second agent) → web (wave 3, the SSH host).
  auto file = [&](const std::string& version, const std::string& api_health) {
    return fmt::format(R"(on_failure: rollback
nodes:
  one: {{agent: {one}}}
  two: {{agent: {two}}}
  edge:
    ssh: {{address: 127.0.0.1, port: {port}, user: {user}, key: "secret:web-key", host_key: "{host_key}"}}
services:
  db:
    kind: config
    on: one
    config: {{path: "{dir}/db.conf", content: "password=${{secret:db-password}}\nversion={v}\n", mode: "0600"}}
  api:
    kind: shell
    on: two
    depends_on: [db]
    shell: {{start: "echo {v} > {dir}/api.version"}}
    health: {{command: "{api_health}", interval_seconds: 1, timeout_seconds: 1, retries: 1}}
  web:
    kind: shell
    on: edge
    depends_on: [{{service: api, condition: healthy}}]
    shell: {{start: "echo {v} > {dir}/web.version; echo run >> {dir}/web.runs"}}
)",
                       fmt::arg("one", first.id()), fmt::arg("two", second.id()),
                       fmt::arg("port", ssh.read("port")), fmt::arg("user", ssh.read("user")),
                       fmt::arg("host_key", ssh.read("host_key_sha256")),
                       fmt::arg("dir", dir.string()), fmt::arg("v", version),
                       fmt::arg("api_health", api_health));
  };
  const std::string healthy = "test -f " + (dir / "api.version").string();
  auto reachable = call("POST", url("/validate"), token_,
                        {{"file", file("v1", healthy)}, {"check_hosts", true}});
  EXPECT_EQ(reachable.status, 200) << reachable.body;
  ASSERT_EQ(call("POST", url("/site/apply"), token_, {{"file", file("v1", healthy)}}).status, 202);
  ASSERT_EQ(settled("site", 1), "applied") << json::serialize(revision("site", 1));
  EXPECT_EQ(slurp(dir / "db.conf"), "password=" + password + "\nversion=v1\n");
  EXPECT_EQ(slurp(dir / "api.version"), "v1\n");
  EXPECT_EQ(slurp(dir / "web.version"), "v1\n");  // over SSH
  const auto applied = revision("site", 1);       // kept: the loop reads into it
  for (const auto& st : applied.at("steps").as_array()) {
    if (st.at("service") == "web") {
      EXPECT_EQ(st.at("executor"), "ssh") << json::serialize(st);
    }
  }
  // The secret is in no answer: not the revision's, not its tasks'.
  auto tasks = call("GET", "/api/v1/spaces/" + space_ + "/tasks?limit=100", token_);
  EXPECT_EQ(tasks.body.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(json::serialize(revision("site", 1)).find("s3cr3t"), std::string::npos);

  // v2: db changes (wave 1), api's health never passes (wave 2): both go back to v1; web (wave
  // 3) never starts.
  ASSERT_EQ(call("POST", url("/site/apply"), token_, {{"file", file("v2", "exit 1")}}).status, 202);
  ASSERT_EQ(settled("site", 2), "failed");
  const auto failed = revision("site", 2);
  EXPECT_NE(std::string(failed.at("detail").as_string()).find("rolling back"), std::string::npos)
      << json::serialize(failed);
  ASSERT_EQ(settled("site", 3), "applied") << json::serialize(revision("site", 3));
  const auto back = revision("site", 3);
  EXPECT_EQ(back.at("kind"), "rollback");
  EXPECT_EQ(slurp(dir / "db.conf"), "password=" + password + "\nversion=v1\n");
  EXPECT_EQ(slurp(dir / "api.version"), "v1\n");
  EXPECT_EQ(slurp(dir / "web.runs"), "run\n");
  for (const auto& st : back.at("steps").as_array())
    EXPECT_EQ(st.at("change"), st.at("service") == "web" ? "unchanged" : "update")
        << json::serialize(st);

  // v3 applied everywhere (web updated over SSH), then risctl returns to revision 1.
  ASSERT_EQ(call("POST", url("/site/apply"), token_, {{"file", file("v3", healthy)}}).status, 202);
  ASSERT_EQ(settled("site", 4), "applied") << json::serialize(revision("site", 4));
  EXPECT_EQ(slurp(dir / "web.version"), "v3\n");
  const auto config = risctl_signed_in();
  auto [rc, out] = run_command("RISCTL_CONFIG=" + config.string() + " " + RISCTL_BINARY +
                               " deploy rollback site --to 1 < /dev/null 2>&1");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("revision 5: applied"), std::string::npos) << out;
  EXPECT_EQ(slurp(dir / "web.version"), "v1\n");
  EXPECT_EQ(slurp(dir / "db.conf"), "password=" + password + "\nversion=v1\n");
  EXPECT_EQ(slurp(dir / "web.runs"), "run\nrun\nrun\n");  // v1, v3, back to v1: once each
  auto [lrc, listed] = run_command("RISCTL_CONFIG=" + config.string() + " " + RISCTL_BINARY +
                                   " deploy secret list < /dev/null 2>&1");
  EXPECT_EQ(lrc, 0) << listed;
  EXPECT_NE(listed.find("db-password"), std::string::npos) << listed;
  EXPECT_EQ(listed.find("s3cr3t"), std::string::npos) << listed;
  auto listed_all = call("GET", url(""), token_);
  ASSERT_EQ(listed_all.status, 200) << listed_all.body;
  const auto items = json::parse(listed_all.body).at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << listed_all.body;
  EXPECT_EQ(items[0].at("name"), "site");
  EXPECT_EQ(items[0].at("latest").at("revision"), 5);
  EXPECT_EQ(items[0].at("latest").at("kind"), "rollback");
  // Returning to a revision that was never applied is refused.
  EXPECT_EQ(call("POST", url("/site/rollback"), token_, {{"to", 2}}).status, 409);
}

// A config file changed on the host behind RIS's back is found by a drift check, repaired on
// request, and the check after that finds it in sync; what is applied does not change.
TEST_F(Deploy, a_config_file_changed_by_hand_is_reported_as_drift_and_repaired_on_request) {
  auto& agent = start_agent(join_token());
  ASSERT_TRUE(eventually([&] { return online(agent.id()); }));
  const auto dir = new_dir();
  std::filesystem::create_directories(dir);
  const std::string file = fmt::format(R"(nodes: {{box: {{agent: {}}}}}
services:
  conf: {{kind: config, on: box, config: {{path: "{}/app.conf", content: "port=1\n", mode: "0600"}}}}
)",
                                       agent.id(), dir.string());
  ASSERT_EQ(call("POST", url("/cfg/apply"), token_, {{"file", file}}).status, 202);
  ASSERT_EQ(settled("cfg", 1), "applied");
  auto check = [&](bool repair, int64_t n) {
    auto r = call("POST", url("/cfg/drift"), token_, {{"repair", repair}});
    EXPECT_EQ(r.status, 202) << r.body;
    const std::string state = settled("cfg", n);
    const auto rev = revision("cfg", n);
    return std::pair(state, std::string(rev.at("steps").at(0).at("detail").as_string()));
  };
  EXPECT_EQ(check(false, 2), std::pair(std::string("in_sync"), std::string("in sync")));
  std::ofstream(dir / "app.conf") << "port=9\n";
  EXPECT_EQ(check(false, 3), std::pair(std::string("drifted"), std::string("drifted: content")));
  EXPECT_EQ(slurp(dir / "app.conf"), "port=9\n") << "a check alone changes nothing";
  EXPECT_EQ(check(true, 4), std::pair(std::string("drifted"), std::string("repaired: content")));
  EXPECT_EQ(slurp(dir / "app.conf"), "port=1\n");
  EXPECT_EQ(check(false, 5), std::pair(std::string("in_sync"), std::string("in sync")));
  // The checks are revisions of their own kinds; the plan still compares with revision 1.
  auto plan = call("POST", url("/cfg/plan"), token_, {{"file", file}});
  EXPECT_EQ(json::parse(plan.body).at("compared_with_revision"), 1) << plan.body;
}

// DEPLOY per environment: a role that deploys may be denied prod by an overwrite on the
// resource "environment/prod", and still plan and apply elsewhere.
TEST_F(Deploy, an_overwrite_on_an_environment_keeps_a_role_that_deploys_out_of_prod) {
  auto r = call("POST", "/api/v1/accounts", "",
                json::object{{"email", "bob@example.com"},
                             {"username", "bob"},
                             {"password", "bob's long passphrase"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string bob = login("bob", "bob's long passphrase");
  const std::string s = "/api/v1/spaces/" + space_;
  auto inv = call("POST", s + "/invitations", token_, json::object{{"max_uses", 1}});
  ASSERT_EQ(inv.status, 201) << inv.body;
  const std::string code(json::parse(inv.body).at("code").as_string());
  ASSERT_EQ(call("POST", "/api/v1/invitations/" + code + "/accept", bob).status, 200);
  auto role = call(
      "POST", s + "/roles", token_,
      json::object{{"name", "deployers"}, {"permissions", json::array{"DEPLOY", "VIEW_AGENTS"}}});
  ASSERT_EQ(role.status, 201) << role.body;
  const std::string role_id(json::parse(role.body).at("id").as_string());
  const std::string bob_id(json::parse(call("GET", "/api/v1/me", bob).body).at("id").as_string());
  ASSERT_EQ(call("PUT", s + "/members/" + bob_id + "/roles/" + role_id, token_).status, 204);
  auto deny = call("PUT", s + "/overwrites/environment/prod/role/" + role_id, token_,
                   json::object{{"allow", json::array{}}, {"deny", json::array{"DEPLOY"}}});
  ASSERT_LT(deny.status, 300) << deny.body;
  const std::string file =
      "nodes: {n: {agent: a}}\nservices:\n  s: {kind: shell, on: n, shell: {start: x}}\n"
      "environments: {prod: {}, staging: {}}\n";
  EXPECT_EQ(
      call("POST", url("/app/plan"), bob, {{"file", file}, {"environment", "staging"}}).status,
      200);
  auto refused = call("POST", url("/app/plan"), bob, {{"file", file}, {"environment", "prod"}});
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("DEPLOY permission on environment prod"), std::string::npos)
      << refused.body;
  EXPECT_EQ(call("POST", url("/app/apply"), bob, {{"file", file}, {"environment", "prod"}}).status,
            403);
  EXPECT_EQ(
      call("POST", url("/app/plan"), token_, {{"file", file}, {"environment", "prod"}}).status, 200)
      << "the owner is not bound by overwrites";
}

// A wrong pinned host key fails the step before any credential is offered, and says both keys.
TEST_F(Deploy, an_ssh_host_whose_key_is_not_the_pinned_one_fails_the_step_and_names_both_keys) {
  const auto dir = new_dir();
  SshHostFixture ssh(new_dir());
  ASSERT_EQ(call("PUT", "/api/v1/spaces/" + space_ + "/deploy-secrets/k", token_,
                 {{"value", ssh.read("user_key") + "\n"}})
                .status,
            200);
  const std::string wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  const std::string file = fmt::format(R"(nodes:
  edge: {{ssh: {{address: 127.0.0.1, port: {}, user: {}, key: "secret:k", host_key: "{}"}}}}
services:
  web: {{kind: shell, on: edge, shell: {{start: "touch {}/ran"}}}}
)",
                                       ssh.read("port"), ssh.read("user"), wrong, dir.string());
  // validate with check_hosts reaches the host and says so before anything is applied.
  auto checked = call("POST", url("/validate"), token_, {{"file", file}, {"check_hosts", true}});
  EXPECT_EQ(checked.status, 422) << checked.body;
  EXPECT_NE(checked.body.find(wrong), std::string::npos) << checked.body;
  EXPECT_NE(checked.body.find("nodes.edge.ssh"), std::string::npos) << checked.body;
  ASSERT_EQ(call("POST", url("/pinned/apply"), token_, {{"file", file}}).status, 202);
  ASSERT_EQ(settled("pinned", 1), "failed");
  const std::string why(revision("pinned", 1).at("detail").as_string());
  EXPECT_NE(why.find(wrong), std::string::npos) << why;
  EXPECT_NE(why.find(ssh.read("host_key_sha256")), std::string::npos) << why;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

}  // namespace
}  // namespace ris::test
