// Plans: waves by dependency, changes against the live state, and a hash that names the plan.
#include "ris/deploy/plan.hpp"

#include <gtest/gtest.h>

#include "revision_steps.hpp"

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

// An automatic rollback: what the failed revision touched returns to the applied revision, what
// it created goes (run on the failed revision's nodes), and what it never began is left alone.
TEST(Rollback, returns_touched_services_to_the_applied_revision_and_removes_what_was_created) {
  auto revision_of = [](const char* file, int64_t n) {
    Revision r;
    r.id = "rev" + std::to_string(n);
    r.revision = n;
    r.file = file;
    r.created_by = "acct";
    for (const auto& s : read(file).services)
      r.specs[s.name] = s.spec;
    return r;
  };
  const Revision applied = revision_of(R"(nodes: {n: {agent: a}}
services:
  db: {kind: shell, on: n, shell: {start: db-v1}}
  web: {kind: shell, on: n, shell: {start: web-v1}, depends_on: [db]}
)",
                                       1);
  const Revision failed = revision_of(R"(nodes: {n: {agent: a}, m: {agent: b}}
services:
  db: {kind: shell, on: n, shell: {start: db-v2}}
  cache: {kind: shell, on: m, shell: {start: cache}}
  web: {kind: shell, on: n, shell: {start: web-v2}, depends_on: [db, cache]}
)",
                                      2);
  auto made = rollback_of(failed, applied, {"db", "cache"}, "2026-12-03T00:00:00Z");
  ASSERT_TRUE(made) << made.error().message;
  const Revision& r = made->revision;
  EXPECT_EQ(r.kind, "rollback");
  EXPECT_EQ(r.on_failure, "stop");
  EXPECT_EQ(r.removes_from, failed.id);
  EXPECT_EQ(r.file, applied.file);
  std::map<std::string, std::string> change;
  for (const auto& st : made->steps)
    change[st.service + "@" + st.node] = st.change;
  EXPECT_EQ(change, (std::map<std::string, std::string>{
                        {"db@n", "update"}, {"cache@m", "remove"}, {"web@n", "unchanged"}}));

  // Nothing applied before: everything the failed revision began goes.
  auto first = rollback_of(failed, std::nullopt, {"db"}, "2026-12-03T00:00:00Z");
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->steps.size(), 1u);
  EXPECT_EQ(first->steps[0].change, "remove");
  EXPECT_EQ(first->steps[0].service, "db");
}

// on_failure and rollout are read, checked and overlaid per environment.
TEST(Policy, on_failure_and_rollout_are_read_and_checked) {
  const char* file = R"(on_failure: rollback
nodes: {n: {agent: a}}
services:
  web: {kind: shell, on: n, shell: {start: w}, rollout: {batch_size: 2, max_failure_percent: 25}}
environments:
  dev: {on_failure: stop}
)";
  auto prod = read_deployment(file, "");
  ASSERT_TRUE(prod.deployment) << format_diagnostics("f", prod.diagnostics);
  EXPECT_EQ(prod.deployment->on_failure, OnFailure::rollback);
  EXPECT_EQ(prod.deployment->services[0].spec.at("rollout").at("batch_size"), 2);
  auto dev = read_deployment(file, "dev");
  ASSERT_TRUE(dev.deployment) << format_diagnostics("f", dev.diagnostics);
  EXPECT_EQ(dev.deployment->on_failure, OnFailure::stop);
  auto bad = read_deployment(R"(on_failure: retry
nodes: {n: {agent: a}}
services:
  web: {kind: shell, on: n, shell: {start: w}, rollout: {batch_size: 0, percent: 5}}
)",
                             "");
  EXPECT_EQ(format_diagnostics("f", bad.diagnostics),
            "f:1:13: on_failure: 'retry': use stop (the default) or rollback\n"
            "f:4:70: services.web.rollout.batch_size: 0 is out of range (1 to 10000)\n"
            "f:4:73: services.web.rollout: unknown field 'percent' (expected one of: "
            "batch_size, max_failure_percent)\n");
}

}  // namespace
}  // namespace ris::deploy
