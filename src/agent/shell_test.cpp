#include "ris/agent/shell.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace ris::agent {
namespace {
using namespace std::chrono_literals;

struct Captured {
  std::string out, err;
  OutputSink sink() {
    return [this](std::string_view stream, std::string_view data) {
      (stream == "stdout" ? out : err) += data;
    };
  }
};

// Running or sleeping; a killed process waiting to be reaped by init (a zombie) does not count.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_s, comm, state;
  return stat >> pid_s >> comm >> state && state != "Z" && state != "X";
}

size_t open_fds() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                           std::filesystem::directory_iterator()));
}

TEST(Shell, streams_stdout_and_stderr_and_reports_the_exit_code) {
  Captured c;
  CancelFlag cancel;
  auto r = run_shell({.script = "echo out; echo err >&2; exit 3"}, c.sink(), cancel);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.out, "out\n");
  EXPECT_EQ(c.err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
}

TEST(Shell, argv_env_cwd_and_stdin) {
  Captured c;
  CancelFlag cancel;
  auto r = run_shell({.argv = {"sh", "-c", "echo $GREETING; pwd; cat"},
                      .env = {{"GREETING", "hello"}},
                      .working_directory = "/tmp",
                      .stdin_data = "from stdin"},
                     c.sink(), cancel);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.out, "hello\n/tmp\nfrom stdin");
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Shell, missing_program_exits_127_with_a_message) {
  Captured c;
  CancelFlag cancel;
  auto r = run_shell({.argv = {"/nonexistent/program"}}, c.sink(), cancel);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_NE(c.err.find("cannot execute"), std::string::npos);
}

TEST(Shell, timeout_kills_the_whole_process_group) {
  const auto pidfile =
      std::filesystem::temp_directory_path() / ("ris-shell-" + std::to_string(getpid()));
  Captured c;
  CancelFlag cancel;
  const auto fds = open_fds();
  auto r = run_shell(
      {.script = "sleep 100 & echo $! > " + pidfile.string() + "; sleep 100", .timeout = 500ms},
      c.sink(), cancel);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->timed_out);
  EXPECT_TRUE(r->signal.has_value());
  pid_t background = 0;
  std::ifstream(pidfile) >> background;
  ASSERT_GT(background, 0);
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(alive(background)) << "the background child survived";
  std::filesystem::remove(pidfile);
  EXPECT_EQ(open_fds(), fds) << "descriptors leaked";
}

TEST(Shell, cancel_from_another_thread_stops_promptly) {
  Captured c;
  CancelFlag cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(200ms);
    cancel.cancelled = true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = run_shell({.script = "sleep 30"}, c.sink(), cancel);
  t.join();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Shell, invalid_specs_are_refused) {
  Captured c;
  CancelFlag cancel;
  EXPECT_FALSE(run_shell({}, c.sink(), cancel));
  EXPECT_FALSE(run_shell({.argv = {"true"}, .script = "true"}, c.sink(), cancel));
  EXPECT_FALSE(run_shell({.argv = {"true"}, .user = "no-such-user-here"}, c.sink(), cancel));
}
}  // namespace
}  // namespace ris::agent
