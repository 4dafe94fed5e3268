#include "ris/services/spec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ris::services {
namespace {
namespace json = boost::json;

Result<ServiceSpec> parse(std::string_view text) {
  return parse_service_spec(json::parse(text).as_object());
}

TEST(ServiceSpec, minimal_spec_takes_defaults) {
  auto s = parse(R"({"name": "web", "image": "busybox:ris"})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->replicas, 1);
  EXPECT_EQ(s->restart_policy, "unless-stopped");
  EXPECT_EQ(s->update.failure_action, "rollback");
  EXPECT_EQ(s->update.parallelism, 1);
}

TEST(ServiceSpec, errors_name_the_field) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"image": "x"})", "\"name\""},
      {R"({"name": "Web!", "image": "x"})", "\"name\""},
      {R"({"name": "web"})", "\"image\""},
      {R"({"name": "web", "image": "x", "replicas": 1000})", "\"replicas\""},
      {R"({"name": "web", "image": "x", "restart_policy": "sometimes"})", "\"restart_policy\""},
      {R"({"name": "web", "image": "x", "ports": [{"host": 80}]})", "\"ports.container\""},
      {R"({"name": "web", "image": "x", "mounts": [{"source": "/a", "target": "b"}]})",
       "\"mounts.target\""},
      {R"({"name": "web", "image": "x", "health_check": {"test": ["true"]}})",
       "\"health_check.test\""},
      {R"({"name": "web", "image": "x", "labels": {"ris.space": "s"}})", "\"labels.ris.space\""},
      {R"({"name": "web", "image": "x", "env": {"A": "1"}, "secret_env": {"A": "2"}})",
       "\"secret_env.A\""},
      {R"({"name": "web", "image": "x", "update": {"failure_action": "panic"}})",
       "\"update.failure_action\""},
      {R"({"name": "web", "image": "x", "target": {"agents": ["a"], "selector": "x=y"}})",
       "\"target\""},
  };
  for (const auto& c : cases) {
    auto s = parse(c.json);
    ASSERT_FALSE(s) << c.json;
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
    EXPECT_NE(s.error().message.find(c.field), std::string::npos)
        << c.json << " → " << s.error().message;
  }
}

TEST(ServiceSpec, secrets_are_masked_unless_asked_for) {
  auto s = parse(R"({"name": "db", "image": "x", "secret_env": {"PASSWORD": "hunter2"}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(to_json(*s, false).at("secret_env").at("PASSWORD").as_string(), kSecretMask);
  EXPECT_EQ(to_json(*s, true).at("secret_env").at("PASSWORD").as_string(), "hunter2");
  // The round trip through the canonical form is lossless.
  auto again = parse_service_spec(to_json(*s, true));
  ASSERT_TRUE(again);
  EXPECT_EQ(container_hash(*again, 0), container_hash(*s, 0));
}

TEST(ServiceSpec, hash_follows_the_container_shape_only) {
  auto a = parse(R"({"name": "web", "image": "x", "replicas": 2})");
  auto b = parse(R"({"name": "web", "image": "x", "replicas": 5, "update": {"parallelism": 2}})");
  auto c = parse(R"({"name": "web", "image": "x", "env": {"A": "1"}})");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(container_hash(*a, 0), container_hash(*b, 0));
  EXPECT_NE(container_hash(*a, 0), container_hash(*c, 0));
  EXPECT_NE(container_hash(*a, 0), container_hash(*a, 1)) << "a restart replaces containers";
}

TEST(ServiceSpec, create_body_carries_labels_env_and_limits) {
  auto s = parse(R"({"name": "web", "image": "busybox:ris", "command": ["httpd", "-f"],
                     "env": {"A": "1"}, "secret_env": {"S": "x"}, "memory_bytes": 67108864,
                     "cpus": 0.5, "network_mode": "host", "ports": [{"container": 80, "host": 8080}],
                     "health_check": {"test": ["CMD", "true"], "interval_seconds": 1}})");
  ASSERT_TRUE(s) << s.error().message;
  auto body = container_create_body(*s, "svc1", "sp1", "ag1", 3, "h", 1);
  EXPECT_EQ(body.at("Labels").at("ris.service").as_string(), "svc1");
  EXPECT_EQ(body.at("Labels").at("ris.replica").as_string(), "1");
  EXPECT_EQ(body.at("HostConfig").at("Memory").as_int64(), 67108864);
  EXPECT_EQ(body.at("HostConfig").at("NanoCpus").as_int64(), 500000000);
  EXPECT_EQ(body.at("HostConfig").at("NetworkMode").as_string(), "host");
  EXPECT_EQ(body.at("Healthcheck").at("Interval").as_int64(), 1000000000);
  const auto& env = body.at("Env").as_array();
  EXPECT_NE(std::find(env.begin(), env.end(), json::value("S=x")), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), json::value("RIS_REPLICA=1")), env.end());
  EXPECT_EQ(body.at("HostConfig").at("PortBindings").at("80/tcp").at(0).at("HostPort").as_string(),
            "8080");
}

}  // namespace
}  // namespace ris::services
