// risctl against a real risd and real agents: sign-in (CA pin, CA file, 2FA), contexts, the
// resource verbs, live watch, exec with streamed output, summaries, exit codes and Ctrl-C.
#include <sys/stat.h>

#include "fleet_support.hpp"
#include "ris/security/totp.hpp"

namespace ris::test {
namespace {

class Risctl : public FleetFixture {
 protected:
  void SetUp() override {
    FleetFixture::SetUp();
    std::filesystem::create_directories(new_dir());
    config_ = dirs_.back() / "ctl.json";
  }
  // risctl with its own contexts file; `input` goes to its standard input.
  std::pair<int, std::string> ctl(const std::string& args, const std::string& input = "") {
    std::string cmd = "RISCTL_CONFIG=" + config_.string() + " " + RISCTL_BINARY + " " + args;
    if (!input.empty())
      cmd = "printf '%s\\n' '" + input + "' | " + cmd;
    else
      cmd += " < /dev/null";
    return run_command(cmd);
  }
  std::string server() const { return "https://127.0.0.1:" + std::to_string(port_); }
  void sign_in() {
    auto [code, out] = ctl("login " + server() + " --user admin --ca-file " + ca_file_.string() +
                               " --password-stdin --space fleet",
                           "a long admin passphrase");
    ASSERT_EQ(code, 0) << out;
  }
  AgentProcess& named_agent(const std::string& name, const json::object& labels) {
    auto dir = new_dir();
    auto [code, out] = run_command(
        std::string(RIS_AGENT_BINARY) + " join " + server() + " --token " + join_token(labels) +
        " --ca-hash " + risd_->ca_sha256() + " --name " + name + " --state-dir " + dir.string());
    EXPECT_EQ(code, 0) << out;
    agents_.push_back(std::make_unique<AgentProcess>(dir));
    agents_.back()->start();
    const std::string id = agents_.back()->id();
    EXPECT_TRUE(eventually([&] { return online(id); }));
    return *agents_.back();
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  std::filesystem::path config_;
};

TEST_F(Risctl, signs_in_by_ca_pin_keeps_contexts_private_and_signs_out) {
  auto [bad_pin, bad_pin_out] =
      ctl("login " + server() +
              " --user admin --password-stdin --ca-hash sha256:" + std::string(64, '0'),
          "a long admin passphrase");
  EXPECT_EQ(bad_pin, 1);
  EXPECT_TRUE(has(bad_pin_out, "does not match the pinned hash")) << bad_pin_out;

  auto [wrong, wrong_out] =
      ctl("login " + server() + " --user admin --password-stdin --ca-hash " + risd_->ca_sha256(),
          "not the password");
  EXPECT_EQ(wrong, 1);
  EXPECT_TRUE(has(wrong_out, "sign-in refused")) << wrong_out;

  auto [code, out] = ctl("login " + server() + " --user admin --password-stdin --ca-hash " +
                             risd_->ca_sha256() + " --name lab",
                         "a long admin passphrase");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(has(out, "Signed in to " + server() + " as admin")) << out;
  struct stat st {};
  ASSERT_EQ(stat(config_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string saved = AgentProcess::read_file(config_);
  EXPECT_FALSE(has(saved, "a long admin passphrase"));
  EXPECT_TRUE(has(saved, "BEGIN CERTIFICATE")) << "the pinned CA is kept for later calls";

  auto [spaces, spaces_out] = ctl("get spaces -o json");
  EXPECT_EQ(spaces, 0) << spaces_out;
  EXPECT_TRUE(has(spaces_out, "\"name\": \"fleet\"")) << spaces_out;
  auto [list, list_out] = ctl("context list");
  EXPECT_TRUE(has(list_out, "lab") && has(list_out, "signed in")) << list_out;
  auto [set, set_out] = ctl("context set-space fleet");
  EXPECT_EQ(set, 0) << set_out;
  auto [none, none_out] = ctl("context set-space nowhere");
  EXPECT_EQ(none, 1);
  EXPECT_TRUE(has(none_out, "no space \"nowhere\"")) << none_out;

  auto [logout, logout_out] = ctl("logout");
  EXPECT_EQ(logout, 0) << logout_out;
  auto [after, after_out] = ctl("get agents");
  EXPECT_EQ(after, 1);
  EXPECT_TRUE(has(after_out, "risctl login")) << after_out;
}

TEST_F(Risctl, asks_for_the_second_factor_when_the_account_has_2fa) {
  auto begin = call("POST", "/api/v1/me/2fa/totp", token_,
                    json::object{{"password", "a long admin passphrase"}});
  ASSERT_EQ(begin.status, 200) << begin.body;
  const std::string secret(json::parse(begin.body).at("secret").as_string());
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSERT_EQ(call("POST", "/api/v1/me/2fa/totp/confirm", token_,
                 json::object{{"code", *security::totp_code(secret, now - 30)}})
                .status,
            200);
  const std::string login =
      "login " + server() + " --user admin --password-stdin --ca-file " + ca_file_.string();
  auto [without, without_out] = ctl(login, "a long admin passphrase");
  EXPECT_EQ(without, 1);
  EXPECT_TRUE(has(without_out, "pass the code with --totp")) << without_out;
  auto [with, with_out] =
      ctl(login + " --totp " + *security::totp_code(secret, now), "a long admin passphrase");
  EXPECT_EQ(with, 0) << with_out;
}

TEST_F(Risctl, lists_describes_and_watches_agents) {
  sign_in();
  named_agent("web-1", {{"role", "web"}});
  auto [code, out] = ctl("get agents -l role=web");
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(has(out, "NAME") && has(out, "web-1") && has(out, "online")) << out;
  auto [none, none_out] = ctl("get agents -l role=db");
  EXPECT_EQ(none, 0);
  EXPECT_TRUE(has(none_out, "No agents found")) << none_out;
  auto [bad, bad_out] = ctl("get agents -l 'role in (web'");
  EXPECT_EQ(bad, 1);
  EXPECT_TRUE(has(bad_out, "error: Bad request")) << bad_out;
  auto [yaml, yaml_out] = ctl("describe agent web-1");
  EXPECT_EQ(yaml, 0) << yaml_out;
  EXPECT_TRUE(has(yaml_out, "name: web-1") && has(yaml_out, "system_load:")) << yaml_out;
  auto [names, names_out] = ctl("get agents -o name");
  EXPECT_EQ(names_out, "agent/web-1\n");

  // --watch: a newly enrolled agent shows up without asking again.
  const std::string log = (config_.parent_path() / "watch.log").string();
  const std::string watch = "RISCTL_CONFIG=" + config_.string() + " timeout -s INT 60 " +
                            RISCTL_BINARY + " get agents --watch > " + log + " 2>&1 &";
  ASSERT_EQ(system(watch.c_str()), 0);
  ASSERT_TRUE(eventually([&] { return has(AgentProcess::read_file(log), "web-1"); }))
      << AgentProcess::read_file(log);
  named_agent("db-1", {{"role", "db"}});
  EXPECT_TRUE(eventually([&] { return has(AgentProcess::read_file(log), "db-1"); }, 20s))
      << AgentProcess::read_file(log);
  run_command(
      "pkill -INT -f 'ctl.json.*get agents --watch' ; pkill -INT -f 'risctl get agents --watch'");
}

TEST_F(Risctl, exec_streams_each_agents_lines_and_sums_up) {
  sign_in();
  named_agent("web-1", {{"role", "web"}});
  named_agent("web-2", {{"role", "web"}});
  // 300 lines each: every line once and in order, whatever the chunking.
  auto [code, out] =
      ctl("exec role=web -- sh -c 'for i in $(seq 1 300); do echo line-$i; done; echo oops >&2'");
  EXPECT_EQ(code, 0) << out;
  for (const std::string agent : {"web-1", "web-2"}) {
    size_t at = 0;
    for (int i = 1; i <= 300; ++i) {
      const std::string line = agent + " | line-" + std::to_string(i) + "\n";
      const size_t found = out.find(line, at);
      ASSERT_NE(found, std::string::npos) << "missing or out of order: " << line << out;
      EXPECT_EQ(out.find(line, found + 1), std::string::npos) << "twice: " << line;
      at = found;
    }
    EXPECT_TRUE(has(out, agent + " | oops")) << out;
  }
  EXPECT_TRUE(has(out, "2 succeeded")) << out;

  auto [failed, failed_out] = ctl("exec role=web --script -- 'echo bye; exit 3'");
  EXPECT_EQ(failed, 1) << failed_out;
  EXPECT_TRUE(has(failed_out, "2 failed")) << failed_out;
  EXPECT_TRUE(has(failed_out, "web-1 | bye")) << failed_out;

  auto [one, one_out] = ctl("exec role=web --one -- echo single");
  EXPECT_EQ(one, 0) << one_out;
  EXPECT_TRUE(has(one_out, "1 succeeded")) << one_out;

  auto [nomatch, nomatch_out] = ctl("exec role=nothing -- true");
  EXPECT_EQ(nomatch, 1);
  EXPECT_TRUE(has(nomatch_out, "no agent matches")) << nomatch_out;
  auto [usage, usage_out] = ctl("exec role=web");
  EXPECT_EQ(usage, 2);
  EXPECT_TRUE(has(usage_out, "Usage: risctl exec")) << usage_out;
}

TEST_F(Risctl, exec_says_which_agents_are_offline_and_gives_their_runs_up) {
  sign_in();
  auto& agent = named_agent("web-1", {{"role", "web"}});
  const std::string id = agent.id();
  agent.kill(SIGKILL);
  ASSERT_TRUE(eventually([&] { return !online(id); }));
  auto [code, out] = ctl("exec role=web --ttl 2 -- true");
  EXPECT_EQ(code, 1) << out;
  EXPECT_TRUE(has(out, "web-1 is offline: its run starts when it connects (given up after 2 s)"))
      << out;
  EXPECT_TRUE(has(out, "1 lost")) << out;
}

TEST_F(Risctl, ctrl_c_cancels_the_runs) {
  sign_in();
  auto& agent = named_agent("web-1", {{"role", "web"}});
  const std::string log = (config_.parent_path() / "exec.log").string();
  auto [code, out] =
      run_command("RISCTL_CONFIG=" + config_.string() + " " + RISCTL_BINARY +
                  " exec role=web -- sh -c 'echo started; sleep 60' > " + log +
                  " 2>&1 & pid=$!; for i in $(seq 1 100); do grep -q started " + log +
                  " && break; sleep 0.1; done; kill -INT $pid; wait $pid; echo exit=$?");
  EXPECT_TRUE(has(out, "exit=130")) << out << AgentProcess::read_file(log);
  const std::string printed = AgentProcess::read_file(log);
  EXPECT_TRUE(has(printed, "Cancelling task")) << printed;
  EXPECT_TRUE(has(printed, "1 cancelled")) << printed;
  auto tasks = call("GET", "/api/v1/spaces/" + space_ + "/tasks?agent=" + agent.id(), token_);
  EXPECT_TRUE(has(tasks.body, "\"state\":\"cancelled\"")) << tasks.body;
}

TEST_F(Risctl, creates_and_deletes_roles_and_tokens_with_server_errors_shown) {
  sign_in();
  auto [role, role_out] = ctl("create role operators --permissions VIEW_AGENTS,RUN_TASKS");
  EXPECT_EQ(role, 0) << role_out;
  auto [roles, roles_out] = ctl("get roles");
  EXPECT_TRUE(has(roles_out, "operators") && has(roles_out, "RUN_TASKS")) << roles_out;
  auto [bad, bad_out] = ctl("create role broken --permissions FLY");
  EXPECT_EQ(bad, 1);
  EXPECT_TRUE(has(bad_out, "error: Bad request") && has(bad_out, "FLY")) << bad_out;

  auto [token, token_out] = ctl("create token ci --permissions VIEW_AGENTS --ttl 600");
  EXPECT_EQ(token, 0) << token_out;
  EXPECT_TRUE(has(token_out, "ris_pat_")) << token_out;
  auto [yaml, yaml_out] = ctl("get token ci -o yaml");
  EXPECT_TRUE(has(yaml_out, "name: ci") && has(yaml_out, "- VIEW_AGENTS")) << yaml_out;
  auto [del, del_out] = ctl("delete token ci");
  EXPECT_EQ(del, 0) << del_out;
  EXPECT_TRUE(has(del_out, "token/ci revoked")) << del_out;
  auto me = json::parse(call("GET", "/api/v1/me", token_).body).at("id").as_string();
  const std::string role_id(
      json::parse(ctl("get role operators -o json").second).at("id").as_string());
  ASSERT_EQ(
      call("PUT", "/api/v1/spaces/" + space_ + "/members/" + std::string(me) + "/roles/" + role_id,
           token_)
          .status,
      204);
  auto [members, members_out] = ctl("get members");
  EXPECT_TRUE(has(members_out, "admin") && has(members_out, "operators")) << members_out;
  auto [delrole, delrole_out] = ctl("delete role operators");
  EXPECT_EQ(delrole, 0) << delrole_out;
  auto [gone, gone_out] = ctl("get role operators");
  EXPECT_EQ(gone, 1);
  EXPECT_TRUE(has(gone_out, "no role \"operators\"")) << gone_out;

  auto [jt, jt_out] = ctl("create join-token --labels env=prod --uses 2");
  EXPECT_EQ(jt, 0) << jt_out;
  EXPECT_TRUE(has(jt_out, "ris-agent join " + server()) && has(jt_out, risd_->ca_sha256()))
      << jt_out;
  auto [audit, audit_out] = ctl("get audit --action role.create");
  EXPECT_TRUE(has(audit_out, "role.create") && !has(audit_out, "token.create")) << audit_out;
}

TEST_F(Risctl, help_completion_and_usage_errors) {
  auto [help, help_out] = ctl("--help");
  EXPECT_EQ(help, 0);
  EXPECT_TRUE(has(help_out, "exec SELECTOR")) << help_out;
  for (const std::string c : {"login", "get", "exec", "scale", "rollout", "create"}) {
    auto [code, out] = ctl(c + " --help");
    EXPECT_EQ(code, 0) << c;
    EXPECT_TRUE(has(out, "Usage: risctl " + c) && has(out, "Example")) << out;
  }
  auto [unknown, unknown_out] = ctl("frobnicate");
  EXPECT_EQ(unknown, 2);
  EXPECT_TRUE(has(unknown_out, "unknown command \"frobnicate\"")) << unknown_out;
  auto [flag, flag_out] = ctl("get agents --bogus");
  EXPECT_EQ(flag, 2);
  EXPECT_TRUE(has(flag_out, "unknown flag --bogus")) << flag_out;
  const auto script = config_.parent_path() / "completion.bash";
  auto [bash, bash_out] = ctl("completion bash > " + script.string());
  EXPECT_EQ(bash, 0) << bash_out;
  auto [syntax, syntax_out] = run_command("bash -n " + script.string());
  EXPECT_EQ(syntax, 0) << syntax_out;
  EXPECT_TRUE(has(AgentProcess::read_file(script), "complete -F _risctl risctl"));
  auto [zsh, zsh_out] = ctl("completion zsh");
  EXPECT_TRUE(has(zsh_out, "#compdef risctl")) << zsh_out;
}

}  // namespace
}  // namespace ris::test
