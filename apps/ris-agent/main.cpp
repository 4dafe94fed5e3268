// ris-agent: enrol with `join`, then `run` as a service (deploy/systemd/ris-agent.service).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ris/agent/agent.hpp"
#include "ris/core/config.hpp"
#include "ris/core/log.hpp"

namespace {
constexpr const char* kUsage = R"(ris-agent — runs RIS tasks on this host

Usage:
  ris-agent join URL --token TOKEN --ca-hash sha256:HEX [--name NAME] [--state-dir DIR]
      Enrol with the risd at URL (https://host:8057). The server's CA is pinned by its hash
      (risd prints it at start; `POST /api/v1/spaces/{space}/agents/join-tokens` returns it too).
  ris-agent run [--state-dir DIR] [--server URL]... [--heartbeat DURATION] [--parallel N]
      Stay connected and execute tasks. Reconnects by itself; stop with SIGTERM.

Options (environment in brackets):
  --state-dir DIR      identity, outbox and executed-run log [RIS_AGENT_STATE_DIR] (/var/lib/ris-agent)
  --server URL         another risd to fall back to (repeatable)
  --heartbeat DURATION health report interval [RIS_AGENT_HEARTBEAT] (10s)
  --parallel N         runs executed at once (8)
  --docker-socket PATH the Docker Engine API's socket [DOCKER_HOST as unix://PATH]
                       (/var/run/docker.sock); Docker absent: docker tasks and services fail
                       with a clear error, everything else works
  --reconcile DURATION how often services are checked against Docker (2s)
  --log-level LEVEL    debug, info, warn, error [RIS_LOG_LEVEL] (info)
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ris-agent: %s\n(see ris-agent --help)\n", message.c_str());
  return 2;
}

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  std::string url, token, ca_hash, name,
      state_dir = env_or("RIS_AGENT_STATE_DIR", "/var/lib/ris-agent");
  std::string log_level = env_or("RIS_LOG_LEVEL", "info"),
              heartbeat = env_or("RIS_AGENT_HEARTBEAT", "10s"), reconcile = "2s";
  std::string docker_socket = env_or("DOCKER_HOST", "unix:///var/run/docker.sock");
  std::vector<std::string> servers;
  unsigned parallel = 8;
  for (size_t i = 1; i < args.size(); ++i) {
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "ris-agent: %s needs a value\n", flag);
        std::exit(2);
      }
      return args[++i];
    };
    const std::string& a = args[i];
    if (a == "--token")
      token = value("--token");
    else if (a == "--ca-hash")
      ca_hash = value("--ca-hash");
    else if (a == "--name")
      name = value("--name");
    else if (a == "--state-dir")
      state_dir = value("--state-dir");
    else if (a == "--server")
      servers.push_back(value("--server"));
    else if (a == "--heartbeat")
      heartbeat = value("--heartbeat");
    else if (a == "--parallel")
      parallel = static_cast<unsigned>(std::atoi(value("--parallel").c_str()));
    else if (a == "--docker-socket")
      docker_socket = value("--docker-socket");
    else if (a == "--reconcile")
      reconcile = value("--reconcile");
    else if (a == "--log-level")
      log_level = value("--log-level");
    else if (!a.starts_with("--") && url.empty() && command == "join")
      url = a;
    else
      return usage_error("unknown argument \"" + a + "\"");
  }
  ris::log::Level level = ris::log::Level::info;
  if (!ris::log::parse_level(log_level, level))
    return usage_error("--log-level must be debug, info, warn or error");
  ris::log::init(level);

  if (command == "join") {
    if (url.empty())
      return usage_error("join needs the server URL");
    auto id = ris::agent::join({url, token, ca_hash, name, state_dir});
    if (!id) {
      std::fprintf(stderr, "ris-agent: join failed: %s\n", id.error().message.c_str());
      return 1;
    }
    std::printf("enrolled as agent %s; state in %s\nnext: ris-agent run --state-dir %s\n",
                id->c_str(), state_dir.c_str(), state_dir.c_str());
    return 0;
  }
  if (command != "run")
    return usage_error("unknown command \"" + command + "\" (join, run)");
  auto hb = ris::parse_duration(heartbeat);
  if (!hb || hb->count() < 100)
    return usage_error("--heartbeat must be a duration of at least 100ms, like 10s");
  if (parallel < 1 || parallel > 256)
    return usage_error("--parallel must be between 1 and 256");
  auto reconcile_every = ris::parse_duration(reconcile);
  if (!reconcile_every || reconcile_every->count() < 100)
    return usage_error("--reconcile must be a duration of at least 100ms, like 2s");
  if (docker_socket.starts_with("unix://"))
    docker_socket = docker_socket.substr(7);
  if (!docker_socket.starts_with("/"))
    return usage_error("--docker-socket must be a Unix socket path (or unix://PATH)");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ris::agent::AgentOptions options;
  options.state_dir = state_dir;
  options.extra_servers = servers;
  options.heartbeat_interval = *hb;
  options.max_parallel_runs = parallel;
  options.docker_socket = docker_socket;
  options.reconcile_interval = *reconcile_every;
  ris::agent::Agent agent(options);
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    ris::log::info("agent_stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    agent.stop();
  });
  auto r = agent.run();
  if (!r) {
    std::fprintf(stderr, "ris-agent: %s\n", r.error().message.c_str());
    pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    return 1;
  }
  watcher.join();
  ris::log::flush();
  return 0;
}
