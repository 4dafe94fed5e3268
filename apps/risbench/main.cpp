// risbench: load generator and benchmark driver for risd (see BENCHMARKS.md).
//   risbench SCENARIO [options]   capacity | latency | fanout | throughput | peer
//   risbench sim …                (worker) simulated agents
//   risbench subscribe …          (worker) WebSocket subscribers
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios.hpp"
#include "workers.hpp"

namespace {

constexpr const char* kUsage = R"(usage: risbench SCENARIO [options]

Scenarios (each starts its own risd, runs --runs times, prints medians):
  capacity     N agents connected and heartbeating: risd RSS per agent, idle CPU (with
               --servers: RSS per agent of each server, connect time over the cluster)
  latency      echo tasks at --rate to N agents: submit -> result stored, p50/p90/p99/max
  fanout       one task to all N agents: until every result is stored
  throughput   output chunks agent -> risd, and events risd -> /events/v1 subscribers
  peer         throughput, plus the same subscriber fan-out through nats-server
  rehome       --servers N (>= 2): N agents all on server 2, which is killed (SIGKILL); the
               time until each is accepted again by another server, p50/p90/p99/max
  schedules    --schedules K at @every 1s, each an echo task, for --duration: how late each
               fire started after it was due, p50/p99/max
  kv           --clients C doing compare-and-set writes, then reads, for --duration each; then
               a watch on the last server of writes on the first: writes/s, reads/s, p50/p99
  queues       --clients C publishing 1 KiB messages for --duration, then consuming them
               (pull 100, ack the batch): msgs/s; then --rate msgs/s published while consumers
               pull: publish -> consumer holds it, p50/p99; with --servers, the same
               JetStream straight (raw msgs/s) and the ratios
  deploy       a deployment file of 1,000 services on 100 nodes read, checked and planned
               (no risd): p50/p99 ms of each; with --agents N, a risd applies 50 services
               (RISBENCH_SERVICES) over N simulated agents and 20 sshd (RISBENCH_SSH_HOSTS):
               full apply and no-op converge, seconds and hosts per minute

Options:
  --agents N           simulated agents (capacity 1000, latency 100, fanout 1000, throughput 10)
  --per-process N      agents per worker process (5000; a process may hold 20,000 files)
  --rate R             latency: tasks per second; queues: messages per second (1000)
  --duration S         latency, schedules: seconds of load (10)
  --schedules K        schedules: how many (10)
  --clients C          kv, queues: client threads, one connection each (16)
  --subscribers K      throughput/peer: WebSocket subscribers (100)
  --messages M         throughput/peer: messages per stream (500)
  --runs R             repetitions; medians are reported (3)
  --risd PATH          the risd binary (next to risbench)
  --nats-server PATH   for peer (/usr/sbin/nats-server)
  --work DIR           risd data (kept: agent certificates are issued once), logs (bench/work)
  --results DIR        write SCENARIO.json and SCENARIO.md there
  --name NAME          … as NAME.json and NAME.md instead
  --port P             risd's port (a free one)
  --servers N          latency/fanout/capacity/rehome/schedules/kv/queues on a cluster of N risd: PostgreSQL (RIS_DATABASE_URL) and
                       a nats-server of its own; agents spread over the servers by worker
                       process (set --per-process to agents/N), tasks submitted to the first

Examples:
  risbench capacity --agents 19500 --per-process 5000
  risbench latency --agents 100 --rate 1000 --duration 10
)";

std::string need(int& i, int argc, char** argv) {
  if (i + 1 >= argc)
    throw std::invalid_argument(std::string(argv[i]) + " needs a value");
  return argv[++i];
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  for (size_t from = 0; from <= list.size();) {
    const size_t comma = std::min(list.find(',', from), list.size());
    if (comma > from)
      out.push_back(list.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

std::filesystem::path self_path() {
  return std::filesystem::read_symlink("/proc/self/exe");
}

// Simulated fleets need many descriptors: take what the hard limit allows.
void raise_open_files_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int worker(const std::string& kind, int argc, char** argv) {
  ris::bench::SimOptions sim;
  ris::bench::SubscribeOptions sub;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--server")
      sim.server = need(i, argc, argv);
    else if (a == "--ca")
      sim.ca_file = sub.ca_file = need(i, argc, argv);
    else if (a == "--identities")
      sim.identities = need(i, argc, argv);
    else if (a == "--from")
      sim.from = std::stoul(need(i, argc, argv));
    else if (a == "--to")
      sim.to = std::stoul(need(i, argc, argv));
    else if (a == "--servers")
      sim.servers = split_commas(need(i, argc, argv));
    else if (a == "--kind")
      sub.kind = need(i, argc, argv);
    else if (a == "--url")
      sub.url = need(i, argc, argv);
    else if (a == "--token")
      sub.token = need(i, argc, argv);
    else if (a == "--space")
      sub.space = need(i, argc, argv);
    else if (a == "--task")
      sub.task = need(i, argc, argv);
    else if (a == "--subject")
      sub.subject = need(i, argc, argv);
    else if (a == "--connections")
      sub.connections = std::stoul(need(i, argc, argv));
    else if (a == "--expect")
      sub.expect = std::stoul(need(i, argc, argv));
    else
      throw std::invalid_argument("unknown option " + a);
  }
  return kind == "sim" ? ris::bench::run_sim(sim) : ris::bench::run_subscribers(sub);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  raise_open_files_limit();
  try {
    const std::string scenario = argv[1];
    if (scenario == "sim" || scenario == "subscribe")
      return worker(scenario, argc, argv);
    ris::bench::BenchOptions o;
    o.self = self_path();
    o.risd = o.self.parent_path() / "risd";
    o.work = "bench/work";
    o.nats_server = "/usr/sbin/nats-server";
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--agents")
        o.agents = std::stoul(need(i, argc, argv));
      else if (a == "--per-process")
        o.per_process = std::max<size_t>(1, std::stoul(need(i, argc, argv)));
      else if (a == "--rate")
        o.rate = std::stod(need(i, argc, argv));
      else if (a == "--duration")
        o.duration = std::stoi(need(i, argc, argv));
      else if (a == "--subscribers")
        o.subscribers = std::max<size_t>(2, std::stoul(need(i, argc, argv)));
      else if (a == "--clients")
        o.clients = std::max<size_t>(1, std::stoul(need(i, argc, argv)));
      else if (a == "--schedules")
        o.schedules = std::max<size_t>(1, std::stoul(need(i, argc, argv)));
      else if (a == "--messages")
        o.messages = std::max<size_t>(1, std::stoul(need(i, argc, argv)));
      else if (a == "--runs")
        o.runs = std::max(1, std::stoi(need(i, argc, argv)));
      else if (a == "--risd")
        o.risd = need(i, argc, argv);
      else if (a == "--nats-server")
        o.nats_server = need(i, argc, argv);
      else if (a == "--work")
        o.work = need(i, argc, argv);
      else if (a == "--results")
        o.results = need(i, argc, argv);
      else if (a == "--name")
        o.name = need(i, argc, argv);
      else if (a == "--port")
        o.port = std::stoi(need(i, argc, argv));
      else if (a == "--servers")
        o.servers = std::max<size_t>(1, std::stoul(need(i, argc, argv)));
      else
        throw std::invalid_argument("unknown option " + a + " (risbench --help)");
    }
    o.work = std::filesystem::absolute(o.work);
    o.command = "risbench";
    for (int i = 1; i < argc; ++i)
      o.command += std::string(" ") + argv[i];
    ris::bench::run_scenario(scenario, o);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "risbench: %s\n", e.what());
    return 1;
  }
}
