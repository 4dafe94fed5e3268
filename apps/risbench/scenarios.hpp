// risbench's scenarios (issue 6): capacity, latency, fan-out, throughput, peer. Each run starts
// its own risd (on a data directory kept between runs), measures, and returns one JSON object of
// figures; run_scenario repeats it and reports the medians.
#pragma once
#include <boost/json/object.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace ris::bench {

struct BenchOptions {
  std::filesystem::path self;         // this binary, for worker processes
  std::filesystem::path risd;         // the risd binary
  std::filesystem::path work;         // risd data, identity cache, logs
  std::filesystem::path results;      // where <scenario>.json and <scenario>.md go ("" = none)
  std::filesystem::path nats_server;  // for the peer scenario
  int runs = 3;
  size_t agents = 0;  // 0: the scenario's default
  size_t per_process = 5000;
  double rate = 1000;  // latency: tasks per second
  int duration = 10;   // latency: seconds
  size_t subscribers = 100;
  size_t messages = 500;  // per throughput run
  size_t schedules = 10;  // schedules: how many fire every second
  size_t clients = 16;    // kv: client threads, each with its own connection
  int port = 0;           // risd's; 0: a free one
  size_t servers = 1;     // >1: a cluster on PostgreSQL (RIS_DATABASE_URL) and nats-server
  std::string name;       // result files' name ("" = the scenario's)
  std::string command;    // as run, recorded with the results
};

// The p-th percentile (nearest rank) of `v`; 0 when empty.
double percentile(std::vector<double> v, double p);
// The kv scenario (kv_bench.cpp).
boost::json::object kv(const BenchOptions& o);
// The queues scenario (queue_bench.cpp).
boost::json::object queues(const BenchOptions& o);

// The deploy scenario (deploy_bench.cpp): reading and planning a 1,000-service file.
boost::json::object deploy(const BenchOptions& o);

// Runs `name` opts.runs times; prints a summary, writes results; returns the summary JSON.
boost::json::object run_scenario(const std::string& name, const BenchOptions& opts);

}  // namespace ris::bench
