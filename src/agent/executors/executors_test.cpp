// The built-in executors through the TaskExecutor interface, as the agent calls them.
#include <gtest/gtest.h>

#include "agent/executors/builtin.hpp"
#include "ris/core/time.hpp"

namespace ris::agent {
namespace {
using namespace std::chrono_literals;

struct Output {
  std::string out, err;
  OutputSink sink() {
    return [this](std::string_view stream, std::string_view data) {
      (stream == "stdout" ? out : err) += data;
    };
  }
};

struct Runner {
  Output output;
  CancelFlag cancel;
  RunOutcome with(const TaskExecutor& e, boost::json::object params,
                  std::optional<std::chrono::seconds> timeout = std::nullopt) {
    return e.run(RunContext{"run-1", std::move(params), timeout, output.sink(), cancel});
  }
};

TEST(Executors, ping_answers_with_the_agents_clock) {
  auto ping = make_ping_executor();
  EXPECT_EQ(ping->type(), "ping");
  EXPECT_TRUE(ping->available());
  Runner r;
  auto out = r.with(*ping, {});
  EXPECT_EQ(out.status, "succeeded");
  const auto& pong = out.extra.at("result").at("pong").as_string();
  EXPECT_TRUE(parse_rfc3339(pong).has_value()) << pong;
  EXPECT_EQ(r.output.out, "");
}

TEST(Executors, echo_writes_the_message_to_stdout_and_returns_it) {
  auto echo = make_echo_executor();
  EXPECT_EQ(echo->type(), "echo");
  EXPECT_TRUE(echo->available());
  Runner r;
  auto out = r.with(*echo, {{"message", "hello fleet"}});
  EXPECT_EQ(out.status, "succeeded");
  EXPECT_EQ(out.extra.at("exit_code").as_int64(), 0);
  EXPECT_EQ(out.extra.at("result").at("echo").as_string(), "hello fleet");
  EXPECT_EQ(r.output.out, "hello fleet");
  EXPECT_EQ(r.output.err, "");
}

TEST(Executors, echo_without_a_message_echoes_nothing) {
  Runner r;
  auto out = r.with(*make_echo_executor(), {});
  EXPECT_EQ(out.status, "succeeded");
  EXPECT_EQ(out.extra.at("result").at("echo").as_string(), "");
}

TEST(Executors, shell_reports_exit_code_and_output) {
  Runner r;
  auto out = r.with(*make_shell_executor(), {{"script", "echo out; echo err >&2; exit 3"}});
  EXPECT_EQ(out.status, "failed");
  EXPECT_EQ(out.extra.at("exit_code").as_int64(), 3);
  EXPECT_EQ(r.output.out, "out\n");
  EXPECT_EQ(r.output.err, "err\n");
  auto ok = r.with(*make_shell_executor(), {{"argv", {"true"}}});
  EXPECT_EQ(ok.status, "succeeded");
}

TEST(Executors, shell_is_bounded_by_the_tasks_timeout) {
  Runner r;
  auto out = r.with(*make_shell_executor(), {{"script", "sleep 30"}}, 1s);
  EXPECT_EQ(out.status, "timed_out");
}

TEST(Executors, docker_without_a_daemon_is_unavailable_and_says_why) {
  DockerClient docker("/nonexistent/docker.sock");
  auto e = make_docker_executor(docker, "agent-1", [](const std::string&) -> Result<ImageArchive> {
    return fail(Errc::unavailable, "no server in this test");
  });
  EXPECT_EQ(e->type(), "docker");
  EXPECT_FALSE(e->available());
  Runner r;
  auto out = r.with(*e, {{"action", "info"}});
  EXPECT_EQ(out.status, "failed");
  EXPECT_NE(std::string(out.extra.at("error").as_string()).find("/nonexistent/docker.sock"),
            std::string::npos)
      << out.extra.at("error").as_string();
}

}  // namespace
}  // namespace ris::agent
