#include "scenarios.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "fleet.hpp"
#include "observed.hpp"
#include "processes.hpp"
#include "ris/core/time.hpp"

namespace ris::bench {
namespace json = boost::json;
using namespace std::chrono_literals;

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

namespace {

double ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

// Simulated agents [0, count) spread over worker processes, reporting into `seen`.
class Sims {
 public:
  // `on_server`: every agent connects to that server first, and reconnects to the others when
  // it goes down (the rehome scenario); otherwise worker k's agents connect to server k mod N.
  static constexpr size_t kSpread = SIZE_MAX;
  Sims(const BenchOptions& o, Fleet& fleet, size_t count, Observed& seen,
       size_t on_server = kSpread) {
    const auto ids = fleet.identities(count);
    const auto& urls = fleet.urls();
    std::string all;
    for (const auto& u : urls)
      all += (all.empty() ? "" : ",") + u;
    for (size_t from = 0; from < count; from += o.per_process) {
      const size_t to = std::min(count, from + o.per_process);
      const std::string& server =
          urls[on_server != kSpread ? on_server : (from / o.per_process) % urls.size()];
      std::vector<std::string> argv{o.self.string(), "sim",
                                    "--server",      server,
                                    "--ca",          fleet.ca_file().string(),
                                    "--identities",  ids.string(),
                                    "--from",        std::to_string(from),
                                    "--to",          std::to_string(to)};
      if (on_server != kSpread)
        argv.insert(argv.end(), {"--servers", all});
      children_.push_back(std::make_unique<Child>(
          argv, std::map<std::string, std::string>{}, fleet.work() / "sim.log",
          [&seen](const std::string& line) { seen.line(line); }));
    }
    // Agent ids, in cache order, for targeting.
    std::ifstream in(ids);
    std::string line;
    const size_t servers = fleet.urls().size();
    for (size_t i = 0; i < count && std::getline(in, line); ++i) {
      agent_ids_.push_back(std::string(json::parse(line).at("id").as_string()));
      if (servers == 1 || (i / o.per_process) % servers != 0)
        remote_ids_.push_back(agent_ids_.back());
    }
  }
  const std::vector<std::string>& ids() const { return agent_ids_; }
  // On a cluster, the agents connected to another server than the one tasks are submitted to
  // (all of them on one server).
  const std::vector<std::string>& remote_ids() const { return remote_ids_; }

 private:
  std::vector<std::unique_ptr<Child>> children_;
  std::vector<std::string> agent_ids_, remote_ids_;
};

void connect_all(Observed& seen, size_t count) {
  if (!seen.wait([&](const Observed& s) { return s.opened >= count; }, 900s))
    throw std::runtime_error("only " + std::to_string(seen.opened) + " of " +
                             std::to_string(count) +
                             " agents connected; last close:" + seen.last_close);
}

// Waits until risd lists `count` agents of the space as connected (their hello is processed).
void wait_online(Fleet& fleet, size_t count) {
  for (int i = 0; i < 6000; ++i) {
    if (fleet.connected() >= static_cast<int64_t>(count))
      return;
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("risd did not see every agent connected");
}

json::object task_body(const std::vector<std::string>& agents, json::object params) {
  json::array targets;
  for (const auto& a : agents)
    targets.emplace_back(a);
  return {{"type", "echo"},
          {"parameters", std::move(params)},
          {"target", json::object{{"agents", std::move(targets)}}}};
}

std::vector<std::string> run_ids(const json::value& task) {
  std::vector<std::string> out;
  for (const auto& r : task.at("runs").as_array())
    out.emplace_back(r.at("id").as_string());
  return out;
}

FleetOptions fleet_options(const BenchOptions& o) {
  return {o.risd, o.work, o.port, o.servers, o.nats_server};
}

// CPU seconds of every risd of the fleet.
double fleet_cpu_seconds(const Fleet& fleet) {
  double total = 0;
  for (pid_t p : fleet.risd_pids())
    total += cpu_seconds(p);
  return total;
}

// risd with N simulated agents, all connected and seen online by risd.
struct ConnectedFleet {
  ConnectedFleet(const BenchOptions& o, size_t n)
      : fleet(fleet_options(o)), sims(o, fleet, n, seen) {
    connect_all(seen, n);
    wait_online(fleet, n);
  }
  Fleet fleet;
  Observed seen;
  Sims sims;
};

// 1. capacity: N agents connected and heartbeating; risd's memory and idle CPU. On a cluster,
// the agents are spread over the servers: the figures are per server (RSS, CPU: the largest;
// RSS per agent: the growth of all servers over all agents).
json::object capacity(const BenchOptions& o) {
  const size_t n = o.agents ? o.agents : 1000;
  Fleet fleet(fleet_options(o));
  fleet.identities(n);
  std::this_thread::sleep_for(2s);
  const auto pids = fleet.risd_pids();
  std::vector<int64_t> rss_before;
  for (pid_t p : pids)
    rss_before.push_back(rss_bytes(p));
  Observed seen;
  const int64_t start = now_ns();
  Sims sims(o, fleet, n, seen);
  connect_all(seen, n);
  wait_online(fleet, n);
  const int64_t connected_at = now_ns();
  std::this_thread::sleep_for(5s);  // settle: every agent has sent a heartbeat by 10 s
  std::vector<double> cpu0;
  for (pid_t p : pids)
    cpu0.push_back(cpu_seconds(p));
  const int64_t idle0 = now_ns();
  std::this_thread::sleep_for(10s);
  const double idle_seconds = static_cast<double>(now_ns() - idle0) / 1e9;
  double cpu = 0, rss_max = 0;
  int64_t growth = 0;
  for (size_t k = 0; k < pids.size(); ++k) {
    cpu = std::max(cpu, (cpu_seconds(pids[k]) - cpu0[k]) / idle_seconds);
    const int64_t rss = rss_bytes(pids[k]);
    rss_max = std::max(rss_max, static_cast<double>(rss));
    growth += rss - rss_before[k];
  }
  const int64_t connected = fleet.connected();
  const double per_agent = static_cast<double>(growth) / static_cast<double>(n);
  return {{"agents", n},
          {"servers", o.servers},
          {"connected", connected},
          {"connect_seconds", static_cast<double>(connected_at - start) / 1e9},
          {"risd_rss_mib", rss_max / (1 << 20)},
          {"rss_per_agent_kib", per_agent / 1024},
          {"agents_per_gib", per_agent > 0 ? (1 << 30) / per_agent : 0.0},
          {"idle_cpu_percent", cpu * 100},
          {"open_files_limit", fleet.open_files_limit()}};
}

// 2. latency: echo tasks at a fixed rate, each to one of N agents; submit → result stored.
json::object latency(const BenchOptions& o) {
  const size_t n = o.agents ? o.agents : 100;
  ConnectedFleet connected(o, n);
  auto& [fleet, seen, sims] = connected;
  const size_t total = static_cast<size_t>(o.rate * o.duration);
  // Open loop: task i is due at start + i/rate and its latency counts from then, so a slow
  // submission shows in the figures instead of slowing the load down.
  const int submitters = 8;
  std::vector<int64_t> due(total);
  std::vector<std::string> runs(total);
  std::atomic<size_t> failed{0};
  const int64_t start = now_ns() + 200'000'000;
  for (size_t i = 0; i < total; ++i)
    due[i] = start + static_cast<int64_t>(static_cast<double>(i) * 1e9 / o.rate);
  const std::string target = "/api/v1/spaces/" + fleet.space() + "/tasks";
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&, t] {
      net::HttpsClient client({"127.0.0.1", static_cast<uint16_t>(fleet.port()), "/", ""},
                              net::ClientTls{read_file(fleet.ca_file())});
      for (size_t i = static_cast<size_t>(t); i < total; i += submitters) {
        const int64_t wait = due[i] - now_ns();
        if (wait > 0)
          std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
        // On a cluster: only agents of other servers (the cross-server path).
        const auto& targets = sims.remote_ids();
        auto body = task_body({targets[i % targets.size()]}, {{"message", "x"}});
        auto r = client.request("POST", target, json::serialize(body),
                                {{"Authorization", fleet.auth_header()}});
        if (!r || r->status != 201) {
          ++failed;
          continue;
        }
        runs[i] = run_ids(json::parse(r->body)).at(0);
      }
    });
  for (auto& t : threads)
    t.join();
  const int64_t submitted_by = now_ns();
  const size_t expected = total - failed;
  seen.wait([&](const Observed& s) { return s.acked.size() >= expected; }, 120s);
  std::vector<double> lat;
  {
    std::lock_guard lock(seen.mu);
    for (size_t i = 0; i < total; ++i)
      if (auto it = seen.acked.find(runs[i]); !runs[i].empty() && it != seen.acked.end())
        lat.push_back(ms(it->second - due[i]));
  }
  return {{"agents", n},
          {"servers", o.servers},
          {"rate_per_second", o.rate},
          {"submitted", total},
          {"achieved_rate",
           static_cast<double>(total) / (static_cast<double>(submitted_by - start) / 1e9)},
          {"completed", lat.size()},
          {"failed_submissions", failed.load()},
          {"p50_ms", percentile(lat, 50)},
          {"p90_ms", percentile(lat, 90)},
          {"p99_ms", percentile(lat, 99)},
          {"max_ms", percentile(lat, 100)}};
}

// 3. fan-out: one task to every one of N agents; until every result is stored.
json::object fanout(const BenchOptions& o) {
  const size_t n = o.agents ? o.agents : 1000;
  ConnectedFleet connected(o, n);
  auto& [fleet, seen, sims] = connected;
  const double cpu_before = fleet_cpu_seconds(fleet);
  const int64_t start = now_ns();
  auto task = fleet.api("POST", "/api/v1/spaces/" + fleet.space() + "/tasks",
                        task_body(sims.ids(), {{"message", "fan-out"}}));
  const int64_t created = now_ns();
  const auto runs = run_ids(task);
  seen.wait([&](const Observed& s) { return s.acked.size() >= runs.size(); }, 300s);
  const double cpu = fleet_cpu_seconds(fleet) - cpu_before;
  int64_t last = 0;
  std::vector<double> at;
  {
    std::lock_guard lock(seen.mu);
    for (const auto& r : runs)
      if (auto it = seen.acked.find(r); it != seen.acked.end()) {
        at.push_back(ms(it->second - start));
        last = std::max(last, it->second);
      }
  }
  const size_t done = at.size();
  return {{"agents", n},
          {"servers", o.servers},
          {"completed", done},
          {"create_ms", ms(created - start)},
          {"first_result_stored_ms", percentile(at, 0)},
          {"half_results_stored_ms", percentile(at, 50)},
          {"risd_cpu_seconds", cpu},
          {"all_results_stored_ms", done == runs.size() ? ms(last - start) : -1.0}};
}

// Starts subscriber processes (`kind` ris or nats) and waits until all are subscribed.
std::vector<std::unique_ptr<Child>> subscribers(const BenchOptions& o, Observed& seen,
                                                const std::string& kind, const std::string& url,
                                                const std::vector<std::string>& extra) {
  std::vector<std::unique_ptr<Child>> out;
  const size_t processes = 2;
  for (size_t p = 0; p < processes; ++p) {
    const size_t count = o.subscribers / processes + (p < o.subscribers % processes ? 1 : 0);
    std::vector<std::string> argv{o.self.string(), "subscribe",
                                  "--kind",        kind,
                                  "--url",         url,
                                  "--ca",          ca_file_of(o.work).string(),
                                  "--connections", std::to_string(count),
                                  "--expect",      std::to_string(o.messages)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    out.push_back(std::make_unique<Child>(argv, std::map<std::string, std::string>{},
                                          o.work / "subscribers.log",
                                          [&seen](const std::string& l) { seen.line(l); }));
  }
  if (!seen.wait([&](const Observed& s) { return s.opened >= o.subscribers; }, 120s))
    throw std::runtime_error("subscribers did not all subscribe; last close:" + seen.last_close);
  return out;
}

double delivered_per_second(Observed& seen, size_t subscribers) {
  if (!seen.wait([&](const Observed& s) { return s.received.size() >= subscribers; }, 300s))
    return 0;
  std::lock_guard lock(seen.mu);
  int64_t first = INT64_MAX, last = 0, count = 0;
  for (const auto& r : seen.received) {
    first = std::min(first, r.first_ns);
    last = std::max(last, r.last_ns);
    count += r.count;
  }
  return last > first ? static_cast<double>(count) / (static_cast<double>(last - first) / 1e9) : 0;
}

// 4. throughput: output chunks agent → risd (stored and acknowledged), and events risd →
// /events/v1 subscribers, at 64 B and 1 KiB.
json::object throughput(const BenchOptions& o) {
  const size_t n = o.agents ? o.agents : 10;
  ConnectedFleet connected(o, n);
  auto& [fleet, seen, sims] = connected;
  json::object out{{"agents", n}, {"subscribers", o.subscribers}, {"messages", o.messages}};
  for (int64_t bytes : {64, 1024}) {
    const std::string size = bytes == 64 ? "64b" : "1kib";
    seen.reset();
    fleet.api("POST", "/api/v1/spaces/" + fleet.space() + "/tasks",
              task_body(sims.ids(), {{"message", "stream"},
                                     {"bench_chunks", static_cast<int64_t>(o.messages)},
                                     {"bench_bytes", bytes}}));
    seen.wait([&](const Observed& s) { return s.streams.size() >= n; }, 300s);
    {
      std::lock_guard lock(seen.mu);
      int64_t first = INT64_MAX, last = 0, chunks = 0;
      for (const auto& s : seen.streams) {
        first = std::min(first, s.first_ns);
        last = std::max(last, s.acked_ns);
        chunks += s.chunks;
      }
      out["agent_to_server_msgs_per_s_" + size] =
          last > first ? static_cast<double>(chunks) / (static_cast<double>(last - first) / 1e9)
                       : 0.0;
    }
    // One agent streams to every subscriber of its task, after they have subscribed.
    seen.reset();
    auto task =
        fleet.api("POST", "/api/v1/spaces/" + fleet.space() + "/tasks",
                  task_body({sims.ids()[0]},
                            {{"message", "fan"},
                             {"bench_chunks", static_cast<int64_t>(o.messages)},
                             {"bench_bytes", bytes},
                             {"bench_delay_ms", static_cast<int64_t>(1000 + 20 * o.subscribers)}}));
    const std::string task_id(task.at("id").as_string());
    auto subs = subscribers(
        o, seen, "ris", "https://127.0.0.1:" + std::to_string(fleet.port()) + "/events/v1",
        {"--token", fleet.auth_header().substr(7), "--space", fleet.space(), "--task", task_id});
    out["server_to_subscribers_msgs_per_s_" + size] = delivered_per_second(seen, o.subscribers);
  }
  return out;
}

// A NATS publisher over plain TCP: `count` messages of `bytes` on `subject`, then PING/PONG.
void nats_publish(int port, const std::string& subject, size_t count, size_t bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to nats-server");
  }
  std::string wire = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
  const std::string payload(bytes, 'x');
  for (size_t i = 0; i < count; ++i)
    wire += "PUB " + subject + " " + std::to_string(bytes) + "\r\n" + payload + "\r\n";
  wire += "PING\r\n";
  for (size_t off = 0; off < wire.size();) {
    const ssize_t w = ::write(fd, wire.data() + off, wire.size() - off);
    if (w <= 0)
      break;
    off += static_cast<size_t>(w);
  }
  std::string got;
  char buf[4096];
  while (got.find("PONG") == std::string::npos) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r <= 0)
      break;
    got.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
}

// 5. peer: the same subscriber fan-out through nats-server's WebSocket listener (TLS with
// risd's certificate), same clients, sizes and counts, in the same run.
json::object peer(const BenchOptions& o) {
  json::object out = throughput(o);
  const int tcp_port = free_port(), ws_port = free_port();
  const auto conf = o.work / "nats.conf";
  {
    std::ofstream c(conf);
    c << "listen: 127.0.0.1:" << tcp_port << "\n"
      << "websocket {\n  listen: \"127.0.0.1:" << ws_port << "\"\n  tls {\n    cert_file: \""
      << (o.work / "data/tls/server.crt").string() << "\"\n    key_file: \""
      << (o.work / "data/tls/server.key").string() << "\"\n  }\n}\n";
  }
  Child nats({o.nats_server.string(), "-c", conf.string()}, {}, o.work / "nats.log");
  std::this_thread::sleep_for(1s);
  if (!nats.running())
    throw std::runtime_error("nats-server did not start; see " + (o.work / "nats.log").string());
  for (int64_t bytes : {64, 1024}) {
    const std::string size = bytes == 64 ? "64b" : "1kib";
    Observed seen;
    auto subs = subscribers(o, seen, "nats", "https://127.0.0.1:" + std::to_string(ws_port),
                            {"--subject", "bench"});
    nats_publish(tcp_port, "bench", o.messages, static_cast<size_t>(bytes));
    const double nats_rate = delivered_per_second(seen, o.subscribers);
    out["nats_server_to_subscribers_msgs_per_s_" + size] = nats_rate;
    const double ris_rate = out.at("server_to_subscribers_msgs_per_s_" + size).as_double();
    out["ris_over_nats_" + size] = nats_rate > 0 ? ris_rate / nats_rate : 0.0;
  }
  return out;
}

// 6. rehome: N agents all on server 2 of a cluster (--servers >= 2), which is killed with
// SIGKILL; each agent reconnects as ris-agent does. The time from the kill until each agent is
// accepted (hello_ack) by another server, and until the surviving servers count all N.
json::object rehome(const BenchOptions& o) {
  if (o.servers < 2)
    throw std::runtime_error("rehome needs --servers 2 or more");
  const size_t n = o.agents ? o.agents : 1000;
  Fleet fleet(fleet_options(o));
  Observed seen;
  Sims sims(o, fleet, n, seen, 1);
  connect_all(seen, n);
  wait_online(fleet, n);
  std::this_thread::sleep_for(2s);
  size_t closed_before = 0;
  {
    std::lock_guard lock(seen.mu);
    closed_before = seen.closed;
  }
  const int64_t killed = now_ns();
  fleet.kill_server(1);
  const bool all = seen.wait([&](const Observed& s) { return s.rehomed.size() >= n; }, 600s);
  const int64_t accepted_at = now_ns();
  double counted_s = -1;
  for (int i = 0; i < 1200 && counted_s < 0; ++i) {
    if (fleet.connected() >= static_cast<int64_t>(n))
      counted_s = static_cast<double>(now_ns() - killed) / 1e9;
    else
      std::this_thread::sleep_for(250ms);
  }
  std::vector<double> at;
  size_t failed_attempts = 0;
  std::string last_failure;
  {
    std::lock_guard lock(seen.mu);
    for (int64_t t : seen.rehomed)
      at.push_back(static_cast<double>(t - killed) / 1e9);
    // Each agent's lost connection aside (fewer closed when not every agent came back).
    failed_attempts = seen.closed - closed_before - std::min(n, seen.closed - closed_before);
    last_failure = seen.last_close;
  }
  if (!last_failure.empty())
    std::fprintf(stderr, "rehome: last failed attempt:%s\n", last_failure.c_str());
  return {{"agents", n},
          {"servers", o.servers},
          {"rehomed", at.size()},
          {"rehome_p50_s", percentile(at, 50)},
          {"rehome_p90_s", percentile(at, 90)},
          {"rehome_p99_s", percentile(at, 99)},
          {"rehome_max_s", all ? static_cast<double>(accepted_at - killed) / 1e9 : -1.0},
          {"failed_attempts", failed_attempts},
          {"all_counted_by_survivors_s", counted_s}};
}

// 7. schedules: S schedules at @every 1s, each starting an echo task on one simulated agent, for
// the duration; then paused. Lateness: when each fire's action started (fired_at) after it was
// due (fire_at), from the fires' history. On a cluster the tick runs on whichever server holds
// the scheduler duty.
json::object schedules(const BenchOptions& o) {
  const size_t n = o.agents ? o.agents : 100;
  ConnectedFleet connected(o, n);
  auto& [fleet, seen, sims] = connected;
  const size_t count = o.schedules;
  const std::string base = "/api/v1/spaces/" + fleet.space() + "/schedules";
  const auto& ids = sims.ids();
  for (size_t i = 0; i < count; ++i) {
    json::object body{{"name", "bench-" + std::to_string(i)},
                      {"when", "@every 1s"},
                      {"action", {{"task", task_body({ids[i % ids.size()]}, {{"message", "x"}})}}}};
    fleet.api("POST", base, body);
  }
  std::this_thread::sleep_for(std::chrono::seconds(o.duration));
  for (size_t i = 0; i < count; ++i)
    fleet.api("POST", base + "/bench-" + std::to_string(i) + "/pause", json::object{});
  std::vector<double> late;
  size_t started = 0, other = 0;
  for (size_t i = 0; i < count; ++i) {
    const auto page = fleet.api("GET", base + "/bench-" + std::to_string(i) + "/fires?limit=1000");
    for (const auto& v : page.at("items").as_array()) {
      const auto& f = v.as_object();
      if (f.at("state") != "started") {
        ++other;
        continue;
      }
      ++started;
      const auto due = ris::parse_rfc3339(f.at("fire_at").as_string());
      const auto fired = ris::parse_rfc3339(f.at("fired_at").as_string());
      if (due && fired)
        late.push_back(std::chrono::duration<double, std::milli>(*fired - *due).count());
    }
  }
  // Remove them: the next run starts from the same database.
  for (size_t i = 0; i < count; ++i)
    fleet.api("DELETE", base + "/bench-" + std::to_string(i));
  return {{"agents", n},
          {"servers", o.servers},
          {"schedules", count},
          {"seconds", o.duration},
          {"fires_started", started},
          {"fires_not_started", other},
          {"lateness_p50_ms", percentile(late, 50)},
          {"lateness_p99_ms", percentile(late, 99)},
          {"lateness_max_ms", percentile(late, 100)}};
}

json::object run_once(const std::string& name, const BenchOptions& o) {
  if (name == "capacity")
    return capacity(o);
  if (name == "latency")
    return latency(o);
  if (name == "fanout")
    return fanout(o);
  if (name == "throughput")
    return throughput(o);
  if (name == "peer")
    return peer(o);
  if (name == "rehome")
    return rehome(o);
  if (name == "schedules")
    return schedules(o);
  if (name == "kv")
    return kv(o);
  if (name == "queues")
    return queues(o);
  if (name == "deploy")
    return deploy(o);
  throw std::runtime_error(
      "unknown scenario \"" + name +
      "\" (capacity, latency, fanout, throughput, peer, rehome, schedules, kv, queues, deploy)");
}

std::string figure(const json::value& v) {
  char buf[64];
  if (v.is_double())
    std::snprintf(buf, sizeof buf, "%.3g", v.as_double());
  else
    return json::serialize(v);
  // Plain digits for large values (no exponent).
  if (std::string(buf).find('e') != std::string::npos)
    std::snprintf(buf, sizeof buf, "%.0f", v.as_double());
  return buf;
}

}  // namespace

json::object run_scenario(const std::string& name, const BenchOptions& o) {
  json::array runs;
  for (int i = 0; i < o.runs; ++i) {
    std::fprintf(stderr, "risbench %s: run %d of %d\n", name.c_str(), i + 1, o.runs);
    runs.push_back(run_once(name, o));
  }
  // The median of every numeric figure over the runs.
  json::object median;
  for (const auto& [key, first] : runs.front().as_object()) {
    if (!first.is_number()) {
      median[key] = first;
      continue;
    }
    std::vector<double> values;
    for (const auto& r : runs)
      values.push_back(r.at(key).to_number<double>());
    std::sort(values.begin(), values.end());
    const double m = values.size() % 2
                         ? values[values.size() / 2]
                         : (values[values.size() / 2 - 1] + values[values.size() / 2]) / 2;
    median[key] = first.is_double() ? json::value(m) : json::value(static_cast<int64_t>(m));
  }
  json::object result{
      {"scenario", name}, {"command", o.command}, {"runs", runs}, {"median", median}};
  std::printf("%s (median of %d):\n", name.c_str(), o.runs);
  for (const auto& [key, v] : median)
    std::printf("  %-40s %s\n", std::string(key).c_str(), figure(v).c_str());
  if (!o.results.empty()) {
    std::filesystem::create_directories(o.results);
    const std::string file = o.name.empty() ? name : o.name;
    std::ofstream(o.results / (file + ".json")) << json::serialize(result) << '\n';
    std::ofstream md(o.results / (file + ".md"));
    md << "`" << o.command << "`\n\n| figure | median | runs |\n|---|---:|---|\n";
    for (const auto& [key, v] : median) {
      md << "| " << std::string(key) << " | " << figure(v) << " | ";
      for (size_t i = 0; i < runs.size(); ++i)
        md << (i ? ", " : "") << figure(runs[i].at(key));
      md << " |\n";
    }
  }
  return result;
}

}  // namespace ris::bench
