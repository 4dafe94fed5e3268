// Reading deployment files: what is accepted, and each problem at its line and column.
#include "ris/deploy/deployment.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>

namespace ris::deploy {
namespace {

const char* kThreeTiers = R"(version: 1
variables:
  api_port: "8080"
nodes:
  db1: {agent: db-host}
  webs:
    selector: {role: web}
  legacy:
    ssh:
      address: 127.0.0.1
      port: 2222
      user: deploy
      key: secret:deploy-key
      host_key: SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
services:
  db:
    kind: docker
    on: db1
    docker: {image: "postgres:15", env: {POSTGRES_DB: app}}
  api:
    kind: shell
    on: [webs, legacy]
    depends_on: [{service: db, condition: started}]
    health: {command: "curl -fs localhost:${api_port}/health", interval_seconds: 5, timeout_seconds: 2}
    shell:
      install: "apt-get install -y app"
      start: "systemctl start app"
      files:
        - {path: /etc/app.conf, content: "port=${api_port}\n", mode: "0644"}
  web-conf:
    kind: config
    on: webs
    depends_on: [{service: api, condition: healthy}]
    config:
      path: /etc/nginx/conf.d/app.conf
      content: "proxy_pass http://127.0.0.1:${api_port};"
      mode: "0644"
      reload: nginx -s reload
environments:
  prod:
    variables: {api_port: "9090"}
    nodes:
      webs: {selector: {role: web, env: prod}}
)";

std::string problems(const Read& r) {
  return format_diagnostics("f.yaml", r.diagnostics);
}

TEST(Deployment, a_three_tier_file_reads_with_its_nodes_services_and_variables) {
  auto r = read_deployment(kThreeTiers, "");
  ASSERT_TRUE(r.deployment) << problems(r);
  const auto& d = *r.deployment;
  ASSERT_EQ(d.nodes.size(), 3u);
  EXPECT_EQ(d.nodes[0].kind, NodeKind::agent);
  EXPECT_EQ(d.nodes[1].selector.at("role"), "web");
  EXPECT_EQ(d.nodes[2].ssh.port, 2222);
  EXPECT_EQ(d.nodes[2].ssh.key_secret, "deploy-key");
  ASSERT_EQ(d.services.size(), 3u);
  EXPECT_EQ(d.services[0].on, std::vector<std::string>{"db1"});
  EXPECT_EQ(d.services[1].on, (std::vector<std::string>{"webs", "legacy"}));
  EXPECT_EQ(d.services[2].depends_on[0].condition, Condition::healthy);
  EXPECT_EQ(d.services[2].spec.at("config").at("content"), "proxy_pass http://127.0.0.1:8080;");
  EXPECT_EQ(d.services[1].spec.at("health").at("interval_seconds"), 5);  // a number, not "5"
}

TEST(Deployment, an_environment_overlays_variables_and_nodes) {
  auto r = read_deployment(kThreeTiers, "prod");
  ASSERT_TRUE(r.deployment) << problems(r);
  EXPECT_EQ(r.deployment->environment, "prod");
  EXPECT_EQ(r.deployment->nodes[1].selector.size(), 2u);
  EXPECT_EQ(r.deployment->nodes[1].selector.at("env"), "prod");
  EXPECT_EQ(r.deployment->services[2].spec.at("config").at("content"),
            "proxy_pass http://127.0.0.1:9090;");
}

TEST(Deployment, an_unknown_environment_is_refused_with_the_ones_there_are) {
  auto r = read_deployment(kThreeTiers, "staging");
  ASSERT_FALSE(r.deployment);
  EXPECT_NE(problems(r).find("no environment 'staging' (the file has: prod)"), std::string::npos)
      << problems(r);
}

TEST(Deployment, a_cycle_is_named_at_the_dependency_that_closes_it) {
  auto r = read_deployment(R"(nodes: {n: {agent: a}}
services:
  a: {kind: shell, on: n, shell: {start: x}, depends_on: [b]}
  b: {kind: shell, on: n, shell: {start: x}, depends_on: [c]}
  c: {kind: shell, on: n, shell: {start: x}, depends_on: [a]}
)",
                           "");
  ASSERT_FALSE(r.deployment);
  ASSERT_EQ(r.diagnostics.size(), 1u) << problems(r);
  EXPECT_EQ(problems(r), "f.yaml:5:59: services.c.depends_on: dependency cycle: a → b → c → a\n");
}

TEST(Deployment, every_problem_is_reported_at_its_line_and_column) {
  auto r = read_deployment(R"(nodes:
  n: {agent: a}
  Bad_Name: {agent: b}
  two: {agent: a, selector: {x: y}}
  s:
    ssh: {address: h, user: u, key: "-----BEGIN KEY", host_key: abc}
services:
  api:
    kind: shel
    on: n
  web:
    kind: shell
    on: [n, nowhere]
    depends_on: [api, ghost, web]
    shell: {start: "run ${port}", restart: always}
    health: {command: x, http: "http://h", timeout_seconds: 9, interval_seconds: 3}
  conf:
    kind: config
    on: n
    config: {path: etc/x, mode: 644, content: a, template: b}
)",
                           "");
  ASSERT_FALSE(r.deployment);
  const std::string p = problems(r);
  for (const char* expected : {
           "f.yaml:3:3: nodes.Bad_Name: a node name is 1 to 63 lower-case",
           "f.yaml:4:3: nodes.two: give exactly one of agent",
           "f.yaml:6:37: nodes.s.ssh.key: a private key is never written in the file",
           "f.yaml:6:65: nodes.s.ssh.host_key: 'abc' is not a SHA256 fingerprint",
           "f.yaml:9:11: services.api.kind: 'shel': use docker, shell or config",
           "services.web.on: unknown node 'nowhere'",
           "services.web.depends_on: unknown service 'ghost'",
           "services.web.depends_on: a service cannot depend on itself",
           "f.yaml:14:23: services.web.depends_on: unknown service 'ghost'",
           "services.web.shell: unknown field 'restart' (expected one of: install, start, stop, "
           "files)",
           "variable 'port' is not set (under variables:)",
           "services.web.health: give exactly one of command",
           "services.web.health.timeout_seconds: must not be longer than interval_seconds",
           "f.yaml:20:20: services.conf.config.path: 'etc/x' is not an absolute path",
           "services.conf.config.mode: '644': write the mode as a quoted octal string",
           "services.conf.config: give exactly one of content or template",
       })
    EXPECT_NE(p.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << p;
  // A service whose own definition is wrong is still known to those that depend on it.
  EXPECT_EQ(p.find("unknown service 'api'"), std::string::npos) << p;
}

TEST(Deployment, a_docker_section_is_checked_as_a_service_spec_and_placement_is_on) {
  auto r = read_deployment(R"(nodes: {n: {agent: a}}
services:
  db:
    kind: docker
    on: n
    docker: {image: "", target_selector: "x=y"}
)",
                           "");
  ASSERT_FALSE(r.deployment);
  const std::string p = problems(r);
  EXPECT_NE(p.find("services.db.docker.target_selector: set by the deployment"), std::string::npos)
      << p;
  EXPECT_NE(p.find("f.yaml:6:13: services.db.docker:"), std::string::npos) << p;
}

TEST(Deployment, syntax_errors_empty_files_and_wrong_shapes_are_clear) {
  EXPECT_NE(problems(read_deployment("nodes: [unclosed", "")).find("f.yaml:1:"), std::string::npos);
  EXPECT_EQ(problems(read_deployment("", "")),
            "f.yaml:1:1: the file is empty: give nodes: and services:\n");
  EXPECT_NE(problems(read_deployment("- a\n- b\n", "")).find("the file: expected a mapping"),
            std::string::npos);
  EXPECT_NE(problems(read_deployment("nodes: {}\nservices: {}\nnodes: {}\n", ""))
                .find("f.yaml:3:1: duplicate key 'nodes'"),
            std::string::npos);
  EXPECT_NE(problems(read_deployment("nodes: {}\nservices: {}\nvershun: 1\n", ""))
                .find("unknown field 'vershun'"),
            std::string::npos);
}

TEST(Deployment, aliases_that_would_expand_past_the_limit_are_refused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'h'; ++c, ++prev)
    bomb += fmt::format("{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n", c, c, prev,
                        prev, prev, prev, prev, prev, prev, prev, prev, prev);
  auto r = read_deployment(bomb, "");
  ASSERT_FALSE(r.deployment);
  EXPECT_NE(problems(r).find("more than 200000 values"), std::string::npos) << problems(r);
}

TEST(Deployment, a_thousand_services_read_quickly_enough_to_validate_on_every_keystroke) {
  // Not a timing assertion (benchmarks measure): a thousand-service file reads without problems.
  std::string f = "nodes: {n: {agent: a}}\nservices:\n";
  for (int i = 0; i < 1000; ++i)
    f += fmt::format("  s{}: {{kind: shell, on: n, shell: {{start: run}}{}}}\n", i,
                     i == 0 ? "" : fmt::format(", depends_on: [s{}]", i / 2));
  auto r = read_deployment(f, "");
  ASSERT_TRUE(r.deployment) << problems(r);
  EXPECT_EQ(r.deployment->services.size(), 1000u);
}

}  // namespace
}  // namespace ris::deploy
