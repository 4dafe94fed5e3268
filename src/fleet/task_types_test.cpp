#include "ris/fleet/task_types.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ris::fleet {
namespace {
using boost::json::object;

object params(std::string_view json) {
  return boost::json::parse(json).as_object();
}

// The message a person sees when `type` refuses `json`; "" when it is accepted.
std::string refusal(std::string_view type, std::string_view json) {
  auto r = validate_parameters(type, params(json));
  if (r)
    return "";
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  return r.error().message;
}

TEST(TaskTypes, are_listed_once_in_the_order_people_see_them) {
  std::vector<std::string_view> names;
  for (const auto& t : task_types())
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"shell", "http", "docker", "echo", "ping"}));
  EXPECT_EQ(task_type_names(), "shell, http, docker, echo, ping");
  ASSERT_NE(find_task_type("docker"), nullptr);
  EXPECT_FALSE(find_task_type("docker")->needs.empty());
  EXPECT_TRUE(find_task_type("echo")->needs.empty());
  EXPECT_EQ(find_task_type("docker_management"), nullptr);
}

TEST(TaskTypes, unknown_type_is_refused_with_the_known_ones) {
  EXPECT_EQ(refusal("telnet", "{}"),
            "unknown task type \"telnet\" (shell, http, docker, echo, ping)");
  EXPECT_EQ(refusal("", "{}"), "unknown task type \"\" (shell, http, docker, echo, ping)");
}

TEST(TaskTypes, ping_takes_anything) {
  EXPECT_EQ(refusal("ping", "{}"), "");
  EXPECT_EQ(refusal("ping", R"({"whatever": [1, 2]})"), "");
}

TEST(TaskTypes, echo_message_must_be_a_string) {
  EXPECT_EQ(refusal("echo", R"({"message": "hi"})"), "");
  EXPECT_EQ(refusal("echo", "{}"), "");
  EXPECT_EQ(refusal("echo", R"({"message": 3})"), "echo: \"message\" must be a string");
}

TEST(TaskTypes, shell_needs_exactly_one_of_argv_or_script) {
  EXPECT_EQ(refusal("shell", R"({"argv": ["echo", "hi"], "env": {"A": "1"}, "user": "nobody"})"),
            "");
  EXPECT_EQ(refusal("shell", R"({"script": "echo hi", "stdin": "x", "working_directory": "/"})"),
            "");
  const std::string one_of = "shell: give exactly one of \"argv\" (array) or \"script\" (string)";
  EXPECT_EQ(refusal("shell", "{}"), one_of);
  EXPECT_EQ(refusal("shell", R"({"argv": ["a"], "script": "b"})"), one_of);
  const std::string argv = "shell: \"argv\" must be a non-empty array of strings";
  EXPECT_EQ(refusal("shell", R"({"argv": []})"), argv);
  EXPECT_EQ(refusal("shell", R"({"argv": "echo"})"), argv);
  EXPECT_EQ(refusal("shell", R"({"argv": ["echo", 1]})"), argv);
  EXPECT_EQ(refusal("shell", R"({"script": ["echo"]})"), "shell: \"script\" must be a string");
  EXPECT_EQ(refusal("shell", R"({"script": "x", "env": ["A=1"]})"),
            "shell: \"env\" must be an object of strings");
  EXPECT_EQ(refusal("shell", R"({"script": "x", "user": 0})"),
            "shell: working_directory, user and stdin must be strings");
}

TEST(TaskTypes, http_needs_an_http_url_and_a_bounded_body) {
  EXPECT_EQ(refusal("http", R"({"url": "https://example.org/", "method": "POST", "body": "x",
                                "headers": {"A": "b"}, "verify_tls": false,
                                "max_body_bytes": 262144})"),
            "");
  const std::string url = "http: \"url\" (http:// or https://) is required";
  EXPECT_EQ(refusal("http", "{}"), url);
  EXPECT_EQ(refusal("http", R"({"url": "ftp://example.org/"})"), url);
  EXPECT_EQ(refusal("http", R"({"url": "http://a/", "method": 1})"),
            "http: method and body must be strings");
  EXPECT_EQ(refusal("http", R"({"url": "http://a/", "headers": []})"),
            "http: \"headers\" must be an object of strings");
  EXPECT_EQ(refusal("http", R"({"url": "http://a/", "verify_tls": "no"})"),
            "http: \"verify_tls\" must be true or false");
  EXPECT_EQ(refusal("http", R"({"url": "http://a/", "max_body_bytes": 262145})"),
            "http: \"max_body_bytes\" must be between 0 and 262144");
}

TEST(TaskTypes, docker_checks_the_action_and_what_it_needs) {
  EXPECT_EQ(refusal("docker", R"({"action": "info"})"), "");
  EXPECT_EQ(refusal("docker", R"({"action": "logs", "container": "web"})"), "");
  EXPECT_EQ(refusal("docker", R"({"action": "start_service", "service_name": "s", "image": "i",
                                  "ports": ["80:80"], "environment": {"A": "1"}})"),
            "");
  EXPECT_EQ(refusal("docker", R"({"action": "reboot"})"),
            "docker: \"action\" must be one of info, version, images, image_inspect, "
            "image_remove, image_pull, containers, create, start, stop, restart, remove, "
            "inspect, logs, stats, events, service_logs, start_service, stop_service, "
            "restart_service, remove_service");
  EXPECT_EQ(refusal("docker", R"({"action": "stop"})"), "docker stop: \"container\" is required");
  EXPECT_EQ(refusal("docker", R"({"action": "image_pull", "image": ""})"),
            "docker image_pull: \"image\" is required");
  EXPECT_EQ(refusal("docker", R"({"action": "create"})"),
            "docker create: \"body\" (the Engine API's container create object) is required");
  EXPECT_EQ(refusal("docker", R"({"action": "stop_service"})"),
            "docker stop_service: \"service_name\" is required");
  EXPECT_EQ(refusal("docker", R"({"action": "start_service", "service_name": "s"})"),
            "docker start_service: \"image\" is required");
  EXPECT_EQ(refusal("docker", R"({"action": "start_service", "service_name": "s", "image": "i",
                                  "ports": "80:80"})"),
            "docker start_service: \"ports\" must be a list of \"HOST:CONTAINER\"");
}

TEST(TaskTypes, docker_read_only_actions_are_told_apart) {
  EXPECT_TRUE(docker_action_read_only("logs"));
  EXPECT_TRUE(docker_action_read_only("service_logs"));
  EXPECT_FALSE(docker_action_read_only("remove"));
  EXPECT_FALSE(docker_action_read_only("start_service"));
}

}  // namespace
}  // namespace ris::fleet
