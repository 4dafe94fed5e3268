#include "agent/executor_registry.hpp"

#include <gtest/gtest.h>

#include "agent/executors/builtin.hpp"
#include "ris/fleet/task_types.hpp"

namespace ris::agent {
namespace {

// Counts its runs; available or not as told.
class FakeExecutor final : public TaskExecutor {
 public:
  FakeExecutor(std::string type, bool available, int* runs)
      : type_(std::move(type)), available_(available), runs_(runs) {}
  std::string_view type() const override { return type_; }
  bool available() const override { return available_; }
  RunOutcome run(const RunContext&) const override {
    ++*runs_;
    return {"succeeded", {{"result", type_}}};
  }

 private:
  std::string type_;
  bool available_;
  int* runs_;
};

RunOutcome run(const ExecutorRegistry& r, std::string_view type, boost::json::object params) {
  CancelFlag cancel;
  return r.run(type,
               RunContext{"run-1", std::move(params), std::nullopt, [](auto, auto) {}, cancel});
}

TEST(ExecutorRegistry, capabilities_are_the_available_executors_in_registration_order) {
  int runs = 0;
  ExecutorRegistry r;
  ASSERT_TRUE(r.add(std::make_unique<FakeExecutor>("echo", true, &runs)));
  ASSERT_TRUE(r.add(std::make_unique<FakeExecutor>("docker", false, &runs)));
  ASSERT_TRUE(r.add(std::make_unique<FakeExecutor>("ping", true, &runs)));
  EXPECT_EQ(r.capabilities(), (boost::json::array{"echo", "ping"}));
  EXPECT_EQ(r.types(), (std::vector<std::string_view>{"echo", "docker", "ping"}));
  ASSERT_NE(r.find("docker"), nullptr);
  EXPECT_EQ(r.find("docker")->type(), "docker");
  EXPECT_EQ(r.find("shell"), nullptr);
}

TEST(ExecutorRegistry, refuses_types_risd_does_not_know_and_second_executors) {
  int runs = 0;
  ExecutorRegistry r;
  auto unknown = r.add(std::make_unique<FakeExecutor>("telnet", true, &runs));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "no executor for \"telnet\": not a task type (shell, http, docker, echo, ping)");
  ASSERT_TRUE(r.add(std::make_unique<FakeExecutor>("echo", true, &runs)));
  auto twice = r.add(std::make_unique<FakeExecutor>("echo", true, &runs));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::conflict);
}

TEST(ExecutorRegistry, unregistered_type_fails_the_run_saying_so) {
  int runs = 0;
  ExecutorRegistry r;
  ASSERT_TRUE(r.add(std::make_unique<FakeExecutor>("ping", true, &runs)));
  auto out = run(r, "shell", {{"script", "true"}});
  EXPECT_EQ(out.status, "failed");
  EXPECT_EQ(out.extra.at("error").as_string(), "this agent cannot run tasks of type \"shell\"");
  out = run(r, "telnet", {});
  EXPECT_EQ(out.extra.at("error").as_string(), "this agent cannot run tasks of type \"telnet\"");
  EXPECT_EQ(runs, 0);
}

TEST(ExecutorRegistry, parameters_the_shared_validator_refuses_never_reach_the_executor) {
  int runs = 0;
  ExecutorRegistry r;
  ASSERT_TRUE(r.add(std::make_unique<FakeExecutor>("echo", true, &runs)));
  auto out = run(r, "echo", {{"message", 42}});
  EXPECT_EQ(out.status, "failed");
  EXPECT_EQ(out.extra.at("error").as_string(), "echo: \"message\" must be a string");
  EXPECT_EQ(runs, 0);
  out = run(r, "echo", {{"message", "hi"}});
  EXPECT_EQ(out.status, "succeeded");
  EXPECT_EQ(runs, 1);
}

TEST(ExecutorRegistry, builtin_executors_run_every_shared_task_type) {
  DockerClient docker("/nonexistent/docker.sock");
  auto r = builtin_executors({docker, "agent-1", [](const std::string&) -> Result<ImageArchive> {
                                return fail(Errc::unavailable, "no server in this test");
                              }});
  ASSERT_TRUE(r) << r.error().message;
  for (const auto& t : fleet::task_types())
    EXPECT_NE(r->find(t.name), nullptr) << t.name;
  EXPECT_EQ(r->types().size(), fleet::task_types().size());
  // Without a Docker daemon, the types that need nothing are what this agent offers.
  EXPECT_EQ(r->capabilities(), (boost::json::array{"ping", "echo", "shell", "http"}));
}

}  // namespace
}  // namespace ris::agent
