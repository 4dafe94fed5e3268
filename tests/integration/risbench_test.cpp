// risbench smoke runs: every scenario at a tiny size against a real risd (and nats-server for
// peer), checking that each measures what it says — all agents connected, every task's result
// stored, every subscriber served. Figures are not asserted (benchmarks, not timed tests).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>

#include "store/testing/test_database.hpp"
#include "support.hpp"

namespace ris::test {
namespace {
namespace json = boost::json;

class Risbench : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = std::filesystem::temp_directory_path() /
            ("risbench-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(work_);
  }
  void TearDown() override { std::filesystem::remove_all(work_); }

  // Runs one scenario once; returns its medians.
  json::object run(const std::string& scenario, const std::string& args) {
    auto [code, out] =
        run_command(std::string(RISBENCH_BINARY) + " " + scenario + " --runs 1 --risd " +
                    RISD_BINARY + " --work " + work_.string() + " --results " +
                    (work_ / "results").string() + " " + args + " 2>&1");
    EXPECT_EQ(code, 0) << out;
    std::ifstream in(work_ / "results" / (scenario + ".json"));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (text.empty())
      return {};
    auto result = json::parse(text).as_object();
    EXPECT_EQ(result.at("runs").as_array().size(), 1u);
    EXPECT_TRUE(std::filesystem::exists(work_ / "results" / (scenario + ".md")));
    return result.at("median").as_object();
  }
  double num(const json::object& o, const char* key) {
    return o.contains(key) ? o.at(key).to_number<double>() : -1;
  }

  std::filesystem::path work_;
};

TEST_F(Risbench, capacity_connects_every_agent_and_reads_risd_memory) {
  auto m = run("capacity", "--agents 40 --per-process 15");
  EXPECT_EQ(num(m, "connected"), 40);
  EXPECT_GT(num(m, "risd_rss_mib"), 1);
  EXPECT_GT(num(m, "open_files_limit"), 1000) << "risd reports its raised descriptor limit";
}

TEST_F(Risbench, latency_gets_every_result_back) {
  auto m = run("latency", "--agents 10 --rate 100 --duration 2");
  EXPECT_EQ(num(m, "submitted"), 200);
  EXPECT_EQ(num(m, "completed"), 200);
  EXPECT_GT(num(m, "p50_ms"), 0);
  EXPECT_LE(num(m, "p50_ms"), num(m, "p99_ms"));
}

TEST_F(Risbench, fanout_stores_every_result) {
  auto m = run("fanout", "--agents 30");
  EXPECT_EQ(num(m, "completed"), 30);
  EXPECT_GT(num(m, "all_results_stored_ms"), 0);
}

TEST_F(Risbench, schedules_measures_how_late_each_fire_started) {
  auto m = run("schedules", "--agents 3 --schedules 3 --duration 4");
  EXPECT_GE(num(m, "fires_started"), 6) << "three schedules firing every second for 4 s";
  EXPECT_EQ(num(m, "fires_not_started"), 0);
  EXPECT_GE(num(m, "lateness_p50_ms"), 0);
  EXPECT_LE(num(m, "lateness_p50_ms"), num(m, "lateness_p99_ms"));
}

TEST_F(Risbench, kv_measures_writes_reads_and_watch_latency) {
  auto m = run("kv", "--clients 2 --duration 1");
  EXPECT_GT(num(m, "cas_writes_per_s"), 0);
  EXPECT_EQ(num(m, "cas_conflicts"), 0) << "each client compares against its own last write";
  // Nearly every request answers: under the ASan build on a loaded machine a few in a hundred
  // have failed (risbench prints the last failure to stderr; its cause is not known yet).
  EXPECT_LE(num(m, "errors"), 0.1 * (num(m, "cas_writes_per_s") + num(m, "reads_per_s")));
  EXPECT_GT(num(m, "reads_per_s"), 0);
  EXPECT_EQ(num(m, "watch_events"), 250) << "the watcher saw every write";
}

TEST_F(Risbench, queues_measures_publish_consume_and_latency) {
  auto m = run("queues", "--clients 2 --duration 1 --rate 50");
  EXPECT_GT(num(m, "publish_per_s"), 0);
  EXPECT_GT(num(m, "publish_batched_per_s"), 0);
  EXPECT_EQ(num(m, "consumed_of_published"), 1) << "every message published was consumed";
  EXPECT_GT(num(m, "consume_per_s"), 0);
  EXPECT_GT(num(m, "latency_p50_ms"), 0);
  EXPECT_LE(num(m, "latency_p50_ms"), num(m, "latency_p99_ms"));
  EXPECT_EQ(num(m, "errors"), 0);
}

TEST_F(Risbench, throughput_streams_to_risd_and_to_subscribers) {
  auto m = run("throughput", "--agents 3 --subscribers 4 --messages 50");
  for (const char* k : {"agent_to_server_msgs_per_s_64b", "server_to_subscribers_msgs_per_s_64b",
                        "agent_to_server_msgs_per_s_1kib", "server_to_subscribers_msgs_per_s_1kib"})
    EXPECT_GT(num(m, k), 0) << k;
}

TEST_F(Risbench, peer_measures_ris_and_nats_side_by_side) {
  auto m = run("peer", "--agents 3 --subscribers 4 --messages 50");
  for (const char* k : {"agent_to_server_msgs_per_s_64b", "server_to_subscribers_msgs_per_s_64b",
                        "agent_to_server_msgs_per_s_1kib", "server_to_subscribers_msgs_per_s_1kib",
                        "nats_server_to_subscribers_msgs_per_s_64b",
                        "nats_server_to_subscribers_msgs_per_s_1kib", "ris_over_nats_64b"})
    EXPECT_GT(num(m, k), 0) << k;
}

// A cluster on PostgreSQL (registered for the PostgreSQL pass only): risbench starts two or more
// risd on one database and a nats-server of its own.
class PostgresRisbench : public Risbench {
 protected:
  void SetUp() override {
    Risbench::SetUp();
    setenv("RIS_DATABASE_URL", store::testing::fresh_database_url(work_).c_str(), 1);
  }
  void TearDown() override {
    unsetenv("RIS_DATABASE_URL");
    Risbench::TearDown();
  }
};

TEST_F(PostgresRisbench, rehome_brings_every_agent_of_a_killed_server_to_the_others) {
  auto m = run("rehome", "--servers 3 --agents 20 --per-process 10");
  EXPECT_EQ(num(m, "rehomed"), 20);
  EXPECT_GT(num(m, "rehome_p50_s"), 0);
  EXPECT_LE(num(m, "rehome_p50_s"), num(m, "rehome_max_s"));
  EXPECT_GT(num(m, "all_counted_by_survivors_s"), 0) << "the two survivors count all 20";
}

TEST_F(PostgresRisbench, queues_on_jetstream_compares_with_the_same_jetstream_straight) {
  auto m = run("queues", "--servers 2 --clients 2 --duration 1 --rate 50");
  EXPECT_EQ(num(m, "consumed_of_published"), 1) << "every message published was consumed";
  EXPECT_GT(num(m, "raw_publish_per_s"), 0);
  EXPECT_GT(num(m, "raw_consume_per_s"), 0);
  EXPECT_GT(num(m, "publish_ratio"), 0);
  EXPECT_GT(num(m, "consume_ratio"), 0);
  EXPECT_EQ(num(m, "errors"), 0);
}

TEST_F(PostgresRisbench, capacity_spreads_agents_over_the_servers) {
  auto m = run("capacity", "--servers 2 --agents 20 --per-process 5");
  EXPECT_EQ(num(m, "servers"), 2);
  EXPECT_EQ(num(m, "connected"), 20);
  EXPECT_GT(num(m, "risd_rss_mib"), 1);
}

}  // namespace
}  // namespace ris::test
