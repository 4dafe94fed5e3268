// The deploy scenario, two modes.
// Without --agents: a deployment file of 1,000 services on 100 nodes (each service depends on
// one or two earlier ones, so the waves are deep and wide), read, checked and planned against a
// live state that has every service with one field changed — what `risctl deploy validate`
// and a plan do on every run; and a compact file of the same 1,000 services (one line each).
// No risd: the figures are the reader and planner alone.
// With --agents N: an apply through a real risd (below).
#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "deploy_agents.hpp"
#include "fleet.hpp"
#include "processes.hpp"
#include "ris/core/time.hpp"
#include "ris/deploy/plan.hpp"
#include "scenarios.hpp"

namespace ris::bench {
namespace {
boost::json::object deploy_apply(const BenchOptions& o);
}

boost::json::object deploy(const BenchOptions& o) {
  if (o.agents > 0)
    return deploy_apply(o);
  constexpr int kServices = 1000, kNodes = 100, kReads = 50;
  std::string file = "variables: {port: \"8080\"}\nnodes:\n";
  for (int n = 0; n < kNodes; ++n)
    file += fmt::format("  n{}: {{selector: {{rack: r{}}}}}\n", n, n);
  file += "services:\n";
  for (int i = 0; i < kServices; ++i) {
    std::string deps;
    if (i > 0)
      deps = fmt::format(", depends_on: [s{}{}]", (i - 1) / 2,
                         i > 2 ? fmt::format(", {{service: s{}, condition: healthy}}", i / 3) : "");
    file += fmt::format(
        "  s{}: {{kind: shell, on: [n{}], shell: {{start: \"run --port ${{port}}\", "
        "files: [{{path: /etc/s{}.conf, content: \"x\", mode: \"0644\"}}]}}, health: {{command: "
        "\"check\", interval_seconds: 5, timeout_seconds: 2}}{}}}\n",
        i, i % kNodes, i, deps);
  }
  // The same dependencies, each service on one line with only what it must say.
  std::string compact = "nodes: {n: {agent: a}}\nservices:\n";
  for (int i = 0; i < kServices; ++i)
    compact += fmt::format("  s{}: {{kind: shell, on: n, shell: {{start: run}}{}}}\n", i,
                           i == 0 ? "" : fmt::format(", depends_on: [s{}]", (i - 1) / 2));
  std::vector<double> read_ms, plan_ms, compact_ms;
  size_t waves = 0;
  for (int r = 0; r < kReads; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    auto read = deploy::read_deployment(file, "");
    const auto t1 = std::chrono::steady_clock::now();
    if (!read.deployment)
      throw std::runtime_error("the generated file does not read: " +
                               deploy::format_diagnostics("bench", read.diagnostics));
    deploy::Live live;
    for (const auto& s : read.deployment->services) {
      live[s.name] = s.spec;
      live[s.name]["shell"].as_object()["start"] = "old";
    }
    const auto t2 = std::chrono::steady_clock::now();
    const auto plan = deploy::make_plan(*read.deployment, live);
    const auto t3 = std::chrono::steady_clock::now();
    waves = plan.waves.size();
    const auto t4 = std::chrono::steady_clock::now();
    if (!deploy::read_deployment(compact, "").deployment)
      throw std::runtime_error("the compact file does not read");
    compact_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t4).count());
    read_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    plan_ms.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
  }
  return {{"services", kServices},
          {"nodes", kNodes},
          {"file_bytes", file.size()},
          {"waves", waves},
          {"read_p50_ms", percentile(read_ms, 50)},
          {"read_p99_ms", percentile(read_ms, 99)},
          {"compact_file_bytes", compact.size()},
          {"compact_read_p50_ms", percentile(compact_ms, 50)},
          {"compact_read_p99_ms", percentile(compact_ms, 99)},
          {"plan_p50_ms", percentile(plan_ms, 50)},
          {"plan_p99_ms", percentile(plan_ms, 99)}};
}

// The apply mode: `risbench deploy --agents N` (RISBENCH_SSH_HOSTS=H, default 20;
// RISBENCH_SERVICES=S, default 50, in 5 tiers). risd, N simulated agents that run the scripts
// (deploy_agents.hpp) and H sshd on loopback (scripts/ssh-test-server), their keys as deployment
// secrets. The file names every agent (by id) and every sshd as a node; service s runs on the
// agents j with j mod S = s and the SSH hosts k with k mod S = s, plus host s mod H, and its
// start writes one file per step into a temporary directory (counted afterwards: every step
// ran). Each service of tier t > 0 depends on two of tier t - 1. A full apply (a new deployment
// name each run) is timed from the POST until GET …/revisions/N says applied, then a no-op
// converge: the same file again, every service unchanged.
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

size_t env_size(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoul(v) : fallback;
}

std::string trimmed(std::string v) {
  while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
    v.pop_back();
  return v;
}

// scripts/ssh-test-server of the source tree this was built from (else of the working directory).
std::filesystem::path ssh_test_server() {
  const auto from_source =
      std::filesystem::path(__FILE__).parent_path() / "../../scripts/ssh-test-server";
  return std::filesystem::exists(from_source) ? from_source.lexically_normal()
                                              : std::filesystem::path("scripts/ssh-test-server");
}

// H throw-away sshd, stopped (and their directories removed) when this goes.
class SshHosts {
 public:
  SshHosts(const std::filesystem::path& under, size_t count) {
    const auto log = under.parent_path() / "sshd.log";
    for (size_t k = 0; k < count; ++k) {
      dirs_.push_back(under / ("h" + std::to_string(k)));
      Child start({ssh_test_server().string(), "start", dirs_.back().string()}, {}, log);
      if (const int code = start.wait(); code != 0) {
        stop_all();
        throw std::runtime_error("ssh-test-server start failed (exit " + std::to_string(code) +
                                 "), see " + log.string());
      }
    }
  }
  ~SshHosts() { stop_all(); }
  std::string read(size_t k, const char* name) const { return trimmed(read_file(dirs_[k] / name)); }

 private:
  void stop_all() {
    for (const auto& d : dirs_)
      Child({ssh_test_server().string(), "stop", d.string()}, {}, "/dev/null").wait();
    dirs_.clear();
  }
  std::vector<std::filesystem::path> dirs_;
};

struct Applied {
  double seconds = 0;
  json::object revision;
};

// POSTs an apply of `file` and polls the revision (every 100 ms) until it is applied.
Applied apply_and_wait(Fleet& fleet, const std::string& deployment, const std::string& file) {
  const std::string base = "/api/v1/spaces/" + fleet.space() + "/deployments/" + deployment;
  const int64_t t0 = now_ns();
  const auto made = fleet.api("POST", base + "/apply", json::object{{"file", file}});
  const int64_t n = made.at("revision").to_number<int64_t>();
  for (;;) {
    std::this_thread::sleep_for(100ms);
    auto r = fleet.api("GET", base + "/revisions/" + std::to_string(n));
    const auto& state = r.at("state").as_string();
    if (state == "applied")
      return {seconds_since(t0), std::move(r.as_object())};
    if (state != "applying")
      throw std::runtime_error(deployment + " revision " + std::to_string(n) + " " +
                               std::string(state) + ": " + json::serialize(r.at("detail")));
    if (seconds_since(t0) > 1800)
      throw std::runtime_error(deployment + " did not apply in 30 minutes");
  }
}

json::object deploy_apply(const BenchOptions& o) {
  const size_t agents = o.agents, hosts = env_size("RISBENCH_SSH_HOSTS", 20),
               services = std::max<size_t>(1, env_size("RISBENCH_SERVICES", 50));
  const size_t tiers = std::min<size_t>(5, services), per_tier = (services + tiers - 1) / tiers;
  Fleet fleet({o.risd, o.work, o.port, o.servers, o.nats_server});
  const auto ids_file = fleet.identities(agents);
  std::vector<std::string> ids;
  {
    std::ifstream in(ids_file);
    std::string line;
    while (ids.size() < agents && std::getline(in, line))
      ids.emplace_back(json::parse(line).at("id").as_string());
  }
  const int64_t t_connect = now_ns();
  ShellAgents sims(fleet.url(), fleet.ca_file(), ids_file, agents);
  while (sims.opened() < agents || fleet.connected() < static_cast<int64_t>(agents)) {
    if (seconds_since(t_connect) > 300)
      throw std::runtime_error(fmt::format("only {} of {} agents connected; last close: {}",
                                           sims.opened(), agents, sims.last_close()));
    std::this_thread::sleep_for(200ms);
  }
  const double connect_s = seconds_since(t_connect);
  std::filesystem::remove_all(o.work / "deploy-ssh");
  SshHosts ssh(o.work / "deploy-ssh", hosts);
  for (size_t k = 0; k < hosts; ++k)
    fleet.api("PUT", fmt::format("/api/v1/spaces/{}/deploy-secrets/bench-h{}", fleet.space(), k),
              json::object{{"value", ssh.read(k, "user_key") + "\n"}});

  const auto out = o.work / "deploy-out";
  std::filesystem::remove_all(out);
  std::filesystem::create_directories(out);
  std::string file = "nodes:\n";
  for (size_t j = 0; j < agents; ++j)
    file += fmt::format("  a{}: {{agent: {}}}\n", j, ids[j]);
  for (size_t k = 0; k < hosts; ++k)
    file += fmt::format(
        "  h{}: {{ssh: {{address: 127.0.0.1, port: {}, user: {}, key: \"secret:bench-h{}\", "
        "host_key: \"{}\"}}}}\n",
        k, ssh.read(k, "port"), ssh.read(k, "user"), k, ssh.read(k, "host_key_sha256"));
  file += "services:\n";
  for (size_t s = 0; s < services; ++s) {
    std::string on;
    for (size_t j = s; j < agents; j += services)
      on += fmt::format("{}a{}", on.empty() ? "" : ", ", j);
    std::set<size_t> on_hosts;
    for (size_t k = s; k < hosts; k += services)
      on_hosts.insert(k);
    if (hosts > 0)
      on_hosts.insert(s % hosts);
    for (size_t k : on_hosts)
      on += fmt::format("{}h{}", on.empty() ? "" : ", ", k);
    if (on.empty())
      on = "a0";
    std::string deps;
    if (const size_t tier = s / per_tier; tier > 0) {
      const size_t first = (tier - 1) * per_tier, i = s - tier * per_tier;
      deps =
          fmt::format(", depends_on: [s{}, s{}]", first + i % per_tier, first + (i + 1) % per_tier);
    }
    file += fmt::format(
        "  s{0}: {{kind: shell, on: [{1}], shell: {{start: \"mktemp {2}/s{0}.XXXXXX\"}}{3}}}\n", s,
        on, out.string(), deps);
  }

  // One full apply of a new deployment, then the same file again.
  const std::string name = fmt::format("bench-{}", now_ns() / 1'000'000);
  const double cpu0 = cpu_seconds(fleet.risd_pid());
  const auto full = apply_and_wait(fleet, name, file);
  const double cpu1 = cpu_seconds(fleet.risd_pid());
  const auto noop = apply_and_wait(fleet, name, file);
  const double cpu2 = cpu_seconds(fleet.risd_pid());

  // Steps start and end at the deployer's rounds (their times are the round's): how long a step
  // took is a count of rounds, and the rounds with the most starts show the parallel cap.
  size_t steps = 0, unchanged = 0, waves = 0;
  std::set<std::string> touched, rounds;
  std::map<std::string, size_t> starts;
  std::vector<double> agent_step_s, ssh_step_s;
  auto at = [](const json::value& step, const char* k) {
    return parse_rfc3339(step.at(k).as_string()).value_or(SystemTime{});
  };
  for (const auto& st : full.revision.at("steps").as_array()) {
    ++steps;
    touched.insert(std::string(st.at("node").as_string()));
    waves = std::max<size_t>(waves, st.at("wave").to_number<size_t>());
    ++starts[std::string(st.at("started_at").as_string())];
    rounds.insert(std::string(st.at("started_at").as_string()));
    rounds.insert(std::string(st.at("finished_at").as_string()));
    const double took =
        std::chrono::duration<double>(at(st, "finished_at") - at(st, "started_at")).count();
    (st.as_object().contains("executor") ? ssh_step_s : agent_step_s).push_back(took);
  }
  size_t most_starts = 0;
  for (const auto& [when, n] : starts)
    most_starts = std::max(most_starts, n);
  for (const auto& st : noop.revision.at("steps").as_array())
    unchanged += st.at("change") == json::value("unchanged") ? 1 : 0;
  size_t files = 0;
  for (const auto& f : std::filesystem::directory_iterator(out))
    files += f.is_regular_file() ? 1 : 0;
  if (files != steps)
    throw std::runtime_error(fmt::format("{} steps applied but {} scripts left their file in {}",
                                         steps, files, out.string()));
  const double minutes = full.seconds / 60;
  std::fprintf(stderr,
               "  full apply: %zu steps in %zu waves on %zu hosts, %.1f s (%.0f hosts/min, "
               "%.1f steps/s), risd CPU %.0f%%; no-op converge: %zu unchanged steps, %.2f s\n",
               steps, waves, touched.size(), full.seconds, touched.size() / minutes,
               steps / full.seconds, 100 * (cpu1 - cpu0) / full.seconds, unchanged, noop.seconds);
  json::object figures{{"agents", agents},
                       {"ssh_hosts", hosts},
                       {"services", services},
                       {"waves", waves},
                       {"steps", steps},
                       {"hosts", touched.size()},
                       {"agents_connect_s", connect_s},
                       {"apply_s", full.seconds},
                       {"hosts_per_minute", static_cast<double>(touched.size()) / minutes},
                       {"steps_per_s", static_cast<double>(steps) / full.seconds},
                       {"apply_risd_cpu_percent", 100 * (cpu1 - cpu0) / full.seconds},
                       {"rounds_with_changes", rounds.size()},
                       {"most_steps_started_in_a_round", most_starts},
                       {"agent_step_p50_s", percentile(agent_step_s, 50)},
                       {"agent_step_max_s", percentile(agent_step_s, 100)},
                       {"ssh_step_p50_s", percentile(ssh_step_s, 50)},
                       {"ssh_step_max_s", percentile(ssh_step_s, 100)},
                       {"agent_scripts_ok", sims.scripts_ok()},
                       {"agent_scripts_failed", sims.scripts_failed()},
                       {"noop_unchanged_steps", unchanged},
                       {"noop_s", noop.seconds},
                       {"noop_risd_cpu_percent", 100 * (cpu2 - cpu1) / noop.seconds}};
  std::fprintf(stderr, "  %s\n", json::serialize(figures).c_str());
  return figures;
}

}  // namespace
}  // namespace ris::bench
