// The SSH executor against a real sshd (scripts/ssh-test-server, the CTest fixture "sshd"): the
// host key is checked before signing in, scripts run with their output and exit code, timeouts
// hold, a key runs once on the host even from a second runner, and sessions are reused.
#include "ssh_runner.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ris::deploy {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string first_line(const fs::path& p) {
  std::string s = slurp(p);
  return s.substr(0, s.find('\n'));
}

size_t lines_in(const fs::path& p) {
  const std::string s = slurp(p);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

Result<SshOutcome> wait_for(SshRunner& r, const std::string& key,
                            std::chrono::milliseconds max = 15s) {
  const auto until = std::chrono::steady_clock::now() + max;
  while (std::chrono::steady_clock::now() < until) {
    if (auto o = r.poll(key))
      return std::move(*o);
    std::this_thread::sleep_for(10ms);
  }
  return fail(Errc::internal, "the test gave up waiting for " + key);
}

class Ssh : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("RIS_TEST_SSH_DIR");
    ASSERT_NE(dir, nullptr) << "RIS_TEST_SSH_DIR is not set: run through ctest -L sshd";
    dir_ = dir;
    ASSERT_TRUE(fs::exists(dir_ / "host_key_sha256")) << "no sshd in " << dir_;
    host_.address = "127.0.0.1";
    host_.port = std::stoi(first_line(dir_ / "port"));
    host_.user = first_line(dir_ / "user");
    host_.private_key = slurp(dir_ / "user_key");
    host_.host_key = first_line(dir_ / "host_key_sha256");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = std::string(info->name()) + "-" + std::to_string(getpid()) + "-" +
              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    scratch_ = fs::temp_directory_path() / ("ris-ssh-test-" + prefix_);
    fs::create_directories(scratch_);
  }
  void TearDown() override { fs::remove_all(scratch_); }

  std::string key(std::string_view name) const { return prefix_ + "." + std::string(name); }
  fs::path dir_, scratch_;
  SshHost host_;
  std::string prefix_;
};

TEST_F(Ssh, runs_a_script_and_returns_its_output_and_exit_code) {
  SshRunner r;
  r.start(key("ok"), host_, "echo out; echo err >&2", 10s);
  r.start(key("three"), host_, "echo before; exit 3", 10s);
  auto ok = wait_for(r, key("ok"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->output, "out\nerr\n");
  auto three = wait_for(r, key("three"));
  ASSERT_TRUE(three) << three.error().message;
  EXPECT_EQ(three->exit_code, 3);
  EXPECT_EQ(three->output, "before\n");
}

TEST_F(Ssh, a_script_with_quotes_newlines_and_dollars_arrives_unchanged) {
  const std::string script =
      "v='single '\"'\"'quoted'\"'\"' and \"double\" and $NOT_EXPANDED and `not run`'\n"
      "printf '%s\\n' \"$v\"\n"
      "cat <<'EOF'\n"
      "  $dollar \\backslash 'q' \"dq\" %s\n"
      "EOF\n"
      "echo \"$((6 * 7))\"\n";
  SshRunner r;
  r.start(key("quotes"), host_, script, 10s);
  auto o = wait_for(r, key("quotes"));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->exit_code, 0);
  EXPECT_EQ(o->output,
            "single 'quoted' and \"double\" and $NOT_EXPANDED and `not run`\n"
            "  $dollar \\backslash 'q' \"dq\" %s\n"
            "42\n");
}

TEST_F(Ssh, a_large_script_runs_and_only_the_last_64_kib_of_output_are_kept) {
  // 300 KB of script: more than one argument may hold (128 KiB) and than the SSH window.
  std::string script = "cat >/dev/null <<'EOF'\n";
  for (int i = 0; i < 5000; ++i)
    script += std::string(59, 'x') + "\n";
  script += "EOF\ni=0; while [ $i -lt 3000 ]; do printf '%059d\\n' $i; i=$((i+1)); done\n";
  SshRunner r;
  r.start(key("large"), host_, script, 15s);
  auto o = wait_for(r, key("large"));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->exit_code, 0);
  EXPECT_EQ(o->output.size(), 64u * 1024);
  EXPECT_TRUE(o->output.ends_with(std::string(55, '0') + "2999\n"));
}

TEST_F(Ssh, refuses_a_host_whose_key_is_not_the_pinned_one_before_signing_in) {
  SshHost h = host_;
  h.host_key = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  // Nor is the user key one the host knows: had sign-in come first, that would be the error.
  h.private_key = slurp(dir_ / "host_key");
  const std::string expected = "host key of 127.0.0.1:" + std::to_string(h.port) + " is " +
                               host_.host_key + ", the file pins " + h.host_key;
  auto checked = SshRunner::check(h, 5s);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Errc::forbidden);
  EXPECT_EQ(checked.error().message, expected);

  SshRunner r;
  r.start(key("pinned"), h, "touch " + (scratch_ / "ran").string(), 5s);
  auto o = wait_for(r, key("pinned"));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, Errc::forbidden);
  EXPECT_EQ(o.error().message, expected);
  EXPECT_FALSE(fs::exists(scratch_ / "ran"));
  EXPECT_TRUE(SshRunner::check(host_, 5s)) << "the right pin is accepted";
}

TEST_F(Ssh, refuses_a_user_key_the_host_does_not_know) {
  SshHost h = host_;
  h.private_key = slurp(dir_ / "host_key");  // a valid key, not in authorized_keys
  auto checked = SshRunner::check(h, 5s);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Errc::unavailable);
  EXPECT_NE(checked.error().message.find("refused the key of user " + h.user), std::string::npos)
      << checked.error().message;
  EXPECT_NE(checked.error().message.find("127.0.0.1:" + std::to_string(h.port)), std::string::npos);

  h.private_key = "not a key";
  checked = SshRunner::check(h, 5s);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Errc::invalid_argument);
  EXPECT_NE(checked.error().message.find("cannot be read"), std::string::npos);
}

TEST_F(Ssh, a_closed_port_is_unavailable_with_the_address_named) {
  SshHost h = host_;
  h.port = 1;  // nothing listens there
  auto checked = SshRunner::check(h, 3s);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Errc::unavailable);
  EXPECT_NE(checked.error().message.find("cannot connect to 127.0.0.1:1"), std::string::npos)
      << checked.error().message;
}

TEST_F(Ssh, a_run_past_its_timeout_fails_in_time) {
  SshRunner r;
  const auto started = std::chrono::steady_clock::now();
  r.start(key("slow"), host_, "sleep 5", 1s);
  auto o = wait_for(r, key("slow"));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, Errc::unavailable);
  EXPECT_NE(o.error().message.find("timed out after 1s"), std::string::npos) << o.error().message;
  EXPECT_LT(took, 4s);
}

TEST_F(Ssh, a_key_runs_once_on_the_host_and_is_replayed_after_a_restart) {
  const fs::path counter = scratch_ / "count";
  const std::string script = "echo ran >> " + counter.string() + "; echo hello; exit 7";
  {
    SshRunner r;
    r.start(key("once"), host_, script, 10s);
    r.start(key("once"), host_, script, 10s);  // known already: nothing new
    auto o = wait_for(r, key("once"));
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->exit_code, 7);
    EXPECT_EQ(o->output, "hello\n");
    r.forget(key("once"));
    r.start(key("once"), host_, script, 10s);  // forgotten here, remembered by the host
    o = wait_for(r, key("once"));
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->exit_code, 7);
    EXPECT_EQ(o->output, "hello\n");
  }
  SshRunner after_restart;
  after_restart.start(key("once"), host_, script, 10s);
  auto o = wait_for(after_restart, key("once"));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->exit_code, 7);
  EXPECT_EQ(o->output, "hello\n");
  EXPECT_EQ(lines_in(counter), 1u);
}

TEST_F(Ssh, a_key_started_again_while_it_runs_waits_for_the_first_run) {
  const fs::path counter = scratch_ / "count";
  const std::string script = "sleep 1; echo ran >> " + counter.string() + "; echo done";
  SshRunner first, second;
  first.start(key("twice"), host_, script, 10s);
  std::this_thread::sleep_for(300ms);  // the first has claimed the key by now
  second.start(key("twice"), host_, script, 10s);
  auto a = wait_for(first, key("twice"));
  auto b = wait_for(second, key("twice"));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->output, "done\n");
  EXPECT_EQ(b->output, "done\n");
  EXPECT_EQ(b->exit_code, 0);
  EXPECT_EQ(lines_in(counter), 1u);
}

TEST_F(Ssh, a_key_whose_first_run_never_finishes_fails_clearly) {
  const fs::path counter = scratch_ / "count";
  const std::string script = "echo ran >> " + counter.string() + "; sleep 4";
  SshRunner first, second;
  first.start(key("stuck"), host_, script, 10s);
  std::this_thread::sleep_for(300ms);
  second.start(key("stuck"), host_, script, 2s);
  auto b = wait_for(second, key("stuck"));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, Errc::busy);
  EXPECT_NE(b.error().message.find("was started on this host before and did not finish"),
            std::string::npos)
      << b.error().message;
  EXPECT_NE(b.error().message.find(".lock"), std::string::npos);
  EXPECT_EQ(lines_in(counter), 1u);
}

TEST_F(Ssh, many_runs_to_one_host_share_one_session) {
  SshRunner r(4);
  for (int i = 0; i < 6; ++i) {
    const std::string k = key("seq" + std::to_string(i));
    r.start(k, host_, "echo " + std::to_string(i), 10s);
    auto o = wait_for(r, k);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->output, std::to_string(i) + "\n");
  }
  EXPECT_EQ(r.connections_made(), 1u);

  SshRunner one_thread(1);
  for (int i = 0; i < 4; ++i)
    one_thread.start(key("par" + std::to_string(i)), host_, "true", 10s);
  for (int i = 0; i < 4; ++i) {
    auto o = wait_for(one_thread, key("par" + std::to_string(i)));
    ASSERT_TRUE(o) << o.error().message;
  }
  EXPECT_EQ(one_thread.connections_made(), 1u);
}

TEST_F(Ssh, a_session_the_host_closed_is_replaced_once) {
  // The script names the sshd process serving its connection; ending it closes that session.
  const std::string whose_sshd =
      "p=$$; while [ \"$p\" -gt 1 ]; do [ \"$(cat /proc/$p/comm)\" = sshd ] && { echo $p; exit 0; "
      "};"
      " p=$(awk '/^PPid:/ {print $2}' /proc/$p/status); done; exit 1";
  SshRunner r(1);
  r.start(key("first"), host_, whose_sshd, 10s);
  auto first = wait_for(r, key("first"));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->exit_code, 0) << first->output;
  const pid_t server = std::stoi(first->output);
  ASSERT_EQ(kill(server, SIGTERM), 0);
  for (int i = 0; i < 100 && kill(server, 0) == 0; ++i)
    std::this_thread::sleep_for(20ms);

  r.start(key("second"), host_, "echo again", 10s);
  auto second = wait_for(r, key("second"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->output, "again\n");
  EXPECT_EQ(r.connections_made(), 2u);
}

TEST_F(Ssh, an_unknown_or_forgotten_key_is_not_found) {
  SshRunner r(1);
  auto none = r.poll(key("never"));
  ASSERT_TRUE(none.has_value());
  ASSERT_FALSE(*none);
  EXPECT_EQ(none->error().code, Errc::not_found);
  SshHost nowhere = host_;
  nowhere.port = 1;  // whether or not it began, it leaves nothing behind on the test's sshd
  r.start(key("gone"), nowhere, "true", 5s);
  r.forget(key("gone"));
  auto gone = r.poll(key("gone"));
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(*gone);
}

TEST(SshNames, keys_become_safe_distinct_file_names) {
  EXPECT_EQ(SshRunner::host_name_of("rev-12.step_3.web"), "rev-12.step_3.web");
  const std::string odd = SshRunner::host_name_of("a/b c;$(rm -rf ~)");
  EXPECT_EQ(
      odd.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"),
      std::string::npos);
  EXPECT_NE(SshRunner::host_name_of("a/b"), SshRunner::host_name_of("a_b"));
  EXPECT_NE(SshRunner::host_name_of("a/b"), SshRunner::host_name_of("a:b"));
  const std::string long_key(300, 'k');
  EXPECT_LE(SshRunner::host_name_of(long_key).size(), 64u);
  EXPECT_NE(SshRunner::host_name_of(long_key), SshRunner::host_name_of(long_key + "x"));
  EXPECT_FALSE(SshRunner::host_name_of("").empty());
}

}  // namespace
}  // namespace ris::deploy
