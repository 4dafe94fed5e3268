// Plans: waves by dependency, changes against the live state, and a hash that names the plan.
#include "ris/deploy/plan.hpp"

#include <gtest/gtest.h>

namespace ris::deploy {
namespace {

const char* kFile = R"(nodes: {n: {agent: a}}
services:
  web: {kind: shell, on: n, shell: {start: web}, depends_on: [api]}
  db: {kind: shell, on: n, shell: {start: db}}
  api: {kind: shell, on: n, shell: {start: api}, depends_on: [db]}
  cache: {kind: shell, on: n, shell: {start: cache}}
)";

Deployment read(const char* text) {
  auto r = read_deployment(text, "");
  EXPECT_TRUE(r.deployment) << format_diagnostics("f", r.diagnostics);
  return r.deployment ? *r.deployment : Deployment{};
}

std::vector<std::vector<std::string>> names(const Plan& p) {
  std::vector<std::vector<std::string>> out;
  for (const auto& w : p.waves) {
    out.emplace_back();
    for (const auto& s : w)
      out.back().push_back(s.service);
  }
  return out;
}

TEST(Plan, services_come_in_waves_after_what_they_depend_on) {
  const auto p = make_plan(read(kFile), {});
  EXPECT_EQ(names(p), (std::vector<std::vector<std::string>>{{"cache", "db"}, {"api"}, {"web"}}));
  for (const auto& w : p.waves)
    for (const auto& s : w)
      EXPECT_EQ(s.change, Change::create);
  EXPECT_TRUE(p.hash.starts_with("sha256:")) << p.hash;
}

TEST(Plan, against_the_live_state_it_says_what_changes_field_by_field) {
  const auto d = read(kFile);
  Live live;
  for (const auto& s : d.services)
    live[s.name] = s.spec;
  live["api"].at("shell").as_object()["start"] = "api --old";
  live["gone"] = live["cache"];
  live.erase("cache");
  const auto p = make_plan(d, live);
  ASSERT_EQ(p.waves.size(), 4u);
  EXPECT_EQ(p.waves[0][0].change, Change::create);     // cache
  EXPECT_EQ(p.waves[0][1].change, Change::unchanged);  // db
  EXPECT_EQ(p.waves[1][0].change, Change::update);     // api
  EXPECT_EQ(p.waves[1][0].fields, std::vector<std::string>{"/shell/start"});
  EXPECT_EQ(p.waves[3][0].service, "gone");
  EXPECT_EQ(p.waves[3][0].change, Change::remove);
}

TEST(Plan, the_hash_is_the_same_for_the_same_inputs_and_differs_otherwise) {
  const auto d = read(kFile);
  EXPECT_EQ(make_plan(d, {}).hash, make_plan(read(kFile), {}).hash);
  Live live{{"db", d.services[1].spec}};
  EXPECT_NE(make_plan(d, {}).hash, make_plan(d, live).hash);
  auto other = d;
  other.environment = "prod";
  EXPECT_NE(make_plan(d, {}).hash, make_plan(other, {}).hash);
}

}  // namespace
}  // namespace ris::deploy
